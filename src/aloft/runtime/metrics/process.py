"""Process metrics from /proc, summed over the server's live processes (master and workers).

prometheus_client reports the answering process only; a pre-forked server is many processes,
so CPU, memory and descriptors are read for the master and every worker that has a store file.
"""

from __future__ import annotations

import os
import time

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def server_pids(run_dir: str | None) -> list[int]:
    pids = [os.getpid()]
    if run_dir is None:
        return pids
    pids = []
    master = os.environ.get("_ALOFT_MASTER_PID")
    if master and master.isdigit():
        pids.append(int(master))
    for name in os.listdir(run_dir):
        if name.startswith("worker-") and name.endswith(".db"):
            pid = name[len("worker-") : -len(".db")]
            if pid.isdigit():
                pids.append(int(pid))
    # The master has a file too once the app records a metric while it is imported there.
    return list(dict.fromkeys(pids))


def families(run_dir: str | None) -> list[tuple[str, str, str, float]]:
    """(name, type, help, value) of each process family."""
    cpu = rss = 0.0
    fds = 0
    start = time.time()
    boot = _boot_time()
    for pid in server_pids(run_dir):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{pid}/statm", "rb") as fh:
                rss += int(fh.read().split()[1]) * _PAGE
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, IndexError, ValueError):
            continue  # exited between listing and reading
        cpu += (int(fields[11]) + int(fields[12])) / _TICKS
        start = min(start, boot + int(fields[19]) / _TICKS)
    return [
        ("process_cpu_seconds_total", "counter", "CPU time of the server's live processes.", cpu),
        (
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the server's processes.",
            rss,
        ),
        ("process_open_fds", "gauge", "Open file descriptors of the server's processes.", fds),
        (
            "process_start_time_seconds",
            "gauge",
            "Start of the oldest server process (Unix time).",
            start,
        ),
    ]


def _boot_time() -> float:
    try:
        with open("/proc/stat", "rb") as fh:
            for line in fh:
                if line.startswith(b"btime"):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0
