"""Business hours: one definition per account, used by the widget's online state and the bot."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Invalid

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")
DEFAULT_HOURS: dict[str, Any] = {"enabled": False, "timezone": "UTC", "days": {}}


def check_hours(hours: Any, field: str = "businessHours") -> dict[str, Any] | None:
    """{"enabled"?, "timezone", "days": {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], ...}}.

    Several intervals a day are allowed; a day left out is closed; "24:00" ends a day. Null
    (or `"enabled": false`) means no hours are set: always open."""
    if hours is None:
        return None
    if not isinstance(hours, dict):
        raise Invalid(f"{field} must be an object with timezone and days, or null.")
    unknown = set(hours) - {"enabled", "timezone", "days"}
    if unknown:
        raise Invalid(f"{field}.{sorted(unknown)[0]} is not a business-hours field.")
    enabled = hours.get("enabled", True)
    if not isinstance(enabled, bool):
        raise Invalid(f"{field}.enabled must be true or false.")
    tz = hours.get("timezone", "UTC")
    try:
        if not isinstance(tz, str) or not tz:
            raise ValueError
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise Invalid(f"{field}.timezone must be a time zone such as Asia/Baku.") from None
    days = hours.get("days") or {}
    if not isinstance(days, dict):
        raise Invalid(f"{field}.days must map mon..sun to lists of [start, end].")
    clean: dict[str, list[list[str]]] = {}
    for day, spans in days.items():
        if day not in DAYS or not isinstance(spans, list):
            raise Invalid(f"{field}.days must map mon..sun to lists of [start, end].")
        for span in spans:
            if (not isinstance(span, list) or len(span) != 2
                    or not all(isinstance(t, str) and HHMM.match(t) for t in span)
                    or span[0] >= span[1] or span[0] == "24:00"):
                raise Invalid(f"{field}.days.{day} spans must be [\"HH:MM\", \"HH:MM\"], start first.")
        clean[day] = sorted([list(span) for span in spans])
    return {"enabled": enabled, "timezone": tz, "days": {d: clean[d] for d in DAYS if d in clean}}


def in_business_hours(hours: dict[str, Any] | None, now: int) -> bool:
    """True when no hours are set (or they are switched off), or `now` (ms) is inside them."""
    if not hours or hours.get("enabled") is False:
        return True
    local = datetime.fromtimestamp(now / 1000, ZoneInfo(hours.get("timezone", "UTC")))
    spans = (hours.get("days") or {}).get(DAYS[local.weekday()], [])
    hhmm = local.strftime("%H:%M")
    return any(start <= hhmm < end for start, end in spans)
