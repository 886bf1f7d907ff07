from checkkit import marked

BAD = """
import os

import environ

env = environ.Env()
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret-key")  # <-
STRIPE_API_KEY = os.getenv("STRIPE_API_KEY", "sk_test_123")  # <-
REDIS_PASSWORD = env("REDIS_PASSWORD", default="redis")  # <-
"""

GOOD = """
import os

SECRET_KEY = os.environ["SECRET_KEY"]
API_TOKEN = os.environ.get("API_TOKEN")
TOKEN_TTL = os.environ.get("TOKEN_TTL", "3600")
DATABASE_URL = os.getenv("DATABASE_URL", "postgresql://localhost/dev")
REDIS_PASSWORD = os.environ.get("REDIS_PASSWORD", "")
"""


def test_reports_secrets_with_literal_defaults(check):
    assert check("CFG005", BAD) == marked(BAD)


def test_required_secrets_and_non_secret_defaults_stay_quiet(check):
    assert check("CFG005", GOOD) == []
