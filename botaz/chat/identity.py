"""Known users: a website tells the widget who is signed in, and proves it (docs/widget.md).

The page calls `Botaz.identify({id, hash})` where `hash` is the hex HMAC-SHA256 of `id` keyed
with the account's identity secret, which only the website's server and the account's owners
know. The hash is always checked: there is no unverified identity. A verified `id` maps to one
visitor of the account (table visitor_identities), so every browser that identifies as that user
continues the same conversation.

The merge rule, when a browser identifies while holding an anonymous visitor:
- the user has no visitor yet: the anonymous visitor becomes the user's (it keeps everything);
- the user has one: the anonymous visitor's messages, page views, notes, files, conversations,
  reply address and the name/email/phone the user's visitor lacks move to it, and the anonymous
  visitor is deleted (dashboards hear visitor.deleted), all in one
  transaction; if both had an open conversation, the anonymous one is resolved, the user's stays;
- the browser's visitor is already another user's (a shared computer): it is left alone.
Each identify answers a new token for the user's visitor; the tokens other browsers hold stay valid.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any, ClassVar

import orjson

from ..events import Event
from ..ids import hash_token, new_id, new_token, now_ms
from ..schema import UNSET, Body, D, Reply, Str, UnsetType
from ..store.db import Row
from . import audit
from .accounts import Principal, require_owner
from .cache import EPISODE
from .context import Chat
from .errors import Forbidden, Invalid, NotFound, Unauthenticated
from .resume import MAX_ADDED_TOKENS
from .settings import check_origin, settings_changed
from .views import for_visitor
from .visitors import (VISITOR_TOKEN_PREFIX, authenticate_visitor, contact_changes,
                       get_visitor_row, visitor_object, with_search_words)

HASH_RE = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 50
MAX_ATTRIBUTE_TEXT = 1000



class WidgetIdentify(Body):
    """Send the browser's current visitor token (if any) as the bearer token: an anonymous
    visitor is merged into the known user."""
    siteKey: Str("The account's site key", min_length=1, max_length=100)
    id: Str("The website's own ID of the signed-in user", min_length=1, max_length=200)
    hash: Str("Hex HMAC-SHA256 of `id`, keyed with the account's identity secret, computed by "
              "the website's server", min_length=64, max_length=64)
    name: Str("The user's name, set on the visitor", nullable=True, max_length=200) | UnsetType = UNSET
    email: Str("The user's email address, set on the visitor", nullable=True, max_length=254,
               email=True) | UnsetType = UNSET
    __example__: ClassVar = {
        "siteKey": "sk_…", "id": "user-42", "name": "Anar", "email": "anar@example.com",
        "hash": "617b47b3eb112452ab21efe610737a2471b6a346ccb730773fb370ec42829758"}


class IdentitySecret(Reply):
    identitySecret: Str("The key of the HMAC-SHA256 that signs users' IDs")


class VisitorAttributes(Reply):
    externalId: Str("The website's ID of the signed-in user (Botaz.identify); null: anonymous",
                    nullable=True)
    attributes: D(dict[str, Any], "Custom attributes the website set (Botaz.setAttributes)")


class WidgetAttributes(Body):
    attributes: D(dict[str, Any], "Custom attributes: at most 50 keys of at most 50 characters; "
                                  "values are strings (at most 1000 characters), numbers, "
                                  "booleans, or null, which removes the key")
    __example__: ClassVar = {"attributes": {"plan": "pro", "seats": 12, "trial": False}}


IDENTIFY, IDENTITY_SECRET, VISITOR_ATTRIBUTES, ATTRIBUTES = (
    WidgetIdentify, IdentitySecret, VisitorAttributes, WidgetAttributes)


def _secret_name(account_id: str) -> str:
    return f"identity:{account_id}"


async def identity_secret(chat: Chat, account_id: str) -> str:
    """The account's identity secret, made on first need."""
    return await chat.store.instance_secret(_secret_name(account_id), secrets.token_hex(32),
                                            now_ms())


async def do_rotate_secret(chat: Chat, principal: Principal) -> dict[str, Any]:
    require_owner(principal, "Only owners can rotate the identity secret.")
    value = secrets.token_hex(32)
    await chat.store.replace_instance_secret(_secret_name(principal.account_id), value, now_ms())
    settings_changed(chat, principal.account_id)
    await audit.record(chat, principal, "settings.identity_secret", "settings",
                       principal.account_id, {})
    return {"identitySecret": value}


def sign(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


async def do_identify(chat: Chat, body: WidgetIdentify, token: str | None,
                      origin: str | None) -> dict[str, Any]:
    if not HASH_RE.match(body.hash):
        raise Invalid("hash must be 64 hexadecimal digits: the HMAC-SHA256 of id.")
    contact = contact_changes(body)
    account = await chat.store.get_account_by_site_key(body.siteKey)
    if account is None:
        raise NotFound("There is no site with this siteKey.")
    await check_origin(chat, account, origin)
    user_id = body.id
    expected = sign(await identity_secret(chat, account["id"]), user_id)
    if not hmac.compare_digest(expected, body.hash.lower()):
        raise Forbidden("hash does not match id: sign the user's id with the account's "
                        "identity secret (HMAC-SHA256, hex).")
    current: Row | None = None
    if token and token.startswith(VISITOR_TOKEN_PREFIX):
        try:
            current = await authenticate_visitor(chat, token)
        except (Unauthenticated, Forbidden):
            current = None  # a stale or banned token: the user simply gets its own visitor
        if current is not None and current["account_id"] != account["id"]:
            current = None
    now = now_ms()
    new_visitor_token = new_token(VISITOR_TOKEN_PREFIX)
    async with chat.change() as change:
        tx = change.tx
        known = await chat.store.identity_visitor(account["id"], user_id, conn=tx)
        current_owner = (await chat.store.visitor_identity(current["id"], conn=tx)
                         if current is not None else None)
        created = False
        carried: dict[str, Any] = {}  # what the merged-away visitor had told us, unless known
        if known is not None and known["banned"]:
            raise Forbidden("You have been blocked from this chat.")
        if known is None:
            if current is not None and current_owner is None and not current["banned"]:
                target_id = current["id"]
            else:
                target_id = new_id()
                await chat.store.insert_visitor(
                    {"id": target_id, "account_id": account["id"],
                     "token_hash": hash_token(new_token(VISITOR_TOKEN_PREFIX)),
                     "added_at": now, "last_online": now}, conn=tx)
                created = True
            await chat.store.bind_identity(account["id"], user_id, target_id, now, conn=tx)
        else:
            target_id = known["id"]
            if (current is not None and current["id"] != target_id and current_owner is None
                    and not current["banned"]):
                carried = {k: current[k] for k in ("name", "email", "phone") if current[k]}
                await chat.store.merge_visitor(current["id"], target_id, now, conn=tx)
                change.emit(Event("visitor.deleted", account["id"], current["id"],
                                  {"_id": current["id"], "mergedInto": target_id}))
                # The user's open conversation may have come with the merge: every node
                # forgets what it remembered about it.
                change.emit(Event(EPISODE, account["id"], target_id, {"state": None}))
        row = await chat.store.get_visitor(account["id"], target_id, conn=tx)
        assert row is not None
        changes = {k: v for k, v in carried.items() if not row[k]}
        changes.update({k: v for k, v in contact.items() if v is not None and row[k] != v})
        if changes:
            await chat.store.update_visitor(target_id, with_search_words(row, changes), conn=tx)
        await chat.store.add_visitor_token_tx(target_id, hash_token(new_visitor_token), now,
                                              MAX_ADDED_TOKENS, conn=tx)
        row = await chat.store.get_visitor(account["id"], target_id, conn=tx)
        visitor = await visitor_object(chat, row, conn=tx)
        change.emit(Event("visitor.created" if created else "visitor.updated", account["id"],
                          target_id, visitor))
    return {"visitorId": target_id, "visitorToken": new_visitor_token,
            "visitor": for_visitor(visitor)}


def check_attributes(body: WidgetAttributes) -> dict[str, Any]:
    attributes = body.attributes
    for key, value in attributes.items():
        if not key.strip() or len(key) > MAX_ATTRIBUTE_KEY:
            raise Invalid(f"attributes keys must have 1 to {MAX_ATTRIBUTE_KEY} characters.")
        if isinstance(value, str):
            if len(value) > MAX_ATTRIBUTE_TEXT:
                raise Invalid(f"attributes.{key} must have at most {MAX_ATTRIBUTE_TEXT} characters.")
        elif not (value is None or isinstance(value, (bool, int, float))):
            raise Invalid(f"attributes.{key} must be a string, number, boolean or null.")
    return attributes


def attributes_of(raw: str | None) -> dict[str, Any]:
    return orjson.loads(raw) if raw else {}


async def visitor_attributes(chat: Chat, principal: Principal, visitor_id: str) -> dict[str, Any]:
    """What agents see beside the seed's visitor object: the site's user ID and attributes."""
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    return {"externalId": await chat.store.visitor_identity(row["id"]),
            "attributes": attributes_of(await chat.store.visitor_attributes(row["id"]))}


async def do_set_attributes(chat: Chat, visitor: Row, body: WidgetAttributes) -> dict[str, Any]:
    """Merge the page's custom attributes into the visitor's; null removes a key."""
    changes = check_attributes(body)
    async with chat.change() as change:
        current = attributes_of(await chat.store.visitor_attributes(visitor["id"], conn=change.tx))
        for key, value in changes.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        if len(current) > MAX_ATTRIBUTES:
            raise Invalid(f"attributes may hold at most {MAX_ATTRIBUTES} keys.")
        await chat.store.set_visitor_attributes(
            visitor["id"], orjson.dumps(current).decode() if current else None, conn=change.tx)
        row = await chat.store.get_visitor(visitor["account_id"], visitor["id"], conn=change.tx)
        result = await visitor_object(chat, row, conn=change.tx)
        change.emit(Event("visitor.updated", visitor["account_id"], visitor["id"], result))
    return {"attributes": current}
