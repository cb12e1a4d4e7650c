"""uvicorn's sans-I/O WebSocket protocol, trimmed for tens of thousands of idle sockets.

A connected widget mostly waits. What it costs while waiting is what bounds how many fit in one
process (docs/benchmarks.md measures it per socket), so this subclass keeps only what an open
socket needs: the handshake's request and response objects are dropped once it is accepted, and
the receive queue and the write gate are a list and a flag that allocate a future only while
somebody actually waits, where asyncio.Queue and asyncio.Event each carry deques from birth.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import Protocol, State


class Inbox:
    """The part of asyncio.Queue the protocol uses (put_nowait, get, empty), unbounded like it."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            # One reader per socket (the ASGI app's receive loop): a single waiter is enough.
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class Gate:
    """The part of asyncio.Event the protocol uses for write flow control."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> None:
        while not self._open:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            await waiter


PING_PAYLOAD = b"botaz"
PING_FRAME = b"\x89\x05" + PING_PAYLOAD  # FIN + ping, unmasked (server to client), 5 bytes
PONG_HEAD = b"\x8a\x85"  # FIN + pong, masked (client to server), 5 bytes
PAYLOAD_INT = int.from_bytes(PING_PAYLOAD, "big")


class Keepalive:
    """Pings every open socket once per interval from one timer per event loop.

    uvicorn arms two timers per socket per ping; with 18,000 sockets that is 1,800 timer objects
    a second that each outlive a young garbage collection, and the collector's pauses, not the
    requests, then set the delivery latency tail. Here sockets sit in buckets of 50 ms: each
    tick pings one bucket's sockets, and closes those that have not answered the ping sent to
    them one interval earlier. Small buckets keep each tick short (18,000 sockets pinged every
    20 s are 45 pings a tick): all pongs arriving at once would stall the loop as a collection does.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop = loop
        self.tick = min(0.05, interval)
        self.buckets: list[set[LeanWebSocketProtocol]] = [set() for _ in range(max(1, round(interval / self.tick)))]
        self.position = 0
        self.timer: asyncio.TimerHandle | None = None
        self.size = 0

    def add(self, protocol: LeanWebSocketProtocol) -> int:
        # The bucket just visited comes round last: a new socket's first ping is one interval away.
        index = (self.position - 1) % len(self.buckets)
        self.buckets[index].add(protocol)
        self.size += 1
        if self.timer is None:
            self.timer = self.loop.call_later(self.tick, self._tick)
        return index

    def discard(self, protocol: LeanWebSocketProtocol, index: int) -> None:
        bucket = self.buckets[index]
        if protocol in bucket:
            bucket.remove(protocol)
            self.size -= 1

    def _tick(self) -> None:
        bucket = self.buckets[self.position]
        self.position = (self.position + 1) % len(self.buckets)
        for protocol in tuple(bucket):
            protocol.keepalive_round()
        self.timer = self.loop.call_later(self.tick, self._tick) if self.size else None


_keepalives: dict[tuple[asyncio.AbstractEventLoop, float], Keepalive] = {}


def keepalive_for(loop: asyncio.AbstractEventLoop, interval: float) -> Keepalive:
    found = _keepalives.get((loop, interval))
    if found is None or found.loop.is_closed():
        for key in [k for k, v in _keepalives.items() if v.loop.is_closed()]:
            del _keepalives[key]
        found = _keepalives[(loop, interval)] = Keepalive(loop, interval)
    return found


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Gate()  # type: ignore[assignment]
        self.keepalive_bucket = -1

    # keepalive: one shared timer (Keepalive above) instead of uvicorn's two per socket

    def start_keepalive(self) -> None:
        if self.ping_interval and self.keepalive_bucket < 0:
            self.keepalive_bucket = keepalive_for(self.loop, self.ping_interval).add(self)

    def stop_keepalive(self) -> None:
        if self.keepalive_bucket >= 0 and self.ping_interval:
            keepalive_for(self.loop, self.ping_interval).discard(self, self.keepalive_bucket)
            self.keepalive_bucket = -1
        self.pending_ping_payload = None

    def keepalive_round(self) -> None:
        if self.close_sent or self.transport.is_closing():
            self.stop_keepalive()
            return
        if self.pending_ping_payload is not None:
            # No answer to the last ping, sent one interval ago: the peer is gone.
            self.stop_keepalive()
            self.keepalive_timeout()
            return
        self.pending_ping_payload = PING_PAYLOAD
        self.ping_sent_at = self.loop.time()
        # Written directly: the frame is a constant, and going through websockets would leave new
        # lists on its connection object after every ping (see data_received).
        self.transport.write(PING_FRAME)

    def data_received(self, data: bytes) -> None:
        # The answer to our ping, alone in a read and at a frame boundary, is recognised here.
        # Handed to websockets' parser, each pong would leave a fresh parser generator, frame
        # object and lists behind on an idle socket: 4 objects per socket per interval that
        # outlive young collections, which at 18,000 sockets made most of the collector's work.
        if (len(data) == 11 and data[:2] == PONG_HEAD and self.pending_ping_payload is not None
                and not self.conn.reader.buffer):
            mask = int.from_bytes(data[2:6] + data[2:3], "big")
            if int.from_bytes(data[6:11], "big") ^ mask == PAYLOAD_INT:
                self.last_ping_rtt = self.loop.time() - self.ping_sent_at
                self.pending_ping_payload = None
                return
        super().data_received(data)

    def handle_pong(self, event: Any) -> None:
        if self.pending_ping_payload is not None and bytes(event.data) == self.pending_ping_payload:
            self.last_ping_rtt = self.loop.time() - self.ping_sent_at
            self.pending_ping_payload = None

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # Only the handshake reads these; an open socket has no further use for them.
            self.request = self.response = None  # type: ignore[assignment]
            self._restart_parser()

    def _restart_parser(self) -> None:
        """websockets' server parser is one generator that parses the handshake request and then
        every frame, so its frame keeps the request (all its headers) alive while the socket is
        open. Once accepted, a frame parser started afresh is the same parser without them: the
        client sends no frame before it has our 101, so nothing is half-read at this point."""
        conn = self.conn
        if conn.state is not State.OPEN or conn.reader.buffer:
            return
        conn.parser = Protocol.parse(conn)
        next(conn.parser)


PROTOCOL = f"{__name__}:LeanWebSocketProtocol"
