"""What every domain action needs: the store, the event bus and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from ..config import Settings
from ..events import Event, EventBus
from ..store import Store
from ..store.db import Conn
from .cache import Caches

# Events a customer's server can subscribe to: stored with the change that caused them.
DURABLE_EVENTS = frozenset({"message.created", "message.updated", "message.deleted",
                            "visitor.created", "visitor.updated", "visitor.deleted",
                            "conversation.resolved", "conversation.rated", "conversation.labeled"})


class Presence(Protocol):
    def visitor_online(self, visitor_id: str) -> bool: ...
    def agent_online(self, agent_id: str) -> bool: ...
    def humans_online(self, account_id: str) -> bool: ...
    def online_visitors(self, account_id: str) -> set[str]: ...
    def dashboard_online(self, agent_id: str) -> bool: ...
    def dashboard_agents(self, account_id: str) -> set[str]: ...


class NobodyOnline:
    """Presence for processes without sockets (the CLI, tests calling the domain directly)."""

    def visitor_online(self, visitor_id: str) -> bool:
        return False

    def agent_online(self, agent_id: str) -> bool:
        return False

    def humans_online(self, account_id: str) -> bool:
        return False

    def online_visitors(self, account_id: str) -> set[str]:
        return set()

    def dashboard_online(self, agent_id: str) -> bool:
        return False

    def dashboard_agents(self, account_id: str) -> set[str]:
        return set()


@dataclass
class Chat:
    store: Store
    bus: EventBus
    settings: Settings
    presence: Presence = field(default_factory=NobodyOnline)
    cache: Caches = field(init=False)
    # Set by the node's email sender (mail/sender.py): a change that queued an email wakes it.
    mail_wake: Callable[[], None] | None = field(default=None, init=False)
    # The conversation links' HMAC key (chat/links.py), read once from instance_secrets.
    link_key: bytes | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.cache = Caches(self.bus)

    async def has_webhooks(self, account_id: str, conn: Conn | None = None) -> bool:
        present = self.cache.has_webhooks(account_id)
        if present is None:
            # Inside a transaction, ask on its connection: borrowing a second one from a full
            # PostgreSQL pool while holding the first deadlocks the pool.
            present = await self.store.account_has_webhooks(account_id, conn=conn)
            self.cache.remember_webhooks(account_id, present)
        return present

    def send_event(self, event: Event) -> None:
        """For events that are not stored (typing, agents-only notices)."""
        self.bus.publish(event)

    def change(self) -> "ChangeScope":
        """The one way state changes: writes and their events commit together, then publish.

        Durable events go into the outbox table inside the same transaction, so a crash can
        neither lose an event whose change committed nor invent one whose change did not.
        """
        return ChangeScope(self)


class ChangeScope:
    """`async with chat.change() as change` (a class rather than a generator: every write runs it)."""

    __slots__ = ("chat", "tx_scope", "change")

    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    async def __aenter__(self) -> "Change":
        self.tx_scope = self.chat.store.transaction()
        self.change = Change(await self.tx_scope.__aenter__())
        return self.change

    async def __aexit__(self, kind: Any, exc: Any, tb: Any) -> None:
        chat, change = self.chat, self.change
        if kind is None:
            try:
                for event in change.events:
                    # The outbox feeds webhooks only: an account without any needs no copy.
                    if (event.name in DURABLE_EVENTS and not event.transient
                            and await chat.has_webhooks(event.account_id, conn=change.tx)):
                        await chat.store.insert_event(event, conn=change.tx)
                for entry in change.audit:
                    await chat.store.insert_audit(entry, conn=change.tx)
            except BaseException as error:
                await self.tx_scope.__aexit__(type(error), error, error.__traceback__)
                raise
        await self.tx_scope.__aexit__(kind, exc, tb)
        if kind is None:
            for event in change.events:
                chat.bus.publish(event)


class Change:
    __slots__ = ("tx", "events", "audit")

    def __init__(self, tx: Conn) -> None:
        self.tx = tx
        self.events: list[Event] = []
        self.audit: list[dict] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)
