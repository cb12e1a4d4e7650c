"""Reply addresses: every email about a conversation carries `Reply-To: <token>@<reply domain>`.

The token is random (unguessable), made the first time a conversation needs one and kept, so
every email about the same conversation has the same address; mail received for it is looked up
here (docs/email.md).
"""

from __future__ import annotations

import re
import secrets

from ..store.db import Row
from .context import Chat

# 24 lowercase letters and digits: case-insensitive like mailbox names often are, ~124 bits.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
TOKEN_RE = re.compile(r"^[a-z0-9]{24}$")


def new_reply_token() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(24))


async def reply_token(chat: Chat, visitor_id: str) -> str:
    token = await chat.store.visitor_reply_token(visitor_id)
    if token is None:
        await chat.store.set_visitor_reply_token(visitor_id, new_reply_token())
        token = await chat.store.visitor_reply_token(visitor_id)
        assert token is not None
    return token


async def reply_address(chat: Chat, visitor_id: str) -> str:
    """`<token>@<BOTAZ_REPLY_DOMAIN>`, the same for every email about this conversation."""
    return f"{await reply_token(chat, visitor_id)}@{chat.settings.mail_domain()}"


async def visitor_for_reply(chat: Chat, local_part: str) -> Row | None:
    """The visitor whose conversation a reply address belongs to; None for any other address."""
    token = local_part.strip().lower()
    if not TOKEN_RE.match(token):
        return None
    return await chat.store.get_visitor_by_reply_token(token)
