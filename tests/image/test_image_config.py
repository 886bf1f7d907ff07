"""`[tool.aloft.image]`: validated like every other section, one line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from aloft.config import load_config
from aloft.exceptions import ConfigError

PYPROJECT = '[project]\nname = "svc"\n\n[tool.aloft]\napp = "svc:app"\n\n[tool.aloft.image]\n'


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + body)
    return tmp_path


def test_defaults_build_for_amd64_as_uid_65532(tmp_path: Path) -> None:
    image = load_config(_write(tmp_path, ""), environ={}).config.image
    assert image.platforms == ["linux/amd64"]
    assert image.user == 65532
    assert image.base == ""


def test_platforms_from_the_environment(tmp_path: Path) -> None:
    environ = {"ALOFT_IMAGE__PLATFORMS": "linux/amd64,linux/arm64"}
    image = load_config(_write(tmp_path, ""), environ=environ).config.image
    assert image.platforms == ["linux/amd64", "linux/arm64"]


def test_root_user_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, "user = 0\n"), environ={})
    assert "[tool.aloft.image] user = 0: the image must run as a non-root user" in str(caught.value)


def test_unknown_platform_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, 'platforms = ["windows/amd64"]\n'), environ={})
    assert "platform 'windows/amd64': use linux/amd64 or linux/arm64" in str(caught.value)
