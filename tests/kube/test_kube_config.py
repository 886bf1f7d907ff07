"""Bad [tool.aloft.kubernetes] input: one line naming file, field and fix; exit 2, no output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kubekit import aloft, render_project, write_project

from aloft.exceptions import ConfigError


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            '[tool.aloft.kubernetes]\ncpu = "2 cores"\n',
            'cpu = "2 cores": not a Kubernetes quantity; use a value such as "2" or "500m"',
        ),
        ('[tool.aloft.kubernetes]\nmemroy = "1Gi"\n', "memroy: unknown key (did you mean memory?)"),
        (
            '[tool.aloft.kubernetes]\nliveness_path = "/health"\n',
            'liveness_path = "/health": the app does not serve it',
        ),
        (
            '[tool.aloft.kubernetes]\nenv = { DB_PASSWORD = "hunter2" }\n',
            "env DB_PASSWORD looks like a secret value in plain config",
        ),
        (
            '[tool.aloft.kubernetes]\nenv = { DATABASE_URL = "postgres://app:s3cret@db/app" }\n',
            "env DATABASE_URL looks like a secret value",
        ),
        ('[tool.aloft.kubernetes]\nsecret_env = { DB = "hunter2" }\n', 'use "secret-name:key"'),
        (
            "[tool.aloft.kubernetes]\ntermination_grace = 10\n",
            "termination_grace = 10: shorter than drain_delay + drain_timeout",
        ),
        (
            "[tool.aloft.kubernetes.autoscaling]\nmin_replicas = 1\n",
            "min_replicas must be at least 2",
        ),
    ],
)
def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, extra: str, expected: str) -> None:
    project = write_project(tmp_path, extra)
    out_dir = tmp_path / "out"
    result = aloft("k8s", "render", "--project", str(project), "--out", str(out_dir))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "pyproject.toml" in lines[0]
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not out_dir.exists()


def test_quantity_forms_kubernetes_accepts_are_accepted(tmp_path: Path) -> None:
    for cpu, memory in (("2", "1Gi"), ("1500m", "512M"), ("0.5", "1e9")):
        project = write_project(
            tmp_path / cpu, f'[tool.aloft.kubernetes]\ncpu = "{cpu}"\nmemory = "{memory}"\n'
        )
        assert render_project(project).objects


def test_identical_probe_paths_are_refused(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    text = (
        (project / "pyproject.toml")
        .read_text()
        .replace("drain_delay = 5", 'drain_delay = 5\nhealth_path = "/ok"\nready_path = "/ok"')
    )
    (project / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError, match="liveness and readiness must differ"):
        render_project(project)


def test_render_writes_yaml_to_stdout_and_a_file_atomically(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    image = "registry.example/shop@sha256:" + "c" * 64
    stdout = aloft("k8s", "render", "--project", str(project), "--image", image)
    assert stdout.returncode == 0, stdout.stderr
    assert image in stdout.stdout
    written = aloft(
        "k8s", "render", "--project", str(project), "--image", image, "--out", str(tmp_path / "o")
    )
    assert written.returncode == 0
    assert (tmp_path / "o" / "manifests.yaml").read_text() == stdout.stdout
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["manifests.yaml"]


def test_image_record_from_aloft_build_is_accepted(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    record = tmp_path / "build.json"
    ref = "127.0.0.1:5000/shop@sha256:" + "d" * 64
    record.write_text(json.dumps({"reference": ref, "digest": "sha256:" + "d" * 64}))
    result = aloft("k8s", "render", "--project", str(project), "--image-record", str(record))
    assert result.returncode == 0, result.stderr
    assert f"image: {ref}" in result.stdout
    record.write_text("{}")
    bad = aloft("k8s", "render", "--project", str(project), "--image-record", str(record))
    assert bad.returncode == 2
    assert 'no "reference" key' in bad.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "redis://:pw@cache:6379/0"),  # an empty user name
        ("DB_PASS", "hunter2"),
        ("PGPASS", "db:5432:shop:app:hunter2"),
        ("SQL_CONNECTION", "Server=db,1433;Database=shop;User Id=sa;Password=Xk9#mQ2;"),
        ("PAYMENTS", "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ],
)
def test_configmap_guard_refuses_every_secret_shape_of_issue_13(
    tmp_path: Path, name: str, value: str
) -> None:
    project = write_project(tmp_path, f"[tool.aloft.kubernetes]\nenv = {{ {name} = '{value}' }}\n")
    with pytest.raises(ConfigError, match=f"env {name} looks like a secret value in plain config"):
        render_project(project)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "redis://redis:6379/0"),
        ("DB_PASSWORD_FILE", "/run/secrets/db"),
        ("PGSSLMODE", "require"),
        ("TOKEN_URL", "https://oauth2.googleapis.com/token"),
        ("BUILD_SHA", "3f786850e387550fdab836ed7e6dc881de23001b"),
    ],
)
def test_configmap_guard_lets_plain_config_through(tmp_path: Path, name: str, value: str) -> None:
    project = write_project(tmp_path, f"[tool.aloft.kubernetes]\nenv = {{ {name} = '{value}' }}\n")
    config_map = next(o for o in render_project(project).objects if o["kind"] == "ConfigMap")
    assert config_map["data"][name] == value


def test_configmap_guard_refuses_a_config_file_holding_a_private_key(tmp_path: Path) -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----"
    table = f'[tool.aloft.kubernetes]\nfiles = {{ "tls.key" = "{key}" }}\n'
    with pytest.raises(ConfigError, match=r"files 'tls\.key' holds a private key"):
        render_project(write_project(tmp_path, table))
