"""What every domain action needs: the store, the event bus and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..events import Event, EventBus
from ..store import Store


@dataclass
class Chat:
    store: Store
    bus: EventBus
    settings: Settings

    def send_event(self, event: Event) -> None:
        self.bus.publish(event)
