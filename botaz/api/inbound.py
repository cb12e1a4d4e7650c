"""Budgets for what clients send on their sockets, so that one noisy client costs only itself.

Every inbound frame, of any type, known or not, JSON or not, spends from two token buckets: its
socket's and (on the widget's socket) its visitor's, shared by all the visitor's sockets on this
node. A frame that finds either bucket empty is dropped unread. A socket that goes on sending
with its own bucket empty (STRIKES times its burst dropped without pausing long enough to refill
it) is closed with 1008. Typing from a visitor then passes a gate: at most one typing event per
TYPING_EVERY seconds reaches the bus, and the state the visitor ends in is sent when the interval
ends. Without these, a visitor's burst of typing frames filled every agent socket's queue of the
account, and the hub closed the agents' sockets (4008) for being slow.
"""

from __future__ import annotations

import asyncio
from typing import Callable

CLOSE_POLICY = 1008
STRIKES = 5
TYPING_EVERY = 0.5
# A resume reads the database and may send a thousand messages: it costs more than a typing frame.
COST = {"resume": 10, "page": 10}  # a page frame writes a row, as POST /widget/v1/pages does


class Budget:
    """A token bucket: `burst` frames at once, refilled at `rate` frames a second."""

    __slots__ = ("tokens", "stamp", "rate", "burst", "dropped")

    def __init__(self, burst: int, seconds: int) -> None:
        self.burst = float(burst)
        self.rate = burst / seconds
        self.tokens = self.burst
        self.stamp = 0.0
        self.dropped = 0

    def take(self, cost: int, now: float) -> bool:
        tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if tokens >= self.burst:
            self.dropped = 0  # quiet long enough to refill: earlier excess is forgiven
        if tokens >= cost:
            self.tokens = tokens - cost
            return True
        self.tokens = tokens
        self.dropped += 1
        return False

    @property
    def exhausted(self) -> bool:
        """Kept sending long after the budget ran out: the socket should be closed."""
        return self.dropped > STRIKES * self.burst


class TypingGate:
    """At most one typing event per TYPING_EVERY seconds; the last state is sent at the end."""

    __slots__ = ("sent", "until", "pending", "timer")

    def __init__(self) -> None:
        self.sent: bool | None = None
        self.until = 0.0
        self.pending: bool | None = None
        self.timer: asyncio.TimerHandle | None = None

    def offer(self, typing: bool, emit: Callable[[bool], None]) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now >= self.until:
            self.sent, self.until, self.pending = typing, now + TYPING_EVERY, None
            emit(typing)
            return
        self.pending = typing
        if self.timer is None:
            self.timer = loop.call_at(self.until, self._flush, emit)

    def _flush(self, emit: Callable[[bool], None]) -> None:
        self.timer = None
        pending, self.pending = self.pending, None
        if pending is not None and pending != self.sent:
            self.sent, self.until = pending, asyncio.get_running_loop().time() + TYPING_EVERY
            emit(pending)


class VisitorInbound:
    """What all of one visitor's sockets on this node share."""

    __slots__ = ("budget", "typing")

    def __init__(self, burst: int, seconds: int) -> None:
        self.budget = Budget(burst, seconds)
        self.typing: TypingGate | None = None  # most visitors never type: made on first use

    def offer_typing(self, typing: bool, emit: Callable[[bool], None]) -> None:
        if self.typing is None:
            self.typing = TypingGate()
        self.typing.offer(typing, emit)
