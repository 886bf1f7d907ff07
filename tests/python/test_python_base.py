"""Bases for the project's Python: built from the Debian suite that ships it, and run in runc."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pythonkit import PROBE, run_in_image

from aloft import pythons
from aloft.image import base as base_module
from aloft.image.base import LABEL, base_interpreter, build_base
from aloft.image.cache import Cache
from aloft.image.layout import write_layout
from aloft.image.oci import Platform


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aloft-cache")


@pytest.mark.parametrize(("codename", "minor"), [("trixie", "3.13"), ("bookworm", "3.11")])
def test_base_of_a_suite_runs_its_python_in_runc_with_precompiled_stdlib(
    cache_dir: Path, tmp_path: Path, codename: str, minor: str
) -> None:
    suite = pythons.debian_suite(codename)
    base = build_base(Platform("linux", "amd64"), Cache(cache_dir), suite=suite)
    assert base.python_minor == minor
    assert base.suite == codename
    labels = base.image.config_json()["config"]["Labels"]
    assert labels[LABEL + "debian.suite"] == codename
    assert base.image.layers[0].size <= 20_000_000
    write_layout(base.image, Cache(cache_dir), tmp_path / "layout", "base")
    done = run_in_image(tmp_path / "layout", "base", ["/usr/bin/python3", "-c", PROBE])
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    print(f"\n{codename}: {seen} ({base.image.layers[0].size / 1e6:.1f} MB compressed)")
    assert seen["version"] == base.python_version
    assert seen["version"].startswith(minor + ".")
    assert seen["uid"] == 65532
    assert seen["stdlib_pyc"] is True
    assert seen["executable"] == "/usr/bin/python3"


def test_trixie_base_rebuilt_from_scratch_has_the_same_digest(cache_dir: Path) -> None:
    """Everything but the downloaded .debs is thrown away: the compiled standard library and
    the layer come out byte for byte the same (the compiler's own imports leave no trace)."""
    suite = pythons.debian_suite("trixie")
    first = build_base(Platform("linux", "amd64"), Cache(cache_dir), suite=suite)
    for derived in ("records", "bytecode", "blobs"):
        shutil.rmtree(cache_dir / derived, ignore_errors=True)
    again = build_base(Platform("linux", "amd64"), Cache(cache_dir), suite=suite)
    assert again.image.digest == first.image.digest


def test_base_interpreter_runs_the_bases_own_python_here(cache_dir: Path) -> None:
    """The trixie base's Python 3.13 (Debian's build) runs on this machine as a launcher, so
    bytecode for the image needs no Python 3.13 installed here."""
    base = build_base(
        Platform("linux", "amd64"), Cache(cache_dir), suite=pythons.debian_suite("trixie")
    )
    launcher = base_interpreter(base, Cache(cache_dir))
    assert launcher is not None
    assert pythons.interpreter_version(str(launcher)) == base.python_version
    compiled = subprocess.run(
        [str(launcher), "-I", "-c", "import ssl, sqlite3, sys; print(sys.version)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert compiled.stdout.startswith(base.python_version)
    # This machine cannot run another architecture's loader: there is no launcher for it.
    rootfs = launcher.parent / "rootfs"
    assert base_module._launcher(rootfs, base.python_minor, "arm64") is None
