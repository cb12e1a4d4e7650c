"""The seed's two busiest calls, GET /api/messages/:id and POST /api/messages/, answered
without the general router and middleware stack.

They call the same domain functions with the same checks, errors and headers as every other
endpoint (the tests hold both paths to one behaviour); only the plumbing is leaner: no route
scan, no Request/Response objects, no exception-middleware layers. Anything unusual (no bearer
token, a session cookie, an access log to write) takes the general path instead.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from ..chat import messages
from ..chat.accounts import authenticate_token
from ..chat.errors import DomainError
from ..observability import LATENCY, REQUESTS
from .deps import count_call
from ..chat.schemas import MessageCreate
from .http import STATUS_BY_KIND, ApiError, check_json_type, parse_body, too_large

log = logging.getLogger("botaz")

PREFIX = "/api/messages"
ONE = len("/api/messages/")
BASE_HEADERS = [(b"content-type", b"application/json"), (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"strict-origin-when-cross-origin")]


class HotPath:
    def __init__(self, app: ASGIApp, access_log: bool = False,
                 sockets: dict[str, ASGIApp] | None = None) -> None:
        self.app = app
        self.access_log = access_log
        self.sockets = sockets or {}
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.sockets.get(scope["path"], self.app)(scope, receive, send)
            return
        if scope["type"] != "http" or self.access_log or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if method == "POST" and path in ("/api/messages/", "/api/messages"):
            route = "/api/messages/"
        elif method == "GET" and len(path) > ONE and "/" not in path[ONE:]:
            route = "/api/messages/{id}"
        else:
            await self.app(scope, receive, send)
            return
        token = content_type = length = rid = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                token = value
            elif key == b"content-type":
                content_type = value
            elif key == b"content-length":
                length = value
            elif key == b"x-request-id":
                rid = value[:100]
        if token is None or token[:7].lower() != b"bearer ":
            await self.app(scope, receive, send)  # sessions and 401s: the general path
            return
        started = time.perf_counter()
        state = scope["app"].state
        headers: list[tuple[bytes, bytes]] = []
        try:
            principal = await authenticate_token(state.chat, token[7:].strip().decode("latin-1"))
            await count_call(state, scope, "token", principal.token_id or principal.agent_id)
            if route == "/api/messages/":
                body = await self._body(receive, state.settings, content_type, length)
                status, data = 201, await messages.do_send_agent_message(state.chat, principal, body)
            else:
                status, data = 200, await messages.get_message(state.chat, principal, path[ONE:])
        except DomainError as exc:
            status = STATUS_BY_KIND.get(exc.kind, 400)
            data = {"status": "error", "message": exc.message}
            retry_after = getattr(exc, "retry_after", None)  # the database is down: 503
            if retry_after is not None:
                headers = [(b"retry-after", str(retry_after).encode())]
        except ApiError as exc:
            status, data = exc.status, {"status": "error", "message": exc.message}
            headers = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
        except Exception:
            log.exception("unhandled error on %s %s", method, path)
            status = 500
            data = {"status": "error", "message": "Something went wrong on our side; it has been logged."}
        payload = orjson.dumps(data)
        headers += BASE_HEADERS
        headers.append((b"content-length", str(len(payload)).encode()))
        headers.append((b"x-request-id", rid or f"{random.getrandbits(64):016x}".encode()))
        verdict = scope.get("state", {}).get("ratelimit")
        if verdict is not None:
            headers.extend(verdict.headers())
        if scope.get("scheme") == "https":
            headers.append((b"strict-transport-security", b"max-age=31536000"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        self._observe(route, method, status, time.perf_counter() - started)

    @staticmethod
    async def _body(receive: Receive, settings: Any, content_type: bytes | None,
                    length: bytes | None) -> MessageCreate:
        check_json_type((content_type or b"").decode("latin-1"))
        limit = settings.max_body_bytes
        if length is not None:
            if not length.isdigit():
                raise ApiError(400, "Content-Length is not a number.")
            if int(length) > limit:
                raise ApiError(413, too_large(limit))
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ApiError(400, "The client went away before sending the whole body.")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise ApiError(413, too_large(limit))
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return parse_body(MessageCreate, b"".join(chunks), settings)

    def _observe(self, route: str, method: str, status: int, elapsed: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (REQUESTS.labels(route, method, str(status)), LATENCY.labels(route, method))
            self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)
