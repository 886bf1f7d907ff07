from checkkit import marked

BAD = """
import requests


def handler(event, context):
    url = event["next"]
    while url:  # <-
        page = requests.get(url, timeout=5).json()
        url = page.get("next")
    return {"ok": True}
"""

GOOD_DEADLINE = """
import requests


def handler(event, context):
    url = event["next"]
    while url and context.get_remaining_time_in_millis() > 10_000:
        page = requests.get(url, timeout=5).json()
        url = page.get("next")
    return {"ok": True}
"""

GOOD_BOUNDED = """
import requests

MAX_PAGES = 20


def handler(event, context):
    pages = 0
    url = event["next"]
    while url and pages < MAX_PAGES:
        url = requests.get(url, timeout=5).json().get("next")
        pages += 1
    retries = 0
    while True:
        retries += 1
        if retries > 3:
            break
    return {"ok": True}
"""


def test_reports_unbounded_loops_over_external_calls(check):
    assert check("SLS003", BAD) == marked(BAD)


def test_loops_checking_the_deadline_stay_quiet(check):
    assert check("SLS003", GOOD_DEADLINE) == []


def test_counted_loops_and_loops_without_calls_stay_quiet(check):
    assert check("SLS003", GOOD_BOUNDED) == []
