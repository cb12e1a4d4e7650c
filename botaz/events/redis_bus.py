"""Redis pub/sub fan-out, so that several botaz nodes deliver each other's events.

Every event is delivered to this node's listeners at once, then sent to Redis by one publisher
task (keeping order); events from other nodes arrive marked `remote` and reach only the
listeners that care about them (sockets and presence), never the work done once per event.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from .bus import Event, EventBus

log = logging.getLogger("botaz.events")

CHANNEL = "botaz:events"
MAX_BACKLOG = 100_000


class RedisEventBus(EventBus):
    distributed = True

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self.url = url
        self.redis = redis.Redis.from_url(url)
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(MAX_BACKLOG)
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = asyncio.Event()
        self.dropped = 0

    def publish(self, event: Event) -> None:
        super().publish(event)
        wire = orjson.dumps({"node": self.node_id, "event": event.to_wire()})
        try:
            self._outbox.put_nowait(wire)
        except asyncio.QueueFull:  # Redis is down for long: sockets elsewhere resume from the DB
            self.dropped += 1

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
        while True:
            first = await self._outbox.get()
            batch = [first]
            while not self._outbox.empty() and len(batch) < 500:
                batch.append(self._outbox.get_nowait())
            while True:
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for wire in batch:
                            pipe.publish(CHANNEL, wire)
                        await pipe.execute()
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("redis publish failed (%s); retrying", exc)
                    await asyncio.sleep(0.5)

    async def _subscriber(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    self._receive(message["data"])
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception as exc:
                log.warning("redis subscription lost (%s); reconnecting", exc)
                await asyncio.sleep(0.5)

    def _receive(self, raw: Any) -> None:
        try:
            wire = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return
        if wire.get("node") == self.node_id:
            return
        try:
            event = Event.from_wire(wire["event"])
        except (KeyError, TypeError):
            return
        self.deliver(event)

    async def ping(self) -> bool:
        return bool(await self.redis.ping())
