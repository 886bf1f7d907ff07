"""Secret values known to this process, scrubbed from every log line and error we print.

A value reaches a line in more than one spelling: raw (an error string), JSON-escaped (a field
of a JSON line, where a newline is `\\n` and a quote `\\"`), inside a `repr` (`'%r'` in a
message, a dict in an exception), or a JSON document logged as a string (escaped twice). Every
spelling of every registered value is masked, so PEM keys with newlines and JSON service-account
keys with quotes and backslashes are caught as well as plain tokens. A multi-line value's long
lines are registered too (a PEM body logged line by line), and so are the secret-named members
of a JSON value (`private_key` of a service-account key the app parsed).
"""

from __future__ import annotations

import threading

MASK = "**********"
# Short values would turn ordinary words into asterisks; they are still masked by Secret's repr.
_MIN_LEN = 4
# A line of a multi-line secret is registered on its own from this length (a PEM body line is 64).
_MIN_PART_LEN = 16
_SECRET_MEMBERS = ("key", "secret", "token", "password", "passwd", "credential")

_lock = threading.Lock()
_values: set[str] = set()
_secrets: tuple[str, ...] = ()


def spellings(value: str) -> set[str]:
    """Every way `value` can be written on one line of text or of JSON."""
    import json  # at registration only: settings are loaded before the first request

    quoted = json.dumps(value, ensure_ascii=False)[1:-1]
    quoted_ascii = json.dumps(value)[1:-1]
    in_repr = repr(value)[1:-1]
    in_bytes_repr = repr(value.encode("utf-8", "surrogatepass"))[2:-1]
    forms = {value, quoted, quoted_ascii, in_repr, in_bytes_repr}
    # Each of those inside a JSON line, and a JSON document logged as a string.
    for form in list(forms):
        forms.add(json.dumps(form, ensure_ascii=False)[1:-1])
        forms.add(json.dumps(form)[1:-1])
    return forms


def _parts(value: str) -> list[str]:
    """Pieces of `value` that are secrets on their own."""
    parts = [line.strip() for line in value.splitlines()]
    parts = [p for p in parts if len(p) >= _MIN_PART_LEN and p != value]
    if value.lstrip().startswith("{"):
        import json

        try:
            document = json.loads(value)
        except ValueError:
            document = None
        if isinstance(document, dict):
            for name, member in document.items():
                secret_named = any(word in str(name).lower() for word in _SECRET_MEMBERS)
                if secret_named and isinstance(member, str) and len(member) >= _MIN_LEN:
                    parts.append(member)
                    parts.extend(_parts(member))
    return parts


def register_secret(value: str) -> None:
    global _secrets
    if len(value) < _MIN_LEN:
        return
    with _lock:
        if value in _values:
            return
        added = {value, *_parts(value)} - _values
        _values.update(added)
        forms = set(_secrets)  # every earlier value's spellings are already here
        for one in added:
            forms |= spellings(one)
        # Longest first, so a secret containing another is masked whole.
        _secrets = tuple(sorted(forms, key=len, reverse=True))


def redact(text: str) -> str:
    """`text` with every spelling of every registered secret replaced by the mask."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_shapes(text: str) -> str:
    """`text` with credentials of a known shape masked although nobody registered them: the
    password of a URL or connection string, a token of a known format, a private key.

    The shared detector (`secretshape`, also behind the ConfigMap guard and doctor's CFG001)
    costs about 0.1 ms a line, more than a request's whole logging, so the log pipeline runs it
    on warnings and errors only: where a connection error prints its DSN, password included.
    """
    from aloft.runtime.secretshape import secret_spans  # stdlib; at the first warning

    merged: list[list[int]] = []
    for start, end in secret_spans(text):  # sorted; overlapping shapes are masked as one
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + MASK + text[end:]
    return text


def has_secrets() -> bool:
    return bool(_secrets)
