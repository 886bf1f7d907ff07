"""Finding the user's app from 'module:attribute' (or an app factory, 'module:create_app()') and
telling ASGI from WSGI."""

from __future__ import annotations

import importlib
import inspect
import sys
import traceback
from typing import Any

from aloft.runtime.exceptions import AppLoadError


def load_app(spec: str, source: str = "ALOFT_APP") -> Any:
    module_name, sep, attr = spec.partition(":")
    # 'module:create_app()' calls a factory without arguments, as Flask's CLI and gunicorn do.
    factory = attr.endswith("()")
    attr = attr.removesuffix("()")
    if not sep or not module_name or not attr:
        raise AppLoadError(
            f"{source}={spec!r}: not 'module:attribute'; "
            "set it like 'main:app' or 'mysite.wsgi:application'"
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise AppLoadError(
                f"{source}={spec!r}: no module named {exc.name!r} "
                f"(looked in {sys.path[0] or '.'}); "
                "run from the project folder or fix the module path"
            ) from None
        raise AppLoadError(f"{source}={spec!r}: importing {module_name} failed: {exc}") from exc
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise AppLoadError(
            f"{source}={spec!r}: importing {module_name} raised {type(exc).__name__}: {exc} "
            f"({where.filename}:{where.lineno})"
        ) from exc
    app: Any = module
    for part in attr.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise AppLoadError(
                f"{source}={spec!r}: module {module_name} has no attribute {attr!r}; "
                "name the object that is your ASGI or WSGI app"
            ) from None
    if factory:
        if not callable(app):
            raise AppLoadError(f"{source}={spec!r}: {attr} is not callable, so not an app factory")
        try:
            app = app()
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            raise AppLoadError(
                f"{source}={spec!r}: calling {attr}() raised {type(exc).__name__}: {exc} "
                f"({where.filename}:{where.lineno})"
            ) from exc
    if not callable(app):
        raise AppLoadError(
            f"{source}={spec!r}: {attr} is a {type(app).__name__}, not an ASGI or WSGI app"
        )
    return app


def detect_interface(app: Any) -> str:
    """'asgi' for an async callable (FastAPI, Starlette, Django's ASGIHandler), else 'wsgi'."""
    if inspect.iscoroutinefunction(app):
        return "asgi"
    call = type(app).__call__ if callable(app) else None
    if call is not None and inspect.iscoroutinefunction(call):
        return "asgi"
    return "wsgi"
