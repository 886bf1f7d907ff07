"""The CLI's start-up does not spend its time in the cycle collector, and leaves the caller's
collector settings as it found them."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from aloft.cli import main

FASTAPI = Path(__file__).resolve().parents[2] / "examples" / "fastapi"

COUNT = """
import gc, sys

from aloft.cli import main

collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info))
try:
    main(["config", "show", "--project", sys.argv[1]])
except SystemExit:
    pass
print(len(collections), file=sys.stderr)
"""


def test_config_show_runs_the_collector_a_few_times_not_dozens() -> None:
    done = subprocess.run(
        [sys.executable, "-c", COUNT, str(FASTAPI)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "[tool.aloft]" in done.stdout
    # At Python's default threshold (700) this was about 40 collections (6% of the command's
    # time) after `aloft.cli` was imported.
    assert int(done.stderr.strip().splitlines()[-1]) <= 2


def test_main_gives_back_the_callers_collector_thresholds() -> None:
    before = gc.get_threshold()
    gc.set_threshold(1234, 11, 12)
    try:
        with pytest.raises(SystemExit):
            main(["--help"])
        assert gc.get_threshold() == (1234, 11, 12)
    finally:
        gc.set_threshold(*before)
