from checkkit import marked

BAD = """
import logging
import logging.handlers

syslog = logging.handlers.SysLogHandler(address=("logs.internal", 514))  # <-
mail = logging.handlers.SMTPHandler("smtp", "app@x", ["ops@x"], "error")  # <-
LOGGING = {"handlers": {"http": {"class": "logging.handlers.HTTPHandler"}}}  # <-
"""

GOOD = """
import logging
import sys

logging.getLogger().addHandler(logging.StreamHandler(sys.stdout))
"""


def test_reports_network_log_handlers(check):
    assert check("LOG003", BAD) == marked(BAD)


def test_stream_handler_stays_quiet(check):
    assert check("LOG003", GOOD) == []
