"""A Flask app that reports what reached it, for the event-format tests of the emulator."""

from __future__ import annotations

import hashlib

from flask import Flask, Response, jsonify, request, url_for

app = Flask(__name__)


@app.post("/echo/<name>")
def echo(name: str) -> Response:
    body = request.get_data()
    response = jsonify(
        name=name,
        method=request.method,
        tags=request.args.getlist("tag"),
        q=request.args.get("q"),
        cookies=dict(request.cookies),
        custom=request.headers.get("X-Custom"),
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_length=len(body),
        self_url=url_for("echo", name=name),
    )
    response.status_code = 201
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    response.headers["X-App"] = "flask"
    return response


@app.post("/mirror")
def mirror() -> Response:
    return Response(request.get_data(), mimetype="application/octet-stream")


@app.get("/notes/<int:n>/")
def note(n: int) -> Response:
    return jsonify(self_url=url_for("note", n=n))
