from .bus import REVOKED, WEBHOOKS_CHANGED, Event, EventBus

__all__ = ["REVOKED", "WEBHOOKS_CHANGED", "Event", "EventBus"]
