"""Import time of aloft's runtime (and its middleware) versus prometheus_client and mangum.

Each module is imported in a fresh interpreter with `python -X importtime`, several rounds
interleaved; the figure is the median cumulative time of the top-level import, in microseconds.
Run: uv run --all-groups python bench/import_time.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys

MODULES = {
    "aloft.runtime": "import aloft.runtime",
    "aloft.runtime (+ ASGI middleware)": "import aloft.runtime.asgi",
    "aloft.runtime (+ WSGI middleware)": "import aloft.runtime.wsgi",
    "prometheus_client": "import prometheus_client",
    "mangum": "import mangum",
}
ROUNDS = 9


def cumulative_us(statement: str) -> int:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    target = statement.rsplit(maxsplit=1)[-1]
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == target:
            return int(parts[1])
    raise RuntimeError(f"no importtime line for {target}")


def main() -> None:
    samples: dict[str, list[int]] = {name: [] for name in MODULES}
    for _ in range(ROUNDS):
        for name, statement in MODULES.items():
            samples[name].append(cumulative_us(statement))
    median = {name: statistics.median(values) for name, values in samples.items()}
    print(f"{'module':38} {'median us':>10} {'vs mangum':>10} {'vs prometheus_client':>21}")
    for name, value in median.items():
        print(
            f"{name:38} {value:>10.0f} {value / median['mangum']:>10.3f}"
            f" {value / median['prometheus_client']:>21.3f}"
        )
    print(
        "\ntarget: aloft.runtime under 0.25 x mangum -> "
        f"{median['aloft.runtime'] / median['mangum']:.3f}"
    )


if __name__ == "__main__":
    main()
