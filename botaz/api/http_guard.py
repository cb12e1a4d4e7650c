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
import urllib.parse
from typing import Any

import httptools
from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

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


# Header lines the dispatcher sends as constants (api/dispatch.py): checked once, here, instead of
# by uvicorn's two regular expressions on every response.
_checked: set[tuple[bytes, bytes]] = set()
_checked_defaults: Any = None  # uvicorn's default header lines (Server, Date) last checked


def trust_headers(headers: list[tuple[bytes, bytes]]) -> None:
    for name, value in headers:
        if (httptools_impl.HEADER_RE.search(name) or httptools_impl.HEADER_VALUE_RE.search(value)
                or name != name.lower() or name in (b"content-length", b"transfer-encoding",
                                                     b"connection")):
            raise ValueError(f"not a constant header line: {name!r}: {value!r}")
        _checked.add((name, value))


class OneWriteCycle(RequestResponseCycle):
    """uvicorn's request cycle, but a response whose start is followed by its whole body (every
    JSON answer) is written at once, as one buffer: uvicorn writes the head when the start
    arrives and the body after, two system calls and two segments on the wire. Header lines the
    dispatcher sends as constants skip uvicorn's per-line checks; the others are checked as
    uvicorn checks them. Anything else (a streamed body, an access log, a paused transport, a
    `connection` or `transfer-encoding` header) is written by uvicorn's own code. Measured in
    docs/design.md ("Under the dispatcher")."""

    held: Any = None

    async def send(self, message: Any) -> None:
        if not self.response_started and not self.disconnected:
            if message["type"] != "http.response.start":
                raise RuntimeError(f"Expected ASGI message 'http.response.start', but got "
                                   f"'{message['type']}'.")
            self.response_started = True
            self.waiting_for_100_continue = False
            self.held = message
            return
        held = self.held
        if held is None:
            await super().send(message)
            return
        self.held = None
        if (message["type"] != "http.response.body" or message.get("more_body", False)
                or self.disconnected or self.access_log or self.flow.write_paused
                or not self._write_whole(held, message.get("body", b""))):
            self.response_started = False  # uvicorn's way, from the start
            await super().send(held)
            await super().send(message)

    def _write_whole(self, start: Any, body: bytes) -> bool:
        global _checked_defaults
        status = start["status"]
        content = [httptools_impl.STATUS_LINE[status]]
        length: int | None = None
        defaults = self.default_headers
        fresh = defaults is not _checked_defaults  # uvicorn makes a new list when the Date changes
        if fresh:
            headers = (*defaults, *start.get("headers", ()))
        else:
            for name, value in defaults:
                content.extend((name, b": ", value, b"\r\n"))
            headers = start.get("headers", ())
        for name, value in headers:
            if name == b"content-length" and value.isdigit():
                length = int(value)
            elif (name, value) not in _checked:
                if httptools_impl.HEADER_RE.search(name):
                    raise RuntimeError("Invalid HTTP header name.")
                if httptools_impl.HEADER_VALUE_RE.search(value):
                    raise RuntimeError("Invalid HTTP header value.")
                name = name.lower()
                if name == b"content-length":
                    length = int(value.decode())
                elif name == b"transfer-encoding" or name == b"connection":
                    return False
            content.extend((name, b": ", value, b"\r\n"))
        if fresh:
            _checked_defaults = defaults
        no_body = self.scope["method"] == "HEAD" or status in (204, 304)
        if not no_body:
            if length is None:
                content.append(b"content-length: %d\r\n" % len(body))
            elif length != len(body):
                raise RuntimeError("Response content length does not match Content-Length")
        if not self.keep_alive:
            content.append(b"connection: close\r\n")
        content.append(b"\r\n")
        if not no_body:
            content.append(body)
        self.transport.write(b"".join(content))
        self.response_complete = True
        self.message_event.set()
        if not self.keep_alive:
            self.transport.close()
        self.on_response()
        return True


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
        self._headers_complete()
        if self.parser.should_upgrade():
            self.deadline = 0.0
            self.watch.reading.discard(self)  # a WebSocket now: its own protocol takes over
            return
        # A body to read (or none): its deadline runs until on_message_complete.
        self.deadline = self.loop.time() + self.limits.body_timeout  # type: ignore[union-attr]

    def _headers_complete(self) -> None:
        # uvicorn's on_headers_complete (0.54 to 0.59), with OneWriteCycle for the cycle.
        http_version = self.parser.get_http_version()
        method = self.parser.get_method()
        self.scope["method"] = method.decode("ascii")
        if http_version != "1.1":
            self.scope["http_version"] = http_version
        if self.parser.should_upgrade() and self._should_upgrade():
            return
        parsed_url = httptools.parse_url(self.url)
        raw_path = parsed_url.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        self.scope["path"] = self.root_path + path
        self.scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        self.scope["query_string"] = parsed_url.query or b""
        if self.limit_concurrency is not None and (
                len(self.connections) >= self.limit_concurrency
                or len(self.tasks) >= self.limit_concurrency):
            app = httptools_impl.service_unavailable
            self.logger.warning("Exceeded concurrency limit.")
        else:
            app = self.app
        existing_cycle = self.cycle
        self.cycle = OneWriteCycle(
            scope=self.scope, transport=self.transport, flow=self.flow, logger=self.logger,
            access_logger=self.access_logger, access_log=self.access_log,
            default_headers=self.server_state.default_headers, message_event=asyncio.Event(),
            expect_100_continue=self.expect_100_continue,
            keep_alive=http_version != "1.0" and self.parser.should_keep_alive(),
            on_response=self.on_response_complete)
        if existing_cycle is None or existing_cycle.response_complete:
            self._start_asgi_task(self.cycle, app)
        else:  # pipelined requests wait their turn
            self.flow.pause_reading()
            self.pipeline.appendleft((self.cycle, app))

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
