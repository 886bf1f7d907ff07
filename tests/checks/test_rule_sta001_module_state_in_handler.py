from checkkit import marked

BAD = """
import time
from collections import defaultdict

from flask import Flask, request, session

app = Flask(__name__)
SESSIONS = {}
RATE = defaultdict(list)
RECENT = []


def remember(user_id, item):
    RECENT.append((user_id, item))  # <-


@app.post("/login")
def login():
    token = request.form["token"]
    SESSIONS[token] = {"user": request.form["user"], "at": time.time()}  # <-
    return "ok"


@app.get("/items/<item>")
def item(item):
    RATE[request.remote_addr].append(time.time())  # <-
    remember(session.get("user"), item)
    return item


@app.post("/logout")
def logout():
    SESSIONS.pop(request.form["token"], None)  # <-
    return "bye"
"""

GOOD = """
from fastapi import FastAPI

app = FastAPI()
ROUTES = {}
DEFAULTS = {"page_size": 20}


def register(name):
    def wrap(fn):
        ROUTES[name] = fn
        return fn
    return wrap


@register("list")
@app.get("/items")
def list_items(page_size: int = 0):
    params = dict(DEFAULTS)
    params["page_size"] = page_size or DEFAULTS["page_size"]
    seen = []
    seen.append(params)
    return {"items": [], "params": params}


@app.get("/cache")
def cache_view():
    SESSIONS = {}
    SESSIONS["x"] = 1
    return SESSIONS
"""


def test_reports_module_containers_written_by_handlers_and_their_helpers(check):
    assert check("STA001", BAD) == marked(BAD)


def test_import_time_registries_reads_and_local_copies_stay_quiet(check):
    assert check("STA001", GOOD) == []


def test_message_names_the_kind_of_store(messages):
    found = messages("STA001", BAD)
    assert any("in-process session store SESSIONS" in m and "login()" in m for m in found)
