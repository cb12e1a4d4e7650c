#!/usr/bin/env python3
"""CPU time of one request inside the ASGI app, without uvicorn, sockets or wrk.

    PYTHONPATH=. .venv/bin/python bench/inprocess.py get|post|put|visitor|putv|visitors [--profile]

Drives create_app() directly with fabricated ASGI scopes on a fresh SQLite database (rate limits
off, as bench/run.py) and prints the best of 7 runs of N requests (N=3000, env N) in process CPU
microseconds per request: what the app itself costs, which a loaded machine disturbs much less
than wrk's req/s. --profile prints cProfile's top functions of one more run.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from typing import Any

import orjson

from botaz.app import create_app
from botaz.chat.accounts import do_create_account
from botaz.config import Settings


async def main(which: str, profile: bool) -> None:
    tmp = tempfile.mkdtemp(prefix="botaz-inprocess-")
    app = create_app(Settings(database_url=f"sqlite:///{tmp}/p.db", rate_limits=False, data_dir=tmp))
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    outbox: asyncio.Queue[Any] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app({"type": "lifespan"}, inbox.get, outbox.put))
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    account = await do_create_account(app.state.chat, name="A", agent_name="B",
                                      agent_email="bench@example.com", agent_password="secret-pass")
    token = account["apiToken"].encode()

    async def call(method: str, path: str, body: bytes = b"") -> Any:
        sent: list[Any] = []

        async def receive() -> Any:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        await app({"type": "http", "method": method, "path": path, "query_string": b"",
                   "scheme": "http", "client": ("127.0.0.1", 1),
                   "headers": [(b"host", b"x"), (b"authorization", b"Bearer " + token),
                               (b"content-type", b"application/json")]}, receive, send)
        return orjson.loads(sent[1]["body"]) if sent[1]["body"] else None

    vid = (await call("POST", "/widget/v1/visitors", orjson.dumps({
        "siteKey": account["siteKey"], "userAgent": "x", "appName": "x", "appVersion": "x",
        "platform": "x", "cookieEnabled": True})))["visitorId"]
    message = orjson.dumps({"userId": account["agentId"], "visitorId": vid, "text": "Hello"})
    mid = (await call("POST", "/api/messages/", message))["_id"]
    cases = {
        "get": ("GET", f"/api/messages/{mid}", b""),
        "post": ("POST", "/api/messages/", message),
        "put": ("PUT", f"/api/messages/{mid}", b'{"text": "Good morning!"}'),
        "visitor": ("GET", f"/api/visitors/{vid}", b""),
        "putv": ("PUT", f"/api/visitors/{vid}", b'{"name": "Bench Visitor"}'),
        "visitors": ("GET", "/api/visitors", b""),
    }
    method, path, body = cases[which]
    n = int(os.environ.get("N", 3000))

    async def run() -> float:
        started = time.process_time()
        for _ in range(n):
            await call(method, path, body)
        return (time.process_time() - started) / n * 1e6

    await run()  # warm-up
    print(f"{which}: {min([await run() for _ in range(7)]):.1f} us CPU/request")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        await run()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], "--profile" in sys.argv))
