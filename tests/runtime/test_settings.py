"""Typed settings from the environment and secret files; secrets never shown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from aloft.runtime import Secret, SettingsError, load_settings
from aloft.runtime.redact import redact


@dataclass
class AppSettings:
    database_url: str
    api_key: Secret
    port: int = 8000
    ratio: float = 0.5
    debug: bool = False
    hosts: tuple[str, ...] = ("localhost",)
    mode: str | None = None


def test_values_are_converted_to_their_declared_types() -> None:
    settings = load_settings(
        AppSettings,
        environ={
            "DATABASE_URL": "postgres://db/x",
            "API_KEY": "k-123456",
            "PORT": "9001",
            "RATIO": "0.25",
            "DEBUG": "yes",
            "HOSTS": "a.example, b.example",
        },
        secrets_dir=None,
    )
    assert settings.port == 9001 and settings.ratio == 0.25 and settings.debug is True
    assert settings.hosts == ("a.example", "b.example") and settings.mode is None
    assert settings.api_key.reveal() == "k-123456"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(AppSettings, environ={"PORT": "http", "DEBUG": "maybe"}, secrets_dir=None)
    assert caught.value.problems == [
        "missing DATABASE_URL (str)",
        "missing API_KEY (secret)",
        "PORT: expected an integer",
        "DEBUG: expected a boolean (true/false, 1/0, yes/no, on/off)",
    ]


def test_secret_values_never_appear_in_repr_errors_or_redacted_text(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("sup3r-s3cret-value\n")
    settings = load_settings(
        AppSettings, environ={"DATABASE_URL": "x", "API_KEY_FILE": str(key_file)}, secrets_dir=None
    )
    assert settings.api_key.reveal() == "sup3r-s3cret-value"  # trailing newline of the file dropped
    assert "sup3r" not in repr(settings) and "sup3r" not in str(settings.api_key)
    assert redact("token=sup3r-s3cret-value;") == "token=**********;"


def test_secrets_directory_is_read_by_variable_or_field_name(tmp_path: Path) -> None:
    (tmp_path / "api_key").write_text("from-mounted-secret")
    settings = load_settings(AppSettings, environ={"DATABASE_URL": "x"}, secrets_dir=str(tmp_path))
    assert settings.api_key.reveal() == "from-mounted-secret"


def test_env_wins_over_file_and_prefix_applies(tmp_path: Path) -> None:
    (tmp_path / "APP_API_KEY").write_text("file")
    settings = load_settings(
        AppSettings,
        prefix="APP_",
        environ={"APP_DATABASE_URL": "x", "APP_API_KEY": "from-env"},
        secrets_dir=str(tmp_path),
    )
    assert settings.api_key.reveal() == "from-env"


def test_unreadable_secret_file_is_a_reported_problem(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"API_KEY_FILE: cannot read .*/absent"):
        load_settings(
            AppSettings, environ={"DATABASE_URL": "x", "API_KEY_FILE": str(tmp_path / "absent")}
        )


def test_invalid_secret_value_is_reported_without_the_value() -> None:
    @dataclass
    class Numbers:
        pin: int

    with pytest.raises(SettingsError) as caught:
        load_settings(Numbers, environ={"PIN": "hunter2-not-a-number"}, secrets_dir=None)
    assert "hunter2" not in str(caught.value)
