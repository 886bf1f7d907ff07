"""Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource) as numbers."""

from __future__ import annotations

import re

_FORM = re.compile(
    r"^([+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][-+]?[0-9]+|[mkMGTPE]|[KMGTPE]i)?$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def parse(text: str | int | float) -> float | None:
    """The quantity's value (cores for CPU, bytes for memory), or None if it is not one."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    match = _FORM.match(str(text).strip())
    if not match:
        return None
    number, suffix = float(match.group(1)), match.group(2) or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number * 10.0 ** int(suffix[1:])


def mebibytes(value: float) -> str:
    """Bytes as a memory quantity in whole Mi, rounded up."""
    return f"{-(-int(value) // 2**20)}Mi"
