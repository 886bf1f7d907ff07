"""The drain on SIGTERM, as the master runs it and as its workers see it.

The master flags readiness (503), keeps the listener open for `drain_delay`, then stops the
workers gracefully. The state the two sides share is files in the run dir: the drain flag
(health.DRAIN_FLAG) and STOPPING, written just before the master signals its workers.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from aloft.runtime import health

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger("aloft.serve")

# A third SIGTERM this long after the first stops at once (an operator who means it).
TERM_GRACE = 1.0

# Written by the master just before it signals the workers to stop.
STOPPING = "stopping"


class Drain:
    """The master's drain sequence: flag readiness, wait, then let gunicorn stop gracefully.

    One drain per pod: a SIGTERM repeated while it runs is the same request (under `uv run`, a
    SIGTERM to the process group reaches the master twice, once from uv). Only SIGINT, SIGQUIT,
    or a third SIGTERM at least TERM_GRACE after the first, mean "stop now".
    """

    def __init__(self, run_dir: str, delay: float, stop: Callable[[], object]) -> None:
        self.run_dir = run_dir
        self.delay = delay
        self.stop = stop  # called once the delay is over: starts gunicorn's graceful stop
        self.started: float | None = None
        self.terms = 0
        self.elapsed = False

    def begin(self) -> bool:
        """True when this SIGTERM starts the delay or repeats it; False when it is time to stop."""
        self.terms += 1
        if self.elapsed or self.delay <= 0:
            self._flag()
            self._mark(STOPPING)
            return False
        now = time.monotonic()
        if self.started is not None:
            if self.terms >= 3 and now - self.started >= TERM_GRACE:
                log.warning(
                    "SIGTERM number %d: stopping now, without the rest of the delay", self.terms
                )
                self._mark(STOPPING)
                return False
            log.info(
                "already draining: a repeated SIGTERM changes nothing "
                "(SIGINT or SIGQUIT stops now, as does a third SIGTERM after %.0fs)",
                TERM_GRACE,
            )
            return True
        self.started = now
        self._flag()
        log.info(
            "draining: readiness reports 503; closing the listener in %.1fs",
            self.delay,
            extra={"drain_delay_s": self.delay},
        )
        timer = threading.Timer(self.delay, self._elapsed)
        timer.daemon = True
        timer.start()
        return True

    def _flag(self) -> None:
        health.start_draining()
        self._mark(health.DRAIN_FLAG)

    def _mark(self, name: str) -> None:
        with open(os.path.join(self.run_dir, name), "w"):
            pass

    def _elapsed(self) -> None:
        log.info("drain delay over: closing the listener, finishing in-flight requests")
        self.elapsed = True
        self._mark(STOPPING)  # the SIGTERMs the workers get now are the master's own
        self.stop()


def early_sigterm(reloading: bool = False) -> bool:
    """Whether a worker's SIGTERM came while the master still drains, so it is to be ignored.

    That happens when SIGTERM is sent to the whole process group (`timeout`, `kill -- -PGID`)
    rather than to the master alone, as Kubernetes and runc do: the master then stops the
    workers itself when the delay is over. A worker signalled alone still stops, 0.2 s later.
    Under --reload (`reloading`) the master stops old workers with SIGTERM: at once.
    """
    run_dir = os.environ.get("_ALOFT_RUN_DIR")
    if not run_dir or reloading:
        return False
    stopping = os.path.join(run_dir, STOPPING)
    draining = os.path.join(run_dir, health.DRAIN_FLAG)
    deadline = time.monotonic() + 0.2
    while True:
        if os.path.exists(stopping):
            return False
        if os.path.exists(draining):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
