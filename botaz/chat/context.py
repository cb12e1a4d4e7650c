"""What every domain action needs: the store, the event bus and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..config import Settings
from ..events import Event, EventBus
from ..store import Store


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

    def send_event(self, event: Event) -> None:
        self.bus.publish(event)
