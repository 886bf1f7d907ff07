from checkkit import marked

BAD = """
import httpx
import redis
from sqlalchemy import create_engine

engine = create_engine("postgresql+psycopg://app@db.prod.example.com:5432/app")  # <-
cache = redis.Redis(host="redis-master.cache", port=6379)  # <-
INVENTORY_URL = "http://inventory.svc.cluster.local:8080/api"  # <-


def fetch():
    return httpx.get("http://10.0.3.17:9000/items")  # <-


def local_cache():
    return redis.Redis(host="localhost")  # <-
"""

GOOD = """
import os

import httpx
import uvicorn
from fastapi.middleware.cors import CORSMiddleware

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://localhost:5432/dev")
STRIPE_API = "https://api.stripe.com/v1"
ALLOWED_ORIGINS = ["http://localhost:3000"]


def add_cors(app):
    app.add_middleware(CORSMiddleware, allow_origins=["http://localhost:3000"])


def fetch():
    return httpx.get(f"{os.environ['INVENTORY_URL']}/items")


if __name__ == "__main__":
    uvicorn.run("app:app", host="0.0.0.0", port=8000)
"""


def test_reports_dsns_internal_urls_and_client_hosts(check):
    assert check("CFG002", BAD) == marked(BAD)


def test_env_defaults_public_apis_cors_origins_and_bind_addresses_stay_quiet(check):
    assert check("CFG002", GOOD) == []
