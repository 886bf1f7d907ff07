"""The `aloft` command: one small module per verb, each a thin layer over the library."""

from __future__ import annotations

import sys

import click

from aloft.cli import config_cmd, run_cmd
from aloft.cli._common import print_error
from aloft.exceptions import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="aloft", prog_name="aloft")
def cli() -> None:
    """Run one Python service cloud-natively: on Kubernetes or AWS Lambda, from the same code."""


cli.add_command(run_cmd.run)
cli.add_command(config_cmd.config)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="aloft", standalone_mode=False)
    except click.exceptions.Abort:
        print_error("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        print_error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)
