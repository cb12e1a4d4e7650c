"""What the hot paths remember between requests, and forget when the bus says it changed.

Every entry is either confirmed-permanent (an agent once recorded on a visitor stays there) or
short-lived and dropped by an event that crosses nodes (revoked credentials, changed webhooks),
so a node never acts on stale state for longer than an event's trip through Redis.
"""

from __future__ import annotations

import time
from typing import Any

from ..events import REVOKED, WEBHOOKS_CHANGED, Event, EventBus

TOKEN_TTL = 10.0
WEBHOOKS_TTL = 5.0
MAX_ENTRIES = 100_000


class Caches:
    def __init__(self, bus: EventBus) -> None:
        self.tokens: dict[str, tuple[Any, float]] = {}  # token hash -> (Principal, expiry)
        self.agent_kinds: dict[tuple[str, str], tuple[bool, float]] = {}
        self.visitor_agents: set[tuple[str, str]] = set()
        self.touched: dict[str, int] = {}  # visitor -> last activity written (ms)
        self.hooks: dict[str, tuple[bool, float]] = {}  # account -> (has webhooks, expiry)
        bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.name == REVOKED:
            self.tokens.clear()
            self.agent_kinds.clear()
        elif event.name == WEBHOOKS_CHANGED:
            self.hooks.pop(event.account_id, None)

    @staticmethod
    def _bounded(store: dict | set) -> None:
        if len(store) > MAX_ENTRIES:
            store.clear()

    def token(self, token_hash: str) -> Any | None:
        hit = self.tokens.get(token_hash)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def remember_token(self, token_hash: str, principal: Any) -> None:
        self._bounded(self.tokens)
        self.tokens[token_hash] = (principal, time.monotonic() + TOKEN_TTL)

    def agent_kind(self, account_id: str, agent_id: str) -> bool | None:
        hit = self.agent_kinds.get((account_id, agent_id))
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def remember_agent_kind(self, account_id: str, agent_id: str, is_bot: bool) -> None:
        self._bounded(self.agent_kinds)
        self.agent_kinds[(account_id, agent_id)] = (is_bot, time.monotonic() + TOKEN_TTL)

    def has_webhooks(self, account_id: str) -> bool | None:
        hit = self.hooks.get(account_id)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def remember_webhooks(self, account_id: str, present: bool) -> None:
        self._bounded(self.hooks)
        self.hooks[account_id] = (present, time.monotonic() + WEBHOOKS_TTL)

    def should_touch(self, visitor_id: str, now: int) -> bool:
        """Write a conversation's last activity at most once a second."""
        if now - self.touched.get(visitor_id, 0) < 1000:
            return False
        self._bounded(self.touched)
        self.touched[visitor_id] = now
        return True
