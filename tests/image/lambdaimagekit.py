"""Helpers for the Lambda-image tests: a two-function project, and a runc bundle that aloft's
Lambda emulator starts as an execution environment, the way Lambda starts a container image."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from aloft.serverless.emulator import Emulator, FunctionSpec
from testkit import runc_config, unpack_image

LAMBDA_APP = """\
import os

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


def _writable(folder):
    try:
        with open(os.path.join(folder, ".probe"), "w") as fh:
            fh.write("x")
    except OSError:
        return False
    return True


def _root_mount():
    found = []
    with open("/proc/self/mounts") as fh:
        for line in fh:
            device, point, kind, options = line.split()[:4]
            if point == "/":
                found = options.split(",")
    return found


async def home(request):
    return JSONResponse({
        "uid": os.getuid(),
        "cwd": os.getcwd(),
        "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "root_options": _root_mount(),
        "tmp_writable": _writable("/tmp"),
        "cwd_writable": _writable(os.getcwd()),
    })

app = Starlette(routes=[Route("/", home)])


def worker(event, context):
    return {"worker": context.function_name, "event": event, "uid": os.getuid()}
"""

FUNCTIONS = """
[tool.aloft.lambda.functions.api]

[tool.aloft.lambda.functions.worker]
handler = "tiny.worker"
events = [{ type = "schedule", expression = "rate(5 minutes)" }]
"""

# Started by the emulator as the function's command: it gives the container the environment
# the emulator gives an execution environment (as Lambda does), then becomes `runc run`.
# The emulator's host paths (PATH, PYTHONPATH, LAMBDA_TASK_ROOT) stay out: the image has its own.
WRAPPER = """\
import json, os, sys

bundle, name, runc, *args = sys.argv[1:]
with open(os.path.join(bundle, "config.base.json")) as fh:
    config = json.load(fh)
host_only = {"PATH", "PYTHONPATH", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}
env = dict(item.split("=", 1) for item in config["process"]["env"])
env.update({k: v for k, v in os.environ.items() if k not in host_only})
config["process"]["env"] = [f"{k}={v}" for k, v in env.items()]
if args:  # ImageConfig.Command: the image's ENTRYPOINT with another function's CMD
    config["process"]["args"] = args
with open(os.path.join(bundle, "config.json.tmp"), "w") as fh:
    json.dump(config, fh)
os.replace(os.path.join(bundle, "config.json.tmp"), os.path.join(bundle, "config.json"))
devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(devnull, 0)
os.execv(runc, [runc, "run", "--bundle", bundle, name])
"""


def make_lambda_project(tiny: Path) -> Path:
    """The tiny project (same lock, so the same dependency layer) with two functions."""
    (tiny / "tiny.py").write_text(LAMBDA_APP)
    with (tiny / "pyproject.toml").open("a") as fh:
        fh.write(FUNCTIONS)
    return tiny


def unpack(layout: Path, tag: str, bundle: Path) -> None:
    """umoci's bundle, set up as Lambda runs an image: read-only root, tmpfs /tmp, and the host
    network so the container reaches the Runtime API on 127.0.0.1."""
    unpack_image(f"{layout}:{tag}", bundle)
    runc_config(bundle, write_to="config.base.json")


@contextlib.contextmanager
def lambda_container(
    bundle: Path, function: str, args: list[str] | None = None
) -> Iterator[tuple[Emulator, list[str]]]:
    """The emulator with one execution environment: the bundle run by runc."""
    runc = shutil.which("runc")
    assert runc is not None
    wrapper = bundle.parent / "runc-wrapper.py"
    wrapper.write_text(WRAPPER)
    name = f"aloft-lambda-{uuid.uuid4().hex[:8]}"
    lines: list[str] = []
    spec = FunctionSpec(
        function,
        [sys.executable, str(wrapper), str(bundle), name, runc, *(args or [])],
        bundle.parent,
        timeout=30,
        concurrency=1,
    )
    emulator = Emulator(spec, output=lines.append)
    try:
        yield emulator, lines
    finally:
        emulator.close()
        subprocess.run([runc, "delete", "-f", name], capture_output=True, check=False)
