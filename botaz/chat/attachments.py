"""Files in conversations: stored on disk, announced as a message, served to its parties only."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import orjson

from ..ids import new_id, now_ms
from ..store.db import Row
from .accounts import Principal
from .context import Chat
from .errors import Invalid, NotFound
from .messages import _store_message, check_sender

ALLOWED_TYPES = {
    "image/png", "image/jpeg", "image/gif", "image/webp",
    "application/pdf", "text/plain", "text/csv", "application/zip",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class TooLarge(Invalid):
    kind = "too_large"


class UnsupportedType(Invalid):
    kind = "unsupported_type"


def check_upload(chat: Chat, name: str | None, content_type: str, size: int) -> tuple[str, str]:
    if size > chat.settings.max_attachment_bytes:
        raise TooLarge(f"Files can be at most {chat.settings.max_attachment_bytes // (1024 * 1024)} MB.")
    if size == 0:
        raise Invalid("The file is empty.")
    content_type = content_type.split(";", 1)[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise UnsupportedType("This type of file cannot be sent; images, PDF, text, office "
                              "documents and zip archives can.")
    name = os.path.basename((name or "").replace("\\", "/")).strip()[:200] or "file"
    return name, content_type


async def _store_file(chat: Chat, account_id: str, attachment_id: str, data: bytes) -> str:
    folder = Path(chat.settings.data_dir) / "attachments" / account_id
    path = folder / attachment_id

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    await asyncio.to_thread(write)
    return str(path)


async def _attach(chat: Chat, visitor: Row, user_id: str | None, name: str | None,
                  content_type: str, data: bytes, by_bot: bool = False) -> dict[str, Any]:
    name, content_type = check_upload(chat, name, content_type, len(data))
    attachment_id = new_id()
    path = await _store_file(chat, visitor["account_id"], attachment_id, data)
    await chat.store.insert_attachment({
        "id": attachment_id, "account_id": visitor["account_id"], "visitor_id": visitor["id"],
        "name": name, "type": content_type, "size": len(data), "path": path,
        "created_at": now_ms()})
    meta = orjson.dumps({"id": attachment_id, "name": name, "type": content_type,
                         "size": len(data)}).decode()
    return await _store_message(chat, visitor, user_id, name, attachment=meta, by_bot=by_bot)


async def do_visitor_upload(chat: Chat, visitor: Row, name: str | None, content_type: str,
                            data: bytes) -> dict[str, Any]:
    return await _attach(chat, visitor, None, name, content_type, data)


async def do_agent_upload(chat: Chat, principal: Principal, visitor_id: str, user_id: str | None,
                          name: str | None, content_type: str, data: bytes) -> dict[str, Any]:
    visitor, by_bot = await check_sender(chat, principal, user_id or principal.agent_id, visitor_id)
    return await _attach(chat, visitor, user_id or principal.agent_id, name, content_type, data,
                         by_bot)


async def attachment_for(chat: Chat, attachment_id: str, *, account_id: str | None = None,
                         visitor_id: str | None = None) -> Row:
    """An attachment, if the caller is one of its conversation's parties; else NotFound."""
    row = await chat.store.get_attachment(attachment_id)
    if row is None or (visitor_id is not None and row["visitor_id"] != visitor_id) or (
            account_id is not None and row["account_id"] != account_id) or (
            visitor_id is None and account_id is None):
        raise NotFound("File not found.")
    return row
