"""What span export costs a Lambda invocation: the flush before each invocation returns.

One FastAPI app behind aloft's Lambda handler, an API Gateway v2 event, called in-process as a
runtime client would; the OTLP/HTTP receiver is a separate process on loopback (a collector or
an extension beside the function). Variants, interleaved rounds in one run, each in a fresh
interpreter: tracing off; export on with every invocation sampled (one export per invocation);
export on at 0.1 sampling. The figure is the median wall time per invocation.

Run: uv run --all-groups python bench/lambda_spans.py [--rounds 5] [--calls 300]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(REPO))
# The loopback OTLP/HTTP receiver span_cost.py measures against: one sink for both benches.
from bench.span_cost import SINK  # noqa: E402

CALLS = """
import json, os, sys, time
sys.path.insert(0, {tests!r})
from fastapi import FastAPI
from aloft.runtime.aws_lambda import lambda_handler
from lambdakit import Context, event

app = FastAPI()

@app.get("/items/{{item_id}}")
def item(item_id: int):
    return {{"id": item_id}}

handler = lambda_handler(app, configure_logging=False)
request = event(path="/items/7")
for _ in range(30):
    handler(request, Context())
calls = {calls}
started = time.perf_counter()
for n in range(calls):
    handler(request, Context(request_id=f"r{{n}}"))
print((time.perf_counter() - started) / calls * 1e6)
"""

VARIANTS = {
    "tracing off": {},
    "export on, every invocation sampled": {"OTEL_TRACES_SAMPLER_ARG": "1.0"},
    "export on, sampling 0.1": {"OTEL_TRACES_SAMPLER_ARG": "0.1"},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None
    endpoint = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
    code = CALLS.format(tests=str(REPO / "tests"), calls=args.calls)
    results: dict[str, list[float]] = {name: [] for name in VARIANTS}
    try:
        for _ in range(args.rounds):
            for name, extra in VARIANTS.items():
                env = {
                    k: v
                    for k, v in __import__("os").environ.items()
                    if not k.startswith(("OTEL_", "ALOFT_"))
                }
                env["AWS_LAMBDA_FUNCTION_NAME"] = "bench"
                if extra:
                    env.update(
                        {
                            "OTEL_TRACES_EXPORTER": "otlp",
                            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                            **extra,
                        }
                    )
                done = subprocess.run(
                    [sys.executable, "-c", code],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                results[name].append(float(done.stdout.strip().splitlines()[-1]))
    finally:
        sink.terminate()
        sink.wait(5)
        time.sleep(0)
    base = statistics.median(results["tracing off"])
    print(f"{'variant':40} {'us/invocation':>14} {'+ us':>8}")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:40} {median:>14.0f} {median - base:>8.0f}")


if __name__ == "__main__":
    main()
