"""Turning environment strings into typed values, shared by app settings and serve options.

One converter for both so an app's `REDIS_TIMEOUT=2.5` and aloft's `ALOFT_DRAIN_DELAY=2.5` follow
the same rules and fail with the same kind of message.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from aloft.runtime._switch import FALSE_WORDS, TRUE_WORDS
from aloft.runtime.exceptions import ConversionError


def describe(tp: Any) -> str:
    """A short human name for a type, used in error messages."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(describe(a) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (list, tuple, frozenset, set):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        inner = describe(args[0]) if args else "str"
        return f"comma-separated list of {inner}"
    return getattr(tp, "__name__", str(tp))


def convert(raw: str, tp: Any) -> Any:
    """Convert `raw` to `tp`; raise ConversionError with a message fit for the user."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if type(None) in args and raw.strip() == "":
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return convert(raw, arg)
            except ConversionError:
                continue
        raise ConversionError(f"expected {describe(tp)}")
    if origin is typing.Literal:
        for choice in typing.get_args(tp):
            if str(choice) == raw.strip():
                return choice
        raise ConversionError(f"expected {describe(tp)}")
    if origin in (list, tuple, frozenset, set):
        element = [a for a in typing.get_args(tp) if a is not Ellipsis]
        inner = element[0] if element else str
        items = [convert(part.strip(), inner) for part in raw.split(",") if part.strip()]
        return origin(items)
    if tp is bool:
        low = raw.strip().lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise ConversionError("expected a boolean (true/false, 1/0, yes/no, on/off)")
    if tp is int:
        try:
            return int(raw.strip(), 0) if raw.strip().lower().startswith("0x") else int(raw.strip())
        except ValueError:
            raise ConversionError("expected an integer") from None
    if tp is float:
        try:
            return float(raw.strip())
        except ValueError:
            raise ConversionError("expected a number") from None
    if tp is str or tp is Any:
        return raw
    try:
        return tp(raw)
    except Exception as exc:  # a user type's constructor: report its own reason, not the value
        raise ConversionError(f"expected {describe(tp)} ({type(exc).__name__})") from None
