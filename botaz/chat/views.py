"""Rows shaped into the seed's JSON objects, key for key and in the seed's order."""

from __future__ import annotations

from typing import Any

import orjson

from ..ids import iso_ms
from ..store.db import Row


def message_json(row: Row) -> dict[str, Any]:
    message = {
        "_id": row["id"],
        "userId": row["user_id"],
        "visitorId": row["visitor_id"],
        "text": row["text"],
        "seen": bool(row["seen"]),
        "sentAt": iso_ms(row["sent_at"]),
    }
    # Only bots' and file messages carry extra keys: agents' messages stay exactly the seed's.
    if row["by_bot"]:
        message["bot"] = True
    if row["attachment"]:
        attachment = orjson.loads(row["attachment"])
        message["attachment"] = attachment | {"url": f"/attachments/{attachment['id']}"}
    return message


def _bool_or_none(value: Any) -> bool | None:
    return None if value is None else bool(value)


def visitor_json(row: Row, agents: list[str]) -> dict[str, Any]:
    return {
        "_id": row["id"],
        "userAgent": row["user_agent"],
        "appName": row["app_name"],
        "appVersion": row["app_version"],
        "platform": row["platform"],
        "cookieEnabled": _bool_or_none(row["cookie_enabled"]),
        "banned": bool(row["banned"]),
        "addedAt": iso_ms(row["added_at"]),
        "agents": agents,
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "notes": row["notes"],
        "preformFilled": bool(row["preform_filled"]),
        "lastOnline": iso_ms(row["last_online"]),
        "showBotMessages": bool(row["show_bot_messages"]),
    }


def for_visitor(visitor: dict[str, Any]) -> dict[str, Any]:
    """The visitor object as the visitor's own side sees it: same keys, agents' notes blanked."""
    return visitor | {"notes": None} if "notes" in visitor else visitor


def agent_json(row: Row) -> dict[str, Any]:
    return {
        "_id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "role": row["role"],
        "bot": bool(row["is_bot"]),
        "addedAt": iso_ms(row["created_at"]),
        "lastOnline": iso_ms(row["last_online"]),
    }
