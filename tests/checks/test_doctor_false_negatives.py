"""What doctor missed on real services (issue 19, part 3), each now caught, in the shape of the
real case."""

from __future__ import annotations

from checkkit import RunRule, marked

# ---- ASY001: blocking calls reached through a helper or a client object ----------------------

THROUGH_HELPERS = """
import psycopg2
import requests
from fastapi import FastAPI

app = FastAPI()


def fetch_rates(currency):
    return requests.get(f"https://rates.example/{currency}").json()


def load_user(user_id):
    conn = psycopg2.connect("")
    return conn.cursor().execute("select 1")


def user_with_rates(user_id):
    return load_user(user_id), fetch_rates("EUR")


class PaymentsClient:
    def __init__(self):
        self.http = requests.Session()

    def charge(self, amount):
        return self.http.post("https://pay.example/charge", json={"amount": amount})

    async def refund(self, charge_id):
        return self.http.post("https://pay.example/refund", json={"id": charge_id})  # <-


payments = PaymentsClient()


@app.get("/users/{user_id}")
async def get_user(user_id: int):
    user, rates = user_with_rates(user_id)  # <-
    payments.charge(10)  # <-
    return {"user": user, "rates": rates}


@app.get("/ok")
async def fine():
    return {"rates": "cached"}
"""


def test_asy001_sync_calls_through_helpers_and_client_objects(check: RunRule) -> None:
    assert check("ASY001", THROUGH_HELPERS) == marked(THROUGH_HELPERS)


# ---- CFG005: secret defaults behind an env lookup and in settings fields -----------------------

SECRET_DEFAULTS = """
import os

from pydantic_settings import BaseSettings

SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-signing-key-8f2a"  # <-


class Settings(BaseSettings):
    jwt_secret: str = "a-very-long-development-secret"  # <-
    api_token: str | None = None
    log_level: str = "info"
"""


def test_cfg005_or_fallbacks_and_settings_field_defaults(check: RunRule) -> None:
    assert check("CFG005", SECRET_DEFAULTS, "settings.py") == marked(SECRET_DEFAULTS, "settings.py")


# ---- CFG004: ALLOWED_HOSTS from the environment with '*' as its default -----------------------

ALLOWED = """
import os

ALLOWED_HOSTS = os.getenv("ALLOWED_HOSTS", "*").split(",")  # <-
CSRF_TRUSTED_ORIGINS = os.getenv("CSRF_TRUSTED_ORIGINS", "*").split(",")
"""


def test_cfg004_allowed_hosts_defaulting_to_a_wildcard(check: RunRule) -> None:
    assert check("CFG004", ALLOWED, "shop/wsgi_config.py") == marked(ALLOWED, "shop/wsgi_config.py")


# ---- STA001: a cache from another module, and a framework object written per request ---------

CACHE_MODULE = """
RESULTS_CACHE = {}
"""

HANDLERS = """
from fastapi import FastAPI

from .cache import RESULTS_CACHE

app = FastAPI()


@app.get("/report/{day}")
def report(day: str):
    RESULTS_CACHE[day] = compute(day)  # <-
    app.state.last_day = day  # <-
    return RESULTS_CACHE[day]


def compute(day):
    return day
"""


def test_sta001_cross_module_cache_and_framework_object_writes(check: RunRule) -> None:
    files = {"svc/cache.py": CACHE_MODULE, "svc/api.py": HANDLERS}
    assert check("STA001", files) == marked({"svc/api.py": HANDLERS})


# ---- SLS002: thread pools created at import --------------------------------------------------

POOL_AT_IMPORT = """
from concurrent.futures import ThreadPoolExecutor

executor = ThreadPoolExecutor(max_workers=8)
warmup = executor.submit(print, "warming caches")  # <-
idle = ThreadPoolExecutor(max_workers=2)
"""


def test_sls002_thread_pool_started_at_import(check: RunRule) -> None:
    assert check("SLS002", POOL_AT_IMPORT) == marked(POOL_AT_IMPORT)


# ---- SLS001: an SDK or LLM client built on every request --------------------------------------

LLM_PER_REQUEST = """
import openai
from fastapi import FastAPI

app = FastAPI()


@app.post("/summarise")
async def summarise(text: str):
    client = openai.AsyncOpenAI()  # <-
    reply = await client.responses.create(model="gpt-4.1-mini", input=text)
    return {"summary": reply.output_text}
"""


def test_sls001_llm_client_per_request(check: RunRule) -> None:
    assert check("SLS001", LLM_PER_REQUEST) == marked(LLM_PER_REQUEST)


# ---- STA004: FileSystemStorage uploads and /tmp files shared between processes ---------------

DJANGO_STORAGE = """
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # <-
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
"""

UPLOAD_VIEW = """
import json

from django.core.files.storage import FileSystemStorage

STATE_FILE = "/tmp/import-progress.json"


def upload(request):
    storage = FileSystemStorage()  # <-
    storage.save(request.FILES["f"].name, request.FILES["f"])
    with open(STATE_FILE, "w") as fh:  # <-
        json.dump({"done": 0}, fh)
"""


def test_sta004_filesystem_storage_settings(check: RunRule) -> None:
    assert check("STA004", {"shop/settings.py": DJANGO_STORAGE}) == marked(
        {"shop/settings.py": DJANGO_STORAGE}
    )


def test_sta004_filesystem_storage_uploads_and_shared_tmp_files(check: RunRule) -> None:
    assert check("STA004", {"shop/views.py": UPLOAD_VIEW}) == marked({"shop/views.py": UPLOAD_VIEW})


def test_cfg005_a_settings_field_read_from_the_environment_has_no_literal_default(
    check: RunRule,
) -> None:
    code = (
        "import os\n\n\nclass Config:\n"
        '    SECRET_KEY = os.getenv("APP_SECRET_KEY")\n'
        '    JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY", os.getenv("APP_SECRET_KEY"))\n'
    )
    assert check("CFG005", code, "config.py") == []


CRUD_MODULE = """
import psycopg2


def get_order(order_id):
    conn = psycopg2.connect("")
    return conn.cursor().execute("select 1")


def order_key(order_id):
    return f"order:{order_id}"
"""

ROUTES_MODULE = """
import asyncio

from fastapi import FastAPI

from shop import crud
from shop.crud import get_order, order_key

app = FastAPI()


@app.get("/orders/{order_id}")
async def read_order(order_id: int):
    key = order_key(order_id)
    order = get_order(order_id)  # <-
    again = crud.get_order(order_id)  # <-
    fine = await asyncio.to_thread(crud.get_order, order_id)
    return {"key": key, "order": order, "again": again, "fine": fine}
"""


def test_asy001_blocking_helpers_of_another_module(check: RunRule) -> None:
    files = {"shop/crud.py": CRUD_MODULE, "shop/routes.py": ROUTES_MODULE}
    assert check("ASY001", files) == marked({"shop/routes.py": ROUTES_MODULE})
