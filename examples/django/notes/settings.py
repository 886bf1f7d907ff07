"""Django settings, every deployment-specific value from the environment (twelve-factor)."""

from __future__ import annotations

from dataclasses import dataclass

from aloft.runtime import Secret, load_settings


@dataclass
class Env:
    redis_url: str
    django_secret_key: Secret
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
    debug: bool = False


env = load_settings(Env)

SECRET_KEY = env.django_secret_key.reveal()
DEBUG = env.debug
ALLOWED_HOSTS = list(env.allowed_hosts)
ROOT_URLCONF = "notes.urls"
INSTALLED_APPS = ["django.contrib.contenttypes"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.redis_url,
        "TIMEOUT": 300,
    }
}
# aloft's handler on the root logger writes JSON to stdout; Django must not add its own.
LOGGING_CONFIG = None
