"""The one place the project config is checked: frozen dataclasses, validated from TOML-shaped data.

Every config table is a frozen, keyword-only stdlib dataclass made by `@table`, whose fields are
declared with `setting(...)`: a default, a one-line doc (the metadata key "doc", as the runtime's
ServeOptions has it) and the constraints. `validate(cls, data)` walks the fields by their type
hints, converts what TOML and ALOFT_* variables give (strings from the environment become the
declared int, float or bool, as users have always been able to write them), forbids unknown keys
and collects every problem, not only the first, as `Problem` records the loader turns into one
line each. A class may add `_check(self) -> None` (raising ValueError with a one-line reason) for
rules across its fields; it runs once every field is valid.

Why not pydantic: building ~26 models was a third of `aloft config show`'s start-up, and the
config needs only this much of it.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - exercised on 3.10 only; the marker only informs type checkers
    _F = TypeVar("_F")

    def dataclass_transform(**_: Any) -> Callable[[_F], _F]:
        return lambda decorated: decorated


_T = TypeVar("_T")

# Private attributes a validated instance carries beside its fields (not TOML keys).
_GIVEN = "_aloft_given"  # field names the input set explicitly (pydantic's model_fields_set)
_EXTRA = "_aloft_extra"  # keys beyond the fields, for a class that keeps them (Tags)
_INVALID: Any = object()

_NOT_TABLE = "not a table; use a [table] or inline { }"
_NOT_LIST = "not a list; use [ ... ]"
_NOT_INT = "not a whole number; use an integer such as 8000"
_NOT_FLOAT = "not a number; use a number such as 2.5"
_NOT_BOOL = "not a boolean; use true or false"
_NOT_STR = "not a string; quote the value"
# What an environment variable may spell a boolean as (pydantic's lax words, which users know).
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})
_INT_TEXT = re.compile(r"[+-]?\d+(\.0*)?")


@dataclasses.dataclass(frozen=True)
class Problem:
    """One invalid value: where (`loc`, keys and list indexes from the root), what kind (`type`,
    e.g. "extra_forbidden", "missing", "int_type", "value_error"), the value and the reason."""

    loc: tuple[str | int, ...]
    type: str
    input: Any
    msg: str


class SchemaError(ValueError):
    """Every problem of one validation, in field order."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = problems


def setting(
    default: Any = dataclasses.MISSING,
    *,
    doc: str = "",
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    key: str | None = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    min_items: int | None = None,
    check: Callable[[Any], Any] | None = None,
) -> Any:
    """A field with its doc and constraints. `key` is the TOML key where the name cannot be
    (`lambda`); `check(value) -> value` runs on a given value once its type is right and may
    normalise it (raise ValueError with the reason); neither runs on the default."""
    metadata: dict[str, Any] = {"doc": doc}
    for name, value in (
        ("key", key),
        ("ge", ge),
        ("gt", gt),
        ("le", le),
        ("min_items", min_items),
        ("check", check),
    ):
        if value is not None:
            metadata[name] = value
    field: Any = dataclasses.field(
        default=default, default_factory=default_factory, metadata=metadata
    )
    return field


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(setting,))
def table(cls: type[_T]) -> type[_T]:
    """A config table: a stdlib dataclass, frozen and keyword-only, as
    `@dataclasses.dataclass(frozen=True, kw_only=True)` makes it (`dataclasses.fields`,
    `replace` and `is_dataclass` work alike), with its methods shared by every table.

    Why not that decorator itself: it writes and compiles six methods per class with `exec`, about
    1 ms a table, a fifth of `aloft config show`'s start-up for its 26 tables; these read
    the fields from the class instead.
    """
    # A class without a docstring would get its signature as one, from inspect.signature: slow,
    # and the docs read the class's own docstring (none is none).
    own = cls.__dict__.get("__doc__")
    cls.__doc__ = own or cls.__name__
    made = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    made.__doc__ = own
    for name, method in (
        ("__init__", _init),
        ("__repr__", _repr),
        ("__eq__", _eq),
        ("__hash__", _hash),
        ("__setattr__", _frozen),
        ("__delattr__", _frozen),
    ):
        setattr(made, name, method)
    return made


def _init(self: Any, **values: Any) -> None:
    for field in dataclasses.fields(self):
        name = field.name
        if name in values:
            value = values.pop(name)
        elif field.default is not dataclasses.MISSING:
            value = field.default
        elif field.default_factory is not dataclasses.MISSING:
            value = field.default_factory()
        else:
            raise TypeError(f"{type(self).__name__}() needs the keyword argument {name!r}")
        object.__setattr__(self, name, value)
    if values:
        raise TypeError(f"{type(self).__name__}() got unknown keyword arguments {sorted(values)}")


def _values(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # the protocol's "ask the other"
    same: bool = _values(self) == _values(other)
    return same


def _hash(self: Any) -> int:
    return hash(_values(self))


def _frozen(self: Any, name: str, *_: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def key_of(field: dataclasses.Field[Any]) -> str:
    """The TOML key of a field: `setting(key=...)`, else its name."""
    return str(field.metadata.get("key", field.name))


def keeps_extra(cls: type) -> bool:
    """Whether `cls` keeps keys beyond its fields (`_keeps_extra = True`) instead of refusing."""
    return bool(getattr(cls, "_keeps_extra", False))


_HINTS: dict[type, dict[str, Any]] = {}
_KEYS: dict[type, dict[str, Any]] = {}


def hints(cls: type) -> dict[str, Any]:
    """Field name -> type hint, resolved once per class (the modules' annotations are strings:
    `from __future__ import annotations`)."""
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def table_keys(cls: type) -> dict[str, Any]:
    """TOML key -> type hint of every field of a config dataclass."""
    found = _KEYS.get(cls)
    if found is None:
        types_of = hints(cls)
        found = _KEYS[cls] = {key_of(f): types_of[f.name] for f in dataclasses.fields(cls)}
    return found


def is_table(hint: Any) -> bool:
    """A config dataclass (a TOML table), as opposed to a value."""
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def given(obj: Any) -> frozenset[str]:
    """The field names `validate` found in the input (empty for an instance made in code)."""
    return typing.cast(frozenset[str], getattr(obj, _GIVEN, frozenset()))


def extra(obj: Any) -> dict[str, Any]:
    """The keys beyond the fields a `keeps_extra` class was given, in input order."""
    return dict(getattr(obj, _EXTRA, {}))


def dump(value: Any) -> Any:
    """A config value as JSON-shaped data with TOML keys (`lambda`): tables become dicts (with
    their extra keys after the fields), tuples lists."""
    if is_table(type(value)):
        out = {key_of(f): dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
        out.update((key, dump(item)) for key, item in extra(value).items())
        return out
    if isinstance(value, (list, tuple)):
        return [dump(item) for item in value]
    if isinstance(value, dict):
        return {str(key): dump(item) for key, item in value.items()}
    return value


def validate(cls: type[Any], data: Any) -> Any:
    """An instance of the config dataclass `cls` from TOML-shaped `data`; SchemaError lists every
    problem."""
    problems: list[Problem] = []
    value = _convert(cls, data, (), problems)
    if problems:
        raise SchemaError(problems)
    return value


def _convert(hint: Any, value: Any, loc: tuple[str | int, ...], problems: list[Problem]) -> Any:
    """`value` as `hint`, or _INVALID with the reasons appended to `problems`."""
    if hint is Any:
        return value
    if is_table(hint):
        return _table(hint, value, loc, problems)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        choices = ", ".join(f'"{a}"' if isinstance(a, str) else str(a) for a in args)
        problems.append(
            Problem(loc, "literal_error", value, f"not one of the choices; use {choices}")
        )
        return _INVALID
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        if value is None and len(kept) < len(args):
            return None
        if len(kept) != 1:
            raise TypeError(f"config schema: no rule for the union {hint!r}")
        return _convert(kept[0], value, loc, problems)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            problems.append(Problem(loc, f"{origin.__name__}_type", value, _NOT_LIST))
            return _INVALID
        item = args[0] if args else Any
        if origin is tuple and args and (len(args) != 2 or args[1] is not Ellipsis):
            raise TypeError(f"config schema: only tuple[X, ...] is supported, not {hint!r}")
        before = len(problems)
        items = [_convert(item, v, (*loc, i), problems) for i, v in enumerate(value)]
        if len(problems) > before:
            return _INVALID
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, Mapping):
            problems.append(Problem(loc, "dict_type", value, _NOT_TABLE))
            return _INVALID
        item = args[1] if args else Any
        before = len(problems)
        out = {str(k): _convert(item, v, (*loc, str(k)), problems) for k, v in value.items()}
        return _INVALID if len(problems) > before else out
    if hint in _SCALARS:
        converted, kind, reason = _SCALARS[hint](value)
        if converted is _INVALID:
            problems.append(Problem(loc, kind, value, reason))
        return converted
    raise TypeError(f"config schema: no rule for {hint!r}")


def _table(cls: type, value: Any, loc: tuple[str | int, ...], problems: list[Problem]) -> Any:
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        problems.append(Problem(loc, "dict_type", value, _NOT_TABLE))
        return _INVALID
    found = hints(cls)
    before = len(problems)
    values: dict[str, Any] = {}
    known: set[str] = set()
    for field in dataclasses.fields(cls):
        key = key_of(field)
        # A field with its own TOML key is read by that key or by its name, as before.
        name = key if key in value else field.name if field.name in value else None
        known.update((key, field.name))
        if name is None:
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                problems.append(Problem((*loc, key), "missing", value, "required; add it"))
            continue
        here = (*loc, name)
        item = _convert(found[field.name], value[name], here, problems)
        if item is _INVALID:
            continue
        reason = _bounds(field.metadata, item)
        if reason:
            problems.append(Problem(here, "value_error", value[name], reason))
            continue
        check = field.metadata.get("check")
        if check is not None:
            try:
                item = check(item)
            except ValueError as exc:
                problems.append(Problem(here, "value_error", value[name], str(exc)))
                continue
        values[field.name] = item
    extras = {k: v for k, v in value.items() if k not in known}
    if extras and not keeps_extra(cls):
        for key, item in extras.items():
            problems.append(Problem((*loc, str(key)), "extra_forbidden", item, "unknown key"))
    if len(problems) > before:
        return _INVALID
    instance = cls(**values)
    object.__setattr__(instance, _GIVEN, frozenset(values))
    if extras:
        object.__setattr__(instance, _EXTRA, extras)
    check_all = getattr(instance, "_check", None)
    if check_all is not None:
        try:
            check_all()
        except ValueError as exc:
            problems.append(Problem(loc, "value_error", value, str(exc)))
            return _INVALID
    return instance


def _bounds(metadata: Mapping[str, Any], value: Any) -> str:
    """The reason `value` breaks the field's ge/gt/le/min_items, or ""."""
    if value is None:
        return ""
    ge, gt, le = metadata.get("ge"), metadata.get("gt"), metadata.get("le")
    if ge is not None and value < ge:
        return f"must be at least {ge:g}"
    if gt is not None and not value > gt:
        return f"must be more than {gt:g}"
    if le is not None and value > le:
        return f"must be at most {le:g}"
    least = metadata.get("min_items")
    if least is not None and len(value) < least:
        return f"needs at least {least} item{'s' if least != 1 else ''}"
    return ""


def _int(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, bool):
        return _INVALID, "int_type", _NOT_INT
    if isinstance(value, int):
        return value, "", ""
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value), "", ""
        return _INVALID, "int_from_float", _NOT_INT
    if isinstance(value, str):
        text = value.strip()
        if _INT_TEXT.fullmatch(text):
            return int(text.split(".")[0]), "", ""
        return _INVALID, "int_parsing", _NOT_INT
    return _INVALID, "int_type", _NOT_INT


def _float(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, bool):
        return _INVALID, "float_type", _NOT_FLOAT
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return _INVALID, "float_parsing", _NOT_FLOAT
    else:
        return _INVALID, "float_type", _NOT_FLOAT
    # TOML's inf and nan (and "nan" from the environment) pass no bound: nan < 0 is false.
    if not math.isfinite(number):
        return _INVALID, "finite_number", "must be a finite number, such as 2.5"
    return number, "", ""


def _bool(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, bool):
        return value, "", ""
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value), "", ""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE, "", ""
        return _INVALID, "bool_parsing", _NOT_BOOL
    return _INVALID, "bool_type", _NOT_BOOL


def _str(value: Any) -> tuple[Any, str, str]:
    # A number where a string is expected is a mistake to name, not to convert.
    if isinstance(value, str):
        return value, "", ""
    return _INVALID, "string_type", _NOT_STR


_SCALARS: dict[Any, Callable[[Any], tuple[Any, str, str]]] = {
    int: _int,
    float: _float,
    bool: _bool,
    str: _str,
}
