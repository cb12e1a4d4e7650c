"""Opening a conversation link: the link's visitor continues in this browser (docs/email.md).

A link (botaz/chat/links.py) is exchanged for a *new* visitor token of the same visitor: tokens
are stored hashed, so the one the visitor's first browser holds cannot be handed out again, and
it stays valid, so both devices keep the conversation. Each visitor keeps its newest
`MAX_ADDED_TOKENS` such tokens; a ban refuses every token at once, an erase deletes them.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ..ids import hash_token, new_token, now_ms
from ..schema import Body, Str
from ..store.db import Row
from .context import Chat
from .errors import DomainError, NotFound
from .links import decode_link
from .settings import check_origin, settings_of
from .views import for_visitor
from .visitors import VISITOR_TOKEN_PREFIX, visitor_object

MAX_ADDED_TOKENS = 20
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,200}$")



class ConversationLinkOpen(Body):
    token: Str("The token of a conversation link: the part after /c/ (or after #botaz-link= in a "
               "page's URL)", min_length=1, max_length=200)
    siteKey: Str("The site key of the widget asking; the link must belong to its account",
                 min_length=1, max_length=100)
    __example__: ClassVar = {"token": "t3QfM0xL…", "siteKey": "sk_…"}


LINK_OPEN = ConversationLinkOpen


class Gone(DomainError):
    kind = "gone"


NOT_VALID = "This conversation link is not valid."
GONE = "This conversation link has expired or the conversation is no longer available."


async def link_visitor(chat: Chat, token: str) -> Row:
    """The visitor a link opens. NotFound: not a link of ours; Gone: expired, banned or erased."""
    decoded = await decode_link(chat, token) if TOKEN_RE.match(token) else None
    if decoded is None:
        raise NotFound(NOT_VALID)
    visitor_id, expires_s = decoded
    if expires_s * 1000 < now_ms():
        raise Gone(GONE)
    visitor = await chat.store.get_visitor_any_account(visitor_id)
    if visitor is None or visitor["banned"]:
        raise Gone(GONE)
    return visitor


async def do_open_link(chat: Chat, body: ConversationLinkOpen, origin: str | None) -> dict[str, Any]:
    """A new visitor token for the link's visitor, for the widget of the link's own account."""
    visitor = await link_visitor(chat, body.token)
    account = await chat.store.get_account_by_site_key(body.siteKey)
    if account is None or account["id"] != visitor["account_id"]:
        raise NotFound(NOT_VALID)  # another site's widget learns nothing about this link
    await check_origin(chat, account, origin)
    token = new_token(VISITOR_TOKEN_PREFIX)
    await chat.store.add_visitor_token(visitor["id"], hash_token(token), now_ms(), MAX_ADDED_TOKENS)
    return {"visitorId": visitor["id"], "visitorToken": token,
            "visitor": for_visitor(await visitor_object(chat, visitor))}


async def link_page(chat: Chat, token: str) -> dict[str, Any]:
    """What the conversation page shows: the account, and the website to continue on if known."""
    visitor = await link_visitor(chat, token)
    account = await chat.store.get_account(visitor["account_id"])
    if account is None:
        raise Gone(GONE)
    settings = settings_of(account)
    return {"siteKey": account["site_key"], "accountName": account["name"],
            "color": settings.get("widget", {}).get("color"),
            "website": await _website(chat, visitor, settings.get("allowedOrigins") or [])}


async def _website(chat: Chat, visitor: Row, allowed: list[str]) -> str | None:
    """The last page of the site the visitor was on (where the widget can take the link over)."""
    pages = await chat.store.list_pages(visitor["id"], None, 1)
    if not pages:
        return None
    url = pages[0]["url"] or ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if allowed and f"{parts.scheme}://{parts.netloc}".lower() not in allowed:
        return None
    return parts._replace(fragment="").geturl()
