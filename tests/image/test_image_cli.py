"""The image verbs' public interface: help, JSON for scripts, the reference by digest last."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imagehelpers import aloft

from aloft.image.base import BaseImage


@pytest.mark.parametrize("verb", ["build", "base", "dockerfile"])
def test_every_image_verb_has_help(verb: str, tmp_path: Path) -> None:
    result = aloft(verb, "--help", cache=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith(f"Usage: aloft {verb} [OPTIONS]")


def test_base_json_lists_python_glibc_and_package_versions(
    cache_dir: Path, base_amd64: BaseImage
) -> None:
    result = aloft("base", "-o", "json", cache=cache_dir)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["digest"] == base_amd64.image.digest
    (platform,) = answer["platforms"]
    assert platform["python"] == base_amd64.python_version
    assert {p["name"] for p in platform["packages"]} >= {"libc6", "tzdata", "ca-certificates"}


def test_text_output_ends_with_the_reference_by_digest(
    tiny: Path, cache_dir: Path, base_amd64: BaseImage
) -> None:
    result = aloft("build", "--project", str(tiny), cache=cache_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("tiny@sha256:")
    assert "dependencies" in result.stderr  # progress goes to stderr
