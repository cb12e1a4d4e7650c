"""Messages: sent by agents (REST) and visitors (widget), edited and deleted by agents."""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable

from ..events import Event
from ..ids import is_id, new_id, now_ms
from ..store.db import Row
from . import audit, episodes, textsearch
from .accounts import Principal
from .context import Chat
from .errors import Forbidden, Invalid, NotFound
from .schemas import MessageCreate, MessageEdit, WidgetMessageCreate
from .pagination import Page, check_limit, decode_cursor, make_page
from .views import message_json
from .visitors import get_visitor_row, visitor_object

CONVERSATION_MAX = 500


def check_text(chat: Chat, text: Any) -> str:
    if not isinstance(text, str):
        raise Invalid("text is required and must be a string.")
    if not text.strip():
        raise Invalid("text must not be empty.")
    if len(text) > chat.settings.max_message_chars:
        raise Invalid(f"text must be at most {chat.settings.max_message_chars} characters.")
    return text


async def do_send_agent_message(chat: Chat, principal: Principal, body: MessageCreate) -> dict[str, Any]:
    user_id, visitor_id = body.userId, body.visitorId
    text = check_text(chat, body.text)
    visitor, by_bot = await check_sender(chat, principal, user_id, visitor_id)
    return await store_message(chat, visitor, user_id, text, by_bot=by_bot)


async def do_send_visitor_message(chat: Chat, visitor: Row, body: WidgetMessageCreate) -> dict[str, Any]:
    text = check_text(chat, body.text)
    return await store_message(chat, visitor, None, text)


async def store_message(chat: Chat, visitor: Row, user_id: str | None, text: str,
                        attachment: str | None = None, by_bot: bool = False,
                        attachment_row: dict[str, Any] | None = None,
                        on_stored: Callable[[], None] | None = None) -> dict[str, Any]:
    """The one path by which a message is created: stored once, then one message.created.

    An attachment's row commits with its message; `on_stored` runs once both have committed,
    before anything else can run (it puts the file in place before a client can ask for it)."""
    now = now_ms()
    row = {"id": new_id(), "account_id": visitor["account_id"], "visitor_id": visitor["id"],
           "user_id": user_id, "text": text, "seen": False, "sent_at": now,
           "attachment": attachment, "by_bot": by_bot, "search": textsearch.index_text(text)}
    async with chat.change() as change:
        tx = change.tx
        if attachment_row is not None:
            await chat.store.insert_attachment(attachment_row, conn=tx)
        row["seq"] = await chat.store.insert_message(row, conn=tx)
        if chat.cache.should_touch(visitor["id"], now):
            await chat.store.touch_visitor(visitor["id"], now, conn=tx)
        await episodes.on_message(chat, change, visitor, user_id, by_bot, now)
        message = message_json(row)
        change.emit(Event("message.created", visitor["account_id"], visitor["id"], message,
                          seq=row["seq"],
                          agents_only=by_bot and not visitor["show_bot_messages"]))
        # The first message from the visitor or from a person makes the visitor a conversation
        # (a bot's message alone, such as a greeting nobody answered, does not).
        started = (not by_bot and visitor["conversation_at"] is None
                   and await chat.store.start_conversation(visitor["id"], now, conn=tx))
        if user_id is not None and (pair := (visitor["id"], user_id)) not in chat.cache.visitor_agents:
            if await chat.store.add_visitor_agent(visitor["id"], user_id, now, conn=tx):
                updated = await visitor_object(chat, visitor, conn=tx)
                change.emit(Event("visitor.updated", visitor["account_id"], visitor["id"], updated))
            chat.cache.visitor_agents.add(pair)
    if on_stored is not None:
        on_stored()
    chat.cache.remember_message(visitor["account_id"], message)  # stored: GETs may use it
    if started:
        from .team import announce_conversation  # team builds on messages: imported when used

        await announce_conversation(chat, visitor["account_id"], visitor["id"])
    if user_id is None and visitor["status"] == "resolved":
        from .team import do_set_status  # a visitor writing again reopens the conversation

        await do_set_status(chat, visitor, "open")
    return message


async def check_sender(chat: Chat, principal: Principal, user_id: str,
                       visitor_id: str) -> tuple[Row, bool]:
    """The visitor to write to, and whether the sender is a bot."""
    is_bot = chat.cache.agent_kind(principal.account_id, user_id)
    if is_bot is None:
        kind = await chat.store.agent_kind(principal.account_id, user_id)
        if kind is None:
            raise Invalid("userId is not an agent of this account.")
        is_bot = bool(kind["is_bot"])
        chat.cache.remember_agent_kind(principal.account_id, user_id, is_bot)
    visitor = chat.cache.writable_visitor(principal.account_id, visitor_id)
    if visitor is None:
        visitor = await get_visitor_row(chat, principal.account_id, visitor_id)
        chat.cache.remember_writable_visitor(visitor)
    if visitor["banned"]:
        raise Forbidden("This visitor is banned.")
    return visitor, is_bot


async def _get_row(chat: Chat, account_id: str, message_id: str) -> Row:
    row = await chat.store.get_message(account_id, message_id) if is_id(message_id) else None
    if row is None:
        raise NotFound("Message not found.")
    return row


async def get_message(chat: Chat, principal: Principal, message_id: str) -> dict[str, Any]:
    message = chat.cache.message(principal.account_id, message_id)
    if message is None:
        message = message_json(await _get_row(chat, principal.account_id, message_id))
        chat.cache.remember_message(principal.account_id, message)
    return message


async def do_edit_message(chat: Chat, principal: Principal, message_id: str,
                          body: MessageEdit) -> dict[str, Any]:
    text = check_text(chat, body.text)
    row = await _get_row(chat, principal.account_id, message_id)
    if row["user_id"] is None:
        raise Forbidden("Only agents' messages can be edited.")
    message = message_json(row) | {"text": text}
    async with chat.change() as change:
        await chat.store.edit_message(row["id"], text, textsearch.index_text(text), now_ms(),
                                      conn=change.tx, seq=int(row["seq"]))
        audit.note(change, principal, "message.edit", "message", row["id"],
                   {"visitorId": row["visitor_id"], "author": row["user_id"]})
        change.emit(Event("message.updated", row["account_id"], row["visitor_id"], message))
    return message


async def do_delete_message(chat: Chat, principal: Principal, message_id: str) -> dict[str, Any]:
    row = await _get_row(chat, principal.account_id, message_id)
    if row["user_id"] is None:
        raise Forbidden("Only agents' messages can be deleted.")
    message = message_json(row)
    async with chat.change() as change:
        await chat.store.delete_message(row["id"], now_ms(), conn=change.tx, seq=int(row["seq"]))
        audit.note(change, principal, "message.delete", "message", row["id"],
                   {"visitorId": row["visitor_id"], "author": row["user_id"]})
        change.emit(Event("message.deleted", row["account_id"], row["visitor_id"], message))
    return message


async def list_visitor_messages(chat: Chat, principal: Principal, visitor_id: str,
                                cursor: str | None, limit: Any) -> Page:
    size = check_limit(limit)
    before = decode_cursor(cursor)
    visitor = await get_visitor_row(chat, principal.account_id, visitor_id)
    rows = await chat.store.list_messages_desc(visitor["id"], before, size + 1)
    return make_page(rows, size, message_json)


async def conversation(chat: Chat, visitor: Row, after: str | None = None,
                       limit: Any = None) -> list[dict[str, Any]]:
    """A visitor's conversation, oldest first: the latest messages, or those after `after`."""
    if limit in (None, ""):
        size = CONVERSATION_MAX
    else:
        try:
            size = int(limit)
        except (TypeError, ValueError):
            raise Invalid(f"limit must be an integer from 1 to {CONVERSATION_MAX}.") from None
        if not 1 <= size <= CONVERSATION_MAX:
            raise Invalid(f"limit must be an integer from 1 to {CONVERSATION_MAX}.")
    if after:
        seq = await chat.store.message_seq(visitor["id"], visitor["account_id"], after)
        if seq is None:
            raise NotFound("Message not found.")
        rows = await chat.store.list_messages_after(visitor_id=visitor["id"], after_seq=seq, limit=size)
        return [message_json(r) for r in rows if visible_to_visitor(visitor, r)]
    rows = await chat.store.list_messages_desc(visitor["id"], None, size)
    return [message_json(r) for r in reversed(rows) if visible_to_visitor(visitor, r)]


def visible_to_visitor(visitor: Row, row: Row) -> bool:
    """With showBotMessages off, the visitor's side shows no bot messages."""
    return bool(visitor["show_bot_messages"]) or not row["by_bot"]


RESUME_PAGE = 1000
UNKNOWN_RESUME_POINT = "Unknown message ID in resume."


async def missed_messages(chat: Chat, account_id: str, visitor_id: str | None,
                          after: Any) -> AsyncIterator[tuple[list[dict[str, Any]], int]]:
    """The resume rule: what a socket reconnecting with `{"type": "resume", "after": id}` missed.

    Every message stored after `after`, oldest first, in pages of up to RESUME_PAGE: each page is
    (messages, seq of the last row read, shown or not), so the socket can skip live copies it was
    already sent. A visitor's socket (`visitor_id` set) gets its own conversation as the visitor
    sees it (visible_to_visitor), from the start when `after` is None; an agent's socket gets the
    whole account's messages, and nothing without an `after`. An `after` that is not a string
    yields nothing; one that is no message of theirs raises NotFound.
    """
    if after is None and visitor_id is None:
        return
    seq = 0
    if after is not None:
        if not isinstance(after, str):
            return
        found = await chat.store.message_seq(visitor_id, account_id, after)
        if found is None:
            raise NotFound(UNKNOWN_RESUME_POINT)
        seq = found
    while True:
        if visitor_id is not None:
            rows = await chat.store.list_messages_after(visitor_id=visitor_id, after_seq=seq,
                                                        limit=RESUME_PAGE)
            visitor = await chat.store.get_visitor(account_id, visitor_id)
        else:
            rows = await chat.store.list_messages_after(account_id=account_id, after_seq=seq,
                                                        limit=RESUME_PAGE)
            visitor = None
        if rows:
            seq = max(seq, max(int(row["seq"]) for row in rows))
        yield [message_json(row) for row in rows
               if visitor is None or visible_to_visitor(visitor, row)], seq
        if len(rows) < RESUME_PAGE:
            return
