"""People's data: everything stored about a visitor, exported on request or erased for good."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from ..events import Event
from ..ids import iso_ms, now_ms
from . import audit, episodes
from .accounts import Principal
from .context import Chat
from .views import message_json
from .visitors import get_visitor_row, visitor_object


async def export_visitor(chat: Chat, principal: Principal, visitor_id: str) -> dict[str, Any]:
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    data = await chat.store.visitor_export(row["id"])
    await audit.record(chat, principal, "visitor.export", "visitor", row["id"])
    return {
        "exportedAt": iso_ms(now_ms()),
        "visitor": await visitor_object(chat, row),
        "messages": [message_json(m) for m in data["messages"]],
        "pages": [{"url": p["url"], "title": p["title"], "referrer": p["referrer"],
                   "visitedAt": iso_ms(p["visited_at"])} for p in data["pages"]],
        "notes": [{"_id": n["id"], "userId": n["user_id"], "text": n["text"],
                   "createdAt": iso_ms(n["created_at"])} for n in data["notes"]],
        "attachments": [{"id": a["id"], "name": a["name"], "type": a["type"], "size": a["size"],
                         "url": f"/attachments/{a['id']}", "createdAt": iso_ms(a["created_at"])}
                        for a in data["attachments"]],
        "conversations": await episodes.all_episodes(chat, row["id"]),
    }


async def do_erase_visitor(chat: Chat, principal: Principal, visitor_id: str) -> dict[str, Any]:
    """Deletes the visitor, its messages, pages, notes, files and queued events; one event says so."""
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    visitor = await visitor_object(chat, row)
    files = [a["path"] for a in (await chat.store.visitor_export(row["id"]))["attachments"]]
    async with chat.change() as change:
        await chat.store.erase_visitor(row["id"], change.tx)
        change.emit(Event("visitor.deleted", row["account_id"], row["id"], {"_id": row["id"]}))
        audit.note(change, principal, "visitor.delete", "visitor", row["id"])

    def remove() -> None:
        for path in files:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass

    await asyncio.to_thread(remove)
    return visitor
