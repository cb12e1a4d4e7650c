from .bus import EVENT_NAMES, REVOKED, WEBHOOKS_CHANGED, Event, EventBus

__all__ = ["EVENT_NAMES", "REVOKED", "WEBHOOKS_CHANGED", "Event", "EventBus"]
