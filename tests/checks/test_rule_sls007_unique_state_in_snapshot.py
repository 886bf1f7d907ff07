from checkkit import marked

PYPROJECT = """
[project]
name = "shop"
requires-python = "==3.12.*"

[tool.aloft]
app = "shop.main:app"

[tool.aloft.lambda.functions.api]
snap_start = {api}

[tool.aloft.lambda.functions.jobs]
handler = "shop.jobs.handler"
events = [{{ type = "schedule", expression = "rate(5 minutes)" }}]
"""

MAIN = """
import random
import uuid

import psycopg
from fastapi import FastAPI

from shop import db

random.seed(42)  # <-
INSTANCE = uuid.uuid4().hex  # <-
app = FastAPI()


def token():
    return uuid.uuid4().hex  # per call: fine
"""

DB = """
import numpy as np
import psycopg

rng = np.random.default_rng(7)  # <-
conn = psycopg.connect("postgresql://db/shop")  # <-


class Pool:
    warm = psycopg.connect("postgresql://db/shop")  # <-

    def get(self):
        return psycopg.connect("postgresql://db/shop")  # on use: fine
"""

JOBS = """
import random

random.seed(1)


def handler(event, context):
    return random.random()
"""

HOOKED = """
import socket

from aloft.runtime.aws_lambda import snapstart

conn = socket.create_connection(("db", 5432))


@snapstart.before_snapshot
def close():
    conn.close()


@snapstart.after_restore
def reopen():
    global conn
    conn = socket.create_connection(("db", 5432))
"""


def project(snap_start: bool, **extra: str) -> dict[str, str]:
    return {
        "pyproject.toml": PYPROJECT.format(api="true" if snap_start else "false"),
        "shop/__init__.py": "",
        "shop/main.py": MAIN,
        "shop/db.py": DB,
        "shop/jobs.py": JOBS,
        **extra,
    }


def test_reports_state_made_at_import_in_what_a_snap_start_function_imports(check, messages):
    files = project(True)
    assert check("SLS007", files) == marked({"shop/main.py": MAIN, "shop/db.py": DB})
    found = messages("SLS007", files)
    assert "random.seed() at import seeds randomness that every SnapStart copy shares" in found
    assert (
        "psycopg.connect() at import opens a connection that a SnapStart snapshot freezes" in found
    )


def test_functions_without_snap_start_stay_quiet(check):
    """jobs.py seeds at import too, but its function restores nothing from a snapshot."""
    assert check("SLS007", project(False)) == []


def test_a_module_that_reopens_after_restore_stays_quiet(check):
    main = MAIN.replace("from shop import db", "from shop import db, hooked")
    files = project(True, **{"shop/main.py": main, "shop/hooked.py": HOOKED})
    assert [path for path, _ in check("SLS007", files) if path == "shop/hooked.py"] == []


def test_the_same_module_without_its_restore_hook_is_reported(check):
    unhooked = HOOKED.split("@snapstart.after_restore", maxsplit=1)[0]
    main = MAIN.replace("from shop import db", "from shop import db, hooked")
    files = project(True, **{"shop/main.py": main, "shop/hooked.py": unhooked})
    assert ("shop/hooked.py", 5) in check("SLS007", files)
