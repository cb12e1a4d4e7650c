"""WebSocket endpoints: /widget/v1/ws for a visitor, /api/ws for an agent."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator, Awaitable, Callable

import orjson
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..chat import activity, visitors
from ..chat.accounts import Principal
from ..chat.context import Chat
from ..chat.errors import DomainError, NotFound
from ..chat.messages import missed_messages
from ..chat.schemas import WidgetVisitorCreate
from ..chat.views import for_visitor
from ..chat.visitors import authenticate_visitor
from ..store.db import Row
from .deps import count_call, widget_origin
from ..config import parse_rate
from .http import ApiError, convert, domain_error_response, error_response
from .hub import Connection, Hub
from .inbound import CLOSE_POLICY, COST, Budget, VisitorInbound
from .registry import WEBSOCKETS, Websocket

log = logging.getLogger("botaz.ws")

RESUME_WAIT = 0.5  # how long a new socket holds live events for the client's resume frame

WEBSOCKETS.append(Websocket("/widget/v1/ws?token=<visitorToken>", "the visitor's conversation"))
WEBSOCKETS.append(Websocket("/widget/v1/ws?siteKey=<siteKey>",
                            "a new visitor's conversation: the visitor is made at the handshake "
                            "and its token comes in the first frame, widget.ready"))
WEBSOCKETS.append(Websocket("/api/ws?token=<apiToken>", "every conversation of the account"))


def _token(ws: WebSocket) -> str | None:
    token = ws.query_params.get("token")
    if token:
        return token
    header = ws.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def _deny(ws: WebSocket, exc: DomainError | ApiError) -> None:
    if isinstance(exc, ApiError):
        response = error_response(exc.status, exc.message, exc.headers)
    else:
        response = domain_error_response(exc)
    try:
        await ws.send_denial_response(response)
    except RuntimeError:  # server without the denial-response extension
        unauthenticated = isinstance(exc, DomainError) and exc.kind == "unauthenticated"
        await ws.close(code=4401 if unauthenticated else 4403)


async def _widget_visitor(chat: Chat, ws: WebSocket) -> tuple[Row, dict[str, Any] | None]:
    """The visitor of a widget socket: its token's, or, with ?siteKey= and no token, one made at
    the handshake exactly as POST /widget/v1/visitors makes it (same origin check, same rate
    limit); then also what that endpoint answers, for the widget.ready frame."""
    token = _token(ws)
    site_key = ws.query_params.get("siteKey")
    if token or site_key is None:
        return await authenticate_visitor(chat, token, widget_origin(ws)), None
    await count_call(ws.app.state, ws.scope, "visitor_create",
                     ws.client.host if ws.client else "unknown")
    agent = ws.headers.get("user-agent")
    created = await visitors.do_create_visitor(
        chat, convert(WidgetVisitorCreate, {"siteKey": site_key,
                                            "userAgent": agent[:1000] if agent else None}),
        widget_origin(ws))
    return await authenticate_visitor(chat, created["visitorToken"]), created


async def _widget_ready(chat: Chat, row: Row, created: dict[str, Any] | None) -> str:
    """The widget.ready frame: all a widget starting on a page needs, so that it makes no HTTP
    request (docs/widget.md, "What the widget loads")."""
    from .widget import site_config

    config = await site_config(chat, await chat.store.get_account(row["account_id"]))
    if created is not None:
        data = {"config": config, "visitorId": created["visitorId"],
                "visitorToken": created["visitorToken"], "visitor": for_visitor(created["visitor"]),
                "unread": 0, "lastMessageId": None}
    else:
        data = {"config": config, "visitorId": row["id"],
                "visitor": for_visitor(await visitors.visitor_object(chat, row)),
                **await activity.widget_state(chat, row)}
    return orjson.dumps({"event": "widget.ready", "data": data}).decode()


async def _resume(chat: Chat, conn: Connection, after: Any) -> None:
    """Send what the socket missed (chat/messages.py decides what), then let live events through
    (none twice: the floor skips live copies of what the resume sent)."""
    conn.hold()
    try:
        visitor_id = conn.visitor_id if conn.kind == "visitor" else None
        async for messages, seq in missed_messages(chat, conn.account_id, visitor_id, after):
            for data in messages:
                await conn.send(orjson.dumps({"event": "message.created", "data": data}).decode())
            conn.floor = max(conn.floor, seq)
    except NotFound as exc:
        await conn.send(orjson.dumps({"event": "error", "data": {"message": exc.message}}).decode())
    finally:
        conn.release()


class TooNoisy(Exception):
    pass


async def _frames(receive: Receive, own: Budget,
                  shared: Budget | None) -> AsyncIterator[dict[str, Any]]:
    """The client's frames that its budgets allow (api/inbound.py); TooNoisy when it keeps on."""
    loop = asyncio.get_running_loop()
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text") or message.get("bytes")
        frame = None
        if raw:
            try:
                frame = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
        if not isinstance(frame, dict):
            frame = None
        kind = frame.get("type") if frame is not None else None
        cost = COST.get(kind, 1) if isinstance(kind, str) else 1
        now = loop.time()
        if not own.take(cost, now):
            if own.exhausted:
                raise TooNoisy
            continue
        if shared is not None and not shared.take(cost, now):
            continue
        if frame is not None:
            yield frame


def _forget_handshake(scope: Scope) -> None:
    """An open socket no longer needs its handshake's headers and query (the token among them);
    with thousands of sockets open they are a good part of what each one costs."""
    scope["headers"] = []
    scope["query_string"] = b""
    scope.pop("state", None)


async def visitor_socket(scope: Scope, receive: Receive, send: Send) -> None:
    ws = WebSocket(scope, receive, send)
    chat: Chat = ws.app.state.chat
    hub: Hub = ws.app.state.hub
    try:
        row, created = await _widget_visitor(chat, ws)
    except (DomainError, ApiError) as exc:
        await _deny(ws, exc)
        return
    wants_ready = created is not None or ws.query_params.get("ready") == "1"
    most = chat.settings.max_sockets_per_visitor
    if not await hub.admit_visitor(row["id"], most):
        await ws.send_denial_response(error_response(
            429, f"A visitor may have at most {most} sockets open."))
        return
    try:
        await ws.accept()
    except BaseException:
        hub.release_visitor_slot(row["id"])  # counted by admit_visitor, never registered
        raise
    del ws
    _forget_handshake(scope)
    # The socket's whole life needs only these two IDs, not the visitor's row.
    visitor = {"id": row["id"], "account_id": row["account_id"]}
    conn = Connection(send, "visitor", visitor["account_id"], visitor_id=visitor["id"],
                      max_queue=hub.max_queue)
    shared = hub.inbound.get(visitor["id"])
    if shared is None:
        shared = hub.inbound[visitor["id"]] = VisitorInbound(*parse_rate(
            chat.settings.ws_frames_visitor, "ws_frames_visitor"))

    def emit_typing(typing: bool) -> None:
        activity.do_typing(chat, visitor, None, typing)

    async def on_typing(frame: dict[str, Any]) -> None:
        shared.offer_typing(bool(frame.get("typing")), emit_typing)

    async def on_presence(online: bool) -> None:
        await activity.do_visitor_presence(chat, visitor, online)

    async def on_page(frame: dict[str, Any]) -> None:
        try:  # as POST /widget/v1/pages; a frame that fails its checks is dropped
            await activity.do_page_visit(chat, visitor, convert(activity.PageVisit, {
                k: v for k, v in frame.items() if k != "type"}))
        except DomainError:
            pass

    ready = None
    if wants_ready:
        async def ready() -> None:
            nonlocal row, created
            text = await _widget_ready(chat, row, created)
            del row, created  # as below: an open socket keeps only the two IDs
            await conn.send(text)
    else:
        del row, created

    await _session(chat, hub, conn, receive, on_typing, on_presence, shared=shared.budget,
                   first=ready, more={"page": on_page})


async def agent_socket(scope: Scope, receive: Receive, send: Send) -> None:
    ws = WebSocket(scope, receive, send)
    chat: Chat = ws.app.state.chat
    hub: Hub = ws.app.state.hub
    try:
        principal: Principal = await ws.app.state.agent_from_socket(ws, _token(ws))
    except DomainError as exc:
        await _deny(ws, exc)
        return
    await ws.accept()
    del ws
    _forget_handshake(scope)
    conn = Connection(send, "agent", principal.account_id, agent_id=principal.agent_id,
                      max_queue=hub.max_queue, token_id=principal.token_id,
                      session=principal.session)

    async def on_typing(frame: dict[str, Any]) -> None:
        try:
            await activity.do_agent_typing(chat, principal, convert(activity.Typing, {
                "visitorId": frame.get("visitorId"), "typing": bool(frame.get("typing"))}))
        except DomainError:
            pass  # a typing frame for a stranger's visitor is simply not relayed

    async def on_presence(online: bool) -> None:
        await activity.do_agent_presence(chat, principal.agent_id)

    await _session(chat, hub, conn, receive, on_typing, on_presence, is_bot=principal.is_bot)


async def _session(chat: Chat, hub: Hub, conn: Connection, receive: Receive,
                   on_typing: Callable[[dict[str, Any]], Awaitable[None]],
                   on_presence: Callable[[bool], Awaitable[None]], is_bot: bool = False,
                   shared: Budget | None = None,
                   first: Callable[[], Awaitable[None]] | None = None,
                   more: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] | None = None) -> None:
    """A socket's life: registered with the hub, reading client frames until it goes away.

    `first` sends the socket's first frame (widget.ready) once it is registered: live events
    wait behind it, and the wait for a resume frame starts after it. `more` handles further
    client frame types."""
    loop = asyncio.get_running_loop()
    timer = None if first is not None else loop.call_later(RESUME_WAIT, conn.release)
    own = Budget(*parse_rate(chat.settings.ws_frames_socket, "ws_frames_socket"))
    if hub.connect(conn, is_bot=is_bot):
        await on_presence(True)
    try:
        if first is not None:
            await first()
            first = None
            timer = loop.call_later(RESUME_WAIT, conn.release)
        async for frame in _frames(receive, own, shared):
            kind = frame.get("type")
            if kind == "resume":
                if timer is not None:
                    timer.cancel()
                await _resume(chat, conn, frame.get("after"))
            elif kind == "typing":
                await on_typing(frame)
            elif more and kind in more:
                await more[kind](frame)
            if conn.closed:
                break
    except TooNoisy:
        # Only this socket pays: closed with 1008, its visitor free to reconnect.
        conn.closed = True
        conn.stop_writer()
        try:
            async with conn.send_lock:
                await conn.close(CLOSE_POLICY, "too many frames")
        except Exception:
            pass
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if timer is not None:
            timer.cancel()
        if hub.disconnect(conn):
            await on_presence(False)
