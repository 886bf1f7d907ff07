"""aloft on Lambda, side by side in one run: adapter vs Mangum, zip size, cold start, emulator.

1. Import time of the adapter (fresh interpreters, `-X importtime`, median of interleaved rounds).
2. Per-invocation overhead on the same Starlette app and API Gateway v2 event: aloft vs Mangum
   (lifespan "off" and its default "auto"), minus a plain function call.
3. Zip size of examples/fastapi: `aloft lambda package` vs a naive `uv pip install --target`
   of the same locked dependencies (byte-compiled, as pip does), zipped with zipfile's defaults;
   per kind of file, and also against a naive zip without aloft-runtime's server extras.
4. Cold start in the emulator (worker process start to first response) for each tree, unzipped
   with the zip's dates (so the naive .pyc stay valid) and with nothing written back (Lambda's
   code folders are read-only); wall and CPU time, split into interpreter start, runtime client
   import, app import and init, first request; import self-time by package.
5. Emulator overhead per warm invocation versus calling the handler in-process.

Run: uv run --all-groups python bench/lambda_bench.py [--quick: 1-2 only | --packages: 3-4 only]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "fastapi"
sys.path.insert(0, str(REPO / "tests"))


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


def bench_invocation(calls: int = 300, rounds: int = 40) -> dict[str, float]:
    """Per-call cost of each handler: many short interleaved blocks, the fastest of each kept
    (as timeit does), so a busy neighbour on a shared machine slows blocks, not the figure."""
    from mangum import Mangum
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from aloft.runtime.aws_lambda import lambda_handler
    from lambdakit import Context, event

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
    return {name: min(values) for name, values in results.items()}


# --- 3 and 4: zip size and cold start (`aloft lambda package` vs a naive `pip install -t`) ---

# Target Python of the packaged variants: this interpreter's, so their bytecode is compiled
# here and can also be timed at cold start.
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
# The aloft-runtime extras for containers: a naive zip carries them, aloft's does not.
SERVER_EXTRAS = ("gunicorn", "uvicorn", "click", "h11")
ALOFT_VARIANTS = ("aloft default (deps bytecode only)", "aloft bytecode_only = false")
NAIVE_OTHER = "naive, built by another Python"


def naive_tree(target: Path, extras: bool = True) -> None:
    """What `pip install -t` of the project's locked dependencies gives, unstripped.

    pip byte-compiles what it installs (timestamp .pyc in __pycache__), so the copied runtime
    is compiled the same way; the app's own code is source only, as a user zips it.
    """
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
        if line.strip()
        and not line.startswith(("#", "-e", " "))
        and (extras or not line.startswith(SERVER_EXTRAS))
    ]
    req = target.parent / f"naive-requirements-{target.name}.txt"
    req.write_text("\n".join(requirements) + "\n")
    # pip install -t byte-compiles by default; uv's --compile-bytecode does the same.
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--no-deps",
            "--target",
            str(target),
            "--python-platform",
            "x86_64-manylinux2014",
            "--python-version",
            PY,
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
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(target / "aloft")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.copytree(EXAMPLE / "shop", target / "shop", ignore=shutil.ignore_patterns("__pycache__"))


def zip_tree(tree: Path, destination: Path) -> int:
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tree).as_posix())
    return destination.stat().st_size


def unzip(source: Path, destination: Path) -> None:
    """Extract as `unzip` (and, we assume, Lambda) does: with the entries' dates as mtimes.

    zipfile.extractall stamps files with the time of extraction, which would make every
    timestamp .pyc of the naive zip stale; keeping the dates is the naive zip's best case.
    """
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, destination))
            if not info.is_dir():
                stamp = time.mktime((*info.date_time, 0, 0, -1))
                os.utime(path, (stamp, stamp))


def zip_kinds(paths: list[Path]) -> dict[str, int]:
    """Compressed bytes per kind of file, summed over the zips of one package."""
    kinds: dict[str, int] = {}
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                parts = info.filename.split("/")
                if any(p.endswith(".dist-info") for p in parts):
                    kind = "dist-info"
                elif info.filename.endswith(".pyc"):
                    kind = ".pyc"
                elif info.filename.endswith(".py"):
                    kind = ".py"
                elif ".so" in parts[-1]:
                    kind = ".so"
                else:
                    kind = "other (.pyi, py.typed, data)"
                kinds[kind] = kinds.get(kind, 0) + info.compress_size
    return kinds


@dataclass(frozen=True)
class Tree:
    """One packaged variant, unzipped as Lambda lays it out, ready to be started."""

    cwd: Path
    pythonpath: str
    zips: list[Path]

    @property
    def zipped(self) -> int:
        return sum(z.stat().st_size for z in self.zips)


def _lambda_env(tree: Tree, redis_url: str) -> dict[str, str]:
    # Lambda's /var/task and /opt are read-only, so no run may keep bytecode for the next. As
    # root here a chmod would not stop writes: PYTHONDONTWRITEBYTECODE gives the same effect.
    return {
        "ALOFT_APP": "shop.main:app",
        "REDIS_URL": redis_url,
        "PYTHONPATH": tree.pythonpath,
        "PYTHONDONTWRITEBYTECODE": "1",
        # The cold start is timed to aloft's /healthz answer, which is off on Lambda by default.
        "ALOFT_LAMBDA_PROBES": "true",
    }


# Same interpreter and flags for every variant. -S keeps this machine's site-packages (which
# hold every dependency) off sys.path, so a module missing from a zip fails as on Lambda.
BOOTSTRAP = [sys.executable, "-S", "-m", "aloft.runtime.aws_lambda"]


def cold_start(tree: Tree, redis_url: str) -> tuple[float, float]:
    """(wall, CPU) seconds from the worker's start to its first response, one fresh process."""
    from aloft.serverless.emulator import Emulator, FunctionSpec
    from aloft.serverless.http_events import http_event

    payload = json.dumps(http_event("v2", "GET", "/healthz", "", [("host", "x")])).encode()
    spec = FunctionSpec(
        "bench", BOOTSTRAP, tree.cwd, _lambda_env(tree, redis_url), timeout=30, concurrency=1
    )
    emulator = Emulator(spec, output=lambda line: None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = emulator.invoke(payload)
    wall = time.perf_counter() - started
    emulator.close()  # waits for the worker, so its CPU time is counted below
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.ok and json.loads(result.payload)["statusCode"] == 200, result.payload.decode()
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


# Steps of a cold start, each timed as a process that stops after it (fresh interpreters).
_STEPS = {
    "interpreter start": "pass",
    "runtime client import": "import aloft.runtime.aws_lambda.__main__",
    "app import + init": "import aloft.runtime.aws_lambda.__main__, aloft.runtime.aws_lambda.entry",
}


def _step(tree: Tree, redis_url: str, statement: str) -> float:
    """Seconds from a fresh process's start to the end of `statement` (not to its exit)."""
    from aloft.serverless.emulator import FunctionSpec, lambda_environment

    spec = FunctionSpec("bench", [], tree.cwd, _lambda_env(tree, redis_url))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-S", "-c", f"{statement}\nprint({_READY!r}, flush=True)"],
        cwd=tree.cwd,
        env=lambda_environment(spec, "127.0.0.1:9"),
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    for line in process.stdout:  # the app may log to stdout first
        if line.strip() == _READY.encode():
            break
    elapsed = time.perf_counter() - started
    process.stdout.read()
    assert process.wait() == 0, statement
    return elapsed


_READY = "aloft-bench-ready"


def bench_cold_starts(
    trees: dict[str, Tree], redis_url: str, rounds: int = 9
) -> dict[str, dict[str, float]]:
    """Medians per variant, rounds interleaved so a busy machine slows every variant alike."""
    samples: dict[str, dict[str, list[float]]] = {
        name: {k: [] for k in ("wall", "cpu", *_STEPS)} for name in trees
    }
    for _ in range(rounds):
        for name, tree in trees.items():
            wall, cpu = cold_start(tree, redis_url)
            samples[name]["wall"].append(wall)
            samples[name]["cpu"].append(cpu)
            for step, statement in _STEPS.items():
                samples[name][step].append(_step(tree, redis_url, statement))
    out: dict[str, dict[str, float]] = {}
    for name, values in samples.items():
        med = {k: statistics.median(v) for k, v in values.items()}
        # Each step's own share: its process minus the step before it.
        med["first request + Runtime API"] = med["wall"] - med["app import + init"]
        med["app import + init"] -= med["runtime client import"]
        med["runtime client import"] -= med["interpreter start"]
        out[name] = med
    return out


def import_shares(tree: Tree, redis_url: str) -> dict[str, float]:
    """Import self-time (ms) by top-level package in one `-X importtime` cold init."""
    from aloft.serverless.emulator import FunctionSpec, lambda_environment

    spec = FunctionSpec("bench", [], tree.cwd, _lambda_env(tree, redis_url))
    done = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", _STEPS["app import + init"]],
        cwd=tree.cwd,
        env=lambda_environment(spec, "127.0.0.1:9"),
        capture_output=True,
        text=True,
        check=True,
    )
    shares: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        top = parts[2].strip().split(".")[0]
        if top not in ("fastapi", "pydantic", "pydantic_core", "starlette", "anyio", "redis"):
            top = "aloft + shop" if top in ("aloft", "shop") else "standard library and other"
        shares[top] = shares.get(top, 0.0) + int(parts[0]) / 1000
    return shares


def bench_packages(
    redis_url: str, scratch: Path
) -> tuple[dict[str, Tree], dict[str, dict[str, float]]]:
    from aloft.config import load_config
    from aloft.serverless.model import build_stack
    from aloft.serverless.package import package

    resolved = load_config(EXAMPLE, environ={})
    plain = replace(resolved.config.lambda_, python=PY)
    trees: dict[str, Tree] = {}
    for label, settings in zip(
        ALOFT_VARIANTS, (plain, replace(plain, bytecode_only=False)), strict=True
    ):
        variant = type(resolved)(
            replace(resolved.config, lambda_=settings),
            resolved.origins,
            resolved.pyproject,
            resolved.project_name,
            None,
        )
        out = scratch / f"pkg-{len(trees)}"
        result = package(variant, out, build_stack(variant))
        assert result.layer is not None and result.bytecode
        function, layer = out / "tree" / "function", out / "tree" / "opt"
        unzip(result.function.path, function)
        unzip(result.layer.path, layer)
        trees[label] = Tree(
            function, f"{function}:{layer / 'python'}", [result.function.path, result.layer.path]
        )
    for label, extras in (("naive pip install -t", True), ("naive without server extras", False)):
        built = scratch / f"naive-{int(extras)}"
        naive_tree(built, extras)
        zipped = scratch / f"naive-{int(extras)}.zip"
        zip_tree(built, zipped)
        task = scratch / f"naive-{int(extras)}-task"
        unzip(zipped, task)
        trees[label] = Tree(task, str(task), [zipped])
    timed = {k: v for k, v in trees.items() if k != "naive without server extras"}
    # The same naive zip built by a Python other than the function's runtime (a laptop's 3.11
    # for python3.12, say): its bytecode is for another version, so the runtime ignores it and,
    # on Lambda's read-only /var/task, compiles every module again at each cold start.
    other = scratch / "naive-other-python"
    shutil.copytree(trees["naive pip install -t"].cwd, other)
    for cache in sorted(other.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    timed[NAIVE_OTHER] = Tree(other, str(other), trees["naive pip install -t"].zips)
    colds = bench_cold_starts(timed, redis_url)
    for name in (*ALOFT_VARIANTS, "naive pip install -t"):
        colds[f"imports: {name}"] = import_shares(trees[name], redis_url)
    return trees, colds


def report_packages(redis_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="aloft-bench-") as scratch:
        trees, colds = bench_packages(redis_url, Path(scratch))
        print_packages(trees, colds)


def print_packages(trees: dict[str, Tree], colds: dict[str, dict[str, float]]) -> None:
    naive = trees["naive pip install -t"]
    print("3. zip size, examples/fastapi (function + layer; naive = pip install -t, byte-compiled)")
    kinds = {name: zip_kinds(tree.zips) for name, tree in trees.items()}
    columns = sorted({k for v in kinds.values() for k in v})
    print("   " + " " * 36 + "".join(f"{c[:12]:>13}" for c in columns) + "        total   ratio")
    for name, tree in trees.items():
        row = "".join(f"{kinds[name].get(c, 0) / 1e6:13.2f}" for c in columns)
        print(f"   {name:<36}{row}  {tree.zipped / 1e6:8.2f} MB  {tree.zipped / naive.zipped:.2f}")
    stripped = trees["naive without server extras"].zipped
    for name in ALOFT_VARIANTS:
        print(
            f"   ratio {name} / naive: {trees[name].zipped / naive.zipped:.2f} (target <= 0.6);"
            f" / naive without server extras: {trees[name].zipped / stripped:.2f}"
        )
    print(
        "4. cold start in the emulator, worker start to first response"
        " (s, median of 9 interleaved; read-only code as on Lambda)"
    )
    steps = ["wall", "cpu", *_STEPS, "first request + Runtime API"]
    print("   " + " " * 36 + "".join(f"{s[:14]:>15}" for s in steps))
    base = colds["naive pip install -t"]
    for name in (*ALOFT_VARIANTS, "naive pip install -t", NAIVE_OTHER):
        print(f"   {name:<36}" + "".join(f"{colds[name][s]:15.3f}" for s in steps))
    for name in ALOFT_VARIANTS:
        print(
            f"   ratio {name} / naive: wall {colds[name]['wall'] / base['wall']:.2f},"
            f" CPU {colds[name]['cpu'] / base['cpu']:.2f} (target <= 0.7);"
            f" / naive built by another Python: wall"
            f" {colds[name]['wall'] / colds[NAIVE_OTHER]['wall']:.2f}"
        )
    print("   import self-time by package (ms, one `-X importtime` run each):")
    for name in (*ALOFT_VARIANTS, "naive pip install -t"):
        shares = sorted(colds[f"imports: {name}"].items(), key=lambda item: -item[1])
        print(f"     {name:<36}" + ", ".join(f"{k} {v:.0f}" for k, v in shares))


def bench_emulator(calls: int = 300) -> dict[str, float]:
    from lambdakit import ALOFT_BOOTSTRAP, emulated

    sys.path.insert(0, str(REPO / "tests" / "serverless" / "functions"))
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
        if "--packages" in sys.argv:  # only 3 and 4
            report_packages("redis://127.0.0.1:6391/0")
            return
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
        print(
            "2. per invocation (us, fastest of 40 interleaved blocks of 300 calls;"
            " overhead = minus plain function)"
        )
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
        report_packages("redis://127.0.0.1:6391/0")

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
