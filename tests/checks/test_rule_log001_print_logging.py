import textwrap
from pathlib import Path

from checkkit import marked, run_rule

from aloft.checks.doctor.engine import Doctor, DoctorOptions
from aloft.checks.suppress import Policy

BAD = """
from fastapi import FastAPI

app = FastAPI()


@app.post("/orders")
async def create_order(order: dict):
    print("creating order", order["id"])  # <-
    print(f"total={order['total']}")  # <-
    return order
"""

GOOD = """
import logging
import sys

import click

logger = logging.getLogger(__name__)


def handle(event):
    logger.info("got event %s", event["id"])


def write_csv(rows, fh):
    for row in rows:
        print(*row, sep=",", file=fh)


@click.command()
def export():
    print("done")


def main():
    print("usage: app serve")


if __name__ == "__main__":
    print("starting")
"""


def test_reports_print_in_service_code(check):
    assert check("LOG001", BAD) == marked(BAD)


def test_loggers_cli_commands_file_output_and_main_guard_stay_quiet(check):
    assert check("LOG001", GOOD) == []


def test_scripts_folder_may_print(check):
    assert check("LOG001", {"scripts/seed_db.py": 'print("seeded")\n'}) == []


def test_fix_rewrites_prints_as_logger_calls_and_adds_the_logger(tmp_path: Path):
    findings = run_rule(tmp_path, "LOG001", BAD)
    doctor = Doctor(tmp_path, DoctorOptions(policy=Policy(disabled=frozenset())))
    report = doctor.run()
    report.findings = findings
    (fix,) = doctor.fixes(report)
    assert fix.new == textwrap.dedent("""\
        from fastapi import FastAPI
        import logging

        logger = logging.getLogger(__name__)

        app = FastAPI()


        @app.post("/orders")
        async def create_order(order: dict):
            logger.info("%s %s", "creating order", order["id"])  # <-
            logger.info(f"total={order['total']}")  # <-
            return order
        """)
    assert '-    print("creating order", order["id"])  # <-' in fix.diff()
    assert fix.diff().startswith("--- a/app.py\n+++ b/app.py\n")


def test_fix_reuses_an_existing_logger_and_leaves_unusual_prints(tmp_path: Path):
    code = textwrap.dedent("""\
        import logging
        import sys

        log = logging.getLogger("orders")


        def handle(event):
            print("event", event, file=sys.stderr)
            print("a", "b", sep="-")
        """)
    findings = run_rule(tmp_path, "LOG001", code)
    doctor = Doctor(tmp_path)
    report = doctor.run()
    report.findings = findings
    (fix,) = doctor.fixes(report)
    assert 'log.warning("%s %s", "event", event)' in fix.new
    assert 'print("a", "b", sep="-")' in fix.new
    assert fix.new.count("getLogger") == 1


def test_fixed_file_is_written_atomically_and_parses(tmp_path: Path):
    findings = run_rule(tmp_path, "LOG001", BAD)
    doctor = Doctor(tmp_path)
    report = doctor.run()
    report.findings = findings
    (fix,) = doctor.fixes(report)
    fix.write()
    assert (tmp_path / "app.py").read_text() == fix.new
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert run_rule(tmp_path, "LOG001", {}) == []
