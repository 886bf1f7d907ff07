"""The `aloft` command: one small module per verb, each a thin layer over the library."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

import click

from aloft.cli._common import print_error
from aloft.exceptions import UserError

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

# Each verb lives in its own module, imported only when that verb runs: `aloft run` never pays
# for the image builder's imports, and a broken verb cannot break the others. `aloft --help`
# imports none of them: it lists each verb with the summary below (tests/cli/test_speed.py checks
# that each summary is the first sentence of its command's own help).
# To add a verb: one line here, "name": ("module:click command", "summary").
COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "aloft.cli.init_cmd:init",
        "Detect the framework and app object of this project and write [tool.aloft] into its"
        " pyproject.toml; add the runtime (aloft-runtime with the asgi or wsgi extra) with uv.",
    ),
    "run": (
        "aloft.cli.run_cmd:run",
        "Serve the app with the production server, probes, metrics, JSON logs and graceful drain.",
    ),
    "config": (
        "aloft.cli.config_cmd:config",
        "Inspect the project config ([tool.aloft] plus ALOFT_* overrides).",
    ),
    "build": (
        "aloft.cli.build_cmd:build_command",
        "Build the app's container image from uv.lock and its source, without a daemon.",
    ),
    "base": (
        "aloft.cli.base_cmd:base_command",
        "Build a minimal, reproducible Python base from Debian packages (verified by apt,"
        " unpacked, never executed): the interpreter, its shared libraries, CA certificates,"
        " time zones and a non-root user.",
    ),
    "dockerfile": (
        "aloft.cli.dockerfile_cmd:dockerfile_command",
        "Print (or --file) a multi-stage Dockerfile equivalent to `aloft build`.",
    ),
    "doctor": (
        "aloft.cli.doctor_cmd:doctor",
        "Check a Python service for what breaks as replicas on Kubernetes or as a Lambda function.",
    ),
    "cost": (
        "aloft.cli.cost_cmd:cost",
        "Monthly cost of the service on Lambda, Fargate and EKS for its traffic; the cheapest.",
    ),
    "profile": (
        "aloft.cli.profile_cmd:profile",
        "Run the app as `aloft run` does, drive a bounded load on 127.0.0.1, save its profile.",
    ),
    "lambda": (
        "aloft.cli.lambda_cmd:lambda_group",
        "Package, template, deploy and locally serve the project's Lambda functions.",
    ),
    "k8s": (
        "aloft.cli.k8s_cmd:k8s",
        "Kubernetes: render secure-by-default manifests, check any manifests, deploy with"
        " rollback.",
    ),
    "logs": (
        "aloft.cli.logs_cmd:logs",
        "Print the service's logs: every pod on Kubernetes (prefixed with the pod's name) or every"
        " function's CloudWatch Logs on Lambda, interleaved by time.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, _, attr = entry[0].partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The verb list from the table, so `--help` imports no verb module."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, _summary(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Verb names from the table too: completing `aloft <TAB>` imports no verb module."""
        from click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=_summary(name, 45))
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]
        return items + click.Command.shell_complete(self, ctx, incomplete)


def _summary(name: str, limit: int) -> str:
    """Shortened exactly as click shortens a command's own help."""
    return click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="aloft-cli", prog_name="aloft")
def cli() -> None:
    """Run one Python service cloud-natively: on Kubernetes or AWS Lambda, from the same code.

    Shell completion: eval "$(_ALOFT_COMPLETE=bash_source aloft)" in ~/.bashrc
    (zsh_source, fish_source for those shells).
    """


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
