"""HTTP event sources, one small module each: "is this mine?", "the request", "the response".

Adding a source is adding a module and one line in SOURCES. Order matters: the first whose
`matches` says yes owns the event (ALB and Function URL events look like the API Gateway ones).
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost more than this package
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

SOURCES = (
    "aloft.runtime.aws_lambda.sources.alb",
    "aloft.runtime.aws_lambda.sources.function_url",
    "aloft.runtime.aws_lambda.sources.apigw_v2",
    "aloft.runtime.aws_lambda.sources.apigw_v1",
)

_loaded: list[ModuleType] = []


def source_for(event: Any) -> ModuleType | None:
    """The source module that owns `event`, or None when it is not an HTTP event."""
    if not isinstance(event, dict):
        return None
    if not _loaded:
        import importlib

        _loaded.extend(importlib.import_module(name) for name in SOURCES)
    for module in _loaded:
        if module.matches(event):
            return module
    return None
