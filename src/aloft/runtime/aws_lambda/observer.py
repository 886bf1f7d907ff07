"""aloft's request bookkeeping on Lambda: the same ids and access line, metrics as EMF.

There is no /metrics endpoint to scrape on Lambda, so the Prometheus counters are not kept;
CloudWatch reads the same metrics from the access line instead (one write per request).
"""

from __future__ import annotations

from aloft.runtime import logs
from aloft.runtime.aws_lambda import emf
from aloft.runtime.observe import Observer

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from aloft.runtime import tracing


class LambdaObserver(Observer):
    emf_namespace = ""
    service = ""

    def begin(self) -> None:
        """One request per environment at a time: no in-flight gauge to keep."""

    def finish(
        self,
        method: str,
        path: str,
        route: str,
        status: int,
        seconds: float,
        ctx: tracing.RequestContext,
    ) -> None:
        namespace = self.emf_namespace
        tail = emf.fields(namespace, status, seconds) if namespace else ""
        if self.access_log and logs.access(method, path, route, status, seconds, tail):
            return
        if namespace:
            logs.write(emf.request_line(namespace, self.service, method, route, status, seconds))
