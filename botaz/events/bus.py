"""The event bus: every change to a message or visitor is published here exactly once.

Listeners (the WebSocket hub, bots, webhooks) subscribe with a plain callable that must not
block; one that needs I/O schedules its own task. A Redis-backed bus (for several nodes) keeps
this interface and adds fan-out between processes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from ..ids import iso_ms, new_id, now_ms

log = logging.getLogger("botaz.events")

# Internal events: never sent to sockets or webhooks, but they cross nodes like the others.
REVOKED = "_credentials_revoked"
WEBHOOKS_CHANGED = "_webhooks_changed"



@dataclass(frozen=True, slots=True)
class Event:
    name: str
    account_id: str
    visitor_id: str
    data: dict[str, Any]
    id: str = field(default_factory=new_id)
    created_at: int = field(default_factory=now_ms)
    # Private events (agents' notes, later) never reach the visitor's side.
    agents_only: bool = False
    # Insertion order of a created message, so a resuming socket can skip what it already sent.
    seq: int | None = None
    # Set on events that another node published: they are for sockets here, not for work here.
    remote: bool = False
    # Presence flaps: published to sockets, never stored for webhooks.
    transient: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {"name": self.name, "account_id": self.account_id, "visitor_id": self.visitor_id,
                "data": self.data, "id": self.id, "created_at": self.created_at,
                "agents_only": self.agents_only, "seq": self.seq, "transient": self.transient}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> "Event":
        return cls(**wire, remote=True)

    def frame(self) -> dict[str, Any]:
        return {"event": self.name, "data": self.data}

    def envelope(self) -> dict[str, Any]:
        return {"id": self.id, "event": self.name, "createdAt": iso_ms(self.created_at),
                "data": self.data}


Listener = Callable[[Event], None]


class GapListener(Protocol):
    """Told when events from other nodes may have been missed (the bus between nodes broke at
    loop time `heard_at`, the last moment it was known to work), and when it is whole again."""

    def gap_opened(self, heard_at: float) -> None: ...
    def gap_closed(self) -> None: ...
    def lost_elsewhere(self, seqs: list[int]) -> None:
        """Another node dropped the events of these messages (its outbox overflowed)."""


class EventBus:
    distributed = False

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self.published = 0
        self.node_id = new_id()
        self.gap_listeners: list[GapListener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, event: Event) -> None:
        self.published += 1
        self.deliver(event)

    def deliver(self, event: Event) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken listener must not cost the others their event
                log.exception("event listener failed on %s", event.name)

    def _gap_opened(self, heard_at: float) -> None:
        for listener in tuple(self.gap_listeners):
            try:
                listener.gap_opened(heard_at)
            except Exception:
                log.exception("gap listener failed")

    def _gap_closed(self) -> None:
        for listener in tuple(self.gap_listeners):
            try:
                listener.gap_closed()
            except Exception:
                log.exception("gap listener failed")

    def _lost_elsewhere(self, seqs: list[int]) -> None:
        for listener in tuple(self.gap_listeners):
            try:
                listener.lost_elsewhere(seqs)
            except Exception:
                log.exception("gap listener failed")

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
