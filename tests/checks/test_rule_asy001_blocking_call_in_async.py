from checkkit import marked

BAD = """
import subprocess
import time
from time import sleep

import httpx
import psycopg2
import requests
from fastapi import FastAPI

app = FastAPI()
session = requests.Session()


@app.get("/slow")
async def slow():
    time.sleep(0.5)  # <-
    sleep(1)  # <-
    r = requests.get("https://example.com/api")  # <-
    session.post("https://example.com/api", json={})  # <-
    httpx.get("https://example.com")  # <-
    conn = psycopg2.connect(dsn)  # <-
    conn.cursor()  # <-
    subprocess.run(["convert", "a.png", "b.jpg"])  # <-
    data = open("/data/big.bin", "rb").read()  # <-
    return {"ok": True}
"""

GOOD = """
import asyncio
import time

import httpx
import requests
from fastapi import FastAPI

app = FastAPI()
client = httpx.AsyncClient()


@app.get("/fast")
async def fast():
    await asyncio.sleep(0.5)
    r = await client.get("https://example.com")
    data = await asyncio.to_thread(requests.get, "https://example.com")
    await asyncio.to_thread(time.sleep, 1)
    try:
        r.raise_for_status()
    except requests.exceptions.HTTPError:
        pass

    def blocking_helper():
        time.sleep(1)

    await asyncio.to_thread(blocking_helper)
    return {"ok": True}


@app.get("/sync")
def sync_handler():
    time.sleep(0.1)
    return requests.get("https://example.com").json()
"""


def test_reports_blocking_calls_inside_async_handlers(check):
    assert check("ASY001", BAD) == marked(BAD)


def test_async_clients_threads_and_sync_handlers_stay_quiet(check):
    assert check("ASY001", GOOD) == []
