"""Helpers for tests/python: run a command in an OCI image with umoci and runc, as a container
runtime would (the image's user, a read-only root, no network namespace of its own)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from testkit import runc_config, runc_run, unpack_image

# Run inside the image: the interpreter, the modules a web service needs, and proof that the
# standard library's bytecode is there, compiled for this very interpreter, hash-based (no
# timestamps) and naming the file's path in the image. argparse and enum are among the modules
# the compiler itself imports while compiling: their .pyc must be the compiled ones too.
PROBE = (
    "import argparse, enum, importlib.util, json, marshal, os, sqlite3, ssl, sys\n"
    "def good(module):\n"
    "    data = open(importlib.util.cache_from_source(module.__file__), 'rb').read()\n"
    "    return (data[:4] == importlib.util.MAGIC_NUMBER and data[4:8] == b'\\x01\\0\\0\\0'\n"
    "            and marshal.loads(data[16:]).co_filename == module.__file__)\n"
    "print(json.dumps({'version': sys.version.split()[0], 'uid': os.getuid(),"
    "'ssl': ssl.OPENSSL_VERSION, 'sqlite': sqlite3.sqlite_version,"
    "'stdlib_pyc': all(good(m) for m in (argparse, enum, json)),"
    "'executable': sys.executable}))\n"
)


def run_in_image(layout: Path, tag: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Unpack `layout:tag` with umoci and run `args` in it with runc; the bundle is removed."""
    # Not under pytest's 0700 temp folders: the image's non-root user must reach its root.
    folder = Path(tempfile.mkdtemp(prefix="aloft-pythons-bundle-"))
    folder.chmod(0o755)
    bundle = folder / "bundle"
    try:
        unpack_image(f"{layout}:{tag}", bundle)
        runc_config(bundle, args=args)
        with runc_run(bundle, "aloft-pythons", stderr=subprocess.PIPE) as (_, process):
            stdout, stderr = process.communicate(timeout=120)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
