"""`python -m aloft.runtime serve`: the entry point of every image aloft builds."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aloft.runtime",
        description="aloft's runtime. Configured only by ALOFT_* environment variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve",
        help="run the app (ALOFT_APP) on the production server with probes, metrics and drain",
    )
    args = parser.parse_args(argv)
    if args.command == "serve":
        from aloft.runtime.exceptions import SettingsError
        from aloft.runtime.options import ServeOptions

        try:
            options = ServeOptions.from_env(os.environ)
        except SettingsError as exc:
            print(f"aloft: error: {exc}", file=sys.stderr)
            return 2
        if not options.app:
            print(
                "aloft: error: ALOFT_APP is not set; set it to 'module:attribute'", file=sys.stderr
            )
            return 2
        from aloft.runtime.serve import serve

        return serve(options)
    return 2


if __name__ == "__main__":
    sys.exit(main())
