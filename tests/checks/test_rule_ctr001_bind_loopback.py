from checkkit import marked

BAD = """
import socket
from http.server import HTTPServer, SimpleHTTPRequestHandler

import uvicorn
from flask import Flask

app = Flask(__name__)


def serve():
    uvicorn.run("main:app", host="127.0.0.1", port=8000)  # <-


def legacy():
    HTTPServer(("localhost", 8080), SimpleHTTPRequestHandler).serve_forever()  # <-


def raw():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 9000))  # <-


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)  # <-
"""

GOOD = """
import os

import uvicorn
from flask import Flask

app = Flask(__name__)


def serve():
    uvicorn.run("main:app", host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "0.0.0.0"))
"""


def test_reports_servers_bound_to_loopback(check):
    assert check("CTR001", BAD) == marked(BAD)


def test_all_interfaces_and_configured_hosts_stay_quiet(check):
    assert check("CTR001", GOOD) == []
