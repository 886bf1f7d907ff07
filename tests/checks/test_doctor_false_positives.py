"""Regression tests for the false positives found on real services (issue 19, part 2).

Each test is written from scratch in the shape of the real case it stands for, and checks that
the rule stays quiet there while still reporting the genuine shape beside it.
"""

from __future__ import annotations

from checkkit import RunRule, marked

# ---- CFG002: settings defaults that the environment overrides ---------------------------------

PYDANTIC_SETTINGS = """
from pydantic import Field
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    redis_url: str = "redis://localhost:6379"
    inventory_url: str = Field(default="http://localhost:9740/")


class FundingSettings(Settings):
    sidecar_endpoint: str | None = Field(default="http://localhost:8765")
"""

STARLETTE_CONFIG = """
import os

from starlette.config import Config

config = Config(".env")
DATABASE_URL = config("DATABASE_URL", default="postgresql://localhost/app")
CACHE_URL = config("CACHE_URL", cast=str, default="redis://127.0.0.1:6379/0")
BROKER_URL = os.environ.get("BROKER_URL", "amqp://guest@localhost//")
SITE_URL = parser.get("site", "url", fallback="http://localhost")
CONFIG = {"redis": {"location": {"default": "redis://127.0.0.1:6379/1", "env": os.getenv("R")}}}
ENGINE = create_engine("postgresql://app@db.internal:5432/app")  # <-
"""

OVERRIDDEN_DEFAULT = """
class SidecarWallet:
    def __init__(self, settings):
        self.endpoint = "http://127.0.0.1:8765"
        if settings.external_endpoint:
            self.endpoint = settings.external_endpoint

    def other(self):
        self.url = "http://10.0.0.7:9000/api"  # <-
"""


def test_cfg002_settings_class_fields_are_defaults(check: RunRule) -> None:
    assert check("CFG002", PYDANTIC_SETTINGS, "settings.py") == []


def test_cfg002_config_lookups_defaults_and_fallbacks_are_defaults(check: RunRule) -> None:
    assert check("CFG002", STARLETTE_CONFIG) == marked(STARLETTE_CONFIG)


def test_cfg002_a_default_replaced_by_configuration_later_is_quiet(check: RunRule) -> None:
    assert check("CFG002", OVERRIDDEN_DEFAULT) == marked(OVERRIDDEN_DEFAULT)


def test_cfg002_a_public_https_api_host_is_the_same_everywhere(check: RunRule) -> None:
    code = 'from posthog import Posthog\nclient = Posthog("k", host="https://eu.posthog.com")\n'
    assert check("CFG002", code) == []


# ---- LOG001: migrations and one-off scripts ---------------------------------------------------

ALEMBIC_REVISION = '''
"""add orders table

Revision ID: 3f2a
"""
from alembic import op


def upgrade():
    print("creating orders")
    op.create_table("orders")
'''

CLI_MODULE = """
import getopt
import sys


def print_help():
    print("Usage: svc [options]")
    print("  -p PORT  listen port")


def main():
    opts, _ = getopt.getopt(sys.argv[1:], "hp:")
    if ("-h", "") in opts:
        print_help()
"""

DATA_MIGRATION = """
def dispatch(kind, db):
    print("Found %i orphans" % db.orphans())
"""


def test_log001_alembic_revisions_are_not_service_code(check: RunRule) -> None:
    assert check("LOG001", {"alembic/versions/3f2a_orders.py": ALEMBIC_REVISION}) == []
    assert check("LOG001", {"db/migrations/versions/3f2a.py": ALEMBIC_REVISION}) == []


def test_log001_help_text_of_a_command_line_entry_point_is_output(check: RunRule) -> None:
    assert check("LOG001", {"svc/__init__.py": CLI_MODULE}) == []


def test_log001_one_off_migration_and_script_modules_are_not_service_code(
    check: RunRule,
) -> None:
    assert check("LOG001", {"svc/migrate.py": DATA_MIGRATION}) == []
    assert check("LOG001", {"scripts/backfill.py": DATA_MIGRATION}) == []
    assert check("LOG001", {"svc/wallet.py": DATA_MIGRATION}) == [("svc/wallet.py", 2)]


# ---- CFG003: base settings that the production settings module overrides --------------------

BASE_SETTINGS = """
SECRET_KEY = None
DEBUG = True
ALLOWED_HOSTS = []
"""

PRODUCTION_SETTINGS = """
from .base import *  # noqa: F403

DEBUG = False
"""


def test_cfg003_debug_in_base_settings_is_overridden_per_environment(check: RunRule) -> None:
    files = {
        "shop/settings/base.py": BASE_SETTINGS,
        "shop/settings/production.py": PRODUCTION_SETTINGS,
    }
    assert check("CFG003", files) == []
    assert check("CFG003", {"shop/settings.py": BASE_SETTINGS}) == [("shop/settings.py", 2)]


# ---- CTR005: dev containers, and production stages that are not last -------------------------

DEVCONTAINER = """
FROM mcr.microsoft.com/devcontainers/python:3.12
RUN pip install -e .
"""

PRODUCTION_NOT_LAST = """
ARG PY=3.12
FROM python:${PY}-slim AS builder
RUN pip wheel -w /wheels .

FROM python:${PY}-slim AS runtime
COPY --from=builder /wheels /wheels
RUN pip install /wheels/*

FROM runtime AS test
USER app
RUN pytest
"""

INHERITED_USER = """
FROM python:3.12-slim AS base
RUN useradd app
USER app

FROM base AS runtime
COPY . /app
"""


def test_ctr005_a_devcontainer_runs_on_a_developers_machine(check: RunRule) -> None:
    assert check("CTR005", {".devcontainer/Dockerfile": DEVCONTAINER}) == []


def test_ctr005_a_production_stage_without_user_is_reported_even_when_not_last(
    check: RunRule, messages: object
) -> None:
    assert check("CTR005", {"Dockerfile": PRODUCTION_NOT_LAST}) == [("Dockerfile", 5)]


def test_ctr005_user_is_inherited_from_an_earlier_stage(check: RunRule) -> None:
    assert check("CTR005", {"Dockerfile": INHERITED_USER}) == []


# ---- STA002, CFG001, ASY001, LOG002, STA004 ---------------------------------------------------

TEST_SETTINGS = """
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
"""

ERROR_CODES = """
import enum


class ErrorCode(enum.StrEnum):
    USER_CREATE_INVALID_PASSWORD = "USER_CREATE_INVALID_PASSWORD"
    OAUTH_PROVIDER_REFRESH_TOKEN_ERROR = "OAUTH_PROVIDER_REFRESH_TOKEN_ERROR"


FORGOT_PASSWORD = "forgot_password"
API_TOKEN = "q7Zt_93LmX0vR2kP8sWd4Jf6"  # <-
"""

ASYNC_SCRIPT = """
import argparse
import asyncio

import requests


async def main():
    args = argparse.ArgumentParser().parse_args()
    requests.get("https://example.org")


asyncio.run(main())
"""

OPT_IN_LOG_FILE = """
import logging
import os

log_file = os.getenv("APP_LOG")
if log_file:
    handler = logging.FileHandler(log_file)


def setup(conf):
    if conf.get("general", "log-file"):
        logging.getLogger().addHandler(logging.FileHandler(conf.get("general", "log-file")))
    logging.getLogger().addHandler(logging.FileHandler("/var/log/svc.log"))  # <-
"""

SQLITE_PREFIX = """
def make_url(url):
    if url.startswith("sqlite:////tmp"):
        return url
    return url
"""


def test_sta002_test_and_dev_settings_run_one_process(check: RunRule) -> None:
    assert check("STA002", {"shop/settings/test.py": TEST_SETTINGS}) == []
    assert check("STA002", {"shop/settings_dev.py": TEST_SETTINGS}) == []
    assert check("STA002", {"shop/settings/production.py": TEST_SETTINGS}) == [
        ("shop/settings/production.py", 1)
    ]


def test_cfg001_an_enum_value_that_names_itself_is_not_a_token(check: RunRule) -> None:
    assert check("CFG001", ERROR_CODES, "errors.py") == marked(ERROR_CODES, "errors.py")


def test_asy001_a_command_line_script_has_no_loop_to_block(check: RunRule) -> None:
    assert check("ASY001", {"tools_sync.py": ASYNC_SCRIPT}) == []


def test_log002_a_log_file_the_operator_asks_for_is_quiet(check: RunRule) -> None:
    assert check("LOG002", OPT_IN_LOG_FILE) == marked(OPT_IN_LOG_FILE)


def test_sta004_a_sqlite_url_prefix_in_a_test_is_not_a_database(check: RunRule) -> None:
    assert check("STA004", SQLITE_PREFIX) == []


# ---- STA001, CFG005, CFG003: more shapes from the corpus --------------------------------------

MEMO_CACHE = """
import os
import time

from flask import Flask

app = Flask(__name__)
_fingerprints = {}
_sessions = {}


def fingerprint(group, filename):
    token = _fingerprints.get((group, filename))
    if token is None:
        token = str(os.stat(os.path.join(group, filename)).st_mtime)
        _fingerprints[(group, filename)] = token
    return token


@app.get("/static-token/<group>/<name>")
def static_token(group, name):
    return fingerprint(group, name)


@app.post("/session/<sid>")
def start(sid):
    _sessions[sid] = time.time()  # <-
    return "ok"
"""


def test_sta001_a_memo_of_derived_values_is_not_per_replica_state(check: RunRule) -> None:
    assert check("STA001", MEMO_CACHE) == marked(MEMO_CACHE)


def test_cfg005_a_numeric_default_of_a_token_budget_is_not_a_secret(check: RunRule) -> None:
    code = 'import os\nBUDGET = int(os.getenv("LLM_TOKEN_BUDGET_MONTH", "0"))\n'
    assert check("CFG005", code) == []
    leaked = 'import os\nKEY = os.getenv("API_TOKEN", "tok_live_93LmX0vR2kP8")\n'
    assert check("CFG005", leaked) == [("app.py", 2)]


def test_cfg003_a_librarys_own_debug_switch_is_not_debug_mode(check: RunRule) -> None:
    code = "import apprise\napobj = apprise.Apprise(debug=True)\n"
    assert check("CFG003", code) == []


# ---- vendored code: found on the hold-out projects (datasette vendors pint) -------------------

VENDORED_SCRIPT = """
import tokenize

for line in ["1 + 2"]:
    print(line)
"""


def test_vendored_third_party_code_is_not_the_services(check: RunRule) -> None:
    files = {"svc/vendored/pint/toktest.py": VENDORED_SCRIPT, "svc/_vendor/x.py": VENDORED_SCRIPT}
    assert check("LOG001", files) == []
    assert check("LOG001", {"svc/tokens.py": VENDORED_SCRIPT}) == [("svc/tokens.py", 4)]


# ---- the second hold-out round (zou, dstack), judged before these changes ---------------------

I18N = """
MESSAGES = {
    "de": {"auth_password_recovery_title": "Passwort-Wiederherstellung"},
}
_SECRET_NAME_REGEX = "^[A-Za-z0-9-_]{1,200}$"


def is_key(text):
    return text.startswith("-----BEGIN PRIVATE KEY-----")
"""

TUNNELS = """
import httpx
import redis

from .ssh import IPSocket, SSHTunnel

tunnel = SSHTunnel(remote=IPSocket(host="localhost", port=8000), hostname="localhost")
sidecar = httpx.AsyncClient(base_url="http://127.0.0.1", headers={"Host": "svc.example"})
NGINX_STATUS_URL = "http://127.0.0.1:8080/status"  # <-
cache = redis.Redis(host="localhost")  # <-
"""

CLI_LOG_FILE = """
import logging


def configure(log_file):
    logging.getLogger().addHandler(logging.FileHandler(log_file))
"""

LIFESPAN = """
import contextlib
import subprocess

from fastapi import FastAPI


@contextlib.asynccontextmanager
async def lifespan(app):
    subprocess.run(["ssh", "-V"])
    yield


app = FastAPI(lifespan=lifespan)
"""

ARGV_MODULE = """
import json
import sys


def payload():
    return json.loads(sys.argv[1])


def check(config):
    if "version" not in config:
        print("unsupported payload", file=sys.stderr)
"""


def test_cfg001_translations_regexes_and_key_headers_are_not_secrets(check: RunRule) -> None:
    assert check("CFG001", I18N) == []


def test_cfg002_tunnels_and_sidecars_on_loopback_are_not_endpoints(check: RunRule) -> None:
    assert check("CFG002", TUNNELS) == marked(TUNNELS)


def test_log002_a_log_file_path_passed_in_is_the_callers_choice(check: RunRule) -> None:
    assert check("LOG002", {"svc/cli/logs.py": CLI_LOG_FILE, "svc/logs.py": CLI_LOG_FILE}) == []


def test_asy001_blocking_in_a_lifespan_hook_delays_start_up_not_requests(check: RunRule) -> None:
    assert check("ASY001", LIFESPAN) == []


def test_log001_a_module_that_reads_sys_argv_is_a_command(check: RunRule) -> None:
    assert check("LOG001", {"svc/remote/payload.py": ARGV_MODULE}) == []


# ---- the third hold-out round (gramps-webapi, radicale), judged before these changes ----------

VERSIONED_PATTERN = """
TOKEN_PATTERN_V1: str = "v1/[a-zA-Z0-9_\\\\-]{44}"
API_TOKEN_RE = r"^[A-Za-z0-9]{32}$"
"""

DEVCONTAINER_SINGLE_STAGE = """
FROM mcr.microsoft.com/devcontainers/python:3.11
RUN pip install -r requirements-dev.txt
COPY . /workspace
RUN pip install -e /workspace
"""


def test_cfg001_a_regex_describing_tokens_is_not_a_token(check: RunRule) -> None:
    assert check("CFG001", VERSIONED_PATTERN) == []


def test_dockerfile_rules_leave_dev_containers_alone(check: RunRule) -> None:
    for rule in ("CTR005", "CTR006", "CTR007", "CTR008"):
        assert check(rule, {".devcontainer/Dockerfile": DEVCONTAINER_SINGLE_STAGE}) == [], rule
