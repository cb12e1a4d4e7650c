"""WebSocket endpoints: /widget/v1/ws for a visitor, /api/ws for an agent."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator, Awaitable, Callable

import orjson
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..chat import activity
from ..chat.accounts import Principal
from ..chat.context import Chat
from ..chat.errors import DomainError
from ..chat.messages import visible_to_visitor
from ..chat.views import message_json
from ..chat.visitors import authenticate_visitor
from .deps import widget_origin
from ..config import parse_rate
from .http import convert, domain_error_response, error_response
from .hub import Connection, Hub
from .inbound import CLOSE_POLICY, COST, Budget, VisitorInbound
from .registry import WEBSOCKETS, Websocket

log = logging.getLogger("botaz.ws")

RESUME_WAIT = 0.5  # how long a new socket holds live events for the client's resume frame
RESUME_MAX = 1000

WEBSOCKETS.append(Websocket("/widget/v1/ws?token=<visitorToken>", "the visitor's conversation"))
WEBSOCKETS.append(Websocket("/api/ws?token=<apiToken>", "every conversation of the account"))


def _token(ws: WebSocket) -> str | None:
    token = ws.query_params.get("token")
    if token:
        return token
    header = ws.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def _deny(ws: WebSocket, exc: DomainError) -> None:
    try:
        await ws.send_denial_response(domain_error_response(exc))
    except RuntimeError:  # server without the denial-response extension
        await ws.close(code=4401 if exc.kind == "unauthenticated" else 4403)


async def _resume(chat: Chat, conn: Connection, after: Any) -> None:
    """Send every message after `after` in order, then let live events through (none twice)."""
    conn.hold()
    try:
        if after is None and conn.kind == "agent":
            return
        seq = 0
        if after is not None:
            if not isinstance(after, str):
                return
            found = await chat.store.message_seq(conn.visitor_id, conn.account_id, after)
            if found is None:
                await conn.send(orjson.dumps({"event": "error", "data": {
                    "message": "Unknown message ID in resume."}}).decode())
                return
            seq = found
        while True:
            if conn.kind == "visitor":
                rows = await chat.store.list_messages_after(visitor_id=conn.visitor_id,
                                                            after_seq=seq, limit=RESUME_MAX)
            else:
                rows = await chat.store.list_messages_after(account_id=conn.account_id,
                                                            after_seq=seq, limit=RESUME_MAX)
            visitor = (await chat.store.get_visitor(conn.account_id, conn.visitor_id)
                       if conn.kind == "visitor" else None)
            for row in rows:
                if visitor is not None and not visible_to_visitor(visitor, row):
                    seq = max(seq, int(row["seq"]))
                    continue
                await conn.send(orjson.dumps({"event": "message.created",
                                              "data": message_json(row)}).decode())
                seq = max(seq, int(row["seq"]))
            conn.floor = max(conn.floor, seq)
            if len(rows) < RESUME_MAX:
                return
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
        row = await authenticate_visitor(chat, _token(ws), widget_origin(ws))
    except DomainError as exc:
        await _deny(ws, exc)
        return
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
    del row
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

    await _session(chat, hub, conn, receive, on_typing, on_presence, shared=shared.budget)


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
                   shared: Budget | None = None) -> None:
    """A socket's life: registered with the hub, reading client frames until it goes away."""
    timer = asyncio.get_running_loop().call_later(RESUME_WAIT, conn.release)
    own = Budget(*parse_rate(chat.settings.ws_frames_socket, "ws_frames_socket"))
    if hub.connect(conn, is_bot=is_bot):
        await on_presence(True)
    try:
        async for frame in _frames(receive, own, shared):
            kind = frame.get("type")
            if kind == "resume":
                timer.cancel()
                await _resume(chat, conn, frame.get("after"))
            elif kind == "typing":
                await on_typing(frame)
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
        timer.cancel()
        if hub.disconnect(conn):
            await on_presence(False)
