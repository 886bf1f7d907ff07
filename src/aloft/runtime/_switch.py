"""On/off environment switches: the words every ALOFT_* boolean accepts, and the one reader of a
switch that has a default. Standard library only and tiny: the Lambda cold start imports it."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Mapping

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def switch(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """`name` read as on or off; unset or blank is `default`. Any other word is an error that
    names the variable: a typo must not silently turn a feature off (or on)."""
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    from aloft.runtime.exceptions import ConversionError

    raise ConversionError(f"{name}: expected a boolean (true/false, 1/0, yes/no, on/off)")
