from checkkit import marked

BAD = """
import asyncio
import logging
import signal
from signal import SIGTERM

logger = logging.getLogger(__name__)

signal.signal(signal.SIGTERM, signal.SIG_IGN)  # <-


def on_term(signum, frame):
    logger.info("got SIGTERM, ignoring")


signal.signal(SIGTERM, on_term)  # <-


async def main():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: None)  # <-
"""

GOOD = """
import asyncio
import signal
import sys
import threading

stopping = threading.Event()


def on_term(signum, frame):
    stopping.set()


def exit_now(signum, frame):
    sys.exit(0)


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGTERM, exit_now)
signal.signal(signal.SIGINT, signal.SIG_IGN)


async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
"""


def test_reports_ignored_or_swallowed_sigterm(check):
    assert check("CTR002", BAD) == marked(BAD)


def test_handlers_that_stop_the_process_stay_quiet(check):
    assert check("CTR002", GOOD) == []
