"""The bundle's plain-value API: one platform rule, bytecode only from the target's Python,
and a layer below the image and Lambda code that use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aloft.bundle import Locked, Target, build_dependencies
from aloft.exceptions import OperationFailed
from aloft.pythons import find_interpreter

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER = "3.13" if HERE != "3.13" else "3.12"


@pytest.mark.parametrize(
    ("target", "tag"),
    [
        (Target.of("3.11", "amd64", "2.36"), "x86_64-manylinux_2_36"),
        (Target.of("3.13", "arm64", "2.41"), "aarch64-manylinux_2_40"),
        (Target.of("3.12", "amd64", ""), "x86_64-manylinux_2_17"),
        # Lambda: python3.11 on Amazon Linux 2 (glibc 2.26), later ones on AL2023 (2.34).
        (Target.lambda_runtime("3.11", "x86_64"), "x86_64-manylinux_2_17"),
        (Target.lambda_runtime("3.12", "arm64"), "aarch64-manylinux_2_34"),
    ],
)
def test_one_rule_turns_a_target_into_the_wheel_platform(target: Target, tag: str) -> None:
    assert target.uv_platform == tag


def _empty_lock(tmp_path: Path) -> Locked:
    return Locked(tmp_path / "uv.lock", (), ())


def test_without_an_interpreter_sources_ship_and_no_bytecode_is_written(tmp_path: Path) -> None:
    dest = tmp_path / "site"
    compiled = build_dependencies(
        _empty_lock(tmp_path), Target.of(OTHER, "amd64"), dest, interpreter=None, deployed="/x"
    )
    assert compiled is False
    assert (dest / "aloft" / "runtime" / "__init__.py").is_file()
    assert not list(dest.rglob("*.pyc"))
    assert list(dest.glob("aloft_runtime-*.dist-info/METADATA"))


def test_bytecode_for_another_python_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OperationFailed, match=f"not the target's {OTHER}"):
        build_dependencies(
            _empty_lock(tmp_path),
            Target.of(OTHER, "amd64"),
            tmp_path / "site",
            interpreter=Path(sys.executable),
            deployed="/x",
        )


def test_bytecode_is_compiled_by_the_target_python_with_deployed_names(tmp_path: Path) -> None:
    python = find_interpreter(OTHER)
    assert python is not None, f"no Python {OTHER} here (pyenv has 3.10-3.13)"
    dest = tmp_path / "site"
    build_dependencies(
        _empty_lock(tmp_path), Target.of(OTHER, "amd64"), dest, interpreter=python, deployed="/d"
    )
    tag = "cpython-" + OTHER.replace(".", "")
    assert (dest / "aloft" / "runtime" / "__pycache__" / f"__init__.{tag}.pyc").is_file()


def test_the_bundle_imports_neither_the_image_nor_the_lambda_code() -> None:
    script = (
        "import sys, aloft.bundle, aloft.serverless.package\n"
        "bad = sorted(m for m in sys.modules if m.startswith('aloft.image'))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
