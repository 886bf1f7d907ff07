"""aloft's sampling decision, made without the SDK, is the one OpenTelemetry's samplers make."""

from __future__ import annotations

import random

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    TraceIdRatioBased,
)

from aloft.runtime import tracing
from aloft.runtime.observe import Observer
from aloft.runtime.options import ServeOptions
from aloft.runtime.spans import Sampling, SpanExport


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.5, 1.0])
def test_ratio_decision_matches_the_sdks_trace_id_ratio_sampler(ratio: float) -> None:
    ours = Sampling({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": str(ratio)})
    sdk = TraceIdRatioBased(ratio)
    draw = random.Random(7)
    kept = 0
    for _ in range(4000):
        trace_id = draw.getrandbits(128)
        theirs = sdk.should_sample(None, trace_id, "x").decision == Decision.RECORD_AND_SAMPLE
        mine = ours.flags(f"{trace_id:032x}", None) == "01"
        assert mine == theirs
        kept += mine
    assert abs(kept / 4000 - ratio) < 0.03


@pytest.mark.parametrize("flags", ["00", "01"])
def test_parent_based_follows_the_callers_flag_whatever_the_ratio(flags: str) -> None:
    ours = Sampling(
        {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"}
    )
    sdk = ParentBased(TraceIdRatioBased(0.5))
    draw = random.Random(3)
    for _ in range(200):
        trace_id = draw.getrandbits(128)
        parent = trace.set_span_in_context(
            trace.NonRecordingSpan(
                trace.SpanContext(
                    trace_id, 1, is_remote=True, trace_flags=trace.TraceFlags(int(flags))
                )
            )
        )
        theirs = sdk.should_sample(parent, trace_id, "x").decision == Decision.RECORD_AND_SAMPLE
        assert (ours.flags(f"{trace_id:032x}", flags) == "01") == theirs == (flags == "01")


def test_bad_sampler_settings_are_named() -> None:
    with pytest.raises(ValueError, match="OTEL_TRACES_SAMPLER=sometimes"):
        Sampling({"OTEL_TRACES_SAMPLER": "sometimes"})
    with pytest.raises(ValueError, match="OTEL_TRACES_SAMPLER_ARG=2"):
        Sampling({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"})
    with pytest.raises(ValueError, match="ALOFT_TRACING_INSTRUMENT"):
        SpanExport({"OTEL_TRACES_EXPORTER": "otlp", "ALOFT_TRACING_INSTRUMENT": "curl"})


def test_unsampled_trace_passes_its_flag_on_and_sampled_one_keeps_its_logs() -> None:
    observer = Observer(lambda: None, ServeOptions(app="x", log_sample_rate=0.0))
    observer.spans = SpanExport(
        {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.5"}
    )
    kept = dropped = 0
    for _ in range(400):
        ctx = observer.start(None, None)
        assert ctx.traceparent.endswith("-" + ctx.trace_flags)
        # Log sampling is 0: only a sampled trace keeps its debug and info lines.
        assert ctx.sampled == (ctx.trace_flags == "01")
        kept += ctx.sampled
        dropped += not ctx.sampled
    assert kept > 100 and dropped > 100
    caller = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-00"
    assert observer.start(None, caller).trace_flags == "00"
    assert observer.start(None, caller[:-2] + "01").trace_flags == "01"
    # Without span export the flags stay as they were: new traces are marked sampled.
    plain = Observer(lambda: None, ServeOptions(app="x"))
    assert plain.spans is None
    assert plain.start(None, None).trace_flags == "01"
    assert isinstance(plain.start(None, caller), tracing.RequestContext)
