from checkkit import marked

BAD = """
from fastapi import FastAPI
from flask import Flask

api = FastAPI(debug=True)  # <-
app = Flask(__name__)
app.config["DEBUG"] = True  # <-
DEBUG = True  # <-


class ProductionConfig:
    DEBUG = True  # <-


if __name__ == "__main__":
    app.run(debug=True)  # <-
"""

GOOD = """
import os

from flask import Flask

DEBUG = os.environ.get("DEBUG", "") == "1"
app = Flask(__name__)
app.config["DEBUG"] = DEBUG


class DevelopmentConfig:
    DEBUG = True


def handler():
    debug = True
    return debug
"""


def test_reports_debug_switched_on_in_code(check):
    assert check("CFG003", BAD) == marked(BAD)


def test_debug_from_environment_and_development_config_stay_quiet(check):
    assert check("CFG003", GOOD) == []


def test_development_settings_module_is_not_checked(check):
    assert check("CFG003", {"mysite/settings/dev.py": "DEBUG = True\n"}) == []
