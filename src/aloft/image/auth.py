"""Registry credentials, looked up where Docker and Podman keep them, in their order.

Per registry: a credential helper named in `credHelpers`, then an `auths` entry, then the file's
`credsStore` helper; files: $REGISTRY_AUTH_FILE, Podman's auth.json, then Docker's config.json.
Environment variables win over all of them.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from aloft.exceptions import OperationFailed

USER_ENV = "ALOFT_REGISTRY_USERNAME"
PASSWORD_ENV = "ALOFT_REGISTRY_PASSWORD"


@dataclasses.dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    source: str

    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()


def auth_files(environ: Mapping[str, str]) -> list[Path]:
    home = Path(environ.get("HOME", str(Path.home())))
    files = []
    if environ.get("REGISTRY_AUTH_FILE"):
        files.append(Path(environ["REGISTRY_AUTH_FILE"]))
    if environ.get("XDG_RUNTIME_DIR"):
        files.append(Path(environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    config_home = Path(environ.get("XDG_CONFIG_HOME", str(home / ".config")))
    files.append(config_home / "containers" / "auth.json")
    docker = Path(environ["DOCKER_CONFIG"]) if environ.get("DOCKER_CONFIG") else home / ".docker"
    files.append(docker / "config.json")
    return files


def find_credentials(registry: str, environ: Mapping[str, str] | None = None) -> Credentials | None:
    env = os.environ if environ is None else environ
    if env.get(USER_ENV) and env.get(PASSWORD_ENV):
        return Credentials(env[USER_ENV], env[PASSWORD_ENV], f"environment {USER_ENV}")
    for path in auth_files(env):
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            raise OperationFailed(
                f"{path}: not a readable auth file ({exc}); fix or remove it"
            ) from None
        found = _from_document(registry, document, path)
        if found:
            return found
    return None


def _from_document(registry: str, document: dict[str, object], path: Path) -> Credentials | None:
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict) and isinstance(helpers.get(registry), str):
        return run_helper(helpers[registry], registry)
    auths = document.get("auths")
    if isinstance(auths, dict):
        for key, entry in auths.items():
            if _host(key) == registry and isinstance(entry, dict) and entry.get("auth"):
                try:
                    user, _, password = base64.b64decode(str(entry["auth"])).decode().partition(":")
                except ValueError:
                    raise OperationFailed(
                        f"{path}: auths[{key!r}].auth is not base64 user:password"
                    ) from None
                return Credentials(user, password, str(path))
    store = document.get("credsStore")
    if isinstance(store, str) and store:
        return run_helper(store, registry)
    return None


def _host(key: str) -> str:
    return key.removeprefix("https://").removeprefix("http://").split("/", 1)[0]


def run_helper(name: str, registry: str) -> Credentials | None:
    """Ask `docker-credential-NAME get`, the protocol ECR, GCR and the OS keychains implement."""
    program = shutil.which(f"docker-credential-{name}")
    if program is None:
        raise OperationFailed(
            f"credential helper docker-credential-{name} (named for {registry} in your auth file) "
            "is not on PATH; install it or remove it from the file"
        )
    result = subprocess.run(
        [program, "get"], input=registry, check=False, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        if "not found" in (result.stdout + result.stderr).lower():
            return None
        raise OperationFailed(
            f"docker-credential-{name} get failed for {registry}: "
            f"{result.stderr.strip() or result.stdout.strip()}"
        )
    try:
        answer = json.loads(result.stdout)
        return Credentials(
            str(answer["Username"]), str(answer["Secret"]), f"docker-credential-{name}"
        )
    except (ValueError, KeyError):
        raise OperationFailed(
            f"docker-credential-{name} get: answer is not JSON with Username and Secret"
        ) from None
