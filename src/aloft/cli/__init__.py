"""The `aloft` command: one small module per verb, each a thin layer over the library."""

from __future__ import annotations

import importlib
import sys

import click

from aloft.cli._common import print_error
from aloft.exceptions import UserError

# Each verb lives in its own module, imported only when that verb runs: `aloft run` never pays
# for the image builder's imports, and a broken verb cannot break the others.
# To add a verb: one line here, "name": "module:click command".
COMMANDS = {
    "init": "aloft.cli.init_cmd:init",
    "run": "aloft.cli.run_cmd:run",
    "config": "aloft.cli.config_cmd:config",
    "build": "aloft.cli.build_cmd:build_command",
    "base": "aloft.cli.base_cmd:base_command",
    "dockerfile": "aloft.cli.dockerfile_cmd:dockerfile_command",
    "doctor": "aloft.cli.doctor_cmd:doctor",
    "cost": "aloft.cli.cost_cmd:cost",
    "profile": "aloft.cli.profile_cmd:profile",
    "lambda": "aloft.cli.lambda_cmd:lambda_group",
    "k8s": "aloft.cli.k8s_cmd:k8s",
    "logs": "aloft.cli.logs_cmd:logs",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="aloft-cli", prog_name="aloft")
def cli() -> None:
    """Run one Python service cloud-natively: on Kubernetes or AWS Lambda, from the same code."""


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
