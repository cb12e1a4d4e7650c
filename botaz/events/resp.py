"""A lean Redis connection for the event bus's two long-lived jobs: SUBSCRIBE and PUBLISH.

redis-py's PubSub reads one message per `get_message()` call, each under its own timeout, and
its pipeline is a round of Python objects per batch: at 1,000 messages a second that cost about
200 µs of CPU per message on each node, as much as the rest of `POST /api/messages/`
(docs/benchmarks.md, "Redis pub/sub"). Here an asyncio protocol feeds what the socket gives to
hiredis's parser (the same C parser redis-py uses) and hands each reply on in the same callback:
a burst of messages costs one wake-up, and a message one parse.

Only what the bus needs: connect (redis://, rediss://, unix://; user and password; a timeout),
commands written as RESP arrays, replies in order. Silence is the caller's business.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

import hiredis


def command(*parts: bytes) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


class RedisError(ConnectionError):
    pass


class _Protocol(asyncio.Protocol):
    def __init__(self, on_push: Callable[[Any], None] | None) -> None:
        self.reader = hiredis.Reader()
        self.on_push = on_push  # subscriber: every reply (pub/sub pushes) goes here
        # requests waiting for their replies, in order: [replies still due, future, first error]
        self.waiting: deque[list[Any]] = deque()
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        reader.feed(data)
        try:
            while (reply := reader.gets()) is not False:
                if self.waiting:
                    entry = self.waiting[0]
                    if isinstance(reply, hiredis.ReplyError) and entry[2] is None:
                        entry[2] = RedisError(str(reply))
                    entry[0] -= 1
                    if entry[0] == 0:
                        self.waiting.popleft()
                        future = entry[1]
                        if not future.done():
                            if entry[2] is not None:
                                future.set_exception(entry[2])
                            else:
                                future.set_result(reply)
                elif self.on_push is not None:
                    self.on_push(reply)
        except hiredis.ProtocolError as exc:
            self._fail(RedisError(f"protocol error: {exc}"))
            if self.transport is not None:
                self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or RedisError("connection closed"))

    def _fail(self, exc: BaseException) -> None:
        while self.waiting:
            future = self.waiting.popleft()[1]
            if not future.done():
                future.set_exception(exc if isinstance(exc, Exception) else RedisError(str(exc)))
        if not self.closed.done():
            self.closed.set_result(None)


class Connection:
    """One Redis connection. `request()` waits for replies in order; with `on_push`, replies
    nobody waits for (pub/sub messages) go to it, from inside the protocol's callback."""

    def __init__(self, protocol: _Protocol) -> None:
        self._protocol = protocol

    @classmethod
    async def open(cls, url: str, *, timeout: float = 3.0,
                   on_push: Callable[[Any], None] | None = None) -> "Connection":
        parts = urlsplit(url)
        loop = asyncio.get_running_loop()
        protocol_factory = lambda: _Protocol(on_push)  # noqa: E731
        if parts.scheme == "unix":
            _, protocol = await asyncio.wait_for(
                loop.create_unix_connection(protocol_factory, unquote(parts.path)), timeout)
        elif parts.scheme in ("redis", "rediss"):
            context = ssl.create_default_context() if parts.scheme == "rediss" else None
            _, protocol = await asyncio.wait_for(loop.create_connection(
                protocol_factory, parts.hostname or "127.0.0.1", parts.port or 6379, ssl=context),
                timeout)
        else:
            raise ValueError(f"unsupported Redis URL scheme {parts.scheme!r}")
        conn = cls(protocol)
        try:
            password = unquote(parts.password) if parts.password else None
            if password is not None:
                user = unquote(parts.username) if parts.username else None
                args = [b"AUTH", *([user.encode()] if user else []), password.encode()]
                await asyncio.wait_for(conn.request([args]), timeout)
        except BaseException:
            conn.close()
            raise
        return conn

    def request(self, commands: list[list[bytes]]) -> asyncio.Future[Any]:
        """Write the commands at once. The future gets the last reply once every reply is in,
        or the first error reply as RedisError (the connection's end: ConnectionError)."""
        protocol = self._protocol
        if protocol.closed.done() or protocol.transport is None:
            raise RedisError("connection closed")
        future = asyncio.get_running_loop().create_future()
        protocol.waiting.append([len(commands), future, None])
        protocol.transport.write(b"".join(command(*c) for c in commands))
        return future

    def send(self, *parts: bytes) -> None:
        """Write a command whose replies come as pushes (SUBSCRIBE)."""
        protocol = self._protocol
        if protocol.closed.done() or protocol.transport is None:
            raise RedisError("connection closed")
        protocol.transport.write(command(*parts))

    @property
    def closed(self) -> asyncio.Future[None]:
        return self._protocol.closed

    def close(self) -> None:
        if self._protocol.transport is not None:
            self._protocol.transport.abort()
