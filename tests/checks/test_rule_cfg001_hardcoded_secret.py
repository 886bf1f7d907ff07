from checkkit import marked

BAD = """
import boto3
import stripe

AWS_ACCESS_KEY_ID = "AKIA2OGYBAH6STMMNXNN"  # <-
stripe.api_key = "sk_live_51HqLyjWDarjtT1zdp7dc4eC39"  # <-
SECRET_KEY = "django-insecure-7f$k2j!x@p9#q8w%e^r&t*y"  # <-
DATABASES = {"default": {"PASSWORD": "Xk9#mQ2$vL8@pR4!zT"}}  # <-
BROKER = "amqp://worker:s3cr3tPa55w0rd@rabbit:5672//"  # <-


def client():
    return boto3.client("s3", aws_secret_access_key="Hq3t9Vb2LmX8rKp0ZsWd4Jf7NcYe1Ug5TaQo6Ri")  # <-


def connect(password="q8Z!vR2#kP9$wL4@"):  # <-
    return password
"""

GOOD = '''
"""Example: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE in the docs is fine."""
import os

from aloft.runtime.settings import Secret, load_settings

SECRET_KEY = os.environ["SECRET_KEY"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
TOKEN_URL = "https://oauth2.googleapis.com/token"
API_KEY_HEADER = "X-Api-Key"
password_field = "password"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://localhost/dev")
AWS_EXAMPLE = "AKIAIOSFODNN7EXAMPLE"
token = os.environ.get("API_TOKEN")
headers = {"Authorization": f"Bearer {token}"}
placeholder = {"password": "<your-password-here>"}
'''


def test_reports_known_key_formats_and_random_literals_in_secret_names(check):
    assert check("CFG001", BAD) == marked(BAD)


def test_env_lookups_names_and_documentation_examples_stay_quiet(check):
    assert check("CFG001", GOOD) == []
