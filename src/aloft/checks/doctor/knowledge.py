"""Facts about the Python ecosystem that several rules share: which calls block, which build
clients, which names hold secrets. Reviewed 2026-11-26 against the libraries' documentation
(requests, httpx, redis-py, psycopg, PyMySQL, pymongo, boto3, SQLAlchemy, the standard library).
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter

from aloft.checks.doctor.source import PySource, const_str, target_name

# Reading configuration from the environment.
ENV_GETTERS = frozenset(
    {"os.environ.get", "os.getenv", "os.environ.setdefault", "environ.get", "os.environ.pop"}
)

SECRET_NAME = re.compile(
    r"(?i)(^|_|\b)(pass(word|wd|phrase)?|pwd|secret|token|api_?key|apikey|access_?key|private_?key|"
    r"client_?secret|credentials?|auth_?key|signing_?key|secret_?key|dsn)($|_|\b)"
)
# Names that mention a secret but hold something else (its URL, its variable's name, its length).
NOT_SECRET_NAME = re.compile(
    r"(?i)(_(url|uri|endpoint|name|env|var|field|header|path|file|type|prefix|length|len|algorithm|"
    r"hasher|hashers|validators|expiry|ttl|lifetime|timeout|id|kind|label|param|title|message|msg|"
    r"text|subject|description|help|hint|placeholder|prompt|error|regex|pattern|re|template)s?"
    r"(_v?\d+)?$|"
    r"^(is|has)_)"
)

# redis-py's clients and pools, sync and asyncio.
REDIS_CLIENTS = frozenset(
    {
        "redis.Redis",
        "redis.StrictRedis",
        "redis.from_url",
        "redis.Redis.from_url",
        "redis.ConnectionPool",
        "redis.asyncio.Redis",
        "redis.asyncio.from_url",
    }
)
# Calls that create a network client or a connection pool (costly: TCP, TLS, auth).
CLIENT_CONSTRUCTORS = REDIS_CLIENTS | frozenset(
    {
        "openai.OpenAI",
        "openai.AsyncOpenAI",
        "anthropic.Anthropic",
        "anthropic.AsyncAnthropic",
        "google.genai.Client",
        "boto3.client",
        "boto3.resource",
        "boto3.session.Session",
        "boto3.Session",
        "requests.Session",
        "requests.session",
        "httpx.Client",
        "httpx.AsyncClient",
        "psycopg2.connect",
        "psycopg.connect",
        "psycopg_pool.ConnectionPool",
        "pymysql.connect",
        "MySQLdb.connect",
        "pymongo.MongoClient",
        "motor.motor_asyncio.AsyncIOMotorClient",
        "sqlalchemy.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
        "asyncpg.create_pool",
        "asyncpg.connect",
        "aiohttp.ClientSession",
        "elasticsearch.Elasticsearch",
        "google.cloud.storage.Client",
        "kafka.KafkaProducer",
    }
)
# SDK and LLM clients: each holds a connection pool, credentials and retry state.
SDK_CLIENTS = frozenset(
    {
        "openai.OpenAI",
        "openai.AsyncOpenAI",
        "openai.AzureOpenAI",
        "openai.AsyncAzureOpenAI",
        "anthropic.Anthropic",
        "anthropic.AsyncAnthropic",
        "google.genai.Client",
        "cohere.Client",
        "cohere.ClientV2",
        "groq.Groq",
        "mistralai.Mistral",
        "stripe.StripeClient",
        "twilio.rest.Client",
        "slack_sdk.WebClient",
    }
)
# The constructors costly enough that a web handler should not pay them per request either.
POOL_CONSTRUCTORS = (
    SDK_CLIENTS
    | REDIS_CLIENTS
    | frozenset(
        {
            "boto3.client",
            "boto3.resource",
            "pymongo.MongoClient",
            "motor.motor_asyncio.AsyncIOMotorClient",
            "sqlalchemy.create_engine",
            "sqlalchemy.ext.asyncio.create_async_engine",
            "asyncpg.create_pool",
            "psycopg_pool.ConnectionPool",
            "elasticsearch.Elasticsearch",
            "kafka.KafkaProducer",
        }
    )
)

# Synchronous clients whose every method call does blocking I/O.
SYNC_CLIENTS = frozenset(
    {
        "requests.Session",
        "requests.session",
        "httpx.Client",
        "redis.Redis",
        "redis.StrictRedis",
        "redis.from_url",
        "redis.Redis.from_url",
        "psycopg2.connect",
        "psycopg.connect",
        "pymysql.connect",
        "MySQLdb.connect",
        "sqlite3.connect",
        "pymongo.MongoClient",
        "boto3.client",
        "boto3.resource",
        "sqlalchemy.create_engine",
        "elasticsearch.Elasticsearch",
    }
)

# Calls that block the calling thread: sleeping, synchronous HTTP, subprocess waits, sync drivers.
BLOCKING_CALLS = {
    "time.sleep": "time.sleep() blocks the event loop; use await asyncio.sleep()",
    "urllib.request.urlopen": "urllib.request.urlopen() is synchronous HTTP",
    "subprocess.run": "subprocess.run() waits for the child process",
    "subprocess.call": "subprocess.call() waits for the child process",
    "subprocess.check_call": "subprocess.check_call() waits for the child process",
    "subprocess.check_output": "subprocess.check_output() waits for the child process",
    "subprocess.getoutput": "subprocess.getoutput() waits for the child process",
    "os.system": "os.system() waits for the child process",
    "os.popen": "os.popen() runs a process synchronously",
    "os.wait": "os.wait() waits for a child process",
    "os.waitpid": "os.waitpid() waits for a child process",
    "socket.create_connection": "socket.create_connection() is a blocking connect",
    "input": "input() blocks on stdin",
}
BLOCKING_MODULES = {
    "requests": "requests is synchronous HTTP; use httpx.AsyncClient",
    "urllib3": "urllib3 is synchronous HTTP; use httpx.AsyncClient",
    "psycopg2": "psycopg2 is a synchronous database driver; use psycopg's async API or asyncpg",
    "pymysql": "PyMySQL is a synchronous database driver; use aiomysql/asyncmy",
    "MySQLdb": "MySQLdb is a synchronous database driver",
    "sqlite3": "sqlite3 is a synchronous database driver; use aiosqlite",
    "pymongo": "pymongo is a synchronous driver; use motor or pymongo's AsyncMongoClient",
    "boto3": "boto3 calls are synchronous; run them with await asyncio.to_thread() or use aioboto3",
}
# Sync module-level HTTP functions of httpx (httpx.AsyncClient is fine).
HTTPX_SYNC = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}
)

# Calls that are CPU-heavy on purpose: key derivation and password hashing.
CPU_HEAVY = {
    "hashlib.pbkdf2_hmac": "PBKDF2 key derivation",
    "hashlib.scrypt": "scrypt key derivation",
    "bcrypt.hashpw": "bcrypt hashing",
    "bcrypt.checkpw": "bcrypt verification",
    "bcrypt.kdf": "bcrypt key derivation",
    "passlib.hash.bcrypt.hash": "bcrypt hashing",
    "passlib.hash.bcrypt.verify": "bcrypt verification",
    "argon2.PasswordHasher.hash": "Argon2 hashing",
    "werkzeug.security.generate_password_hash": "password hashing",
    "werkzeug.security.check_password_hash": "password verification",
    "django.contrib.auth.hashers.make_password": "password hashing",
    "django.contrib.auth.hashers.check_password": "password verification",
}

# Known credential formats (provider documentation; AWS's documented example keys are excluded).
KEY_FORMATS = [
    ("AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})\b")),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("Stripe live key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    # A key has a body; the header alone is how code tests for one (`startswith("-----BEGIN")`).
    (
        "private key",
        re.compile(
            r"-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----\s*[A-Za-z0-9+/=]{40}"
        ),
    ),
    (
        "JSON Web Token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    ),
]
PLACEHOLDER = re.compile(
    r"(?i)(example|changeme|change-me|your[-_ ]|xxx|dummy|placeholder|<[^>]*>|\$\{|\{\{|\*\*\*)"
)
WORDS = re.compile(r"[a-z_.:/-]+")
PASSWORD_IN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@", re.IGNORECASE)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character: random keys score about 4 and above, words near 3."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


# A regular expression (`v1/[a-zA-Z0-9_\\-]{44}`, `^[A-Z]+$`) describes tokens; it is not one.
REGEX_LIKE = re.compile(r"\[[^\]]+\](\{\d+(,\d*)?\}|[+*?])|^\^|\$$|\\[dswDSW]")


def looks_random(value: str) -> bool:
    """Long, varied, and not just lowercase words (`aloft.runtime.settings`, `my-app-name`)."""
    return (
        not REGEX_LIKE.search(value)
        and len(value) >= 12
        and entropy(value) >= 3.3
        and not PLACEHOLDER.search(value)
        and " " not in value.strip()
        and not WORDS.fullmatch(value)
    )


def configures_backend(src: PySource, node: ast.Constant, setting: str) -> bool:
    """`node` names a Django backend the way settings do: as the "BACKEND" of a CACHES or
    STORAGES entry, or as the value of `setting` (SESSION_ENGINE, DEFAULT_FILE_STORAGE)."""
    if src.dict_key_of(node) == "BACKEND":
        return True
    parent = src.parent(node)
    return isinstance(parent, ast.Assign) and any(target_name(t) == setting for t in parent.targets)


def is_env_lookup(src: PySource, node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = src.call_name(node) or ""
    if name in ENV_GETTERS:
        return True
    # django-environ / environs: env("NAME", default=...), env.str("NAME", ...)
    func = node.func
    base = func.value if isinstance(func, ast.Attribute) else func
    return (
        isinstance(base, ast.Name)
        and base.id == "env"
        and bool(node.args)
        and const_str(node.args[0]) is not None
    )


def secret_like(name: str | None) -> bool:
    return (
        bool(name)
        and bool(SECRET_NAME.search(name or ""))
        and not NOT_SECRET_NAME.search(name or "")
    )


# Names under which configuration code keeps a fallback (`config.get(..., fallback=...)`,
# `Field(default=...)`, `{"default": ..., "env": os.getenv(...)}`).
DEFAULT_NAMES = frozenset({"default", "fallback", "default_value"})
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def is_default(src: PySource, node: ast.AST) -> bool:
    """A literal that is only a fallback the environment or a config file overrides: a settings
    class field (pydantic `BaseSettings`), `default=`/`fallback=` of any call,
    `config("NAME", "fallback")` (Starlette's Config, decouple, environs), or a `"default"` entry
    of a config table."""
    parent = src.parent(node)
    if isinstance(parent, ast.keyword) and parent.arg in DEFAULT_NAMES:
        return True
    if (
        isinstance(parent, ast.Call)
        and len(parent.args) >= 2
        and parent.args[1] is node
        and ENV_NAME.match(const_str(parent.args[0]) or "")
    ):
        return True
    if src.dict_key_of(node) in DEFAULT_NAMES:
        return True
    return src.settings_default(node)
