"""A notes API kept in Django's Redis cache."""

from __future__ import annotations

import json
import logging
import time

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from aloft.runtime import add_readiness_check

log = logging.getLogger("notes")


def _redis_ping() -> bool:
    cache.set("notes:ping", "1", timeout=5)
    return cache.get("notes:ping") == "1"


add_readiness_check("redis", _redis_ping)


def index(request: HttpRequest) -> HttpResponse:
    try:
        views = cache.incr("notes:views")
    except ValueError:  # first visit: the key does not exist yet
        cache.add("notes:views", 0, timeout=None)
        views = cache.incr("notes:views")
    log.info("notes index", extra={"views": views})
    return JsonResponse({"service": "notes", "views": views})


@csrf_exempt
def note(request: HttpRequest, note_id: int) -> HttpResponse:
    key = f"notes:note:{note_id}"
    if request.method == "PUT":
        try:
            body = json.loads(request.body or b"null")
        except json.JSONDecodeError:
            body = None
        if not isinstance(body, dict) or "text" not in body:
            return JsonResponse({"error": "send a JSON object with a text"}, status=400)
        cache.set(key, body)
        return JsonResponse(body)
    stored = cache.get(key)
    if stored is None:
        return JsonResponse({"error": "no such note"}, status=404)
    return JsonResponse(stored)


def report(request: HttpRequest) -> HttpResponse:
    seconds = min(max(float(request.GET.get("seconds", "1")), 0.0), 30.0)
    time.sleep(seconds)
    return JsonResponse({"report": "done", "seconds": seconds})


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("this endpoint always fails, to show error logs")
