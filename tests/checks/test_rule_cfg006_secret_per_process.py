from checkkit import marked

BAD = """
import os
import secrets
import uuid

from django.core.management.utils import get_random_secret_key
from flask import Flask

SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)  # <-
JWT_SECRET = os.environ.get("JWT_SECRET", get_random_secret_key())  # <-
app = Flask(__name__)
app.secret_key = os.urandom(24)  # <-
app.config["SESSION_SECRET"] = uuid.uuid4().hex  # <-
"""

GOOD = """
import os
import secrets
import uuid

SECRET_KEY = os.environ["SECRET_KEY"]
REQUEST_ID_BYTES = secrets.token_hex(8)


class TestingConfig:
    SECRET_KEY = uuid.uuid4().hex


def new_api_token():
    token = secrets.token_urlsafe(32)
    return token
"""


def test_reports_signing_keys_generated_at_start_up(check):
    assert check("CFG006", BAD) == marked(BAD)


def test_keys_from_the_environment_and_per_call_tokens_stay_quiet(check):
    assert check("CFG006", GOOD) == []
