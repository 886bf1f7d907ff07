"""The loader over the schema: every bad value one line at its place, ALOFT_* strings converted
as users write them, and the config verbs start without pydantic (issue 16 §5)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aloft.config import load_config, schema
from aloft.exceptions import ConfigError

ROOT = Path(__file__).resolve().parents[2]
BASE = '[project]\nname = "shop"\nversion = "1.0"\n\n[tool.aloft]\napp = "shop:app"\n'


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(BASE + text, encoding="utf-8")
    return tmp_path


def error_of(project: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(project, environ=environ or {})
    return str(caught.value)


def test_an_unknown_key_in_a_function_table_lists_that_tables_keys(tmp_path: Path) -> None:
    """Before the schema the walk stopped at `functions` (a table of tables): 'known keys: '."""
    project = write(tmp_path, "\n[tool.aloft.lambda.functions.api]\nmemroy = 1024\n")
    line = error_of(project)
    assert line.endswith(
        "[tool.aloft.lambda.functions.api] memroy: unknown key (did you mean memory?); known keys:"
        " deployment, environment, events, handler, idempotency, maximum_retry_attempts, memory,"
        " provisioned_concurrency, reserved_concurrency, secrets, snap_start, stream, timeout"
    )


def test_an_unknown_key_in_an_event_lists_the_event_keys(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        '\n[tool.aloft.lambda.functions.worker]\nevents = [{ type = "sqs", queue = "q",'
        " batch = 5 }]\n",
    )
    line = error_of(project)
    assert (
        "batch: unknown key (did you mean batch_size?); known keys: batch_size, expression," in line
    )


def test_an_unknown_key_in_an_optional_table_lists_its_keys(tmp_path: Path) -> None:
    project = write(tmp_path, '\n[tool.aloft.kubernetes.ingress]\nhost = "a.b"\nhots = "x"\n')
    assert "hots: unknown key (did you mean host?); known keys: class_name, host, path" in (
        error_of(project)
    )


def test_every_bad_value_is_one_line_at_its_place(tmp_path: Path) -> None:
    project = write(
        tmp_path,
        'port = "eighty"\n\n[tool.aloft.lambda.functions.api]\nmemory = 64\n'
        '\n[tool.aloft.kubernetes]\ncpu = "2 cores"\n',
    )
    lines = error_of(project).splitlines()
    assert len(lines) == 3, lines
    assert lines[0].endswith(
        '[tool.aloft] port = "eighty": not a whole number; use an integer such as 8000'
    )
    assert lines[1].endswith("[tool.aloft.lambda.functions.api] memory = 64: must be at least 128")
    assert lines[2].endswith(
        '[tool.aloft.kubernetes] cpu = "2 cores": not a Kubernetes quantity;'
        ' use a value such as "2" or "500m"'
    )


def test_environment_strings_become_the_declared_types(tmp_path: Path) -> None:
    project = write(tmp_path, "")
    resolved = load_config(
        project,
        environ={
            "ALOFT_PORT": "8001",
            "ALOFT_ACCESS_LOG": "off",
            "ALOFT_OBSERVE_PROBES": "yes",
            "ALOFT_LOG_SAMPLE_RATE": "0.5",
            "ALOFT_GC_THRESHOLDS": "50000,20,20",
            "ALOFT_KUBERNETES__AUTOSCALING__MIN_REPLICAS": "3",
            "ALOFT_COST__BUDGET_USD": "10",
            "ALOFT_IMAGE__PLATFORMS": "linux/amd64,linux/arm64",
        },
    )
    config = resolved.config
    assert (config.serve.port, config.serve.access_log, config.serve.observe_probes) == (
        8001,
        False,
        True,
    )
    assert config.serve.log_sample_rate == 0.5
    assert config.serve.gc_thresholds == (50000, 20, 20)
    assert config.kubernetes.autoscaling.min_replicas == 3
    assert config.cost.budget_usd == 10.0
    assert config.image.platforms == ["linux/amd64", "linux/arm64"]


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    line = error_of(write(tmp_path, ""), {"ALOFT_ACCESS_LOG": "sometimes"})
    assert line == "environment ALOFT_ACCESS_LOG='sometimes': not a boolean; use true or false"


def test_a_function_remembers_which_settings_were_written(tmp_path: Path) -> None:
    project = write(tmp_path, "\n[tool.aloft.lambda.functions.api]\ntimeout = 20\n")
    api = load_config(project, environ={}).config.lambda_.functions["api"]
    assert schema.given(api) == {"timeout"}


def test_any_tag_key_is_kept_and_shown(tmp_path: Path) -> None:
    project = write(tmp_path, '\n[tool.aloft.tags]\nteam = "pay"\nowner = "ann"\n')
    from aloft.config import flatten

    config = load_config(project, environ={"ALOFT_TAGS__TIER": "gold"}).config
    assert config.tags.as_dict() == {"team": "pay", "owner": "ann", "tier": "gold"}
    assert flatten(config)["tags.owner"] == "ann"


@pytest.mark.parametrize(
    "argv",
    [
        ["config", "show"],
        ["k8s", "render", "--image", "registry.example/shop@sha256:" + "a" * 64],
    ],
    ids=["config show", "k8s render"],
)
def test_the_config_verbs_start_without_pydantic(argv: list[str]) -> None:
    """pydantic and its models were a third of these verbs' start-up; nothing on their path may
    bring it back unnoticed."""
    probe = (
        "import sys\n"
        "from aloft.cli import main\n"
        "try:\n    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        cwd=ROOT / "examples" / "fastapi",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 100  # the verb did its work
    assert done.stderr.strip().splitlines()[-1] == "[]"
