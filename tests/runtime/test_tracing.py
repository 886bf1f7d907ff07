"""W3C trace context and request ids: valid ones honoured, anything else replaced, never a crash."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from aloft.runtime.tracing import clean_request_id, parse_traceparent, start

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_valid_traceparent_is_continued_with_a_new_span() -> None:
    ctx = start(None, VALID, sampled=True)
    assert ctx.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert ctx.parent_span_id == "00f067aa0ba902b7" and ctx.span_id != ctx.parent_span_id
    assert ctx.traceparent == f"00-{ctx.trace_id}-{ctx.span_id}-01"


def test_future_versions_may_carry_more_fields() -> None:
    assert parse_traceparent(VALID.replace("00-", "01-", 1) + "-extra") is not None
    assert parse_traceparent(VALID + "-extra") is None  # version 00 has exactly four


def test_invalid_traceparents_start_a_new_trace() -> None:
    for bad in [
        VALID.upper().replace("00-4BF", "00-4bf").replace("-01", "-0g"),
        VALID.replace("4bf92f3577b34da6a3ce929d0e0e4736", "0" * 32),
        VALID.replace("00f067aa0ba902b7", "0" * 16),
        "ff" + VALID[2:],
        VALID[:-3],
    ]:
        assert parse_traceparent(bad) is None, bad


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_any_header_values_give_a_well_formed_context(request_id: str, traceparent: str) -> None:
    ctx = start(request_id, traceparent, sampled=False)
    assert re.fullmatch(r"[0-9a-f]{32}", ctx.trace_id) and ctx.trace_id != "0" * 32
    assert re.fullmatch(r"[0-9a-f]{16}", ctx.span_id)
    assert ctx.request_id and ctx.request_id.isascii() and ctx.request_id.isprintable()
    assert len(ctx.request_id) <= 128


def test_request_ids_must_be_short_printable_ascii() -> None:
    assert clean_request_id("abc-123") == "abc-123"
    assert clean_request_id("x" * 129) is None
    assert clean_request_id("line\nbreak") is None
    assert clean_request_id('quote"') is None
    assert clean_request_id("ünicode") is None
