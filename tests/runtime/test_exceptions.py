"""One exception tree for the runtime: one base to catch, old import paths still working."""

from __future__ import annotations

import importlib

import pytest

from aloft.runtime import exceptions

# Where each class was defined before it moved, and where users and callers import it from.
OLD_HOMES = {
    "ConversionError": "aloft.runtime._convert",
    "SettingsError": "aloft.runtime.settings",
    "AppLoadError": "aloft.runtime.appload",
    "NoRunDir": "aloft.runtime.serve",
    "SecretReferenceError": "aloft.runtime.aws_lambda.secrets",
    "IdempotencyError": "aloft.runtime.aws_lambda.idempotency",
    "AlreadyInProgress": "aloft.runtime.aws_lambda.idempotency",
    "PayloadMismatch": "aloft.runtime.aws_lambda.idempotency",
    "BadEvent": "aloft.runtime.aws_lambda.sources._http",
    "UnknownEventError": "aloft.runtime.aws_lambda.handler",
    "LifespanError": "aloft.runtime.aws_lambda.handler",
    "RuntimeAPIError": "aloft.runtime.aws_lambda.runtime_api",
    "RuntimeFault": "aloft.runtime.aws_lambda.runtime_api",
}


@pytest.mark.parametrize("name", sorted(OLD_HOMES))
def test_every_runtime_exception_has_the_one_base_and_its_old_import_path(name: str) -> None:
    cls = getattr(exceptions, name)
    assert issubclass(cls, exceptions.AloftRuntimeError)
    assert cls.__doc__, f"{name} says when it is raised"
    assert getattr(importlib.import_module(OLD_HOMES[name]), name) is cls


def test_the_tree_lists_every_class_defined_in_the_module() -> None:
    defined = {
        name
        for name, value in vars(exceptions).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    }
    assert defined == set(exceptions.__all__)
    assert defined - {"AloftRuntimeError", "LambdaError"} == set(OLD_HOMES)


@pytest.mark.parametrize("name", ["SettingsError", "ConversionError", "BadEvent"])
def test_errors_callers_catch_as_value_errors_still_are(name: str) -> None:
    assert issubclass(getattr(exceptions, name), ValueError)


def test_the_public_packages_hand_out_the_same_classes() -> None:
    import aloft.runtime
    import aloft.runtime.aws_lambda

    assert aloft.runtime.SettingsError is exceptions.SettingsError
    assert aloft.runtime.AloftRuntimeError is exceptions.AloftRuntimeError
    assert aloft.runtime.aws_lambda.UnknownEventError is exceptions.UnknownEventError
