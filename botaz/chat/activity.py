"""What happens around messages: seen marks, typing, presence, pages, the pre-chat form, bans."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

from typing import Any, ClassVar

from ..events import Event
from ..ids import is_id, now_ms
from ..schema import UNSET, Body, D, Reply, Str, UnsetType
from ..store.db import Row
from .accounts import Principal
from .context import Chat
from .errors import Invalid, NotFound
from .messages import visible_to_visitor
from .pagination import Page as ListPage, check_limit, decode_cursor, make_page
from .settings import check_custom_answers, get_settings
from .views import message_json
from .visitors import contact_changes, do_set_visitor_state, get_visitor_row, visitor_object
from ..ids import iso_ms



class Seen(Body):
    messageId: Str("Mark the other side's messages up to and including this one as seen")


class Preform(Body):
    name: Str("Visitor's name", nullable=True, max_length=200) | UnsetType = UNSET
    email: Str("Visitor's email", nullable=True, max_length=254, email=True) | UnsetType = UNSET
    phone: Str("Visitor's phone", nullable=True, max_length=50) | UnsetType = UNSET
    # The answers to the account's custom fields: every other key sent (schema.convert), checked
    # against the account's settings by do_preform; documented as additionalProperties.
    customAnswers: dict[str, Any] | UnsetType = UNSET
    __extra__: ClassVar = "customAnswers"


class PageVisit(Body):
    url: Str("The page's address", min_length=1, max_length=2000)
    title: Str("The page's title", nullable=True, max_length=500) | UnsetType = UNSET
    referrer: Str("document.referrer", nullable=True, max_length=2000) | UnsetType = UNSET


class Typing(Body):
    typing: D(bool, "true while typing, false when stopped")
    visitorId: Str("The conversation (in the path of the REST call)") | UnsetType = UNSET
    type: Str("typing (websocket frames)") | UnsetType = UNSET


SEEN, PREFORM, PAGE_VISIT, TYPING = Seen, Preform, PageVisit, Typing
class SeenResult(Reply):
    seen: D(list[str], "IDs of the messages that became seen")


SEEN_RESULT = SeenResult
VISIT_GAP_MS = 30 * 60 * 1000
class Page(Reply):
    url: Str("Address")
    title: Str("Title", nullable=True)
    referrer: Str("Referrer", nullable=True)
    visitedAt: Str("When", fmt="date-time")


PAGE = Page


async def _mark_seen(chat: Chat, visitor: Row, message_id: Any, by_visitor: bool) -> dict[str, Any]:
    seq = None
    if isinstance(message_id, str) and is_id(message_id):
        seq = await chat.store.message_seq(visitor["id"], visitor["account_id"], message_id)
    if seq is None:
        raise NotFound("Message not found in this conversation.")
    async with chat.change() as change:
        rows = await chat.store.mark_seen(visitor["id"], seq, by_visitor, now_ms(), conn=change.tx)
        for row in rows:
            message = message_json(row) | {"seen": True}
            change.emit(Event("message.updated", visitor["account_id"], visitor["id"], message))
    return {"seen": [row["id"] for row in rows]}


async def do_visitor_seen(chat: Chat, visitor: Row, body: Seen) -> dict[str, Any]:
    """The visitor has seen agents' messages up to `messageId`."""
    return await _mark_seen(chat, visitor, body.messageId, by_visitor=True)


async def do_agent_seen(chat: Chat, principal: Principal, visitor_id: str, body: Seen) -> dict[str, Any]:
    """An agent has seen the visitor's messages up to `messageId`."""
    message_id = body.messageId
    visitor = await get_visitor_row(chat, principal.account_id, visitor_id)
    return await _mark_seen(chat, visitor, message_id, by_visitor=False)


def do_typing(chat: Chat, visitor: Row, user_id: str | None, typing: bool) -> None:
    """Typing is not stored: it is one event, heard by the conversation's sockets."""
    chat.send_event(Event("typing", visitor["account_id"], visitor["id"],
                          {"visitorId": visitor["id"], "userId": user_id, "typing": bool(typing)}))


async def do_agent_typing(chat: Chat, principal: Principal, body: Typing) -> None:
    if not body.visitorId:
        raise Invalid("visitorId is required.")
    visitor = await get_visitor_row(chat, principal.account_id, body.visitorId)
    do_typing(chat, visitor, principal.agent_id, body.typing)


async def do_visitor_presence(chat: Chat, visitor: Row, online: bool) -> None:
    """The widget connected (first socket) or went away (last socket closed)."""
    row = await chat.store.get_visitor(visitor["account_id"], visitor["id"])
    if row is None:  # erased while connected
        return
    now = now_ms()
    changes: dict[str, Any] = {"last_online": now}
    # A visit goes on across page loads (each one closes and reopens the widget's socket) and
    # ends after VISIT_GAP_MS without any: then the next connection starts a new one.
    if online and (row["visit_started_at"] is None or now - (row["last_online"] or 0) > VISIT_GAP_MS):
        changes["visit_started_at"] = now
    await do_set_visitor_state(chat, row, {"online": online}, **changes)


async def do_agent_presence(chat: Chat, agent_id: str) -> None:
    await chat.store.set_agent_last_online(agent_id, now_ms())


async def do_preform(chat: Chat, visitor: Row, body: Preform) -> dict[str, Any]:
    settings = await get_settings(chat, visitor["account_id"])
    changes = contact_changes(body)
    asked = settings["preform"]["fields"] if settings["preform"]["enabled"] else []
    for field in asked:
        if not changes.get(field):
            raise Invalid(f"{field} is required.")
    # The account's own fields (docs/widget.md), kept as attributes.
    answers = check_custom_answers(settings["preform"],
                                   {} if body.customAnswers is UNSET else body.customAnswers)
    if answers:
        from .identity import WidgetAttributes, do_set_attributes

        await do_set_attributes(chat, visitor, WidgetAttributes(attributes=answers))
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes and not asked:
        raise Invalid("Send at least one of name, email, phone.")
    return await do_set_visitor_state(chat, visitor, preform_filled=1, **changes)


async def do_set_banned(chat: Chat, principal: Principal, visitor_id: str, banned: bool) -> dict[str, Any]:
    visitor = await get_visitor_row(chat, principal.account_id, visitor_id)
    return await do_set_visitor_state(chat, visitor, by=principal,
                                      action="visitor.ban" if banned else "visitor.unban",
                                      banned=int(banned))


async def do_page_visit(chat: Chat, visitor: Row, body: PageVisit) -> dict[str, Any]:
    title = None if body.title is UNSET else body.title
    referrer = None if body.referrer is UNSET else body.referrer
    now = now_ms()
    await chat.store.insert_page(visitor["id"], body.url, title, referrer, now)
    page = {"url": body.url, "title": title, "referrer": referrer, "visitedAt": iso_ms(now)}
    # For the agents' "Visitors now" view; not stored as an event, never sent to the visitor.
    chat.send_event(Event("visitor.page", visitor["account_id"], visitor["id"],
                          {"visitorId": visitor["id"], **page}, agents_only=True))
    return page


UNREAD_MAX = 100  # the widget's badge says 99+ beyond 99


async def widget_state(chat: Chat, visitor: Row) -> dict[str, Any]:
    """Where the widget of a page that starts stands in the conversation: how many agents'
    messages the visitor has not seen (counted among its latest UNREAD_MAX messages) and the
    newest message it can see (its socket resumes after it, so history waits for the panel)."""
    rows = await chat.store.list_messages_desc(visitor["id"], None, UNREAD_MAX)
    visible = [r for r in rows if visible_to_visitor(visitor, r)]
    unread = sum(1 for r in visible if r["user_id"] is not None and not r["seen"])
    return {"unread": unread, "lastMessageId": visible[0]["id"] if visible else None}


async def list_pages(chat: Chat, principal: Principal, visitor_id: str, cursor: str | None,
                     limit: Any) -> ListPage:
    size = check_limit(limit)
    visitor = await get_visitor_row(chat, principal.account_id, visitor_id)
    rows = await chat.store.list_pages(visitor["id"], decode_cursor(cursor), size + 1)
    return make_page(rows, size, lambda r: {"url": r["url"], "title": r["title"],
                                            "referrer": r["referrer"],
                                            "visitedAt": iso_ms(r["visited_at"])})
