"""An app whose lifespan shutdown leaves a mark: did the environment get to run its hooks?"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aloft.runtime.aws_lambda import lambda_handler


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                Path(os.environ["SHUTDOWN_MARK"]).write_text(str(os.getpid()))
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})


handler = lambda_handler(app)
