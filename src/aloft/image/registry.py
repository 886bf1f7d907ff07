"""An OCI distribution API client: what `aloft build --push` and base pulls talk to.

Blobs are checked with HEAD before any upload, mounted from another repository when the registry
already holds them, uploaded in one PUT or in PATCH chunks, and manifests go last, so a registry
never holds a manifest whose blobs are missing, whenever a push is interrupted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from aloft.exceptions import OperationFailed
from aloft.image.auth import Credentials, find_credentials
from aloft.image.cache import Cache, atomic_write
from aloft.image.oci import INDEX, MANIFEST_TYPES, sha256
from aloft.image.reference import ImageRef

CHUNK_SIZE = 16 * 1024 * 1024
MONOLITHIC_LIMIT = 32 * 1024 * 1024
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class Manifest:
    data: bytes
    media_type: str
    digest: str


class Registry:
    """One registry host; holds the auth state (a Basic header or Bearer tokens per scope)."""

    def __init__(
        self,
        host: str,
        *,
        insecure: bool = False,
        credentials: Credentials | None = None,
        lookup_credentials: bool = True,
        chunk_size: int = CHUNK_SIZE,
        monolithic_limit: int = MONOLITHIC_LIMIT,
        timeout: float = 60.0,
    ) -> None:
        self.host = host
        loopback = ImageRef(host, "x").is_loopback
        self.scheme = "http" if (loopback or insecure) else "https"
        self.credentials = credentials
        if credentials is None and lookup_credentials:
            self.credentials = find_credentials(host)
        self.chunk_size = chunk_size
        self.monolithic_limit = monolithic_limit
        self.http = httpx.Client(
            base_url=f"{self.scheme}://{host}", timeout=timeout, follow_redirects=False
        )
        self._tokens: dict[str, str] = {}
        self._basic = False

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport and auth -------------------------------------------------------------------

    def request(
        self, method: str, url: str | httpx.URL, *, scope: str, **kwargs: Any
    ) -> httpx.Response:
        for attempt in range(2):
            headers = dict(kwargs.pop("headers", {}) or {})
            auth = self._authorization(scope)
            if auth:
                headers["Authorization"] = auth
            try:
                response = self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                raise self._transport_failure(exc, method, url) from None
            if response.status_code != 401 or attempt == 1:
                break
            self._answer_challenge(response, scope)
            kwargs["headers"] = headers
        if response.status_code == 401:
            who = (
                f"user {self.credentials.username!r} from {self.credentials.source}"
                if self.credentials
                else "anonymous access"
            )
            raise OperationFailed(
                f"registry {self.host} refused {who} (401); log in with `docker login {self.host}` "
                "or fix the credentials in your auth file"
            )
        if response.status_code == 403:
            raise OperationFailed(
                f"registry {self.host} denied {method} {scope} (403); ask for push/pull rights"
            )
        return response

    def _transport_failure(
        self, exc: httpx.TransportError, method: str, url: str | httpx.URL
    ) -> OperationFailed:
        """Say what happened: no connection at all is a different fix from one cut mid-way."""
        cause = f"{exc.__class__.__name__}: {exc}".rstrip(": ")
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            hint = "check the address and that it is running"
            if self.scheme == "https":
                hint += ", and --insecure-registry if it serves plain HTTP"
            return OperationFailed(
                f"registry {self.host} unreachable over {self.scheme} ({cause}); {hint}"
            )
        path = httpx.URL(str(url)).path
        if isinstance(exc, httpx.TimeoutException):
            return OperationFailed(
                f"registry {self.host} stopped answering during {method} {path} ({cause}); the"
                " registry or the network is slow or stuck: run the push again"
            )
        return OperationFailed(
            f"registry {self.host} connection was cut during {method} {path} ({cause}): the"
            " registry or a proxy in between reset or closed it mid-transfer; run the push again"
            " (blobs already sent are reused)"
        )

    def _authorization(self, scope: str) -> str | None:
        if scope in self._tokens:
            return "Bearer " + self._tokens[scope]
        if self._basic and self.credentials:
            return self.credentials.basic()
        return None

    def _answer_challenge(self, response: httpx.Response, scope: str) -> None:
        challenge = response.headers.get("WWW-Authenticate", "")
        kind, _, params_text = challenge.partition(" ")
        params = dict(_CHALLENGE.findall(params_text))
        if kind.lower() == "basic":
            if not self.credentials:
                raise OperationFailed(
                    f"registry {self.host} needs a login (401 Basic); run `docker login "
                    f"{self.host}` "
                    "or put credentials in your auth file"
                )
            self._basic = True
        elif kind.lower() == "bearer":
            self._tokens[scope] = self._fetch_token(params, scope)
        else:
            raise OperationFailed(f"registry {self.host}: unsupported auth challenge {challenge!r}")

    def _fetch_token(self, params: dict[str, str], scope: str) -> str:
        realm = params.get("realm")
        if not realm:
            raise OperationFailed(f"registry {self.host}: bearer challenge without a realm")
        query: dict[str, Any] = {
            "service": params.get("service", self.host),
            "scope": scope.split(),
        }
        auth = (self.credentials.username, self.credentials.password) if self.credentials else None
        try:
            response = httpx.get(realm, params=query, auth=auth, timeout=30)
        except httpx.TransportError as exc:
            raise OperationFailed(f"token service {realm} unreachable ({exc})") from None
        if response.status_code in (401, 403):
            who = f"user {self.credentials.username!r}" if self.credentials else "anonymous access"
            raise OperationFailed(
                f"token service {realm} refused {who} for {scope} ({response.status_code}); "
                f"log in with `docker login {self.host}` or fix the credentials"
            )
        if response.status_code != 200:
            raise OperationFailed(f"token service {realm} answered {response.status_code}")
        body = response.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise OperationFailed(f"token service {realm} gave no token")
        return str(token)

    # -- blobs ----------------------------------------------------------------------------------

    def has_blob(self, repository: str, digest: str) -> bool:
        response = self.request("HEAD", f"/v2/{repository}/blobs/{digest}", scope=_pull(repository))
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False
        raise self._failure(response, f"checking blob {digest[:19]} in {repository}")

    def push_blob(
        self,
        repository: str,
        digest: str,
        size: int,
        source: Path | bytes,
        *,
        mount_from: str = "",
        on_bytes: Callable[[int], None] | None = None,
    ) -> str:
        """Make the blob present in `repository`; return how: exists, mounted or uploaded.

        `on_bytes(n)` hears each request's body once the registry took it (progress)."""
        if self.has_blob(repository, digest):
            return "exists"
        scope = _push(repository) + (f" {_pull(mount_from)}" if mount_from else "")
        params = {"mount": digest, "from": mount_from} if mount_from else {}
        response = self.request(
            "POST", f"/v2/{repository}/blobs/uploads/", params=params, scope=scope
        )
        if response.status_code == 201:
            return "mounted"
        if response.status_code != 202:
            raise self._failure(response, f"starting upload of {digest[:19]} to {repository}")
        location = self._location(response)
        if size <= self.monolithic_limit:
            data = source if isinstance(source, bytes) else source.read_bytes()
            url = location.copy_merge_params({"digest": digest})
            response = self.request(
                "PUT",
                url,
                scope=scope,
                content=data,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(len(data)),
                },
            )
            if on_bytes and response.status_code == 201:
                on_bytes(len(data))
        else:
            offset = 0
            for chunk in _chunks(source, self.chunk_size):
                end = offset + len(chunk) - 1
                response = self.request(
                    "PATCH",
                    location,
                    scope=scope,
                    content=chunk,
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Range": f"{offset}-{end}",
                        "Content-Length": str(len(chunk)),
                    },
                )
                if response.status_code != 202:
                    raise self._failure(
                        response, f"uploading chunk {offset}-{end} of {digest[:19]}"
                    )
                location = self._location(response)
                offset = end + 1
                if on_bytes:
                    on_bytes(len(chunk))
            response = self.request(
                "PUT",
                location.copy_merge_params({"digest": digest}),
                scope=scope,
                headers={"Content-Length": "0"},
            )
        if response.status_code != 201:
            raise self._failure(response, f"finishing upload of {digest[:19]} to {repository}")
        return "uploaded"

    def fetch_blob(
        self,
        repository: str,
        digest: str,
        cache: Cache,
        *,
        on_bytes: Callable[[int], None] | None = None,
    ) -> Path:
        """Download a blob into the cache, verifying its digest; cached blobs are not refetched.
        `on_bytes(n)` hears the bytes downloaded (progress)."""
        if cache.has_blob(digest):
            return cache.blob_path(digest)
        response = self.request("GET", f"/v2/{repository}/blobs/{digest}", scope=_pull(repository))
        if response.is_redirect:
            response = httpx.get(response.headers["Location"], timeout=120, follow_redirects=True)
        if response.status_code != 200:
            raise self._failure(response, f"fetching blob {digest[:19]} from {repository}")
        data = response.content
        if sha256(data) != digest:
            raise OperationFailed(
                f"registry {self.host}: blob {digest[:19]} arrived corrupted (digest mismatch)"
            )
        atomic_write(cache.blob_path(digest), data)
        if on_bytes:
            on_bytes(len(data))
        return cache.blob_path(digest)

    # -- manifests ------------------------------------------------------------------------------

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> str:
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            scope=_push(repository),
            content=data,
            headers={"Content-Type": media_type},
        )
        if response.status_code not in (200, 201):
            raise self._failure(response, f"pushing manifest {reference} to {repository}")
        digest = sha256(data)
        answered = response.headers.get("Docker-Content-Digest")
        if answered and answered != digest:
            raise OperationFailed(
                f"registry {self.host} stored manifest as {answered}, expected {digest}"
            )
        return digest

    def get_manifest(self, repository: str, reference: str) -> Manifest | None:
        response = self.request(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            scope=_pull(repository),
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._failure(response, f"fetching manifest {reference} of {repository}")
        data = response.content
        digest = sha256(data)
        if reference.startswith("sha256:") and digest != reference:
            raise OperationFailed(
                f"registry {self.host}: manifest {reference} arrived with digest {digest}"
            )
        media_type = response.headers.get("Content-Type", "").split(";")[0] or _media_type_of(data)
        return Manifest(data, media_type, digest)

    def supports_referrers(self, repository: str, digest: str) -> bool:
        response = self.request(
            "GET", f"/v2/{repository}/referrers/{digest}", scope=_pull(repository)
        )
        return response.status_code == 200 and response.headers.get("Content-Type", "").startswith(
            INDEX
        )

    # -- helpers --------------------------------------------------------------------------------

    def _location(self, response: httpx.Response) -> httpx.URL:
        location = response.headers.get("Location")
        if not location:
            raise OperationFailed(
                f"registry {self.host}: upload answered without a Location header"
            )
        return self.http.base_url.join(location)

    def _failure(self, response: httpx.Response, doing: str) -> OperationFailed:
        detail = ""
        try:
            errors = response.json().get("errors") or []
            detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
        except ValueError:
            detail = response.text[:200]
        return OperationFailed(
            f"registry {self.host}: {doing} failed ({response.status_code} {detail})".rstrip()
        )


def _pull(repository: str) -> str:
    return f"repository:{repository}:pull"


def _push(repository: str) -> str:
    return f"repository:{repository}:pull,push"


def _chunks(source: Path | bytes, size: int) -> Iterator[bytes]:
    if isinstance(source, bytes):
        for start in range(0, len(source), size):
            yield source[start : start + size]
        return
    with source.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def _media_type_of(data: bytes) -> str:
    import json

    value = json.loads(data)
    return str(
        value.get("mediaType")
        or (
            "application/vnd.oci.image.index.v1+json"
            if "manifests" in value
            else "application/vnd.oci.image.manifest.v1+json"
        )
    )


def file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    return "sha256:" + sha.hexdigest()
