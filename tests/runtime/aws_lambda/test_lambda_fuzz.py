"""Random and malformed events: a well-formed HTTP response or a clear error, never a crash."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aloft.runtime.aws_lambda import UnknownEventError, lambda_handler
from lambdakit import Context, echo_asgi, event

handler = lambda_handler(echo_asgi, lifespan=False)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a nested event."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(paths(child, (*prefix, index)))
    return found


def well_formed(response: Any) -> None:
    assert isinstance(response, dict)
    assert isinstance(response["statusCode"], int) and 100 <= response["statusCode"] <= 599
    assert isinstance(response["body"], str)
    assert isinstance(response["isBase64Encoded"], bool)


BASES = [
    event(fmt, "POST", "/p", "a=1", [("host", "h"), ("cookie", "c=1")], b"x")
    for fmt in ("v2", "v1", "alb", "url")
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(BASES), data=st.data(), replacement=json_values)
def test_any_field_replaced_by_any_value_gives_a_response_or_a_clear_error(
    base: dict[str, Any], data: st.DataObject, replacement: Any
) -> None:
    ev = copy.deepcopy(base)
    where = data.draw(st.sampled_from(paths(ev)))
    target = ev
    for key in where[:-1]:
        target = target[key]
    if data.draw(st.booleans()):
        target[where[-1]] = replacement
    elif isinstance(target, dict):
        del target[where[-1]]
    try:
        response = handler(ev, Context())
    except UnknownEventError as exc:
        assert "no handler" in str(exc)
        return
    well_formed(response)
    assert response["statusCode"] in (201, 400, 500) or response["statusCode"] == 200


header_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    fmt=st.sampled_from(["v2", "v1", "alb", "url"]),
    headers=st.lists(st.tuples(header_text, header_text), max_size=6),
    path=st.text(max_size=30).map(lambda p: "/" + p),
    body=st.binary(max_size=64),
)
def test_random_headers_paths_and_bodies_are_served(
    fmt: str, headers: list[tuple[str, str]], path: str, body: bytes
) -> None:
    ev = event(fmt, "POST", path, "", headers, body)  # type: ignore[arg-type]
    response = handler(ev, Context())
    well_formed(response)
    assert response["statusCode"] in (201, 200, 400, 500)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_arbitrary_json_events_never_escape_as_anything_but_unknown_event(value: Any) -> None:
    try:
        response = handler(value, Context())
    except UnknownEventError:
        return
    well_formed(response)
