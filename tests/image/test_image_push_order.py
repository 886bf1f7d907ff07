"""The tag moves last, after every referrer (SBOM); a connection cut mid-transfer is reported as
that, not as an unreachable registry (issue 13 item 13).

A fault proxy on loopback sits between aloft and a real registry and resets the connection when a
chosen request goes through it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from imagehelpers import RegistryServer

from aloft.exceptions import OperationFailed
from aloft.image.cache import Cache
from aloft.image.layers import Layer
from aloft.image.oci import Image, Platform, make_image, sha256
from aloft.image.publish import push, push_build
from aloft.image.reference import ImageRef
from aloft.image.registry import Registry


class ResetProxy:
    """Relays loopback TCP to the registry; resets the client's connection (RST, via SO_LINGER 0)
    as soon as a `method` request containing `trigger` goes through, after letting `leak` bytes
    of it reach the registry."""

    def __init__(self, upstream: str, method: bytes, trigger: bytes, leak: int = 64) -> None:
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.method = method
        self.trigger = trigger
        self.leak = leak
        self.resets = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.host = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(self.upstream, timeout=10)
            threading.Thread(target=self._up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client), daemon=True).start()

    def _up(self, client: socket.socket, upstream: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if data.startswith(self.method) and self.trigger in data:
                    upstream.sendall(data[: self.leak])
                    self.resets += 1
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    client.close()
                    upstream.close()
                    return
                upstream.sendall(data)
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_WR)

    def _down(self, upstream: socket.socket, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := upstream.recv(65536):
                client.sendall(data)
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(2)
        self.server.close()


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


def _image(cache: Cache, content: bytes) -> Image:
    digest = cache.put_blob_bytes(content)
    layer = Layer(digest, sha256(content), len(content))
    return make_image(Platform("linux", "amd64"), [layer], {"config": {"Env": ["X=1"]}})


def _tagged(registry: RegistryServer, repository: str, tag: str) -> str:
    reply = httpx.get(
        registry.url(f"/v2/{repository}/manifests/{tag}"),
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert reply.status_code == 200, reply.text
    return sha256(reply.content)


@pytest.fixture
def proxy_factory(registry: RegistryServer) -> Iterator[list[ResetProxy]]:
    made: list[ResetProxy] = []
    yield made
    for proxy in made:
        proxy.close()


def test_failed_sbom_upload_leaves_the_tag_on_the_previous_image(
    registry: RegistryServer, cache: Cache, proxy_factory: list[ResetProxy]
) -> None:
    repository = f"order-{os.getpid()}"
    old = _image(cache, b"old layer " + os.urandom(16))
    with Registry(registry.host, lookup_credentials=False) as client:
        push(client, ImageRef.parse(f"{registry.host}/{repository}:v1"), old, cache)
    assert _tagged(registry, repository, "v1") == old.digest

    new = _image(cache, b"new layer " + os.urandom(16))
    sbom = json.dumps({"bomFormat": "CycloneDX", "nonce": os.urandom(8).hex()}).encode()
    # Cut the upload of the SBOM blob itself: the PUT that finishes it names its digest.
    proxy = ResetProxy(registry.host, b"PUT ", sha256(sbom)[7:].encode(), leak=0)
    proxy_factory.append(proxy)
    ref = ImageRef.parse(f"{proxy.host}/{repository}:v1")
    with (
        Registry(proxy.host, lookup_credentials=False) as client,
        pytest.raises(OperationFailed) as failure,
    ):
        push_build(client, ref, new, {new.digest: sbom}, cache)
    assert proxy.resets == 1
    assert _tagged(registry, repository, "v1") == old.digest
    assert "the tag v1 was not moved" in str(failure.value)
    # The new image itself is complete in the registry, by digest, ready for the retry.
    assert registry.has_manifest(repository, new.digest)


def test_successful_push_tags_after_the_sbom_is_attached(
    registry: RegistryServer, cache: Cache
) -> None:
    repository = f"order-ok-{os.getpid()}"
    image = _image(cache, b"layer " + os.urandom(16))
    sbom = b'{"bomFormat": "CycloneDX"}'
    with Registry(registry.host, lookup_credentials=False) as client:
        ref = ImageRef.parse(f"{registry.host}/{repository}:v2")
        push_build(client, ref, image, {image.digest: sbom}, cache)
    assert _tagged(registry, repository, "v2") == image.digest
    fallback = httpx.get(
        registry.url(f"/v2/{repository}/manifests/{image.digest.replace(':', '-')}"),
        headers={"Accept": "application/vnd.oci.image.index.v1+json"},
    )
    assert fallback.status_code == 200  # the SBOM's referrers tag (OCI tag-schema fallback)


def test_connection_reset_mid_transfer_says_so(
    registry: RegistryServer, cache: Cache, proxy_factory: list[ResetProxy]
) -> None:
    repository = f"reset-{os.getpid()}"
    image = _image(cache, b"reset layer " + os.urandom(4096))
    proxy = ResetProxy(registry.host, b"PUT ", b"/blobs/uploads/", leak=100)
    proxy_factory.append(proxy)
    with (
        Registry(proxy.host, lookup_credentials=False) as client,
        pytest.raises(OperationFailed) as failure,
    ):
        push(client, ImageRef.parse(f"{proxy.host}/{repository}:v1"), image, cache)
    message = str(failure.value)
    assert proxy.resets == 1
    assert "connection was cut during PUT" in message
    assert "unreachable" not in message and "--insecure-registry" not in message


def test_nothing_listening_is_still_unreachable_without_the_insecure_hint_on_loopback() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        Registry(f"127.0.0.1:{port}", lookup_credentials=False) as client,
        pytest.raises(OperationFailed) as failure,
    ):
        client.has_blob("x", "sha256:" + "0" * 64)
    message = str(failure.value)
    assert f"registry 127.0.0.1:{port} unreachable over http" in message
    assert "--insecure-registry" not in message  # loopback already speaks plain HTTP
