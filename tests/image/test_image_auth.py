"""Registry auth against real registries: htpasswd basic auth, and the bearer-token challenge flow
with a minimal token issuer; credentials from auth files, credential helpers or nowhere."""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from imagehelpers import RegistryServer, aloft, skopeo, start_registry, stop

from aloft.image.base import BaseImage
from testkit import need

USER, PASSWORD = "builder", "s3cret-pass"


def _docker_config(folder: Path, host: str, user: str, password: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (folder / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return {
        "DOCKER_CONFIG": str(folder),
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "xdg"),
    }


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    need("htpasswd")
    folder = tmp_path_factory.mktemp("basic-registry")
    line = subprocess.run(
        ["htpasswd", "-Bbn", USER, PASSWORD], capture_output=True, text=True, check=True
    )
    (folder / "htpasswd").write_text(line.stdout)
    server = start_registry(
        folder, f"auth:\n  htpasswd:\n    realm: aloft-test\n    path: {folder / 'htpasswd'}\n"
    )
    yield server
    stop(server.process)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer(BaseHTTPRequestHandler):
    """Issues registry JWTs (RS256, x5c header) to one user, for exactly the scopes asked."""

    key: Path
    cert_der: bytes
    service = "aloft-test-registry"
    issuer = "aloft-test-issuer"

    def do_GET(self) -> None:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        access = []
        for scope in query.get("scope", []):
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        claims = {
            "iss": self.issuer,
            "sub": USER,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": str(now) + str(threading.get_ident()),
            "access": access,
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(),
            capture_output=True,
            check=True,
        ).stdout
        token = f"{signing_input}.{_b64url(signature)}"
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    need("openssl")
    folder = tmp_path_factory.mktemp("token-registry")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=aloft-test-issuer",
        ],
        capture_output=True,
        check=True,
    )
    der = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-outform", "DER"], capture_output=True, check=True
    ).stdout
    handler = type("Issuer", (TokenIssuer,), {"key": key, "cert_der": der})
    issuer = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=issuer.serve_forever, daemon=True).start()
    realm = f"http://127.0.0.1:{issuer.server_address[1]}/token"
    server = start_registry(
        folder,
        f"auth:\n  token:\n    realm: {realm}\n    service: {TokenIssuer.service}\n"
        f"    issuer: {TokenIssuer.issuer}\n    rootcertbundle: {cert}\n",
    )
    yield server
    stop(server.process)
    issuer.shutdown()


def _push(
    tiny: Path, host: str, cache: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return aloft(
        "build",
        "--project",
        str(tiny),
        "--push",
        f"{host}/tiny:auth",
        "-o",
        "json",
        cache=cache,
        env=env,
    )


def test_basic_auth_push_with_docker_config_credentials(
    tiny: Path,
    basic_registry: RegistryServer,
    cache_dir: Path,
    base_amd64: BaseImage,
    tmp_path: Path,
) -> None:
    env = _docker_config(tmp_path / "docker", basic_registry.host, USER, PASSWORD)
    result = _push(tiny, basic_registry.host, cache_dir, env)
    assert result.returncode == 0, result.stderr
    digest = json.loads(result.stdout)["digest"]
    inspected = json.loads(
        skopeo(
            "inspect",
            "--tls-verify=false",
            "--creds",
            f"{USER}:{PASSWORD}",
            f"docker://{basic_registry.host}/tiny:auth",
        ).stdout
    )
    assert inspected["Digest"] == digest


def test_wrong_password_is_one_line_naming_the_user(
    tiny: Path,
    basic_registry: RegistryServer,
    cache_dir: Path,
    base_amd64: BaseImage,
    tmp_path: Path,
) -> None:
    env = _docker_config(tmp_path / "docker", basic_registry.host, USER, "wrong")
    result = _push(tiny, basic_registry.host, cache_dir, env)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"refused user '{USER}'" in line and "docker login" in line


def test_no_credentials_asks_for_a_login(
    tiny: Path,
    basic_registry: RegistryServer,
    cache_dir: Path,
    base_amd64: BaseImage,
    tmp_path: Path,
) -> None:
    env = {
        "DOCKER_CONFIG": str(tmp_path / "none"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = _push(tiny, basic_registry.host, cache_dir, env)
    assert result.returncode == 1
    assert "needs a login" in result.stderr


def test_credential_helper_named_in_the_auth_file_is_used(
    tiny: Path,
    basic_registry: RegistryServer,
    cache_dir: Path,
    base_amd64: BaseImage,
    tmp_path: Path,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-aloftest"
    helper.write_text(
        '#!/bin/sh\nread server\n[ "$1" = get ] && printf '
        f'\'{{"ServerURL":"%s","Username":"{USER}",'
        f'"Secret":"{PASSWORD}"}}\' "$server"\n'
    )
    helper.chmod(0o755)
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text(
        json.dumps({"credHelpers": {basic_registry.host: "aloftest"}})
    )
    import os

    env = {
        "DOCKER_CONFIG": str(tmp_path / "docker"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    result = _push(tiny, basic_registry.host, cache_dir, env)
    assert result.returncode == 0, result.stderr


def test_bearer_token_flow_push(
    tiny: Path,
    token_registry: RegistryServer,
    cache_dir: Path,
    base_amd64: BaseImage,
    tmp_path: Path,
) -> None:
    env = _docker_config(tmp_path / "docker", token_registry.host, USER, PASSWORD)
    result = _push(tiny, token_registry.host, cache_dir, env)
    assert result.returncode == 0, result.stderr
    digest = json.loads(result.stdout)["digest"]
    inspected = json.loads(
        skopeo(
            "inspect",
            "--tls-verify=false",
            "--creds",
            f"{USER}:{PASSWORD}",
            f"docker://{token_registry.host}/tiny:auth",
        ).stdout
    )
    assert inspected["Digest"] == digest


def test_bearer_token_refused_for_wrong_password(
    tiny: Path,
    token_registry: RegistryServer,
    cache_dir: Path,
    base_amd64: BaseImage,
    tmp_path: Path,
) -> None:
    env = _docker_config(tmp_path / "docker", token_registry.host, USER, "wrong")
    result = _push(tiny, token_registry.host, cache_dir, env)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "token service" in line and f"refused user '{USER}'" in line
