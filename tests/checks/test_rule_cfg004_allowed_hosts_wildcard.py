from checkkit import marked

BAD = """
import os

SECRET_KEY = os.environ["SECRET_KEY"]
ALLOWED_HOSTS = ["*"]  # <-
"""

GOOD = """
import os

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "").split(",")
"""


def test_reports_wildcard_allowed_hosts_in_production_settings(check):
    assert check("CFG004", {"mysite/settings.py": BAD}) == marked(BAD, "mysite/settings.py")


def test_hosts_from_environment_stay_quiet(check):
    assert check("CFG004", {"mysite/settings.py": GOOD}) == []


def test_local_settings_may_allow_any_host(check):
    assert check("CFG004", {"mysite/settings/local.py": 'ALLOWED_HOSTS = ["*"]\n'}) == []
