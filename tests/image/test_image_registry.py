"""The registry client on its own: transport choice, chunked uploads, HEAD-before-upload, pulls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imagehelpers import RegistryServer, skopeo

from aloft.exceptions import ConfigError
from aloft.image.base import BaseImage
from aloft.image.cache import Cache
from aloft.image.oci import Platform
from aloft.image.publish import pull, push
from aloft.image.reference import ImageRef
from aloft.image.registry import Registry


def test_plain_http_only_for_loopback_or_explicitly_insecure_registries() -> None:
    assert Registry("127.0.0.1:5000", lookup_credentials=False).scheme == "http"
    assert Registry("localhost:5000", lookup_credentials=False).scheme == "http"
    assert Registry("registry.example.com", lookup_credentials=False).scheme == "https"
    assert Registry("10.0.0.5:5000", lookup_credentials=False).scheme == "https"
    assert Registry("10.0.0.5:5000", insecure=True, lookup_credentials=False).scheme == "http"


def test_references_must_name_their_registry() -> None:
    ref = ImageRef.parse("127.0.0.1:5000/team/app:v1")
    assert (ref.registry, ref.repository, ref.tag) == ("127.0.0.1:5000", "team/app", "v1")
    with pytest.raises(ConfigError, match="name the registry"):
        ImageRef.parse("team/app:v1")
    with pytest.raises(ConfigError, match="digest must be"):
        ImageRef.parse("127.0.0.1:5000/app@sha256:abc")


def test_chunked_upload_then_a_second_push_uploads_nothing(
    registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage
) -> None:
    ref = ImageRef.parse(f"{registry.host}/chunked:v1")
    cache = Cache(cache_dir)
    seen: list[str] = []
    with Registry(ref.registry, chunk_size=1 << 20, monolithic_limit=0) as client:
        digest = push(client, ref, base_amd64.image, cache, progress=seen.append)
        assert digest == base_amd64.image.digest
        assert all(line.endswith("uploaded") for line in seen)
        seen.clear()
        push(client, ref, base_amd64.image, cache, progress=seen.append)
        assert seen and all(line.endswith("exists") for line in seen)
    inspected = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{ref}").stdout)
    assert inspected["Digest"] == digest


def test_pull_by_tag_and_by_digest_verifies_and_caches_blobs(
    registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage, tmp_path: Path
) -> None:
    ref = ImageRef.parse(f"{registry.host}/pulled:v1")
    with Registry(ref.registry) as client:
        push(client, ref, base_amd64.image, Cache(cache_dir))
        fresh = Cache(tmp_path / "cache")
        by_tag = pull(client, ref, Platform("linux", "amd64"), fresh)
        by_digest = pull(
            client, ref.with_digest(base_amd64.image.digest), Platform("linux", "amd64"), fresh
        )
    assert by_tag.layers == by_digest.layers == base_amd64.image.layers
    assert fresh.has_blob(base_amd64.image.layers[0].digest)


def test_foreign_base_without_metadata_needs_python_version(
    tiny: Path, registry: RegistryServer, cache_dir: Path, base_amd64: BaseImage
) -> None:
    from imagehelpers import aloft

    from aloft.image.oci import make_image

    config = base_amd64.image.config_json()
    config["config"].pop("Labels")
    config.pop("rootfs")
    foreign = make_image(Platform("linux", "amd64"), list(base_amd64.image.layers), config)
    ref = ImageRef.parse(f"{registry.host}/foreign/python:3.11")
    with Registry(ref.registry) as client:
        push(client, ref, foreign, Cache(cache_dir))
    refused = aloft(
        "build", "--project", str(tiny), "--base", str(ref), "-o", "json", cache=cache_dir
    )
    assert refused.returncode == 1
    assert "does not record its Python version" in refused.stderr
    built = aloft(
        "build",
        "--project",
        str(tiny),
        "--base",
        str(ref),
        "-o",
        "json",
        cache=cache_dir,
        env={"ALOFT_IMAGE__PYTHON_VERSION": "3.11"},
    )
    assert built.returncode == 0, built.stderr
    assert (
        json.loads(built.stdout)["platforms"][0]["layers"][0]["digest"]
        == base_amd64.image.layers[0].digest
    )
