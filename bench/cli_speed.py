"""Start-up of the `aloft` command, each run as a whole process, beside `python -c pass`.

Every command is started ROUNDS times, interleaved with the yardstick (`python -c pass` of the
same interpreter) so a machine that speeds up or slows down moves both; each figure is the median
wall time and the median CPU time (user + system, from wait4) of the finished process. The goals
(issue 16): `--help` under 0.1 s, `config show` and `k8s render` under 0.2 s.
Run: uv run --all-groups python bench/cli_speed.py [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "examples" / "fastapi"
ALOFT = str(Path(sys.executable).parent / "aloft")
IMAGE = "registry.example/shop@sha256:" + "a" * 64
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    # The floor under every verb: the CLI library (the config verbs import no pydantic now).
    "import click": [sys.executable, "-c", "import click"],
    "aloft --help": [ALOFT, "--help"],
    "aloft config show": [ALOFT, "config", "show", "--project", str(PROJECT)],
    "aloft k8s render": [ALOFT, "k8s", "render", "--project", str(PROJECT), "--image", IMAGE],
}
GOALS = {"aloft --help": 0.1, "aloft config show": 0.2, "aloft k8s render": 0.2}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=PROJECT, env=env
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    # Installed tools keep their bytecode (__pycache__): measure that, not a compile per run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env = {k: v for k, v in env.items() if not k.startswith("ALOFT_")}
    for argv in COMMANDS.values():  # warm-up: bytecode written, files in the page cache
        run_once(argv, env)
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, argv in COMMANDS.items():
            wall, cpu = run_once(argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall = {name: statistics.median(v) for name, v in walls.items()}
    cpu = {name: statistics.median(v) for name, v in cpus.items()}
    base = "python -c pass"
    load = os.getloadavg()[0]
    print(
        f"{rounds} rounds, {os.cpu_count()} CPUs, load average {load:.1f}, {sys.version.split()[0]}"
    )
    print(f"{'command':21} {'wall s':>8} {'cpu s':>8} {'wall/pass':>10} {'cpu/pass':>9}  goal")
    for name in COMMANDS:
        goal = GOALS.get(name)
        verdict = (
            "" if goal is None else f"< {goal} s: {'met' if cpu[name] < goal else 'not met'} (cpu)"
        )
        print(
            f"{name:21} {wall[name]:8.3f} {cpu[name]:8.3f} {wall[name] / wall[base]:10.1f}"
            f" {cpu[name] / cpu[base]:9.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
