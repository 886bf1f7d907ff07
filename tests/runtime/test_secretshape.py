"""The one secret detector, over a corpus of real credential shapes and of look-alikes that are not.

Token shapes follow each issuer's documented format; the values are made up (and assembled from
pieces, so no scanner mistakes this file for a leak).
"""

from __future__ import annotations

import pytest

from aloft.runtime.secretshape import secret_in_value, secret_name, secret_setting, secret_spans

R = "4eC39HqLyjWDarjtT1zdp7dcQ8vWbN2x"  # 32 random-looking characters
HEX64 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

# (value, what the detector must call it)
SECRET_VALUES = [
    ("redis://:pw@cache.internal:6379/0", "a URL with a password"),
    ("redis://:s3cr3t@10.0.0.5", "a URL with a password"),
    ("postgres://app:hunter2@db.internal:5432/shop", "a URL with a password"),
    ("amqp://worker:s3cr3tPa55w0rd@rabbit:5672//", "a URL with a password"),
    ("mongodb+srv://admin:" + R + "@cluster0.mongodb.net/app", "a URL with a password"),
    (
        "Server=tcp:sql.example.net,1433;Database=shop;User Id=sa;Password=Xk9#mQ2$vL8;",
        "a connection string with a password",
    ),
    (
        "Driver={ODBC Driver 18};Server=db;UID=app;PWD={p;w}d};Encrypt=yes",
        "a connection string with a password",
    ),
    ("host=db user=app password=hunter2 dbname=shop", "a connection string with a password"),
    (
        "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=" + R + "==;",
        "a connection string with a password",
    ),
    ("jdbc:mysql://db:3306/shop?user=app&password=hunter2", "a connection string with a password"),
    ("sk_" + "live_" + R, "a Stripe key"),
    ("sk_" + "live_51HqLyjWDarjtT1zdp7dc", "a Stripe key"),
    ("rk_" + "test_" + R, "a Stripe key"),
    ("whsec_" + R, "a Stripe webhook secret"),
    ("ghp_" + R + "abcd", "a GitHub token"),
    ("github_pat_" + "11ABCDEFG0" + R + "_" + R[:20], "a GitHub token"),
    ("glpat-" + R[:20], "a GitLab token"),
    ("xoxb-" + "123456789012-123456789012-" + R[:24], "a Slack token"),
    ("https://hooks.slack.com/services/T0ABC1234/B0ABC5678/" + R[:24], "a Slack webhook"),
    ("AKIA" + "2OGYBAH6STMMNXNN", "an AWS access key id"),
    ("AIza" + "SyA-" + R[:31], "a Google API key"),
    ("GOCSPX-" + R[:28], "a Google OAuth client secret"),
    ("sk-" + "proj-" + R + R, "an Anthropic or OpenAI key"),
    ("sk-" + "ant-api03-" + R, "an Anthropic or OpenAI key"),
    ("npm_" + R + "abcd", "an npm token"),
    ("pypi-AgEIcHlwaS5vcmc" + R + R, "a PyPI token"),
    ("SG." + R[:22] + "." + R + "abcdefghijk", "a SendGrid key"),
    ("SK" + HEX64[:32], "a Twilio key"),
    ("shpat_" + HEX64[:32], "a Shopify token"),
    ("hvs." + R, "a HashiCorp Vault token"),
    ("dop_v1_" + HEX64, "a DigitalOcean token"),
    ("123456789:AA" + R + "x", "a Telegram bot token"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA", "a private key"),
    ("-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg...", "a private key"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", "a private key"),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF", "a private key"),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "a JSON Web Token",
    ),
    ('{"type":"service_account","private_key": "-----BEGIN PRIVATE KEY-----\\n"}', "a private key"),
]  # fmt: skip

NOT_SECRET_VALUES = [
    # Code that recognises keys names the header alone (a real key goes on to its next line).
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    # Placeholders and format fields, as real services write them (judged on the doctor corpus).
    "socks5:// or regular proxy http://user:pass@...:3128",
    "http://{}:{}{}?token={}",
    "%r (Permissions=%r token=%r)",
    # Enum values and settings that sit under credential-ish names.
    "scram-sha-256",
    "bearer",
    "required",
    "md5",
    "true",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Hashes and digests of public things.
    HEX64,
    "sha256:" + HEX64,
    "3f786850e387550fdab836ed7e6dc881de23001b",
    "d41d8cd98f00b204e9800998ecf8427e",
    "123e4567-e89b-12d3-a456-426614174000",
    "registry.example/shop@sha256:" + HEX64,
    # URLs without credentials.
    "https://oauth2.googleapis.com/token",
    "postgres://db.internal:5432/shop",
    "redis://redis:6379/0",
    "http://[::1]:8080/healthz",
    "https://user@github.com/org/repo.git",
    "https://example.com/search?q=password&page=2",
    "http://shop.shop.svc",
    # Templates, references and documentation placeholders.
    "redis://:${REDIS_PASSWORD}@cache:6379",
    "postgres://app:{{ .Values.password }}@db/shop",
    "Password=<your-password>;",
    "AKIAIOSFODNN7EXAMPLE",
    "password=${DB_PASSWORD}",
    # Ordinary text and SQL with parameters.
    "UPDATE users SET password = %s WHERE id = %s",
    "SELECT id FROM users WHERE token = :token",
    "the token bucket holds 100 requests",
    "sk-SK",
    "kubernetes.io/metadata.name",
]

SECRET_NAMES = [
    "DB_PASS", "PGPASS", "PASSWORD", "DATABASE_PASSWORD", "MSSQL_SA_PASSWORD", "DB_PWD",
    "SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "API_KEY", "apiKey", "STRIPE_API_KEY", "GITHUB_TOKEN",
    "SLACK_BOT_TOKEN", "CLIENT_SECRET", "clientSecret", "dbPassword", "JWT_SIGNING_KEY",
    "PRIVATE_KEY", "REDIS_PASSWORD", "SMTP_PASS", "passphrase",
    "GOOGLE_APPLICATION_CREDENTIALS_JSON", "AUTH_TOKEN_VALUE", "ENCRYPTION_KEY", "WEBHOOK_SECRET",
]  # fmt: skip
NOT_SECRET_NAMES = [
    "TOKEN_URL", "PASSWORD_HASHERS", "PGPASSFILE", "API_KEY_HEADER", "password_field",
    "PASSWORD_MIN_LENGTH", "SECRET_NAME", "TOKEN_TTL", "BYPASS_CACHE", "COMPASS_URL", "PWD",
    "OLDPWD", "PASSENGER_COUNT", "CACHE_KEY_PREFIX", "PRIMARY_KEY", "SORT_KEY", "AWS_ACCESS_KEY_ID",
    "TOKEN_ENDPOINT", "LOG_LEVEL", "SECRETS_DIR_PATH",
]  # fmt: skip


@pytest.mark.parametrize("value,shape", SECRET_VALUES)
def test_real_secret_shapes_are_found_and_named(value: str, shape: str) -> None:
    assert secret_in_value(value) == shape


@pytest.mark.parametrize("value", NOT_SECRET_VALUES)
def test_look_alikes_are_not_secrets(value: str) -> None:
    assert secret_in_value(value) is None
    assert secret_spans(value) == []


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_credential_names(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize("name", NOT_SECRET_NAMES)
def test_names_about_a_credential_are_not_credentials(name: str) -> None:
    assert not secret_name(name)


def test_a_literal_under_a_credential_name_is_a_secret_but_a_reference_is_not() -> None:
    assert secret_setting("DB_PASS", "hunter2")
    assert secret_setting("PGPASS", "db:5432:shop:app:hunter2")
    assert secret_setting("DB_PASS", "/run/secrets/db") is None
    assert secret_setting("DB_PASS", "${DB_PASS}") is None
    assert secret_setting("DB_PASS", "") is None
    assert secret_setting("TOKEN_URL", "https://oauth2.googleapis.com/token") is None
    assert secret_setting("PASSWORD_HASHER", "argon2") is None
    assert secret_setting("CACHE_URL", "redis://:pw@host") == "a URL with a password"


def test_spans_cover_only_the_secret_part_of_a_url_or_connection_string() -> None:
    text = "connecting to redis://:pw@cache:6379 and Server=db;Password=Xk9#mQ2;Database=shop"
    parts = [text[a:b] for a, b in secret_spans(text)]
    assert parts == ["pw", "Xk9#mQ2"]


def test_spans_cover_a_whole_token() -> None:
    token = "sk_" + "live_" + R
    text = f'{{"msg": "charging with {token}"}}'
    assert [text[a:b] for a, b in secret_spans(text)] == [token]
