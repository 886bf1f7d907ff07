"""Every exception the runtime raises, in one tree under AloftRuntimeError.

    AloftRuntimeError
    ├── SettingsError (ValueError)          app settings or ALOFT_* options unreadable
    ├── ConversionError (ValueError)        one value not readable as its declared type
    ├── AppLoadError                        ALOFT_APP cannot be imported
    ├── NoRunDir                            no writable folder for the server's run state
    ├── SecretReferenceError                ALOFT_SECRET_REFS malformed or not fetchable
    ├── IdempotencyError                    the idempotency store refused a claim
    │   ├── AlreadyInProgress
    │   └── PayloadMismatch
    └── LambdaError                         the Lambda adapter
        ├── BadEvent (ValueError)           an HTTP event of the wrong shape (answered 400)
        ├── UnknownEventError               no source and no handler takes the event
        ├── LifespanError                   the ASGI app's startup failed
        ├── RuntimeAPIError                 the Lambda Runtime API went away
        └── RuntimeFault                    a failure around the handler, with Lambda's type

Catch AloftRuntimeError for "anything aloft raised". Classes keep their ValueError base where
callers have always caught ValueError. The modules that raise them re-export their names, so
`from aloft.runtime.aws_lambda.idempotency import AlreadyInProgress` keeps working.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "AloftRuntimeError",
    "AlreadyInProgress",
    "AppLoadError",
    "BadEvent",
    "ConversionError",
    "IdempotencyError",
    "LambdaError",
    "LifespanError",
    "NoRunDir",
    "PayloadMismatch",
    "RuntimeAPIError",
    "RuntimeFault",
    "SecretReferenceError",
    "SettingsError",
    "UnknownEventError",
]


class AloftRuntimeError(Exception):
    """The base of every exception the runtime raises."""


# -- settings and start-up -------------------------------------------------------------------


class SettingsError(AloftRuntimeError, ValueError):
    """Raised by `load_settings` and `ServeOptions.from_env`: all the settings that could not be
    read, as one message; `problems` lists them one by one."""

    def __init__(self, owner: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{owner}: " + "; ".join(problems))


class ConversionError(AloftRuntimeError, ValueError):
    """Raised when one environment string cannot be read as its declared type; the message
    never contains the value (it may be a secret). Settings gather these into a SettingsError."""


class AppLoadError(AloftRuntimeError):
    """Raised when the configured app ('module:attribute') cannot be loaded; the message names
    ALOFT_APP and the fix."""


class NoRunDir(AloftRuntimeError):
    """Raised at server start when no folder is writable for the run state (a read-only root
    without a tmpfs); the message says what to mount."""


class SecretReferenceError(AloftRuntimeError):
    """Raised at a Lambda cold start when a secret reference is malformed or cannot be fetched;
    names the variable, never a value."""


# -- idempotency -------------------------------------------------------------------------------


class IdempotencyError(AloftRuntimeError):
    """Raised by `@idempotent` when the store refuses this invocation's claim."""


class AlreadyInProgress(IdempotencyError):
    """Another invocation holds this key now; raising lets Lambda retry later."""


class PayloadMismatch(IdempotencyError):
    """The key was used before with a different payload."""


# -- the Lambda adapter -----------------------------------------------------------------------


class LambdaError(AloftRuntimeError):
    """The base of what the Lambda adapter raises around the app."""


class BadEvent(LambdaError, ValueError):
    """An HTTP event whose fields have the wrong shape: answered 400, never a crash."""


class UnknownEventError(LambdaError):
    """Raised by the handler for an event no HTTP source and no registered event handler
    accepts (or a malformed one of a known kind)."""


class LifespanError(LambdaError):
    """Raised at construction when the app's ASGI lifespan startup failed: the environment
    cannot serve."""


class RuntimeAPIError(LambdaError):
    """The Runtime API answered unexpectedly or went away: the environment is done."""


class RuntimeFault(LambdaError):
    """A failure of the runtime around the handler, reported with Lambda's own error type
    (`Runtime.UnmarshalError`, ...) and no stack trace into the runtime, as Lambda's are."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type

    def payload(self, request_id: str = "") -> dict[str, Any]:
        return {
            "errorMessage": str(self),
            "errorType": self.error_type,
            "requestId": request_id,
            "stackTrace": [],
        }
