"""What every domain action needs: the store, the event bus and the settings."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import AsyncIterator, Protocol

from ..config import Settings
from ..events import Event, EventBus
from ..store import Store
from ..store.db import Conn
from .cache import Caches

# Events a customer's server can subscribe to: stored with the change that caused them.
DURABLE_EVENTS = frozenset({"message.created", "message.updated", "message.deleted",
                            "visitor.created", "visitor.updated", "visitor.deleted"})


class Presence(Protocol):
    def visitor_online(self, visitor_id: str) -> bool: ...
    def agent_online(self, agent_id: str) -> bool: ...
    def humans_online(self, account_id: str) -> bool: ...


class NobodyOnline:
    """Presence for processes without sockets (the CLI, tests calling the domain directly)."""

    def visitor_online(self, visitor_id: str) -> bool:
        return False

    def agent_online(self, agent_id: str) -> bool:
        return False

    def humans_online(self, account_id: str) -> bool:
        return False


@dataclass
class Chat:
    store: Store
    bus: EventBus
    settings: Settings
    presence: Presence = field(default_factory=NobodyOnline)
    cache: Caches = field(init=False)

    def __post_init__(self) -> None:
        self.cache = Caches(self.bus)

    async def has_webhooks(self, account_id: str) -> bool:
        present = self.cache.has_webhooks(account_id)
        if present is None:
            present = await self.store.account_has_webhooks(account_id)
            self.cache.remember_webhooks(account_id, present)
        return present

    def send_event(self, event: Event) -> None:
        """For events that are not stored (typing, agents-only notices)."""
        self.bus.publish(event)

    @contextlib.asynccontextmanager
    async def change(self) -> AsyncIterator["Change"]:
        """The one way state changes: writes and their events commit together, then publish.

        Durable events go into the outbox table inside the same transaction, so a crash can
        neither lose an event whose change committed nor invent one whose change did not.
        """
        async with self.store.transaction() as tx:
            change = Change(tx)
            yield change
            for event in change.events:
                # The outbox feeds webhooks only: an account without any needs no copy.
                if event.name in DURABLE_EVENTS and await self.has_webhooks(event.account_id):
                    await self.store.insert_event(event, conn=tx)
            for entry in change.audit:
                await self.store.insert_audit(entry, conn=tx)
        for event in change.events:
            self.bus.publish(event)


class Change:
    __slots__ = ("tx", "events", "audit")

    def __init__(self, tx: Conn) -> None:
        self.tx = tx
        self.events: list[Event] = []
        self.audit: list[dict] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)
