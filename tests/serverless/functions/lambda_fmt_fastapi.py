"""A FastAPI app that reports what reached it, for the event-format tests of the emulator."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.post("/echo/{name}", status_code=201)
async def echo(name: str, request: Request, response: Response) -> dict[str, object]:
    body = await request.body()
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    response.headers["x-app"] = "fastapi"
    return {
        "name": name,
        "method": request.method,
        "tags": request.query_params.getlist("tag"),
        "q": request.query_params.get("q"),
        "cookies": dict(request.cookies),
        "custom": request.headers.get("x-custom"),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_length": len(body),
        "self_url": str(request.url_for("echo", name=name).path),
    }


@app.post("/mirror")
async def mirror(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


@app.get("/notes/{n}/")
async def note(n: int, request: Request) -> dict[str, object]:
    return {"self_url": str(request.url_for("note", n=n).path)}
