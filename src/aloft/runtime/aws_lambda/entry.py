"""The handler for the app named by ALOFT_APP: `aloft.runtime.aws_lambda.entry.handler`.

Importing this module is Lambda's init phase: the app is imported and its lifespan started here,
once per execution environment. Works with any Runtime API client, AWS's awslambdaric included.
"""

from __future__ import annotations

import os

from aloft.runtime.appload import load_app
from aloft.runtime.aws_lambda.handler import lambda_handler

_spec = os.environ.get("ALOFT_APP", "")
handler = lambda_handler(load_app(_spec) if _spec else None)
