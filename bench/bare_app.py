"""The baseline for bench/run.py: Starlette + orjson with no botaz code at all.

It answers the shapes botaz answers (a seed message object) without authentication, storage or
validation, so the ratio botaz/bare is what botaz's own work costs on top of the framework.
bench/run.py serves it with the uvicorn settings `botaz serve` uses:

    python -m uvicorn bench.bare_app:app --port 8001 --loop uvloop --http httptools \
        --no-access-log --log-level warning --lifespan on --proxy-headers

Endpoints:
  GET  /api/messages/{id}  a fixed message object, 200 (the reference of every ratio)
  POST /api/messages/      parses the JSON body, answers a message object, 201 (informational)
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MESSAGE = {
    "_id": "qZkS5QLZSBLKzYAwm",
    "userId": "MvSzqx36KksKNxHmK",
    "visitorId": "BtR7qAyvZfTWoaC7a",
    "text": "Good morning! Can I help you?",
    "seen": False,
    "sentAt": "2019-01-03T07:14:07.438Z",
}


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


async def get_message(request: Request) -> Response:
    return JSONResponse(MESSAGE | {"_id": request.path_params["id"]})


async def send_message(request: Request) -> Response:
    body = orjson.loads(await request.body())
    return JSONResponse(MESSAGE | {"text": body.get("text")}, status_code=201)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[
    Route("/api/messages/{id}", get_message, methods=["GET"]),
    Route("/api/messages/", send_message, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
])
