"""The one path every HTTP request and WebSocket takes: route, check, call, answer.

Built from the endpoint registry (api/registry.py): literal paths are one dict lookup,
parameterised ones are matched among the templates with the same number of segments. For every
endpoint, in this order and only here: its declared parameters are validated, the caller is
authenticated (`auth=`) and rate-limited, the body is read and parsed (`body=`), the handler is
called, its errors become the JSON envelope, and the response gets its headers (request ID,
nosniff, referrer policy, CSP on pages, CORS for the widget, HSTS on https, X-RateLimit-*), its
metrics and, with BOTAZ_ACCESS_LOG=1, its access-log line.

Why not Starlette's router and middleware: each middleware wraps `send` in another coroutine and
the router tries every route's regex in turn, so a call paid ~3x what the work of the endpoint
costs; the two busiest calls had a hand-written path of their own, which drifted from the
other. Here every endpoint pays for one dict lookup and what it declares.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from typing import Any, AsyncContextManager, Callable

import orjson
from starlette.datastructures import State
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ..chat.accounts import API_TOKEN_PREFIX
from ..chat.errors import DomainError, Invalid
from ..observability import Observer, request_id
from .deps import authenticate_agent, authenticate_visitor_call, count_call
from .http_guard import trust_headers
from .http import STATUS_BY_KIND, ApiError, parse_body, parse_bearer, read_json_body
from .registry import Call, Endpoint

log = logging.getLogger("botaz")

CSP_APP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; media-src 'self' data: blob:; connect-src 'self' ws: wss:; "
           "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'none'")
# The demo page is a stand-in for a customer's site: it may be framed, and runs only our script.
CSP_DEMO = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; "
            "base-uri 'none'")
ALWAYS = [(b"x-content-type-options", b"nosniff"),
          (b"referrer-policy", b"strict-origin-when-cross-origin")]
JSON_HEADERS = [(b"content-type", b"application/json"), *ALWAYS]
HTML_EXTRA = [(b"x-frame-options", b"DENY"),
              (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
              (b"cross-origin-opener-policy", b"same-origin")]
HSTS = (b"strict-transport-security", b"max-age=31536000")
# widget.js on any website calls /widget/v1 and loads /widget.js and attachments (bearer
# tokens, no cookies).
CORS_PREFIXES = ("/widget", "/attachments/")
CORS = [(b"access-control-allow-origin", b"*"),
        (b"access-control-expose-headers", b"Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, "
                                           b"X-RateLimit-Reset, X-Request-ID, Content-Disposition")]
PREFLIGHT = [(b"access-control-allow-origin", b"*"),
             (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, OPTIONS"),
             (b"access-control-allow-headers", b"Authorization, Content-Type, X-Filename, X-Request-ID"),
             (b"access-control-expose-headers", b"Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, "
                                                b"X-RateLimit-Reset, X-Request-ID"),
             (b"access-control-max-age", b"86400")]
trust_headers([*JSON_HEADERS, *HTML_EXTRA, HSTS, *CORS, *PREFLIGHT,
               (b"content-security-policy", CSP_APP.encode()),
               (b"content-security-policy", CSP_DEMO.encode())])
CRASH = "Something went wrong on our side; it has been logged."


class Route:
    """One endpoint at one path template, with what the dispatcher needs of it precomputed."""

    __slots__ = ("endpoint", "template", "handler", "auth", "body", "status", "limit", "query",
                 "path", "metrics")

    def __init__(self, endpoint: Endpoint, template: str) -> None:
        self.endpoint = endpoint
        self.template = template
        self.handler = endpoint.handler
        self.auth = endpoint.auth
        self.body = endpoint.body
        self.status = endpoint.status
        self.limit = endpoint.limit
        self.query = tuple(p for p in endpoint.params if p.where == "query")
        # A plain string path parameter is already checked by the match (non-empty) and the NUL
        # check every path gets; only those with more to check are validated again.
        self.path = tuple(p for p in endpoint.params if p.where == "path"
                          and (p.check is not None or set(p.schema) != {"type"}
                               or p.schema["type"] != "string"))
        self.metrics: dict[int, Any] = {}


class Template:
    """A parameterised path: its segments, None where a parameter goes; a `{name:path}` last
    segment takes the rest of the path."""

    __slots__ = ("text", "segments", "names", "tail", "methods", "literals", "params")

    def __init__(self, text: str) -> None:
        self.text = text
        parts = text[1:].split("/")
        self.tail = parts[-1].endswith(":path}")
        self.segments: list[str | None] = []
        self.names: list[str] = []
        for part in parts:
            if part.startswith("{") and part.endswith("}"):
                self.names.append(part[1:-1].split(":", 1)[0])
                self.segments.append(None)
            else:
                self.segments.append(part)
        self.methods: dict[str, Route] = {}
        self.literals = [(i, s) for i, s in enumerate(self.segments) if s is not None]
        names = iter(self.names)
        self.params = [(i, next(names)) for i, s in enumerate(self.segments) if s is None]

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """The parameters, if `parts` (as many as the segments) match."""
        if self.tail:
            n = len(self.segments)
            if len(parts) < n:
                return None
            parts = [*parts[:n - 1], "/".join(parts[n - 1:])]
        for i, want in self.literals:
            if parts[i] != want:
                return None
        values: dict[str, str] = {}
        for i, name in self.params:
            got = parts[i]
            if not got:
                return None
            values[name] = got
        return values


class Dispatcher:
    def __init__(self, app: Any, endpoints: list[Endpoint], sockets: dict[str, Any],
                 access_log: bool) -> None:
        self.app = app
        self.sockets = sockets
        self.observer = Observer(access_log)
        self.literal: dict[str, dict[str, Route]] = {}
        # Templates by (segment count, first two segments) when those are literal, else by count.
        self.by_prefix: dict[tuple[int, str, str], list[Template]] = {}
        self.by_count: dict[int, list[Template]] = {}
        self.tails: list[Template] = []
        templates: dict[str, Template] = {}
        for ep in endpoints:
            for text in ep.paths:
                route = Route(ep, text)
                if "{" not in text:
                    self.literal.setdefault(text, {}).setdefault(ep.method, route)
                    continue
                template = templates.get(text)
                if template is None:
                    template = templates[text] = Template(text)
                    segments = template.segments
                    if template.tail:
                        self.tails.append(template)
                    elif len(segments) > 2 and segments[0] is not None and segments[1] is not None:
                        key = (len(segments), segments[0], segments[1])
                        self.by_prefix.setdefault(key, []).append(template)
                    else:
                        self.by_count.setdefault(len(segments), []).append(template)
                template.methods.setdefault(ep.method, route)

    # ---------------------------------------------------------------------------- routing

    def find(self, path: str, method: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """The route and path parameters for a request; when none, the methods the path takes
        (empty: no such path)."""
        if method == "HEAD":
            method = "GET"
        allowed: list[str] = []
        methods = self.literal.get(path)
        if methods is not None:
            route = methods.get(method)
            if route is not None:
                return route, {}, allowed
            allowed.extend(methods)
        parts = path[1:].split("/")
        count = len(parts)
        candidates = self.by_prefix.get((count, parts[0], parts[1])) if count > 2 else None
        for group in (candidates or (), self.by_count.get(count, ()), self.tails):
            for template in group:
                values = template.match(parts)
                if values is not None:
                    route = template.methods.get(method)
                    if route is not None:
                        return route, values, allowed
                    allowed.extend(template.methods)
        return None, {}, allowed

    def exists(self, path: str) -> bool:
        route, _, allowed = self.find(path, "GET")
        return route is not None or bool(allowed)

    # ---------------------------------------------------------------------------- ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind == "websocket":
                # Called straight from here: an open socket's coroutine holds every frame of
                # the stack it was called through, for as long as it is open.
                scope["app"] = self.app
                socket = self.sockets.get(scope["path"])
                if socket is None:
                    await send({"type": "websocket.close", "code": 1000, "reason": ""})
                    return
                await socket(scope, receive, send)
            elif kind == "lifespan":
                await self.app.run_lifespan(receive, send)
            return
        scope["app"] = self.app
        started = time.perf_counter()
        method = scope["method"]
        path = scope["path"]
        rid = auth = content_type = length = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                auth = value
            elif key == b"content-type":
                content_type = value
            elif key == b"content-length":
                length = value
            elif key == b"x-request-id":
                rid = value[:100]
        rid = rid or f"{random.getrandbits(64):016x}".encode()
        context = request_id.set(rid.decode("latin-1"))
        cors = path.startswith(CORS_PREFIXES)
        route: Route | None = None
        status = 500
        try:
            if cors and method == "OPTIONS":
                status = 204
                await send({"type": "http.response.start", "status": 204,
                            "headers": [*PREFLIGHT, *ALWAYS, (b"x-request-id", rid)]})
                await send({"type": "http.response.body", "body": b""})
                return
            headers: list[tuple[bytes, bytes]] = []
            result: Any
            try:
                route, params, allowed = self.find(path, method)
                if route is None:
                    result = self.miss(scope, path, allowed)
                    status = result.status_code
                else:
                    status = route.status
                    call = Call(scope, receive)
                    call.path_params = scope["path_params"] = params
                    result = await self.run(route, call, scope, receive, auth, content_type, length)
            except DomainError as exc:
                status = STATUS_BY_KIND.get(exc.kind, 400)
                result = {"status": "error", "message": exc.message}
                retry_after = getattr(exc, "retry_after", None)  # the database is down: 503
                if retry_after is not None:
                    headers.append((b"retry-after", str(retry_after).encode()))
            except ApiError as exc:
                status = exc.status
                result = {"status": "error", "message": exc.message}
                for name, value in (exc.headers or {}).items():
                    headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
            except Exception:
                log.exception("unhandled error on %s %s (request %s)", method, path,
                              rid.decode("latin-1"))
                status = 500
                result = {"status": "error", "message": CRASH}
            verdict = scope.get("state", {}).get("ratelimit")
            if isinstance(result, Response):
                status = await self.respond(result, scope, receive, send, rid, cors, verdict)
                return
            if status == 204:
                payload = b""
                headers += ALWAYS
            else:
                payload = orjson.dumps(result)
                headers += JSON_HEADERS
                headers.append((b"content-length", str(len(payload)).encode()))
            add_headers(headers, scope, rid, cors, verdict)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
        finally:
            self.observer.observe(route, method, status, time.perf_counter() - started, scope)
            request_id.reset(context)

    async def run(self, route: Route, call: Call, scope: Scope, receive: Receive,
                  auth: bytes | None, content_type: bytes | None, length: bytes | None) -> Any:
        state = self.app.state
        call.chat = state.chat
        if route.query or b"%00" in scope["query_string"]:
            check_query(route, call, scope)
        if route.path or "\x00" in scope["path"]:
            for param in route.path:
                param.validate(call.path_params.get(param.name))
            if "\x00" in scope["path"]:
                raise Invalid("The path must not contain NUL characters.")
        kind = route.auth
        if kind is not None:
            token = parse_bearer(auth.decode("latin-1")) if auth is not None else None
            if kind == "either":  # a visitor's token, else an agent (token or session)
                kind = "visitor" if token and not token.startswith(API_TOKEN_PREFIX) else "agent"
            if kind == "agent":
                call.principal = await authenticate_agent(state, call, token)
            else:
                call.visitor = await authenticate_visitor_call(state, call, token)
        if route.limit is not None:
            limit_kind, prefix = route.limit
            client = scope.get("client")
            await count_call(state, scope, limit_kind, prefix + (client[0] if client else "unknown"))
        if route.body is not None:
            raw = await read_json_body(
                receive, state.settings,
                content_type.decode("latin-1") if content_type is not None else None,
                length.decode("latin-1") if length is not None else None)
            call._body = raw  # what call.stream() gives, now that the body has been received
            call.body = parse_body(route.body, raw, state.settings)
        return await route.handler(call)

    def miss(self, scope: Scope, path: str, allowed: list[str]) -> Response:
        """404, or 405 with Allow; a path known with(out) a trailing slash redirects there."""
        if allowed:
            methods = sorted({*allowed, *(["HEAD"] if "GET" in allowed else [])})
            raise ApiError(405, "Method not allowed.", {"Allow": ", ".join(methods)})
        if path != "/":
            other = path[:-1] if path.endswith("/") else path + "/"
            if self.exists(other):
                query = scope["query_string"].decode("latin-1")
                from starlette.responses import RedirectResponse

                return RedirectResponse(other + (f"?{query}" if query else ""), status_code=307)
        raise ApiError(404, "Not found.")

    @staticmethod
    async def respond(response: Response, scope: Scope, receive: Receive, send: Send, rid: bytes,
                      cors: bool, verdict: Any) -> int:
        """A handler's own Response (a file, page, CSV, redirect), with the same headers."""
        headers = response.raw_headers
        headers += ALWAYS
        content_type = next((v for k, v in headers if k == b"content-type"), b"")
        if content_type.startswith(b"text/html"):
            headers.append((b"content-security-policy",
                            (CSP_DEMO if scope["path"] == "/demo" else CSP_APP).encode()))
            if scope["path"] != "/demo":
                headers += HTML_EXTRA
        add_headers(headers, scope, rid, cors, verdict)
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await response(scope, receive, sending)
        except Exception:
            log.exception("unhandled error sending %s %s (request %s)", scope["method"],
                          scope["path"], rid.decode("latin-1"))
            if started:
                raise  # half an answer: the server closes the connection
            payload = orjson.dumps({"status": "error", "message": CRASH})
            await send({"type": "http.response.start", "status": 500, "headers": [
                *JSON_HEADERS, (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", rid)]})
            await send({"type": "http.response.body", "body": payload})
            return 500
        return response.status_code


def add_headers(headers: list[tuple[bytes, bytes]], scope: Scope, rid: bytes, cors: bool,
                verdict: Any) -> None:
    """What every response gets last: its request ID, CORS on the widget's paths, the rate
    limit's verdict and HSTS over HTTPS."""
    headers.append((b"x-request-id", rid))
    if cors:
        headers += CORS
    if verdict is not None:
        headers.extend(verdict.headers())
    if scope.get("scheme") == "https":
        headers.append(HSTS)


def check_query(route: Route, call: Call, scope: Scope) -> None:
    """The declared query parameters (types, bounds, cursors) and, for every parameter, no NUL
    (PostgreSQL cannot store one)."""
    values = call.query_params
    for param in route.query:
        param.validate(values.get(param.name))
    if b"%00" in scope["query_string"]:
        for key, value in values.multi_items():
            if "\x00" in key or "\x00" in value:
                raise Invalid(f"The query parameter {key.replace(chr(0), '')!r} must not "
                              "contain NUL characters.")


class BotazApp:
    """The ASGI application: `state` (storage, bus, settings...), the lifespan that opens and
    closes them, and the dispatcher that answers every request."""

    def __init__(self, endpoints: list[Endpoint], sockets: dict[str, Any],
                 lifespan: Callable[[Any], AsyncContextManager[None]], access_log: bool) -> None:
        self.state = State()
        self.lifespan = lifespan
        self.dispatch = Dispatcher(self, endpoints, sockets, access_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.dispatch(scope, receive, send)

    async def run_lifespan(self, receive: Receive, send: Send) -> None:
        """ASGI lifespan: startup runs the lifespan context up to its yield, shutdown the rest."""
        started = False
        await receive()  # lifespan.startup
        try:
            async with self.lifespan(self):
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # lifespan.shutdown
        except BaseException:
            text = traceback.format_exc()
            await send({"type": "lifespan.shutdown.failed" if started else "lifespan.startup.failed",
                        "message": text})
            raise
        await send({"type": "lifespan.shutdown.complete"})

