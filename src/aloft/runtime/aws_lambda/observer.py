"""aloft's request bookkeeping on Lambda: the same as elsewhere, plus one EMF metrics line."""

from __future__ import annotations

from aloft.runtime import logs
from aloft.runtime.aws_lambda import emf
from aloft.runtime.observe import Observer

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from aloft.runtime import tracing


class LambdaObserver(Observer):
    """aloft's request bookkeeping, plus one CloudWatch EMF line per request."""

    emf_namespace = ""
    service = ""

    def finish(
        self,
        method: str,
        path: str,
        route: str,
        status: int,
        seconds: float,
        ctx: tracing.RequestContext,
    ) -> None:
        super().finish(method, path, route, status, seconds, ctx)
        if self.emf_namespace:
            logs.write(
                emf.request_line(self.emf_namespace, self.service, method, route, status, seconds)
            )
