"""Visitors on the site now: whose widget is connected (on any node), on which page, since when.

They need not be conversations: this is where an agent sees who is browsing and starts a chat.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

from typing import Any

from ..ids import iso_ms
from ..schema import D, Reply, Str
from .activity import Page
from .schemas import Status, Visitor
from ..store.db import Row
from .accounts import Principal
from .context import Chat
from .errors import Invalid
from .views import visitor_json

ONLINE_DEFAULT = 200
ONLINE_MAX = 500
CHUNK = 500  # IDs per IN (...) list: well below SQLite's limit on bound variables

class OnlineVisitor(Reply):
    visitor: D(Visitor, "The visitor")
    visitStartedAt: Str("When this visit began: the widget's first connection after 30 minutes or "
                        "more without one", fmt="date-time")
    page: D(Page | None, "The page the visitor is on (its newest page view), or null if the "
                         "widget reported none")
    conversationStartedAt: Str("The first message of the visitor's conversation; null while it is "
                               "not a conversation", fmt="date-time", nullable=True)
    status: D(Status, "open or resolved")
    assigneeId: Str("Assigned agent", nullable=True)


ONLINE_VISITOR = OnlineVisitor
class OnlineVisitorList(Reply):
    items: D(list[OnlineVisitor], "Visitors on the site, the latest arrivals first")
    total: D(int, "How many visitors are on the site (items holds at most `limit`)")


ONLINE_LIST = OnlineVisitorList


def _check_limit(limit: Any) -> int:
    if limit in (None, ""):
        return ONLINE_DEFAULT
    try:
        size = int(limit)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= ONLINE_MAX:
        raise Invalid(f"limit must be an integer from 1 to {ONLINE_MAX}.")
    return size


def _visit_start(row: Row) -> int:
    return row["visit_started_at"] or row["last_online"] or row["added_at"]


async def list_online_visitors(chat: Chat, principal: Principal, limit: Any) -> dict[str, Any]:
    size = _check_limit(limit)
    ids = sorted(chat.presence.online_visitors(principal.account_id))
    rows: list[Row] = []
    for start in range(0, len(ids), CHUNK):
        rows += await chat.store.visitors_by_ids(principal.account_id, ids[start:start + CHUNK])
    rows.sort(key=lambda r: (_visit_start(r), r["seq"]), reverse=True)
    shown = rows[:size]
    shown_ids = [r["id"] for r in shown]
    pages = await chat.store.latest_pages(shown_ids)
    agents = await chat.store.visitor_agents(shown_ids)
    items = []
    for r in shown:
        page = pages.get(r["id"])
        items.append({
            "visitor": visitor_json(r, agents[r["id"]]),
            "visitStartedAt": iso_ms(_visit_start(r)),
            "page": None if page is None else {
                "url": page["url"], "title": page["title"], "referrer": page["referrer"],
                "visitedAt": iso_ms(page["visited_at"])},
            "conversationStartedAt": iso_ms(r["conversation_at"]),
            "status": r["status"],
            "assigneeId": r["assignee_id"],
        })
    return {"items": items, "total": len(rows)}
