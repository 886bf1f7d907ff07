"""Secrets on Lambda: environment variables that reference SSM Parameter Store or Secrets Manager.

`ALOFT_SECRET_REFS` lists them as `NAME=ssm:/path,OTHER=secretsmanager:secret-id`. Each is
fetched once at cold start (boto3 imported only then), put in the environment where
`load_settings` reads it, registered so logs mask it, and refetched by `secret(NAME)` after
`ALOFT_SECRET_REFRESH` seconds (0, the default, never refetches). Values are never logged.
"""

from __future__ import annotations

import os
import time

from aloft.runtime.exceptions import SecretReferenceError
from aloft.runtime.redact import register_secret

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any

REFS_VAR = "ALOFT_SECRET_REFS"
REFRESH_VAR = "ALOFT_SECRET_REFRESH"


_refs: dict[str, str] = {}
_fetched: dict[str, float] = {}
_clients: dict[str, Any] = {}


def parse_refs(text: str) -> dict[str, str]:
    refs: dict[str, str] = {}
    for item in text.split(","):
        entry = item.strip()
        if not entry:
            continue
        name, sep, ref = entry.partition("=")
        kind = ref.partition(":")[0]
        if not sep or not name or kind not in ("ssm", "secretsmanager") or ":" not in ref:
            raise SecretReferenceError(
                f"{REFS_VAR}: {entry.partition('=')[0]!r} is not NAME=ssm:/path "
                "or NAME=secretsmanager:secret-id"
            )
        refs[name.strip()] = ref.strip()
    return refs


def _client(service: str) -> Any:
    if service not in _clients:
        try:
            import boto3  # type: ignore[import-untyped]
        except ImportError:
            raise SecretReferenceError(
                f"{REFS_VAR} needs boto3 (in the Lambda Python runtime already; add it to the "
                "package for a container image)"
            ) from None
        _clients[service] = boto3.client(service)
    return _clients[service]


def fetch(ref: str) -> str:
    kind, _, name = ref.partition(":")
    try:
        if kind == "ssm":
            reply = _client("ssm").get_parameter(Name=name, WithDecryption=True)
            return str(reply["Parameter"]["Value"])
        reply = _client("secretsmanager").get_secret_value(SecretId=name)
        return str(reply.get("SecretString") or reply.get("SecretBinary", b"").decode())
    except SecretReferenceError:
        raise
    except Exception as exc:
        raise SecretReferenceError(f"cannot fetch {ref}: {type(exc).__name__}") from None


def resolve_environment(environ: MutableMapping[str, str]) -> None:
    """Fetch every referenced secret into `environ` (once per execution environment)."""
    text = environ.get(REFS_VAR, "")
    if not text:
        return
    _refs.update(parse_refs(text))
    for name, ref in _refs.items():
        value = fetch(ref)
        register_secret(value)
        environ[name] = value
        _fetched[name] = time.monotonic()


def start_error(environ: MutableMapping[str, str]) -> str:
    """`resolve_environment` where aloft starts the process itself, off Lambda (a queue consumer,
    a CronJob's run): '' when every secret is in place, else the one line to print before exiting,
    so a pod that cannot reach its secrets stops at once instead of failing each message."""
    try:
        resolve_environment(environ)
    except SecretReferenceError as exc:
        return f"aloft: error: {REFS_VAR}: {exc}"
    return ""


def secret(name: str) -> str:
    """The current value of secret `name`, refetched when older than ALOFT_SECRET_REFRESH."""
    refresh = float(os.environ.get(REFRESH_VAR) or 0)
    if name in _refs and refresh > 0 and time.monotonic() - _fetched.get(name, 0) > refresh:
        value = fetch(_refs[name])
        register_secret(value)
        os.environ[name] = value
        _fetched[name] = time.monotonic()
    return os.environ[name]
