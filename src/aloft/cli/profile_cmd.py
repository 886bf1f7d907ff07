"""`aloft profile`: measure the app under a bounded load and save the profile `aloft cost` reads."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from aloft.cli._common import echo_json, interpreter_option, output_option, project_options, resolve


@click.command()
@project_options
@output_option
@click.option("--seconds", type=click.FloatRange(min=0.1, max=60), help="Load duration, all steps.")
@click.option("--max-requests", type=click.IntRange(min=10, max=100_000), help="Request cap.")
@click.option("--workers", type=click.IntRange(min=1, max=64), help="Server workers (default 1).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Profile file (default: [tool.aloft.cost] profile).",
)
@interpreter_option("Interpreter of the app's environment (default: the project's .venv).")
def profile(
    *,
    project: Path | None,
    environment: str | None,
    output: str,
    seconds: float | None,
    max_requests: int | None,
    workers: int | None,
    out: Path | None,
    python: Path | None,
) -> None:
    """Run the app as `aloft run` does, drive a bounded load on 127.0.0.1, save its profile.

    Measures CPU time per request, latency percentiles, per-worker memory (RSS) and the requests/s
    one worker sustains within [tool.aloft.cost] latency_target_ms, from the server's processes in
    /proc. The request mix is [[tool.aloft.cost.run.requests]] (default: GET /).
    """
    from aloft.cost.app_profile import save_profile
    from aloft.cost.profiler import LoadPlan, Request, free_port, profile_app
    from aloft.local.environment import app_python
    from aloft.local.server import server_command, server_env

    resolved = resolve(project, environment)
    settings = resolved.config.cost
    run = settings.run
    port = free_port()
    count = workers or 1
    # Loopback only, the chosen worker count, no drain wait when the profiler stops it, and the
    # probes on the port the profiler watches.
    serve = dataclasses.replace(
        resolved.config.serve,
        host="127.0.0.1",
        port=port,
        workers=count,
        drain_delay=0.0,
        reload=False,
        admin_port=0,
    )
    env = server_env(resolved, serve)
    command = server_command(app_python(resolved.root, python))
    plan = LoadPlan(
        requests=tuple(Request(r.method, r.path, r.weight, r.body) for r in run.requests),
        seconds=seconds or run.seconds,
        max_requests=max_requests or run.max_requests,
        concurrency=tuple(run.concurrency),
        target_p99_ms=settings.latency_target_ms,
        health_path=serve.health_path,
    )
    result = profile_app(command, env, resolved.root, plan, port=port, workers=count, app=serve.app)
    path = out or (resolved.root / settings.profile)
    save_profile(result, path)
    if output == "json":
        echo_json({"profile": str(path), **result.to_json()})
        return
    click.echo(
        f"{result.requests} requests: {result.cpu_ms:.2f} ms CPU each; latency at concurrency 1:"
        f" mean {result.latency_ms['mean']:.1f} ms, p99 {result.latency_ms['p99']:.1f} ms;"
        f" RSS per worker {result.rss_steady_mb:.0f} MB steady, {result.rss_peak_mb:.0f} MB peak;"
        f" {result.rps_per_worker:.1f} req/s per worker within p99 {plan.target_p99_ms:g} ms"
    )
    for step in result.steps:
        click.echo(
            f"  concurrency {step.concurrency}: {step.requests} requests, {step.rps:.1f} req/s,"
            f" p50 {step.p50_ms:.1f} ms, p99 {step.p99_ms:.1f} ms, {step.errors} errors"
        )
    click.echo(f"wrote {path}")
