"""create_app(settings): routes, middleware and the lifespan that opens storage and the bus."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api import agents, auth, bots, dashboard, files, messages, settings, team, visitors, webhooks, widget  # noqa: F401,E501
from .api import push as push_api  # noqa: F401
from .api import link
from .api import availability  # noqa: F401 (its endpoints register on import)
from .api.availability import OnlineWatch
from .chat.assignment import AutoAssigner
from .api import mail as mail_api  # noqa: F401
from .api import reports  # noqa: F401
from .api import articles as _articles, help as help_centre  # noqa: F401 (registers endpoints)
from .api import identity as _identity  # noqa: F401 (registers endpoints)
from .api.deps import agent_from_socket
from .api.hot import HotPath
from .api.hub import Hub
from .api.sockets import agent_socket, visitor_socket
from .api.http import ApiError, domain_error_response, error_response, json_response
from .api.openapi import openapi_json, reference_page
from .api.registry import ENDPOINTS
from .chat.bots import BotRunner
from .chat.context import Chat
from .chat.errors import DomainError
from .config import Settings
from .events import EventBus
from .events.redis_bus import RedisEventBus
from . import gc_policy
from .push.sender import PushSender
from .observability import Observe, configure_logging, healthz, metrics, readyz, watch_gc
from .ratelimit import MemoryLimiter, RedisLimiter
from .store import Store
from .webhooks.dispatcher import Dispatcher
from .mail.sender import Mailer

log = logging.getLogger("botaz")

HTTP_MESSAGES = {404: "Not found.", 405: "Method not allowed.", 400: "Bad request."}


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
HTML_EXTRA = [(b"x-frame-options", b"DENY"),
              (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
              (b"cross-origin-opener-policy", b"same-origin")]


class ResponseHeaders:
    """nosniff and a referrer policy everywhere, a Content-Security-Policy on every page, and
    X-RateLimit-* on every response of a rate-limited call (not only on 429s)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        demo = scope["path"] == "/demo"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *ALWAYS]
                verdict = scope.get("state", {}).get("ratelimit")
                if verdict is not None:
                    headers.extend(verdict.headers())
                content_type = next((v for k, v in headers if k == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    headers.append((b"content-security-policy", (CSP_DEMO if demo else CSP_APP).encode()))
                    if not demo:
                        headers.extend(HTML_EXTRA)
                if scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class WidgetCORS:
    """Lets widget.js on any website call /widget/v1 and load /widget.js (bearer tokens, no cookies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(("/widget", "/attachments/")):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, OPTIONS"),
                (b"access-control-allow-headers", b"Authorization, Content-Type, X-Filename, X-Request-ID"),
                (b"access-control-expose-headers", b"Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, "
                                                   b"X-RateLimit-Reset, X-Request-ID"),
                (b"access-control-max-age", b"86400"),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"access-control-allow-origin", b"*"),
                                      (b"access-control-expose-headers", b"Retry-After, X-RateLimit-Limit, "
                                       b"X-RateLimit-Remaining, X-RateLimit-Reset, X-Request-ID, "
                                       b"Content-Disposition")]
            await send(message)

        await self.app(scope, receive, send_with_cors)


HOT_PATHS = ("/api/messages/{id}", "/api/messages/", "/api/messages")


def api_routes() -> list[BaseRoute]:
    """One route per endpoint and path; the seed's message routes first, since the router tries
    routes in order and they carry most of the traffic."""
    pairs = [(path, ep) for ep in ENDPOINTS for path in ep.paths]
    pairs.sort(key=lambda pair: HOT_PATHS.index(pair[0]) if pair[0] in HOT_PATHS else len(HOT_PATHS))
    return [Route(path, ep.handler, methods=[ep.method]) for path, ep in pairs]


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return domain_error_response(exc)


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = HTTP_MESSAGES.get(exc.status_code, exc.detail or "Request failed.")
    return error_response(exc.status_code, message, dict(exc.headers or {}))


async def on_crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Something went wrong on our side; it has been logged.")


class BotazApp(Starlette):
    """Starlette with the hot path in front of everything, even the 500 handler's wrapper:
    HotPath answers its own errors, so the two busiest calls pay for no layer they don't use.
    The two WebSocket endpoints are called from there too: an open socket's coroutine holds
    every frame of the stack it was called through, for as long as it is open."""

    hot_path_access_log = False

    def build_middleware_stack(self) -> ASGIApp:
        return HotPath(super().build_middleware_stack(), access_log=self.hot_path_access_log,
                       sockets={"/widget/v1/ws": visitor_socket, "/api/ws": agent_socket})


def create_app(settings: Settings, **state: Any) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = await Store.open(settings.database_url)
        bus: EventBus = (RedisEventBus(settings.redis_url, settings.redis_namespace())
                         if settings.redis_url else EventBus())
        await bus.start()
        app.state.chat = Chat(store, bus, settings)
        app.state.hub = Hub(bus, settings.max_queue, store)
        app.state.chat.presence = app.state.hub
        await app.state.hub.start()
        app.state.dispatcher = Dispatcher(app.state.chat, poll_interval=settings.webhook_poll_interval,
                                          backoff_scale=settings.webhook_backoff_scale)
        app.state.dispatcher.start()
        app.state.push = PushSender(app.state.chat, poll_interval=settings.webhook_poll_interval,
                                    backoff_scale=settings.webhook_backoff_scale)
        app.state.push.start()
        app.state.mailer = Mailer(app.state.chat, poll_interval=settings.webhook_poll_interval,
                                  backoff_scale=settings.webhook_backoff_scale)
        app.state.mailer.start()
        app.state.bots = BotRunner(app.state.chat)
        app.state.assigner = AutoAssigner(app.state.chat)
        app.state.online_watch = OnlineWatch(app.state.chat, app.state.hub)
        app.state.online_watch.start()
        app.state.limiter = None
        if settings.rate_limits:
            app.state.limiter = RedisLimiter(settings.redis_url, settings.redis_namespace()) if settings.redis_url else MemoryLimiter()
        gc_policy.start()
        watch_gc()
        freezer = asyncio.get_running_loop().create_task(gc_policy.keep_freezing())
        app.state.smtp = None
        if settings.smtp_port is not None:  # replies by email (docs/email.md)
            from .api.smtp import SmtpReceiver

            app.state.smtp = SmtpReceiver(app.state, settings.host, settings.smtp_port)
            await app.state.smtp.start()
        try:
            yield
        finally:
            if app.state.smtp is not None:
                await app.state.smtp.stop()
            freezer.cancel()
            await app.state.bots.stop()
            await app.state.assigner.stop()
            await app.state.online_watch.stop()
            if app.state.limiter is not None:
                await app.state.limiter.close()
            await app.state.push.stop()
            await app.state.mailer.stop()
            await app.state.dispatcher.stop()
            await app.state.hub.shutdown()
            app.state.hub.stop()
            await bus.stop()
            await store.close()

    routes: list[BaseRoute] = [
        *api_routes(),
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        Route("/api/docs", reference_page, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/widget.js", files.widget_js, methods=["GET"]),
        Route("/widget/{name:str}", files.widget_module, methods=["GET"]),
        Route("/demo", files.demo_page, methods=["GET"]),
        Route("/c/{token}", link.conversation_page, methods=["GET"]),
        Route("/login", dashboard.login_page, methods=["GET"]),
        Route("/reset-password", dashboard.reset_page, methods=["GET"]),
        Route("/", dashboard.app_page, methods=["GET"]),
        Route("/chat/{visitorId}", dashboard.app_page, methods=["GET"]),
        Route("/agents", dashboard.app_page, methods=["GET"]),
        Route("/visitors", dashboard.app_page, methods=["GET"]),
        Route("/settings", dashboard.app_page, methods=["GET"]),
        Route("/reports", dashboard.app_page, methods=["GET"]),
        Route("/articles", dashboard.app_page, methods=["GET"]),
        *help_centre.routes(),
        Route("/dashboard/assets/{path:path}", dashboard.asset, methods=["GET"]),
        Route("/sw.js", dashboard.service_worker, methods=["GET"]),
        Route("/manifest.webmanifest", dashboard.manifest, methods=["GET"]),
    ]
    app = BotazApp(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            DomainError: on_domain_error,
            ApiError: on_api_error,
            HTTPException: on_http_error,
            Exception: on_crash,
        },
    )
    app.state.settings = settings
    app.state.agent_from_socket = agent_from_socket
    for key, value in state.items():
        setattr(app.state, key, value)
    app.add_middleware(ResponseHeaders)
    app.add_middleware(WidgetCORS)
    app.add_middleware(Observe)
    app.hot_path_access_log = os.environ.get("BOTAZ_ACCESS_LOG") == "1"
    return app


def app_from_env() -> Starlette:
    """For `botaz serve --workers N`: each worker process builds its app from the environment."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
