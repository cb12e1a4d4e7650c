"""Visitors: created by the widget, read and edited by agents."""

from __future__ import annotations

from typing import Any

from ..events import Event
from ..ids import hash_token, is_id, new_id, new_token, now_ms
from ..store.db import Conn, Row
from ..schema import Body, F, Obj, present
from . import audit, textsearch
from .accounts import Principal
from .context import Chat
from .errors import Forbidden, Invalid, NotFound, Unauthenticated
from .schemas import VisitorEdit, WidgetVisitorCreate
from .pagination import Page, check_limit, decode_cursor, make_page
from .settings import check_origin
from .views import visitor_json

VISITOR_TOKEN_PREFIX = "btzv_"
CONTACT_FIELDS = frozenset({"name", "email", "phone", "notes"})
PRESENCE_FIELDS = {"last_online", "visit_started_at"}
BROWSER_FIELDS = {"userAgent": "user_agent", "appName": "app_name", "appVersion": "app_version",
                  "platform": "platform"}


async def visitor_object(chat: Chat, row: Row, conn: Conn | None = None) -> dict[str, Any]:
    agents = await chat.store.visitor_agents([row["id"]], conn=conn)
    return visitor_json(row, agents[row["id"]])


async def get_visitor_row(chat: Chat, account_id: str, visitor_id: str) -> Row:
    row = await chat.store.get_visitor(account_id, visitor_id) if is_id(visitor_id) else None
    if row is None:
        raise NotFound("Visitor not found.")
    return row


async def get_visitor(chat: Chat, principal: Principal, visitor_id: str) -> dict[str, Any]:
    found = (await chat.store.visitor_with_agents(principal.account_id, visitor_id)
             if is_id(visitor_id) else None)
    if found is None:
        raise NotFound("Visitor not found.")
    return visitor_json(*found)


def contact_changes(body: Body) -> dict[str, Any]:
    """Name/email/phone/notes sent: a string sets the value (stripped), null or a blank string
    removes it (a blank email is no bad address: Body skips it)."""
    return {k: (v.strip() or None) if isinstance(v, str) else v for k, v in present(body).items()
            if k in CONTACT_FIELDS}


def with_search_words(row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes, plus the visitor's folded words when its name or email changes: the inbox
    search finds visitors by these words, so every writer of name or email stores them too."""
    if "name" not in changes and "email" not in changes:
        return changes
    contact = {"name": row["name"], "email": row["email"]} | changes
    return changes | {"search": textsearch.index_text(
        f"{contact['name'] or ''} {contact['email'] or ''}")}


async def _apply_visitor_changes(chat: Chat, row: Row, changes: dict[str, Any],
                                 extra: dict[str, Any] | None = None,
                                 by: Principal | None = None, action: str = "visitor.update") -> dict[str, Any]:
    """The one path by which a visitor changes: store, then publish visitor.updated."""
    changes = {k: v for k, v in changes.items() if row[k] != v}
    if not changes:
        return await visitor_object(chat, row)
    stored = with_search_words(row, changes)
    async with chat.change() as change:
        await chat.store.update_visitor(row["id"], stored, conn=change.tx)
        audit.note(change, by, action, "visitor", row["id"], {"fields": sorted(changes)})
        row = await chat.store.get_visitor(row["account_id"], row["id"], conn=change.tx)
        visitor = await visitor_object(chat, row, conn=change.tx)
        # A change of lastOnline (and the visit's start) alone is presence: sockets hear it,
        # webhooks do not.
        change.emit(Event("visitor.updated", row["account_id"], row["id"], visitor | (extra or {}),
                          transient=set(changes) <= PRESENCE_FIELDS))
    return visitor


async def do_update_visitor(chat: Chat, principal: Principal, visitor_id: str,
                            body: VisitorEdit) -> dict[str, Any]:
    changes = contact_changes(body)
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    return await _apply_visitor_changes(chat, row, changes, by=principal)


async def do_set_visitor_state(chat: Chat, row: Row, extra: dict[str, Any] | None = None,
                               by: Principal | None = None, action: str = "visitor.update",
                               **changes: Any) -> dict[str, Any]:
    """Changes that do not come from the seed's PUT: presence, ban, pre-chat form, bot switch.

    `extra` adds keys to the event only (presence adds "online"), not to the stored visitor.
    """
    return await _apply_visitor_changes(chat, row, changes, extra, by, action)


# GET /api/visitors?attribute=key:value (repeatable, all must match): custom attributes set with
# Botaz.setAttributes, compared as text (true/false and numbers as JSON writes them).
MAX_ATTRIBUTE_FILTERS = 5


def parse_attribute_filter(raw: str) -> tuple[str, str]:
    """`plan:pro` → ("plan", "pro"): the first colon ends the key."""
    from .identity import MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_TEXT

    key, colon, value = raw.partition(":")
    if not colon:
        raise Invalid("attribute must be key:value, e.g. attribute=plan:pro.")
    if not key.strip() or len(key) > MAX_ATTRIBUTE_KEY:
        raise Invalid(f"attribute's key must have 1 to {MAX_ATTRIBUTE_KEY} characters.")
    if len(value) > MAX_ATTRIBUTE_TEXT:
        raise Invalid(f"attribute's value must have at most {MAX_ATTRIBUTE_TEXT} characters.")
    return key, value


def check_attribute_filters(values: list[str]) -> list[tuple[str, str]]:
    if len(values) > MAX_ATTRIBUTE_FILTERS:
        raise Invalid(f"At most {MAX_ATTRIBUTE_FILTERS} attribute filters may be given.")
    return [parse_attribute_filter(v) for v in values]


async def list_visitors(chat: Chat, principal: Principal, cursor: str | None, limit: Any,
                        attributes: list[str] | None = None) -> Page:
    size = check_limit(limit)
    filters = check_attribute_filters(attributes or [])
    rows = await chat.store.list_visitors(principal.account_id, decode_cursor(cursor), size + 1,
                                          filters)
    agents = await chat.store.visitor_agents([r["id"] for r in rows[:size]])
    return make_page(rows, size, lambda r: visitor_json(r, agents[r["id"]]))


async def do_create_visitor(chat: Chat, body: WidgetVisitorCreate,
                            origin: str | None = None) -> dict[str, Any]:
    account = await chat.store.get_account_by_site_key(body.siteKey)
    if account is None:
        raise NotFound("There is no site with this siteKey.")
    await check_origin(chat, account, origin)
    sent = present(body)
    cookie_enabled = sent.get("cookieEnabled")
    now = now_ms()
    token = new_token(VISITOR_TOKEN_PREFIX)
    row = {"id": new_id(), "account_id": account["id"], "token_hash": hash_token(token),
           "added_at": now, "last_online": now,
           "cookie_enabled": None if cookie_enabled is None else int(cookie_enabled)}
    for key, column in BROWSER_FIELDS.items():
        row[column] = sent.get(key)
    async with chat.change() as change:
        await chat.store.insert_visitor(row, conn=change.tx)
        stored = await chat.store.get_visitor(account["id"], row["id"], conn=change.tx)
        visitor = visitor_json(stored, [])
        change.emit(Event("visitor.created", account["id"], row["id"], visitor))
    return {"visitorId": row["id"], "visitorToken": token, "visitor": visitor}


async def authenticate_visitor(chat: Chat, token: str | None, origin: str | None = None) -> Row:
    if not token or not token.startswith(VISITOR_TOKEN_PREFIX):
        raise Unauthenticated()
    row = await chat.store.get_visitor_by_token(hash_token(token))
    if row is None:  # a token that a conversation link issued (botaz/chat/resume.py)
        row = await chat.store.get_visitor_by_added_token(hash_token(token))
    if row is None:
        raise Unauthenticated()
    if row["banned"]:
        raise Forbidden("You have been blocked from this chat.")
    if origin:
        await check_origin(chat, await chat.store.get_account(row["account_id"]), origin)
    return row


ATTRIBUTE_KEYS_MAX = 200
ATTRIBUTE_KEY = Obj("AttributeKey", {
    "key": F("string", "A custom attribute's key"),
    "visitors": F("integer", "How many visitors have it"),
})
ATTRIBUTE_KEYS = Obj("AttributeKeyList", {
    "items": F("array", "The keys, A to Z (at most 200)",
               items={"$ref": "#/components/schemas/AttributeKey"}),
})


async def attribute_keys(chat: Chat, principal: Principal) -> dict[str, Any]:
    """The custom attribute keys the account's visitors have (for the dashboard's filter)."""
    rows = await chat.store.attribute_keys(principal.account_id, ATTRIBUTE_KEYS_MAX)
    return {"items": [{"key": r["key"], "visitors": int(r["visitors"])} for r in rows]}
