"""Helpers for tests/python: run a command in an OCI image with umoci and runc, as a container
runtime would (the image's user, a read-only root, no network namespace of its own)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

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


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not installed; run scripts/bootstrap (scripts/apt-packages.txt)"
        )


def run_in_image(layout: Path, tag: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Unpack `layout:tag` with umoci and run `args` in it with runc; the bundle is removed."""
    need("umoci", "runc")
    # Not under pytest's 0700 temp folders: the image's non-root user must reach its root.
    folder = Path(tempfile.mkdtemp(prefix="aloft-pythons-bundle-"))
    folder.chmod(0o755)
    bundle = folder / "bundle"
    name = f"aloft-pythons-{uuid.uuid4().hex[:8]}"
    try:
        unpacked = subprocess.run(
            ["umoci", "unpack", "--image", f"{layout}:{tag}", str(bundle)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert unpacked.returncode == 0, unpacked.stderr
        config = json.loads((bundle / "config.json").read_text())
        config["process"]["terminal"] = False
        config["process"]["args"] = args
        config["root"]["readonly"] = True
        config["linux"]["namespaces"] = [
            n for n in config["linux"]["namespaces"] if n["type"] != "network"
        ]
        (bundle / "config.json").write_text(json.dumps(config))
        return subprocess.run(
            ["runc", "run", "--bundle", str(bundle), name],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        subprocess.run(["runc", "delete", "-f", name], capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)
