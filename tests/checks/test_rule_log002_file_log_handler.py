from checkkit import marked

BAD = """
import logging
from logging.handlers import RotatingFileHandler

logging.basicConfig(filename="app.log", level=logging.INFO)  # <-
handler = RotatingFileHandler("/var/log/app.log", maxBytes=10_000_000)  # <-
audit = logging.FileHandler("audit.log")  # <-

LOGGING = {
    "version": 1,
    "handlers": {
        "file": {
            "class": "logging.handlers.TimedRotatingFileHandler",  # <-
            "filename": "app.log",
        },
    },
}
"""

GOOD = """
import logging
import sys

logging.basicConfig(stream=sys.stdout, level=logging.INFO)
LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}},
}
"""


def test_reports_file_handlers_in_code_and_dict_config(check):
    assert check("LOG002", BAD) == marked(BAD)


def test_stdout_logging_stays_quiet(check):
    assert check("LOG002", GOOD) == []
