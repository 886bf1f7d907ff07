"""Secret values known to this process, scrubbed from every log line and error we print."""

from __future__ import annotations

import threading

MASK = "**********"
# Short values would turn ordinary words into asterisks; they are still masked by Secret's repr.
_MIN_LEN = 4

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def register_secret(value: str) -> None:
    global _secrets
    if len(value) < _MIN_LEN:
        return
    with _lock:
        if value not in _secrets:
            # Longest first, so a secret containing another is masked whole.
            _secrets = tuple(sorted((*_secrets, value), key=len, reverse=True))


def redact(text: str) -> str:
    """`text` with every registered secret replaced by the mask."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def has_secrets() -> bool:
    return bool(_secrets)
