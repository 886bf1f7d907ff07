"""Typed application settings from the environment (twelve-factor), with secrets kept secret.

    @dataclass
    class Settings:
        redis_url: str
        api_key: Secret
        timeout: float = 2.0

    settings = load_settings(Settings)

Each field is read from `NAME` (upper-cased, after an optional prefix), else from the file named by
`NAME_FILE`, else from a file in the mounted secrets directory, else its default. Every missing or
invalid value is reported at once, in one error, without ever showing a secret's value.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from aloft.runtime._convert import convert, describe
from aloft.runtime.exceptions import ConversionError, SettingsError
from aloft.runtime.redact import register_secret

T = TypeVar("T")

DEFAULT_SECRETS_DIR = "/run/secrets"


class Secret:
    """A value that never shows itself: repr, str and logs print `'**********'`.

    Call `reveal()` at the one place the real value is needed (a client constructor).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def _is_secret(tp: Any) -> bool:
    if tp is Secret:
        return True
    return any(a is Secret for a in typing.get_args(tp))


def _read_file(path: str) -> str:
    # Secret files from Kubernetes or Docker end with a newline that is not part of the value.
    return Path(path).read_text(encoding="utf-8").rstrip("\r\n")


def load_settings(
    cls: type[T],
    *,
    prefix: str = "",
    environ: Mapping[str, str] | None = None,
    secrets_dir: str | None = DEFAULT_SECRETS_DIR,
) -> T:
    """Build `cls` (a dataclass) from the environment; raise SettingsError naming every problem."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        name = prefix + field.name.upper()
        tp = hints[field.name]
        secret = _is_secret(tp)
        raw, source = _lookup(name, field.name, env, secrets_dir, problems)
        if raw is None:
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                problems.append(f"missing {name} ({'secret' if secret else describe(tp)})")
            continue
        if secret:
            values[field.name] = Secret(raw)
            continue
        try:
            values[field.name] = convert(raw, tp)
        except ConversionError as exc:
            problems.append(f"{source}: {exc}")
    if problems:
        raise SettingsError(f"settings {cls.__name__}", problems)
    return cls(**values)


def _lookup(
    name: str,
    field_name: str,
    env: Mapping[str, str],
    secrets_dir: str | None,
    problems: list[str],
) -> tuple[str | None, str]:
    if name in env:
        return env[name], name
    file_var = name + "_FILE"
    if file_var in env:
        try:
            return _read_file(env[file_var]), f"{file_var} ({env[file_var]})"
        except OSError as exc:
            problems.append(f"{file_var}: cannot read {env[file_var]}: {exc.strerror}")
            return None, file_var
    if secrets_dir:
        for candidate in (name, name.lower(), field_name):
            path = os.path.join(secrets_dir, candidate)
            if os.path.isfile(path):
                try:
                    return _read_file(path), path
                except OSError as exc:
                    problems.append(f"{path}: cannot read: {exc.strerror}")
                    return None, path
    return None, name
