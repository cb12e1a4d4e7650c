"""uvicorn's httptools protocol with the limits it lacks: head size, head and body read time.

httptools (llhttp) buffers a request head for as long as it grows, and uvicorn waits for a head
or a body for as long as the client trickles it in: a 32 MiB header was accepted, and three
connections sending endless headers took hundreds of megabytes. Here each connection counts the
bytes of the head it is reading (431 past `max_header_bytes`) and carries a deadline while it
reads a head or a body (408 and closed when it passes). The deadlines are checked by one timer
per event loop, twice a second, so a request costs a few attribute stores and no timer of its
own. Idle keep-alive connections are uvicorn's own `timeout_keep_alive`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TICK = 0.5


class HeadTooLarge(Exception):
    pass


class Limits:
    __slots__ = ("max_header_bytes", "header_timeout", "body_timeout")

    def __init__(self, max_header_bytes: int, header_timeout: float, body_timeout: float) -> None:
        self.max_header_bytes = max_header_bytes
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout


class Watch:
    """The connections of one event loop that are reading a head or a body, and their deadlines."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.reading: set[GuardedHttpToolsProtocol] = set()
        self.timer: asyncio.TimerHandle | None = None

    def add(self, protocol: GuardedHttpToolsProtocol) -> None:
        self.reading.add(protocol)
        if self.timer is None:
            self.timer = self.loop.call_later(TICK, self._tick)

    def _tick(self) -> None:
        now = self.loop.time()
        for protocol in [p for p in self.reading if p.deadline < now]:
            protocol.timed_out()
        self.timer = self.loop.call_later(TICK, self._tick) if self.reading else None


_watches: dict[asyncio.AbstractEventLoop, Watch] = {}


def watch_for(loop: asyncio.AbstractEventLoop) -> Watch:
    found = _watches.get(loop)
    if found is None:
        for closed in [k for k in _watches if k.is_closed()]:
            del _watches[closed]
        found = _watches[loop] = Watch(loop)
    return found


def _response(status: bytes, message: bytes) -> bytes:
    body = b'{"status":"error","message":"' + message + b'"}'
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    limits: Limits | None = None  # set on the subclass made by protocol_for(); else from the env

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if type(self).limits is None:
            type(self).limits = _limits_from_env()
        self.head_open = False  # a request head has begun and is not complete yet
        self.head_bytes = 0
        self.heads_done = 0
        self.chunk_bytes = 0
        self.deadline = 0.0
        self.watch = watch_for(self.loop)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that sends nothing is closed like one that sends its head too slowly.
        self.deadline = self.loop.time() + self.limits.header_timeout  # type: ignore[union-attr]
        self.watch.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.watch.reading.discard(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's, with a head too large refused with 431 rather than its 400.
        self._unset_keepalive_if_required()
        heads = self.heads_done
        self.chunk_bytes = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, HeadTooLarge):  # raised in on_headers_complete
                self.refuse(b"431 Request Header Fields Too Large",
                            b"The request's headers are too large.")
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        if self.head_open and heads == self.heads_done and not self.transport.is_closing():
            # No head completed in this chunk and one is open: the chunk was (almost always all)
            # head, which httptools holds until it ends.
            self.head_bytes += len(data)
            if self.head_bytes > self.limits.max_header_bytes:  # type: ignore[union-attr]
                self.refuse(b"431 Request Header Fields Too Large",
                            b"The request's headers are too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_open = True
        self.head_bytes = 0
        self.deadline = self.loop.time() + self.limits.header_timeout  # type: ignore[union-attr]
        self.watch.add(self)

    def on_headers_complete(self) -> None:
        limit = self.limits.max_header_bytes  # type: ignore[union-attr]
        if self.head_bytes + self.chunk_bytes > limit and self._head_size() > limit:
            raise HeadTooLarge  # a whole head in one large chunk: counted here, only then
        self.head_open = False
        self.heads_done += 1
        super().on_headers_complete()
        if self.parser.should_upgrade():
            self.deadline = 0.0
            self.watch.reading.discard(self)  # a WebSocket now: its own protocol takes over
            return
        # A body to read (or none): its deadline runs until on_message_complete.
        self.deadline = self.loop.time() + self.limits.body_timeout  # type: ignore[union-attr]

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.deadline = 0.0
        self.watch.reading.discard(self)

    def _head_size(self) -> int:
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers) + 16

    def timed_out(self) -> None:
        self.watch.reading.discard(self)
        self.deadline = 0.0
        if self.transport is None or self.transport.is_closing():
            return
        if not self.head_open and self.heads_done == 0:
            self.transport.close()  # nothing was asked: nothing to answer
            return
        if self.cycle is not None and not self.head_open and self.cycle.response_started:
            self.transport.close()
        else:
            self.refuse(b"408 Request Timeout", b"The request was not received in time.")

    def refuse(self, status: bytes, message: bytes) -> None:
        self.watch.reading.discard(self)
        self.deadline = 0.0
        self.head_open = False
        self.transport.write(_response(status, message))
        self.transport.close()


def _limits_from_env() -> Limits:
    from ..config import Settings

    settings = Settings.from_env()
    return Limits(settings.max_header_bytes, settings.header_timeout, settings.body_timeout)


_classes: dict[tuple[int, float, float], type[GuardedHttpToolsProtocol]] = {}


def protocol_for(max_header_bytes: int, header_timeout: float, body_timeout: float) -> type:
    """The protocol class for these limits (one class per set of limits)."""
    key = (max_header_bytes, header_timeout, body_timeout)
    found = _classes.get(key)
    if found is None:
        found = _classes[key] = type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,),
                                     {"limits": Limits(*key)})
    return found


PROTOCOL = f"{__name__}:GuardedHttpToolsProtocol"
