from .bus import EVENT_NAMES, Event, EventBus

__all__ = ["EVENT_NAMES", "Event", "EventBus"]
