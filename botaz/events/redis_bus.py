"""Redis pub/sub fan-out, so that several botaz nodes deliver each other's events.

Every event is delivered to this node's listeners at once, then sent to Redis by one publisher
task (keeping order); events from other nodes arrive marked `remote` and reach only the
listeners that care about them (sockets and presence), never the work done once per event.

Pub/sub delivers only to those subscribed at the moment of publishing: whatever other nodes
published while this node's subscription was broken never arrives. The bus notices a break (an
error, or silence: every node hears its own heartbeat every few seconds) and tells its gap
listeners when it opened and when the subscription is whole again, so that the hub can send its
sockets what they missed from the store (botaz/api/hub.py, catch_up).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import hiredis
import orjson

from .bus import Event, EventBus
from .resp import Connection, RedisError

log = logging.getLogger("botaz.events")

MAX_BACKLOG = 100_000
MAX_LOST = 1_000_000  # seqs of dropped messages remembered, to tell the other nodes
LOST_CHUNK = 10_000
# Every node publishes a presence snapshot every 5 s (botaz/api/hub.py) and hears its own: this
# long without a word, the subscription is taken for broken even if its TCP connection looks open.
SILENCE = 12.0


class RedisEventBus(EventBus):
    distributed = True

    def __init__(self, url: str, namespace: str = "botaz") -> None:
        super().__init__()
        import redis.asyncio as redis

        self.url = url
        self.namespace = namespace
        # Bounded waits: a Redis that hangs (stopped, or cut off without a reset) fails calls in
        # seconds instead of holding them, and the subscriber's silence check takes over.
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5,
                                          socket_keepalive=True)
        # Pub/sub ignores the database number: the channel names it, beside the installation.
        db = self.redis.connection_pool.connection_kwargs.get("db", 0)
        self.channel = f"{namespace}:events:{db}"
        self.broken = False  # the subscription is (or was just) broken: a gap is open
        self.heard_at = 0.0  # loop time of the last word heard on the subscription
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(MAX_BACKLOG)
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = asyncio.Event()
        self.dropped = 0
        self._own = orjson.dumps({"node": self.node_id})[:-1]  # how this node's wires begin
        self._lost: list[int] = []  # seqs of messages dropped from a full outbox

    def publish(self, event: Event) -> None:
        super().publish(event)
        wire = orjson.dumps({"node": self.node_id, "event": event.to_wire()})
        try:
            self._outbox.put_nowait(wire)
        except asyncio.QueueFull:  # Redis is down for long: the others hear of it later
            self.dropped += 1
            if event.seq is not None and len(self._lost) < MAX_LOST:
                self._lost.append(event.seq)

    async def start(self) -> None:
        await self.redis.ping()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._publisher()), loop.create_task(self._subscriber())]
        await asyncio.wait_for(self._ready.wait(), 10)

    async def stop(self) -> None:
        deadline = asyncio.get_running_loop().time() + 2
        while not self._outbox.empty() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        await self.redis.aclose()

    async def _publisher(self) -> None:
        # A connection of its own (botaz/events/resp.py): the batch goes out in one write and
        # its replies come back in one read.
        channel = self.channel.encode()
        conn: Connection | None = None
        try:
            while True:
                first = await self._outbox.get()
                batch = [first]
                while not self._outbox.empty() and len(batch) < 500:
                    batch.append(self._outbox.get_nowait())
                while True:
                    try:
                        if conn is None or conn.closed.done():
                            conn = await Connection.open(self.url, timeout=3)
                        await asyncio.wait_for(
                            conn.request([[b"PUBLISH", channel, wire] for wire in batch]), 5)
                        if self._lost and self._outbox.empty():
                            await self._tell_lost(conn)
                        break
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        log.warning("redis publish failed (%s); retrying", exc)
                        if conn is not None:
                            conn.close()
                            conn = None
                        await asyncio.sleep(0.5)
        finally:
            if conn is not None:
                conn.close()

    async def _tell_lost(self, conn: Connection) -> None:
        """After an outbox overflow: the messages whose events were dropped, by seq, so that the
        other nodes read them from the store (the events themselves are gone). On the
        publisher's connection, after the events it published."""
        while self._lost:
            chunk = self._lost[:LOST_CHUNK]
            wire = orjson.dumps({"node": self.node_id, "lost": chunk})
            await asyncio.wait_for(conn.request([[b"PUBLISH", self.channel.encode(), wire]]), 5)
            del self._lost[:len(chunk)]

    async def _subscriber(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn: Connection | None = None
            confirmed: asyncio.Future[None] = loop.create_future()
            # Messages that come with the confirmation (in the same read) wait until this task
            # has told the gap listeners the gap is closed, as they would in a later read.
            early: list[Any] | None = []

            def on_push(reply: Any) -> None:
                # Called from the connection's data_received: every message of a read, at once.
                if type(reply) is list and len(reply) == 3:
                    if reply[0] == b"message":
                        self.heard_at = loop.time()
                        if early is None:
                            self._receive(reply[2])
                        else:
                            early.append(reply[2])
                    elif reply[0] == b"subscribe" and not confirmed.done():
                        confirmed.set_result(None)
                elif isinstance(reply, hiredis.ReplyError) and not confirmed.done():
                    confirmed.set_exception(RedisError(str(reply)))

            try:
                conn = await Connection.open(self.url, timeout=3, on_push=on_push)
                conn.send(b"SUBSCRIBE", self.channel.encode())
                # Only once Redis confirms is every later publish sure to reach this node.
                await asyncio.wait({confirmed, conn.closed}, timeout=5.0,
                                   return_when=asyncio.FIRST_COMPLETED)
                if not confirmed.done() or conn.closed.done():
                    raise ConnectionError("Redis did not confirm the subscription")
                confirmed.result()
                self.heard_at = loop.time()
                if self.broken:
                    self.broken = False
                    log.warning("redis subscription restored; sockets catch up from the store")
                    self._gap_closed()
                self._ready.set()
                waiting, early = early or [], None
                for raw in waiting:
                    self._receive(raw)
                while True:
                    await asyncio.wait({conn.closed}, timeout=1.0)
                    if conn.closed.done():
                        raise ConnectionError("connection closed")
                    if loop.time() - self.heard_at > SILENCE:
                        raise ConnectionError(f"nothing heard for {SILENCE:.0f} s")
            except asyncio.CancelledError:
                if conn is not None:
                    conn.close()
                raise
            except Exception as exc:
                if not self.broken and self._ready.is_set():
                    self.broken = True
                    self._gap_opened(self.heard_at)
                log.warning("redis subscription lost (%s); reconnecting", exc)
                if conn is not None:
                    conn.close()
                await asyncio.sleep(0.5)

    def _receive(self, raw: Any) -> None:
        if raw.startswith(self._own):
            return  # this node's own event, heard back: not parsed only to be dropped
        try:
            wire = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return
        if wire.get("node") == self.node_id:
            return
        if "lost" in wire:
            self._lost_elsewhere(wire["lost"])
            return
        try:
            event = Event.from_wire(wire["event"])
        except (KeyError, TypeError):
            return
        self.deliver(event)

    async def ping(self) -> bool:
        return bool(await self.redis.ping())
