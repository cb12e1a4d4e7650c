"""Who is alerted about what: the rule the dashboard's notifications and Web Push share.

An agent's `alertsFor` preference picks the conversations whose visitor messages alert them:
`mine` (assigned to them), `unassigned` (theirs and nobody's) or `all`. A conversation newly
assigned to an agent by someone else alerts that agent whatever the choice.
"""

from __future__ import annotations

from typing import Any

from ..store.db import Row

BODY_CHARS = 180


def wants(scope: str, agent_id: str, assignee_id: str | None) -> bool:
    if scope == "all":
        return True
    if scope == "unassigned":
        return assignee_id is None or assignee_id == agent_id
    return assignee_id == agent_id


def visitor_label(visitor: Row) -> str:
    return (visitor["name"] or visitor["email"] or "A visitor").strip()[:80] or "A visitor"


def _snippet(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= BODY_CHARS else text[:BODY_CHARS - 1].rstrip() + "…"


def message_alert(visitor: Row, message: dict[str, Any]) -> dict[str, Any]:
    """The notification for a visitor's message: title, body, where a click goes, and a tag that
    makes a visitor's later messages replace the earlier notification."""
    body = _snippet(message.get("text"))
    if not body and message.get("attachment"):
        body = f"Sent a file: {message['attachment'].get('name', 'attachment')}"[:BODY_CHARS]
    return {"kind": "message", "title": visitor_label(visitor), "body": body or "New message",
            "url": f"/chat/{visitor['id']}", "tag": f"botaz-{visitor['id']}",
            "visitorId": visitor["id"], "messageId": message.get("_id")}


def assigned_alert(visitor: Row, by_name: str | None) -> dict[str, Any]:
    who = visitor_label(visitor)
    body = f"{by_name} assigned {who} to you." if by_name else f"{who} was assigned to you."
    return {"kind": "assigned", "title": "Conversation assigned to you", "body": body,
            "url": f"/chat/{visitor['id']}", "tag": f"botaz-{visitor['id']}",
            "visitorId": visitor["id"]}


def test_alert() -> dict[str, Any]:
    return {"kind": "test", "title": "botaz", "body": "Alerts reach this browser.", "url": "/",
            "tag": "botaz-test"}
