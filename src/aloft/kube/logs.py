"""`aloft logs --target k8s`: every pod of the project's services, interleaved by time.

Pods are found with the label selector aloft renders into each Deployment (ServiceSpec.selector)
and read through the API server's log endpoint (`GET .../pods/{pod}/log?timestamps=true`), as
`kubectl logs` does. The kubelet's timestamp on each line orders the pods' lines; following,
one thread streams each pod (`follow=true`), pods that appear during a rollout join, and a pod
whose stream ends while it still runs is read again from its last line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import heapq
import math
import queue
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError, OperationFailed
from aloft.kube.client import Cluster, api_message
from aloft.kube.kinds.pod import CONTAINER
from aloft.observe.logs import LogLine

# Lines from different pods wait this long for a line from another pod with an earlier time
# (the streams arrive independently): ordered output, at most this much behind.
WINDOW = 0.5
RELIST = 2.0  # seconds between looks for new pods while following
JOIN = 5.0  # seconds at most to let the streams' threads end when following stops


@dataclasses.dataclass(frozen=True)
class PodSet:
    """The pods of one service: where they run and the selector its Deployment uses."""

    service: str
    namespace: str
    selector: str  # "key=value,..."


def pod_sets(resolved: ResolvedConfig, services: tuple[str, ...] = ()) -> list[PodSet]:
    """The project's services as rendered (the same builder as `aloft k8s render`)."""
    from aloft.kube.image_input import PLACEHOLDER
    from aloft.kube.spec import service_specs
    from aloft.kube.versions import KubeVersion

    specs = service_specs(resolved, PLACEHOLDER, KubeVersion.latest())
    known = {s.name: s for s in specs}
    for name in services:
        if name not in known:
            raise ConfigError(
                f"--service {name}: not a service of {resolved.pyproject}; known: "
                + ", ".join(sorted(known))
            )
    chosen = [known[n] for n in services] if services else specs
    return [
        PodSet(s.name, s.namespace, ",".join(f"{k}={v}" for k, v in s.selector.items()))
        for s in chosen
    ]


def parse_stamp(text: str) -> float:
    """An RFC 3339 time with up to nanoseconds (the kubelet's), as epoch seconds."""
    head, _, fraction = text.rstrip("Z").partition(".")
    moment = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S")
    seconds = moment.replace(tzinfo=datetime.timezone.utc).timestamp()
    return seconds + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)


def _split(pod: str, raw: str) -> LogLine:
    stamp, _, text = raw.partition(" ")
    try:
        t = parse_stamp(stamp)
    except ValueError:  # not a timestamped line (should not happen with timestamps=true)
        t, text = time.time(), raw
    return LogLine(t, pod, text, {"pod": pod})


def _pods(cluster: Cluster, sets: list[PodSet]) -> list[tuple[str, str]]:
    """(namespace, name) of every pod whose app container has started (so it has a log)."""
    from kubernetes.client.exceptions import ApiException

    found = []
    for pod_set in sets:
        try:
            items = cluster.api_core.list_namespaced_pod(
                pod_set.namespace, label_selector=pod_set.selector
            ).items
        except ApiException as exc:
            raise OperationFailed(
                f"pods of {pod_set.service} in {pod_set.namespace}: {api_message(exc)}"
            ) from None
        for pod in items:
            started = any(
                s.name == CONTAINER and s.state and (s.state.running or s.state.terminated)
                for s in (pod.status.container_statuses or [])
            )
            if started:
                found.append((pod_set.namespace, pod.metadata.name))
    return sorted(found)


def _log(cluster: Cluster, namespace: str, pod: str, since: float | None, follow: bool) -> Any:
    kwargs: dict[str, Any] = {"container": CONTAINER, "timestamps": True, "follow": follow}
    if since is not None:
        # Whole seconds, rounded up; the exact cut is LogFilter's.
        kwargs["since_seconds"] = max(1, math.ceil(time.time() - since) + 1)
    return cluster.api_core.read_namespaced_pod_log(
        pod, namespace, _preload_content=False, **kwargs
    )


def read(cluster: Cluster, sets: list[PodSet], since: float | None) -> list[LogLine]:
    """Every pod's log up to now, merged by time."""
    from kubernetes.client.exceptions import ApiException

    pods = _pods(cluster, sets)
    if not pods:
        names = ", ".join(f"{s.service} in {s.namespace}" for s in sets)
        raise OperationFailed(
            f"no started pods of {names}; deploy first (aloft k8s deploy), or see why with"
            f" kubectl get pods -n {sets[0].namespace} -l {sets[0].selector}"
        )
    streams = []
    for namespace, pod in pods:
        try:
            body = _log(cluster, namespace, pod, since, follow=False).data
        except ApiException as exc:
            if exc.status in (400, 404):  # gone or restarting since the listing
                continue
            raise OperationFailed(f"log of pod {pod}: {api_message(exc)}") from None
        text = body.decode("utf-8", "replace")
        streams.append([_split(pod, raw) for raw in text.splitlines() if raw])
    return list(heapq.merge(*streams, key=lambda line: line.time))


class _Stream(threading.Thread):
    """Follows one pod's log into the shared queue until the stream ends or is closed."""

    def __init__(
        self,
        cluster: Cluster,
        namespace: str,
        pod: str,
        since: float | None,
        after: float,
        out: queue.Queue[tuple[float, LogLine]],
    ) -> None:
        super().__init__(name=f"log-{pod}", daemon=True)
        self.cluster, self.namespace, self.pod = cluster, namespace, pod
        self.since, self.after, self.out = since, after, out
        self.response: Any = None
        self.error = ""  # why the server refused the stream (not: the pod went away)
        self._lock = threading.Lock()
        self._stopping = False

    def run(self) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            response = _log(self.cluster, self.namespace, self.pod, self.since, follow=True)
            with self._lock:  # close() may have come while the request was on its way
                self.response, stopping = response, self._stopping
            if stopping:
                _shutdown(response)
                return
            pending = b""
            for chunk in response.stream(8192, decode_content=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    if raw:
                        self._put(raw)
            if pending:
                self._put(pending)
        except ApiException as exc:
            if exc.status not in (400, 404):  # not merely restarting or gone
                self.error = f"log of pod {self.pod}: {api_message(exc)}"
        except Exception:  # closed by us, or the connection dropped: read again if it runs
            pass

    def _put(self, raw: bytes) -> None:
        line = _split(self.pod, raw.decode("utf-8", "replace"))
        if line.time > self.after:  # a restarted stream repeats its last second
            self.after = line.time
            self.out.put((time.monotonic(), line))

    def close(self) -> None:
        with self._lock:
            self._stopping = True
            response = self.response
        if response is not None:
            _shutdown(response)


def _shutdown(response: Any) -> None:
    """End a stream another thread is reading. Shutting the socket down wakes the reader;
    closing the response would wait for the reader's lock, held while it waits for data.
    The socket sits inside urllib3's response (http.client's file over a SocketIO)."""
    raw = getattr(getattr(getattr(response, "_fp", None), "fp", None), "raw", None)
    sock = getattr(raw, "_sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def follow(
    cluster: Cluster,
    sets: list[PodSet],
    since: float | None,
    stop: threading.Event | None = None,
) -> Iterator[LogLine]:
    """Lines as the pods write them, ordered within WINDOW, until `stop` is set."""
    out: queue.Queue[tuple[float, LogLine]] = queue.Queue()
    streams: dict[tuple[str, str], _Stream] = {}
    first = True
    listed = 0.0
    buffered: list[tuple[float, LogLine]] = []
    try:
        while stop is None or not stop.is_set():
            now = time.monotonic()
            if now - listed >= RELIST:
                listed = now
                refused = next((s.error for s in streams.values() if s.error), "")
                if refused:
                    raise OperationFailed(refused)
                for key in _pods(cluster, sets):
                    known = streams.get(key)
                    if known is not None and known.is_alive():
                        continue
                    # At start: from --since. A pod met later: its whole log. Again: from the
                    # last line shown.
                    after = known.after if known else (since or 0.0)
                    start = since if first else (known.after or None if known else None)
                    stream = _Stream(cluster, key[0], key[1], start, after, out)
                    streams[key] = stream
                    stream.start()
                first = False
            try:
                buffered.append(out.get(timeout=0.1))
                while True:
                    buffered.append(out.get_nowait())
            except queue.Empty:
                pass
            aged = [line.time for arrived, line in buffered if arrived <= time.monotonic() - WINDOW]
            if aged:
                cutoff = max(aged)
                ready = sorted(
                    (e for e in buffered if e[1].time <= cutoff), key=lambda e: e[1].time
                )
                buffered = [e for e in buffered if e[1].time > cutoff]
                for _, line in ready:
                    yield line
    finally:
        for stream in streams.values():
            stream.close()
        # Readers still inside TLS when the interpreter exits can abort it: let them end.
        deadline = time.monotonic() + JOIN
        for stream in streams.values():
            stream.join(max(0.0, deadline - time.monotonic()))
