from checkkit import marked

BAD = """
import threading

from flask import Flask

app = Flask(__name__)


def send_receipt(order_id):
    worker = threading.Thread(target=print, args=(order_id,))  # <-
    worker.start()


@app.post("/orders")
def create_order():
    send_receipt(1)
    threading.Timer(5.0, print).start()  # <-
    return "ok"
"""

GOOD = """
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

app = Flask(__name__)
pool = ThreadPoolExecutor(max_workers=4)


@app.post("/orders")
def create_order():
    pool.submit(print, 1)
    return "ok"


def start_background():
    threading.Thread(target=print).start()
"""


def test_reports_threads_started_by_each_request_directly_or_through_helpers(check):
    assert check("SLS006", BAD) == marked(BAD)


def test_a_bounded_pool_made_once_and_threads_outside_handlers_stay_quiet(check):
    assert check("SLS006", GOOD) == []


LAZY_SINGLETON = """
import threading

from flask import Flask

app = Flask(__name__)
_loop_thread = None


def ensure_loop():
    global _loop_thread
    if _loop_thread is None or not _loop_thread.is_alive():
        _loop_thread = threading.Thread(target=print, daemon=True)
        _loop_thread.start()


@app.post("/steps")
def steps():
    ensure_loop()
    return "ok"
"""


def test_a_lazily_started_global_thread_runs_once_not_per_request(check):
    assert check("SLS006", LAZY_SINGLETON) == []
