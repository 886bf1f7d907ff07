from checkkit import marked

BAD = """
import functools
from functools import lru_cache


@lru_cache(maxsize=1024)  # <-
def permissions(user_id):
    return load_permissions(user_id)


@functools.cache  # <-
def profile(username: str) -> dict:
    return {"name": username}
"""

GOOD = """
from functools import cache, lru_cache


@lru_cache(maxsize=1)
def settings():
    return load_settings()


@cache
def country_for(code: str) -> str:
    return COUNTRIES[code]


def per_user(user_id):
    return user_id
"""


def test_reports_process_caches_keyed_on_users(check):
    assert check("STA003", BAD) == marked(BAD)


def test_caches_of_shared_data_stay_quiet(check):
    assert check("STA003", GOOD) == []
