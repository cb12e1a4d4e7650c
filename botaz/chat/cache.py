"""What the hot paths remember between requests, and forget when the bus says it changed.

Every entry is either confirmed-permanent (an agent once recorded on a visitor stays there) or
short-lived and dropped by an event that crosses nodes (revoked credentials, changed webhooks),
so a node never acts on stale state for longer than an event's trip through Redis.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from ..events import REVOKED, WEBHOOKS_CHANGED, Event, EventBus

TOKEN_TTL = 10.0
MESSAGES = 20_000
WEBHOOKS_TTL = 5.0
MAX_ENTRIES = 100_000
# Internal event carrying a visitor's open episode (chat/episodes.py): its state, an empty ID
# once it is closed.
EPISODE = "_episode"


class Caches:
    def __init__(self, bus: EventBus) -> None:
        self.tokens: dict[str, tuple[Any, float]] = {}  # API token -> (Principal, expiry)
        self.agent_kinds: dict[tuple[str, str], tuple[bool, float]] = {}
        self.visitor_agents: set[tuple[str, str]] = set()
        self.touched: dict[str, int] = {}  # visitor -> last activity written (ms)
        self.hooks: dict[str, tuple[bool, float]] = {}  # account -> (has webhooks, expiry)
        # message id -> (account, visitor, message object): every change to a message is an event
        # (edited, seen, deleted, its visitor erased), on every node, and each one drops it here.
        self.messages: OrderedDict[str, tuple[str, str, dict[str, Any]]] = OrderedDict()
        # visitor id -> row, for writing to it: ban, bot switch, status and erasure are all events.
        self.writable_visitors: dict[str, Any] = {}
        # visitor id -> (open episode id, answered by a human, answered by a bot)
        self.episodes: dict[str, tuple[str, bool, bool]] = {}
        bus.subscribe(self._on_event)
        bus.gap_listeners.append(self)

    # While the bus between nodes is broken, the events that would drop entries may be missed:
    # what an event would have dropped is forgotten when the gap opens and again when it closes.

    def gap_opened(self, heard_at: float) -> None:
        self.forget()

    def gap_closed(self) -> None:
        self.forget()

    def lost_elsewhere(self, seqs: list[int]) -> None:
        self.forget()

    def forget(self) -> None:
        self.tokens.clear()
        self.agent_kinds.clear()
        self.hooks.clear()
        self.messages.clear()
        self.writable_visitors.clear()

    def _on_event(self, event: Event) -> None:
        name = event.name
        if name == "message.created":
            return
        if name == "message.updated" or name == "message.deleted":
            self.messages.pop(event.data.get("_id", ""), None)
        elif name == "visitor.updated" or name == "conversation.updated":
            self.writable_visitors.pop(event.visitor_id, None)
        elif name == "visitor.deleted":
            self.writable_visitors.pop(event.visitor_id, None)
            self.episodes.pop(event.visitor_id, None)
            for key in [k for k, v in self.messages.items() if v[1] == event.visitor_id]:
                del self.messages[key]
        elif name == EPISODE:
            state = event.data.get("state")
            if state is None:
                self.episodes.pop(event.visitor_id, None)
            else:
                self._bounded(self.episodes)
                self.episodes[event.visitor_id] = (state[0], bool(state[1]), bool(state[2]))
        elif name == REVOKED:
            self.tokens.clear()
            self.agent_kinds.clear()
        elif name == WEBHOOKS_CHANGED:
            self.hooks.pop(event.account_id, None)

    def writable_visitor(self, account_id: str, visitor_id: str) -> Any | None:
        row = self.writable_visitors.get(visitor_id)
        return row if row is not None and row["account_id"] == account_id else None

    def remember_writable_visitor(self, row: Any) -> None:
        self._bounded(self.writable_visitors)
        self.writable_visitors[row["id"]] = row

    def message(self, account_id: str, message_id: str) -> dict[str, Any] | None:
        hit = self.messages.get(message_id)
        if hit is None or hit[0] != account_id:
            return None
        return hit[2]

    def remember_message(self, account_id: str, message: dict[str, Any]) -> None:
        self.messages[message["_id"]] = (account_id, message["visitorId"], message)
        if len(self.messages) > MESSAGES:
            self.messages.popitem(last=False)

    @staticmethod
    def _bounded(store: dict | set) -> None:
        if len(store) > MAX_ENTRIES:
            store.clear()

    def token(self, token: str) -> Any | None:
        hit = self.tokens.get(token)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def remember_token(self, token: str, principal: Any) -> None:
        self._bounded(self.tokens)
        self.tokens[token] = (principal, time.monotonic() + TOKEN_TTL)

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
