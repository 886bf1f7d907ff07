from checkkit import marked

HANDLER = """
import json

import pandas as pd  # <-
from reports import render  # <-


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(render(pd.DataFrame(event["rows"])))}
"""

REPORTS = """
import matplotlib.pyplot as plt


def render(frame):
    return str(frame)
"""

LAZY = """
import json


def handler(event, context):
    if event.get("plot"):
        import matplotlib.pyplot as plt
        plt.figure()
    return {"statusCode": 200, "body": json.dumps({})}
"""


def test_reports_heavy_imports_direct_and_through_project_modules(check, messages):
    files = {"handler.py": HANDLER, "reports.py": REPORTS}
    assert check("SLS005", files) == marked({"handler.py": HANDLER})
    assert (
        "cold start imports matplotlib (about 1338 ms measured) via reports -> matplotlib.pyplot"
        in messages("SLS005", files)
    )


def test_imports_inside_the_handler_stay_quiet(check):
    assert check("SLS005", {"handler.py": LAZY}) == []


def test_heavy_imports_outside_lambda_handlers_stay_quiet(check):
    assert check("SLS005", {"reports.py": REPORTS}) == []
