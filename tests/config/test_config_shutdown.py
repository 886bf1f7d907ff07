"""The shutdown budget: one function answers whether a pod's grace period covers its drain, and
the renderer, `aloft k8s check` REL008 and `aloft doctor` ALC002 all take its answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aloft.checks.doctor.configure import doctor_options
from aloft.checks.doctor.engine import Doctor, load_doctor_catalog
from aloft.checks.kube.engine import CheckOptions, KubeChecker, rendered_documents
from aloft.config import load_config
from aloft.config.shutdown import GRACE_MARGIN, shutdown
from aloft.exceptions import ConfigError
from aloft.kube.render import render
from aloft.kube.versions import KubeVersion

IMAGE = "registry.example/shop@sha256:" + "a" * 64
APP = 'def app(environ, start_response):\n    return [b""]\n'


def test_an_unset_grace_is_the_need_plus_the_margin_rounded_up() -> None:
    budget = shutdown(None, drain_delay=5, drain_timeout=20.5)
    assert budget.needed == 25.5
    assert budget.grace == 31 == 25.5 + GRACE_MARGIN + 0.5
    assert budget.derived and not budget.overruns


def test_needing_the_whole_grace_period_already_overruns() -> None:
    assert shutdown(25, drain_delay=5, drain_timeout=20).overruns
    assert shutdown(24, drain_delay=5, drain_timeout=20).overruns
    assert not shutdown(26, drain_delay=5, drain_timeout=20).overruns


def test_a_prestop_hook_counts_toward_the_need_and_the_fix_fits() -> None:
    budget = shutdown(30, prestop=30, drain_delay=2)
    assert budget.needed == 32 and budget.overruns
    assert budget.least_grace == 33
    assert not shutdown(budget.least_grace, prestop=30, drain_delay=2).overruns


def test_an_explicit_zero_grace_is_not_taken_for_unset() -> None:
    """A manifest may say terminationGracePeriodSeconds: 0 (kill at once): no drain fits."""
    budget = shutdown(0, prestop=1)
    assert not budget.derived and budget.overruns


def _project(root: Path, grace: int) -> Path:
    (root / "app.py").write_text(APP)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.aloft]\napp = "app:app"\n'
        "drain_delay = 5\ndrain_timeout = 20\n"
        f"\n[tool.aloft.kubernetes]\ntermination_grace = {grace}\n"
    )
    return root


def _deployment(grace: int, prestop: int) -> dict[str, Any]:
    container = {
        "name": "web",
        "image": IMAGE,
        "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", f"sleep {prestop}"]}}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"terminationGracePeriodSeconds": grace, "containers": [container]},
            },
        },
    }


@pytest.mark.parametrize("grace", [24, 25, 26, 40])
def test_renderer_rel008_and_alc002_refuse_exactly_what_the_budget_overruns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grace: int
) -> None:
    for name in ("ALOFT_ENV", "ALOFT_DRAIN_DELAY", "ALOFT_DRAIN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    overruns = shutdown(grace, drain_delay=5, drain_timeout=20).overruns
    root = _project(tmp_path, grace)
    try:
        rendered = render(load_config(root), IMAGE, KubeVersion.latest())
        refused = False
    except ConfigError:
        refused = True
    assert refused is overruns
    if not refused:
        [pod] = [o for o in rendered.objects if o["kind"] == "Deployment"]
        assert pod["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == grace
    # The same 25 s as a preStop sleep in a manifest aloft did not write.
    docs = rendered_documents([_deployment(grace, 25)], "m.yaml")
    report = KubeChecker(CheckOptions(KubeVersion.latest())).run(docs, ".", {})
    assert any(f.rule == "REL008" for f in report.findings) is overruns
    catalog = load_doctor_catalog()
    doctor = Doctor(root, doctor_options(root, catalog), catalog).run()
    assert any(f.rule == "ALC002" for f in doctor.findings) is overruns


def test_the_rendered_grace_is_the_derived_one(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.aloft]\napp = "app:app"\n'
        "drain_delay = 3\ndrain_timeout = 7.5\n"
    )
    rendered = render(load_config(tmp_path, environ={}), IMAGE, KubeVersion.latest())
    [pod] = [o for o in rendered.objects if o["kind"] == "Deployment"]
    grace = pod["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace == shutdown(None, drain_delay=3, drain_timeout=7.5).grace == 16
