from checkkit import marked

BAD = """
import hashlib

import bcrypt
from fastapi import FastAPI

app = FastAPI()


@app.post("/login")
async def login(password: str, salt: bytes):
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)  # <-
    ok = bcrypt.checkpw(password.encode(), key)  # <-
    total = 0
    for i in range(10_000_000):  # <-
        total += i
    return {"ok": ok}
"""

GOOD = """
import asyncio
import hashlib

from fastapi import FastAPI

app = FastAPI()


@app.post("/login")
async def login(password: str, salt: bytes):
    key = await asyncio.to_thread(hashlib.pbkdf2_hmac, "sha256", password.encode(), salt, 600_000)
    for i in range(100):
        pass
    for i in range(1_000_000):
        await asyncio.sleep(0)
    return {"key": key.hex()}


def sync_login(password: str, salt: bytes):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
"""


def test_reports_password_hashing_and_huge_loops_on_the_event_loop(check):
    assert check("ASY002", BAD) == marked(BAD)


def test_offloaded_work_small_loops_and_sync_functions_stay_quiet(check):
    assert check("ASY002", GOOD) == []
