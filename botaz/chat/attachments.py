"""Files in conversations: stored on disk, announced as a message, served to its parties only."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

import orjson

from ..ids import new_id, now_ms
from ..store.db import Row
from .accounts import Principal
from .context import Chat
from .errors import Invalid, NotFound
from .messages import _store_message, check_sender

log = logging.getLogger("botaz.attachments")

PART = ".part"
STRAY_AFTER_S = 15 * 60  # no upload takes this long: older temporary or row-less files are strays

ALLOWED_TYPES = {
    "image/png", "image/jpeg", "image/gif", "image/webp",
    "application/pdf", "text/plain", "text/csv", "application/zip",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# For application/octet-stream uploads (docs/api.md): the same on every machine, unlike mimetypes.
TYPE_OF_EXTENSION = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "webp": "image/webp", "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv",
    "zip": "application/zip", "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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
    if content_type == "application/octet-stream" and name and "." in name:
        # Generated API clients can send only this type: the real one is the name's extension's.
        content_type = TYPE_OF_EXTENSION.get(name.rsplit(".", 1)[1].strip().lower(), content_type)
    if content_type not in ALLOWED_TYPES:
        raise UnsupportedType("This type of file cannot be sent; images, PDF, text, office "
                              "documents and zip archives can.")
    if name and any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise Invalid("The file name must not contain NUL or other control characters.")
    name = os.path.basename((name or "").replace("\\", "/")).strip()[:200] or "file"
    return name, content_type


def _folder(chat: Chat, account_id: str) -> Path:
    return Path(chat.settings.data_dir) / "attachments" / account_id


async def _attach(chat: Chat, visitor: Row, user_id: str | None, name: str | None,
                  content_type: str, data: bytes, by_bot: bool = False) -> dict[str, Any]:
    """The file is written under a temporary name (<id>.part) and renamed into place only once
    its row and message have committed: a failure at any step leaves no file behind, and what a
    crash leaves (a .part file) is removed by sweep_strays."""
    name, content_type = check_upload(chat, name, content_type, len(data))
    attachment_id = new_id()
    folder = _folder(chat, visitor["account_id"])
    path = folder / attachment_id
    part = folder / (attachment_id + PART)

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        part.write_bytes(data)

    def put_in_place() -> None:
        try:
            os.replace(part, path)
        except OSError as exc:  # the message is stored; its file will answer 404
            log.error("attachment %s committed but its file could not be put in place: %s",
                      attachment_id, exc)

    row = {"id": attachment_id, "account_id": visitor["account_id"], "visitor_id": visitor["id"],
           "name": name, "type": content_type, "size": len(data), "path": str(path),
           "created_at": now_ms()}
    meta = orjson.dumps({"id": attachment_id, "name": name, "type": content_type,
                         "size": len(data)}).decode()
    try:
        await asyncio.to_thread(write)
        return await _store_message(chat, visitor, user_id, name, attachment=meta, by_bot=by_bot,
                                    attachment_row=row, on_stored=put_in_place)
    finally:
        _remove(part)  # gone already when all went well


def _remove(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("could not remove %s: %s", path, exc)
        return False


async def sweep_strays(chat: Chat, older_than_s: float = STRAY_AFTER_S) -> int:
    """Removes what crashes leave in the attachments folder: .part files and files without a row,
    both only once older than `older_than_s` (an upload may be in progress). Returns how many."""
    root = Path(chat.settings.data_dir) / "attachments"
    limit = time.time() - older_than_s

    def scan() -> tuple[list[Path], list[Path]]:
        parts: list[Path] = []
        finals: list[Path] = []
        if not root.is_dir():
            return parts, finals
        for folder in root.iterdir():
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                try:
                    if not entry.is_file() or entry.stat().st_mtime > limit:
                        continue
                except FileNotFoundError:
                    continue
                (parts if entry.name.endswith(PART) else finals).append(entry)
        return parts, finals

    parts, finals = await asyncio.to_thread(scan)
    removed = sum(_remove(p) for p in parts)
    for start in range(0, len(finals), 500):
        batch = finals[start:start + 500]
        present = await chat.store.attachment_ids_present([p.name for p in batch])
        strays = [p for p in batch if p.name not in present]
        removed += sum(await asyncio.to_thread(lambda: [_remove(p) for p in strays]))
    if removed:
        log.info("removed %d stray attachment files", removed)
    return removed


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
