"""aloft's runtime: what ships inside users' images and Lambda zips. Standard library only.

What an app uses directly (everything else is wired in by `python -m aloft.runtime serve`):

    from aloft.runtime import Secret, load_settings, readiness_check, outgoing_headers

Names are imported on first use, so `import aloft.runtime` costs next to nothing.
"""

from __future__ import annotations

from aloft.runtime._lazy import lazy_getattr

__version__ = "0.1.0"

_EXPORTS = {
    "load_settings": "aloft.runtime.settings",
    "Secret": "aloft.runtime.settings",
    "SettingsError": "aloft.runtime.exceptions",
    "AloftRuntimeError": "aloft.runtime.exceptions",
    "add_readiness_check": "aloft.runtime.health",
    "readiness_check": "aloft.runtime.health",
    "outgoing_headers": "aloft.runtime.tracing",
    "current_request": "aloft.runtime.tracing",
    "ServeOptions": "aloft.runtime.options",
    "lambda_handler": "aloft.runtime.aws_lambda.handler",
}

TYPE_CHECKING = False  # the typing module costs more to import than all of this
if TYPE_CHECKING:
    from aloft.runtime.exceptions import AloftRuntimeError, SettingsError
    from aloft.runtime.health import add_readiness_check, readiness_check
    from aloft.runtime.options import ServeOptions
    from aloft.runtime.settings import Secret, load_settings
    from aloft.runtime.tracing import current_request, outgoing_headers

__all__ = [
    "AloftRuntimeError",
    "Secret",
    "ServeOptions",
    "SettingsError",
    "add_readiness_check",
    "current_request",
    "load_settings",
    "outgoing_headers",
    "readiness_check",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())
