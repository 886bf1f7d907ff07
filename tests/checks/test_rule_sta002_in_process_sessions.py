from checkkit import marked

BAD_DJANGO = """
SESSION_ENGINE = "django.contrib.sessions.backends.file"  # <-
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",  # <-
    }
}
"""

BAD_FLASK = """
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

app = Flask(__name__)
app.config["SESSION_TYPE"] = "filesystem"  # <-
limiter = Limiter(get_remote_address, app=app)  # <-
burst = Limiter(get_remote_address, storage_uri="memory://")  # <-
"""

GOOD = """
import os

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

app = Flask(__name__)
app.config["SESSION_TYPE"] = "redis"
limiter = Limiter(get_remote_address, app=app, storage_uri=os.environ["REDIS_URL"])
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
"""


def test_reports_file_and_memory_session_and_cache_backends(check):
    assert check("STA002", {"mysite/settings.py": BAD_DJANGO}) == marked(
        BAD_DJANGO, "mysite/settings.py"
    )


def test_reports_filesystem_sessions_and_in_memory_rate_limits(check):
    assert check("STA002", BAD_FLASK) == marked(BAD_FLASK)


def test_shared_backends_stay_quiet(check):
    assert check("STA002", GOOD) == []
