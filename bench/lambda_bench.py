"""aloft on Lambda, side by side in one run: adapter vs Mangum, zip size, cold start, emulator.

1. Import time of the adapter (fresh interpreters, `-X importtime`, median of interleaved rounds).
2. Per-invocation overhead on the same Starlette app and API Gateway v2 event: aloft vs Mangum
   (lifespan "off" and its default "auto"), minus a plain function call.
3. Zip size of examples/fastapi: `aloft lambda package` vs a naive `uv pip install --target`
   of the same locked dependencies, zipped with zipfile's defaults.
4. Cold start in the emulator (worker process start to first response) for both trees.
5. Emulator overhead per warm invocation versus calling the handler in-process.

Run: uv run --all-groups python bench/lambda_bench.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "fastapi"
sys.path.insert(0, str(REPO / "tests" / "lambda"))


def import_us(statement: str, target: str) -> int:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == target:
            return int(parts[1])
    raise RuntimeError(target)


def bench_import(rounds: int = 7) -> dict[str, float]:
    cases = {
        "aloft adapter": (
            "import aloft.runtime.aws_lambda.handler",
            "aloft.runtime.aws_lambda.handler",
        ),
        "mangum": ("import mangum", "mangum"),
    }
    samples: dict[str, list[int]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (statement, target) in cases.items():
            samples[name].append(import_us(statement, target))
    return {name: statistics.median(values) / 1000 for name, values in samples.items()}


_COLD = """
import time
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
app = Starlette(routes=[Route("/", JSONResponse)])
started = time.perf_counter()
{code}
print(time.perf_counter() - started)
"""
_INIT = {
    "aloft": "from aloft.runtime.aws_lambda import lambda_handler\nh = lambda_handler(app)",
    "mangum": "from mangum import Mangum\nh = Mangum(app)",
}


def bench_init(rounds: int = 7) -> dict[str, float]:
    """Import plus making the handler for an already imported Starlette app, fresh processes."""
    samples: dict[str, list[float]] = {name: [] for name in _INIT}
    for _ in range(rounds):
        for name, code in _INIT.items():
            done = subprocess.run(
                [sys.executable, "-c", _COLD.format(code=code)],
                capture_output=True,
                text=True,
                check=True,
            )
            samples[name].append(float(done.stdout.strip().splitlines()[-1]) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_invocation(calls: int = 3000, rounds: int = 5) -> dict[str, float]:
    from lambdakit import Context, event
    from mangum import Mangum
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from aloft.runtime.aws_lambda import lambda_handler

    async def item(request: object) -> JSONResponse:
        return JSONResponse({"ok": True})

    def make_app() -> Starlette:
        return Starlette(routes=[Route("/items/{id}", item)])

    ev = event("v2", "GET", "/items/3", "q=1", [("host", "api.test"), ("user-agent", "bench")])
    context = Context()
    # Access and EMF lines go to stdout as on Lambda: point it at /dev/null while timing.
    from aloft.runtime import logs

    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = "bench"
    handlers = {
        "plain function": lambda e, c: {"statusCode": 200, "body": "{}"},
        "mangum lifespan=off": Mangum(make_app(), lifespan="off"),
        "mangum lifespan=auto (default)": Mangum(make_app()),
        "aloft (access log + EMF line)": lambda_handler(make_app()),
    }
    os.environ["ALOFT_LAMBDA_EMF"] = "false"
    handlers["aloft (no access log, no EMF)"] = lambda_handler(make_app())
    handlers["aloft adapter alone (observe=False)"] = lambda_handler(make_app(), observe=False)
    logs.configure("bench", "info")
    import logging

    logging.getLogger("aloft.access").setLevel(logging.INFO)
    results: dict[str, list[float]] = {name: [] for name in handlers}
    os.dup2(devnull, 1)
    try:
        for name, handler in handlers.items():
            assert handler(ev, context)["statusCode"] == 200, name
        for _ in range(rounds):
            for name, handler in handlers.items():
                if name == "aloft (no access log, no EMF)":
                    logging.getLogger("aloft.access").setLevel(logging.WARNING)
                started = time.perf_counter()
                for _ in range(calls):
                    handler(ev, context)
                results[name].append((time.perf_counter() - started) / calls * 1e6)
                logging.getLogger("aloft.access").setLevel(logging.INFO)
    finally:
        os.dup2(saved, 1)
    return {name: statistics.median(values) for name, values in results.items()}


def naive_tree(target: Path) -> None:
    """What `pip install -t` of the project's locked dependencies gives, unstripped."""
    export = subprocess.run(
        [
            "uv",
            "export",
            "--frozen",
            "--no-dev",
            "--no-hashes",
            "--no-emit-project",
            "--all-extras",
            "--format",
            "requirements-txt",
            "--project",
            str(EXAMPLE),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requirements = [
        line
        for line in export.splitlines()
        if line.strip() and not line.startswith(("#", "-e", " "))
    ]
    req = target.parent / "naive-requirements.txt"
    req.write_text("\n".join(requirements) + "\n")
    # pip install -t byte-compiles by default; uv's --compile-bytecode does the same.
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--target",
            str(target),
            "--python-platform",
            "x86_64-manylinux2014",
            "--python-version",
            "3.11",
            "-r",
            str(req),
        ],
        check=True,
    )
    import aloft.runtime

    shutil.copytree(
        Path(aloft.runtime.__file__).parent,
        target / "aloft" / "runtime",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(EXAMPLE / "shop", target / "shop", ignore=shutil.ignore_patterns("__pycache__"))


def zip_tree(tree: Path, destination: Path) -> int:
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tree).as_posix())
    return destination.stat().st_size


def cold_starts(cwd: Path, pythonpath: str, redis_url: str, rounds: int = 5) -> float:
    from aloft.serverless.emulator import Emulator, FunctionSpec
    from aloft.serverless.http_events import http_event

    payload = json.dumps(http_event("v2", "GET", "/healthz", "", [("host", "x")])).encode()
    times = []
    for _ in range(rounds):
        spec = FunctionSpec(
            "bench",
            [sys.executable, "-S", "-m", "aloft.runtime.aws_lambda"],
            cwd,
            {"ALOFT_APP": "shop.main:app", "REDIS_URL": redis_url, "PYTHONPATH": pythonpath},
            timeout=30,
            concurrency=1,
        )
        emulator = Emulator(spec, output=lambda line: None)
        started = time.perf_counter()
        result = emulator.invoke(payload)
        times.append(time.perf_counter() - started)
        assert result.ok and json.loads(result.payload)["statusCode"] == 200, result.payload[:300]
        emulator.close()
    return statistics.median(times)


def bench_packages(redis_url: str) -> dict[str, float]:
    from aloft.config import load_config
    from aloft.serverless.model import build_stack
    from aloft.serverless.package import package

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        resolved = load_config(EXAMPLE, environ={})
        # Python 3.11 (this interpreter) so the bytecode can also be timed at cold start here.
        plain = resolved.config.lambda_.model_copy(update={"python": "3.11"})
        for label, settings in (
            ("sources", plain),
            ("bytecode only", plain.model_copy(update={"bytecode_only": True})),
        ):
            variant = type(resolved)(
                resolved.config.model_copy(update={"lambda_": settings}),
                resolved.origins,
                resolved.pyproject,
                resolved.project_name,
                None,
            )
            result = package(variant, root / label.replace(" ", "-"), build_stack(variant))
            out[f"aloft {label}"] = result.function.zipped + (
                result.layer.zipped if result.layer else 0
            )
            for name, zpath in (
                ("function", result.function.path),
                ("layer", result.layer.path if result.layer else None),
            ):
                if zpath:
                    with zipfile.ZipFile(zpath) as archive:
                        archive.extractall(root / f"tree-{label}" / name)
        naive = root / "naive-tree"
        naive_tree(naive)
        out["naive zip"] = zip_tree(naive, root / "naive.zip")
        naive_extracted = root / "naive-extracted"
        with zipfile.ZipFile(root / "naive.zip") as archive:
            archive.extractall(naive_extracted)
        for label in ("sources", "bytecode only"):
            tree = root / f"tree-{label}"
            out[f"cold aloft {label}"] = cold_starts(
                tree / "function", f"{tree / 'function'}:{tree / 'layer' / 'python'}", redis_url
            )
        out["cold naive"] = cold_starts(naive_extracted, str(naive_extracted), redis_url)
    return out


def bench_emulator(calls: int = 300) -> dict[str, float]:
    from lambdakit import ALOFT_BOOTSTRAP, emulated

    sys.path.insert(0, str(REPO / "tests" / "lambda" / "functions"))
    import lambda_testfn

    payload = b'{"seconds": 0}'
    started = time.perf_counter()
    for _ in range(calls):
        lambda_testfn.slow(json.loads(payload), None)
    in_process = (time.perf_counter() - started) / calls
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.slow"], concurrency=1) as (emulator, _, _):
        emulator.invoke(payload)
        started = time.perf_counter()
        for _ in range(calls):
            emulator.invoke(payload)
        warm = (time.perf_counter() - started) / calls
    return {"in-process": in_process, "emulator warm": warm}


def main() -> None:
    redis = subprocess.Popen(
        ["redis-server", "--port", "6391", "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        imports = bench_import()
        print("1. import time (ms, median)")
        for name, ms in imports.items():
            print(f"   {name:<40} {ms:8.2f}")
        print(
            f"   ratio aloft / mangum: {imports['aloft adapter'] / imports['mangum']:.2f}"
            " (target <= 0.25)"
        )
        init = bench_init()
        print("1b. import + handler construction for a Starlette app (ms, median, fresh processes)")
        print(
            f"   aloft {init['aloft']:.2f}, mangum {init['mangum']:.2f},"
            f" ratio {init['aloft'] / init['mangum']:.2f}"
        )

        calls = bench_invocation()
        plain = calls["plain function"]
        print("2. per invocation (us, median of 5 x 3000 calls; overhead = minus plain function)")
        for name, us in calls.items():
            print(f"   {name:<40} {us:8.2f}   overhead {us - plain:8.2f}")
        base = calls["mangum lifespan=off"] - plain
        for name in (
            "aloft (access log + EMF line)",
            "aloft (no access log, no EMF)",
            "aloft adapter alone (observe=False)",
        ):
            print(
                f"   ratio {name} / mangum off: {(calls[name] - plain) / base:.2f} (target <= 0.7)"
            )

        if "--quick" in sys.argv:
            return
        sizes = bench_packages("redis://127.0.0.1:6391/0")
        print("3. zip size (bytes; naive = pip install -t, which byte-compiles, zipped)")
        for label in ("sources", "bytecode only"):
            size = sizes[f"aloft {label}"]
            print(
                f"   aloft ({label}) {size:.0f}, naive {sizes['naive zip']:.0f},"
                f" ratio {size / sizes['naive zip']:.2f} (target <= 0.6)"
            )
        print("4. cold start in the emulator, process start to first response (s, median of 5)")
        for label in ("sources", "bytecode only"):
            cold = sizes[f"cold aloft {label}"]
            print(
                f"   aloft ({label}) {cold:.3f}, naive {sizes['cold naive']:.3f},"
                f" ratio {cold / sizes['cold naive']:.2f} (target <= 0.7)"
            )

        emu = bench_emulator()
        print("5. emulator warm invocation vs in-process call (ms)")
        print(
            f"   in-process {emu['in-process'] * 1000:.3f},"
            f" emulator {emu['emulator warm'] * 1000:.3f},"
            f" overhead {(emu['emulator warm'] - emu['in-process']) * 1000:.3f} (target < 2)"
        )
    finally:
        redis.terminate()
        redis.wait()


if __name__ == "__main__":
    main()
