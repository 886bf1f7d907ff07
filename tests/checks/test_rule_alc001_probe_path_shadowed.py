from checkkit import marked

BAD = """
from django.urls import path
from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")  # <-
def healthz():
    return {"ok": True}


@app.get("/metrics/")  # <-
def metrics():
    return {}


urlpatterns = [path("readyz", healthz)]  # <-
"""

GOOD = """
import httpx
from fastapi import FastAPI

app = FastAPI()


@app.get("/status")
def status():
    return {"ok": True}


def ping():
    return httpx.get("/healthz")
"""

PYPROJECT = """
[project]
name = "svc"
version = "1"

[tool.aloft]
app = "app:app"
health_path = "/status"
"""


def test_reports_routes_on_aloft_probe_paths(check):
    assert check("ALC001", BAD) == marked(BAD)


def test_other_routes_and_client_calls_stay_quiet(check):
    assert check("ALC001", GOOD) == []


def test_probe_paths_come_from_the_project_config(tmp_path):
    from checkkit import write

    from aloft.checks.doctor.configure import doctor_options
    from aloft.checks.doctor.engine import Doctor, load_doctor_catalog

    write(tmp_path, {"pyproject.toml": PYPROJECT, "app.py": GOOD})
    catalog = load_doctor_catalog()
    report = Doctor(tmp_path, doctor_options(tmp_path, catalog), catalog).run()
    assert [(f.rule, f.location.line) for f in report.findings if f.rule == "ALC001"] == [
        ("ALC001", 7)
    ]
