"""The objects inside a LambdaContext, as awslambdaric defines them: the caller's client
context (`custom`, `env`, `client`) and its Cognito identity."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any, TypeVar

    _R = TypeVar("_R", bound="_Record")

W3C_FIELDS = ("traceparent", "tracestate", "baggage")


class _Record:
    """A fixed set of fields, shown as awslambdaric shows them."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = ",".join(f"{name}={getattr(self, name, None)}" for name in self.__slots__)
        return f"{self.__class__.__name__}([{fields}])"


class CognitoIdentity(_Record):
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    cognito_identity_id: str | None
    cognito_identity_pool_id: str | None


class Client(_Record):
    __slots__ = (  # noqa: RUF023  # awslambdaric's order, which repr() shows
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    )


class ClientContext(_Record):
    __slots__ = ("custom", "env", "client")  # noqa: RUF023  # awslambdaric's order

    custom: Any
    env: Any
    client: Any


def filled(record: _R, values: dict[str, Any]) -> _R:
    for name in record.__slots__:
        setattr(record, name, values.get(name))
    return record
