"""Fixed-window rate limits: in memory on one node, in Redis when several nodes share the work."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

# The limits themselves are settings (botaz/config.py): "token" counts calls per API token,
# "visitor" calls per visitor token, "visitor_create" new visitors per client address.


log = logging.getLogger("botaz.ratelimit")


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window resets

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"x-ratelimit-limit", str(self.limit).encode()),
                (b"x-ratelimit-remaining", str(self.remaining).encode()),
                (b"x-ratelimit-reset", str(self.reset).encode())]


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> Verdict: ...
    async def close(self) -> None: ...


class MemoryLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window start, count)
        self._last_sweep = 0.0

    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        now = time.time()
        start = int(now // window) * window
        if now - self._last_sweep > 60:
            self._sweep(now)
        seen_start, count = self._windows.get(key, (start, 0))
        if seen_start != start:
            count = 0
        count += 1
        self._windows[key] = (start, count)
        reset = max(1, int(start + window - now + 0.999))
        return Verdict(count <= limit, limit, max(0, limit - count), reset)

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        # Windows are at most a few minutes long; anything older is finished.
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < 600}

    async def close(self) -> None:
        return None


DOWN_S = 5  # how long calls pass unasked after Redis failed one (so a hung Redis costs one wait)


class RedisLimiter:
    def __init__(self, url: str, namespace: str = "botaz") -> None:
        import redis.asyncio as redis

        # A Redis that hangs lets calls through after 2 s rather than holding every request.
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.namespace = namespace
        self._down_until = 0.0  # after a failure, calls pass without asking Redis for a while

    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        now = time.time()
        if now < self._down_until:
            return Verdict(True, limit, limit, window)
        start = int(now // window) * window
        redis_key = f"{self.namespace}:rl:{key}:{start}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(redis_key)
                pipe.expire(redis_key, window + 5)
                count, _ = await pipe.execute()
        except Exception as exc:  # Redis down: serve the call rather than fail every request
            log.warning("rate limiter unavailable (%s); letting calls through for %d s", exc, DOWN_S)
            self._down_until = time.time() + DOWN_S
            return Verdict(True, limit, limit, window)
        reset = max(1, int(start + window - now + 0.999))
        return Verdict(count <= limit, limit, max(0, limit - count), reset)

    async def close(self) -> None:
        await self.redis.aclose()
