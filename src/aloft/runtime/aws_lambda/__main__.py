"""`python -m aloft.runtime.aws_lambda [module.handler]`: the bootstrap of a Lambda function.

The handler is the argument, else `_HANDLER` (what Lambda sets), else aloft's own handler for
the app named by ALOFT_APP (so a project with `[tool.aloft] app = ...` writes no handler at all).
"""

from __future__ import annotations

import os
import sys

from aloft.runtime.aws_lambda.runtime_api import run

DEFAULT_HANDLER = "aloft.runtime.aws_lambda.entry.handler"


def main(argv: list[str]) -> int:
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("aloft: AWS_LAMBDA_RUNTIME_API is not set; this runs inside Lambda\n")
        return 2
    spec = argv[0] if argv else os.environ.get("_HANDLER") or DEFAULT_HANDLER
    return run(spec, address)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
