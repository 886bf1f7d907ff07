"""The shop with one of each mistake doctor knows (the test adds it to a copy of the example)."""

import configparser
import logging
import os
import signal
import sqlite3
import threading
import time
from functools import lru_cache

import bcrypt
import redis
import uvicorn
from fastapi import FastAPI
from flask_limiter import Limiter

app = FastAPI(debug=True)
STRIPE_KEY = "sk_live_51HqLyjWDarjtT1zdp7dc4eC39"
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "admin")
cache = redis.Redis(host="redis-master.cache")
CARTS = {}
limiter = Limiter(lambda: "x")
handler = logging.FileHandler("shop.log")
syslog = logging.handlers.SysLogHandler()
config = configparser.ConfigParser()
config.read("shop.ini")
threading.Thread(target=time.time, daemon=True).start()
signal.signal(signal.SIGTERM, signal.SIG_IGN)


@lru_cache
def discounts(user_id):
    return {}


@app.post("/carts/{cart_id}")
async def add_to_cart(cart_id: str, item: str):
    CARTS[cart_id] = item
    time.sleep(0.1)
    bcrypt.hashpw(item.encode(), bcrypt.gensalt())
    print("added", item)
    return {"ok": True}


@app.get("/export")
def export():
    sqlite3.connect("shop.db")
    return {"cached": cache is not None}


@app.get("/healthz")
def health():
    return {"ok": True}


def serve():
    uvicorn.run(app, host="127.0.0.1")
