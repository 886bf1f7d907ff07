"""Errors the tooling raises for users' mistakes, distinct from our own bugs.

The CLI prints a UserError as one line and exits with its code; anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix; `str()` is the whole message, naming what and how to fix it."""

    exit_code = 2


class ConfigError(UserError):
    """The project config (pyproject.toml or ALOFT_* variables) is invalid."""


class OperationFailed(UserError):
    """A valid request that did not succeed (a check failed, a server refused)."""

    exit_code = 1
