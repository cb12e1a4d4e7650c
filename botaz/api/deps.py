"""Who is calling: an agent (API token or dashboard session) or a visitor (visitor token)."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request

from ..chat.accounts import Principal, authenticate_token
from ..chat.context import Chat
from ..chat.errors import Forbidden, Unauthenticated
from ..chat.sessions import authenticate_session
from ..chat.visitors import authenticate_visitor
from ..store.db import Row
from .http import ApiError

SESSION_COOKIE = "botaz_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def chat_of(request: HTTPConnection) -> Chat:
    return request.app.state.chat


async def count_call(state: Any, scope: Any, kind: str, key: str) -> None:
    """Count one call against a rate limit; the verdict's headers go on the response."""
    limiter = state.limiter
    if limiter is None:
        return
    count, window = state.settings.rate(kind)
    verdict = await limiter.hit(f"{kind}:{key}", count, window)
    scope.setdefault("state", {})["ratelimit"] = verdict
    if not verdict.allowed:
        raise ApiError(429, "Too many requests; slow down and retry after the time in Retry-After.",
                       {"Retry-After": str(verdict.reset)})


async def authenticate_agent(state: Any, call: Request, token: str | None) -> Principal:
    """An API token wins; otherwise the dashboard's session cookie, with CSRF on state changes.
    Called by the dispatcher for endpoints declared auth="agent"."""
    chat = state.chat
    if token is not None or SESSION_COOKIE not in call.cookies:
        principal = await authenticate_token(chat, token)
        if state.limiter is not None:
            await count_call(state, call.scope, "token", principal.token_id or principal.agent_id)
        return principal
    principal = await authenticate_session(chat, call.cookies[SESSION_COOKIE])
    if call.method not in SAFE_METHODS:
        sent = call.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent.encode(), (principal.csrf or "").encode()):
            raise Forbidden("CSRF token missing or wrong; reload the page.")
    return principal


async def agent_from_socket(conn: HTTPConnection, token: str | None) -> Principal:
    chat = conn.app.state.chat
    if token:
        return await authenticate_token(chat, token)
    session = conn.cookies.get(SESSION_COOKIE)
    if not session:
        raise Unauthenticated()
    # Browsers send cookies with cross-site WebSocket handshakes: only our own pages may use them.
    origin = conn.headers.get("origin")
    if origin and urlsplit(origin).netloc != conn.headers.get("host"):
        raise Forbidden("This origin may not open the agents' socket.")
    return await authenticate_session(chat, session)


def widget_origin(conn: HTTPConnection) -> str | None:
    """The Origin that the account's allowedOrigins must list; None for botaz's own pages (the
    conversation link's page), which are not one of the account's websites."""
    origin = conn.headers.get("origin")
    if origin and urlsplit(origin).netloc == conn.headers.get("host"):
        return None
    return origin


async def authenticate_visitor_call(state: Any, call: Request, token: str | None) -> Row:
    """The visitor of a visitor token, from an allowed origin; for auth="visitor"."""
    row = await authenticate_visitor(state.chat, token, widget_origin(call))
    if state.limiter is not None:
        await count_call(state, call.scope, "visitor", row["id"])
    return row
