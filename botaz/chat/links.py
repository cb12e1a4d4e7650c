"""Links that open a conversation on any device, sent in emails to visitors (docs/email.md).

A link is `<BOTAZ_PUBLIC_URL>/c/<token>`: the visitor's ID and an expiry time, signed with an
HMAC key that the installation makes once and keeps in the database (the same on every node).
Nothing is stored per link. Checking one also asks the database: a visitor who was banned or
erased no longer has a conversation to open, so every link to it is dead at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct

from ..ids import is_id, now_ms
from ..store.db import Row
from .context import Chat

LINK_TTL_S = 30 * 24 * 3600
_SECRET = "conversation-links"
_MAC_BYTES = 16


async def _key(chat: Chat) -> bytes:
    if chat.link_key is None:
        value = await chat.store.instance_secret(_SECRET, secrets.token_hex(32), now_ms())
        chat.link_key = bytes.fromhex(value)
    return chat.link_key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def link_token(chat: Chat, visitor_id: str, ttl_s: int = LINK_TTL_S) -> str:
    payload = visitor_id.encode() + struct.pack(">Q", now_ms() // 1000 + ttl_s)
    mac = hmac.new(await _key(chat), payload, hashlib.sha256).digest()[:_MAC_BYTES]
    return _b64(payload + mac)


async def conversation_link(chat: Chat, visitor_id: str, ttl_s: int = LINK_TTL_S) -> str:
    """The absolute URL that opens this visitor's conversation, valid for `ttl_s` seconds."""
    return f"{chat.settings.base_url()}/c/{await link_token(chat, visitor_id, ttl_s)}"


async def decode_link(chat: Chat, token: str) -> tuple[str, int] | None:
    """The visitor ID and expiry (seconds) of a link that this installation signed; None if forged."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 17 + 8 + _MAC_BYTES:
        return None
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    expected = hmac.new(await _key(chat), payload, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        return None
    visitor_id = payload[:17].decode("ascii", "replace")
    (expires_s,) = struct.unpack(">Q", payload[17:])
    return (visitor_id, expires_s) if is_id(visitor_id) else None


async def visitor_from_link(chat: Chat, token: str) -> Row | None:
    """The visitor a link opens, or None: forged, expired, or the visitor banned or erased."""
    decoded = await decode_link(chat, token)
    if decoded is None or decoded[1] * 1000 < now_ms():
        return None
    visitor = await chat.store.get_visitor_any_account(decoded[0])
    if visitor is None or visitor["banned"]:
        return None
    return visitor
