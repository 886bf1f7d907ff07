from checkkit import marked

BAD = """
import threading
from threading import Thread

from apscheduler.schedulers.background import BackgroundScheduler


def refresh():
    pass


threading.Thread(target=refresh, daemon=True).start()  # <-
worker = Thread(target=refresh)
worker.start()  # <-
scheduler = BackgroundScheduler()
scheduler.add_job(refresh, "interval", minutes=5)
scheduler.start()  # <-
"""

GOOD = """
import threading

from fastapi import FastAPI

app = FastAPI()
lock = threading.Lock()


@app.on_event("startup")
def start_refresher():
    threading.Thread(target=refresh, daemon=True).start()


def refresh():
    pass


if __name__ == "__main__":
    threading.Thread(target=refresh).start()
"""


def test_reports_threads_and_schedulers_started_at_import(check):
    assert check("SLS002", BAD) == marked(BAD)


def test_threads_started_from_hooks_or_main_stay_quiet(check):
    assert check("SLS002", GOOD) == []
