"""Accounts, agents and their credentials."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from ..ids import hash_token, new_id, new_token, now_ms
from .context import Chat
from .errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from .pagination import Page, check_limit, decode_cursor, make_page
from .views import agent_json

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
API_TOKEN_PREFIX = "btz_"

DEFAULT_ACCOUNT_SETTINGS: dict[str, Any] = {
    "allowedOrigins": [],
    "preform": {"enabled": False, "fields": ["name", "email"]},
    "widget": {"greeting": "Hi! How can we help you?", "color": "#2563eb", "title": "Chat with us"},
    # When the widget shows "online" and the bot says the team is in: off means always.
    "businessHours": {"enabled": False, "timezone": "UTC", "days": {}},
    # Round robin of new conversations among available agents (chat/assignment.py).
    "autoAssign": False,
    # docs/email.md; an empty offline message means the widget's own wording.
    "email": {"transcriptOnResolve": False, "locale": "en", "offlineMessage": {"en": "", "az": ""}},
    "satisfaction": {"enabled": True},
    "targets": {"firstResponseSeconds": 300},
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling the agent-side API: a token of one agent of one account."""

    account_id: str
    agent_id: str
    role: str
    is_bot: bool
    token_id: str | None
    csrf: str | None = None  # set for a dashboard session: state changes must echo it
    session: str | None = None  # the session's hashed ID, for dashboard sessions


def require_owner(principal: Principal, message: str = "Only owners can do this.") -> None:
    if principal.role != "owner":
        raise Forbidden(message)


def check_email(email: Any, field: str = "email") -> str:
    if not isinstance(email, str) or not EMAIL_RE.match(email.strip()) or len(email) > 254:
        raise Invalid(f"{field} must be a valid email address.")
    return email.strip()


def check_name(name: Any, field: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid(f"{field} must be a non-empty string.")
    if len(name) > 200:
        raise Invalid(f"{field} must be at most 200 characters.")
    return name.strip()


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def do_create_account(chat: Chat, *, name: str, agent_name: str, agent_email: str,
                            agent_password: str | None = None) -> dict[str, str]:
    name = check_name(name, "name")
    agent_name = check_name(agent_name, "agentName")
    agent_email = check_email(agent_email, "agentEmail")
    now = now_ms()
    account: dict[str, Any] = {"id": new_id(), "name": name, "site_key": new_id(),
                               "settings": json.dumps(DEFAULT_ACCOUNT_SETTINGS), "created_at": now}
    agent: dict[str, Any] = {
        "id": new_id(), "account_id": account["id"], "name": agent_name, "email": agent_email,
        "password_hash": hash_password(agent_password) if agent_password else None,
        "role": "owner", "is_bot": False, "created_at": now}
    token = new_token(API_TOKEN_PREFIX)
    async with chat.store.transaction() as tx:
        await chat.store.insert_account(account, conn=tx)
        await chat.store.insert_agent(agent, conn=tx)
        await chat.store.insert_token(_token_row(agent, token, "created with the account"), conn=tx)
    return {"accountId": account["id"], "siteKey": account["site_key"], "agentId": agent["id"],
            "apiToken": token}


def _token_row(agent: dict[str, Any], token: str, label: str) -> dict[str, Any]:
    return {"id": new_id(), "account_id": agent["account_id"], "agent_id": agent["id"],
            "token_hash": hash_token(token), "label": label, "created_at": now_ms()}


async def do_create_agent(chat: Chat, *, account_id: str, name: str, email: str,
                          password: str | None = None, bot: bool = False,
                          role: str = "agent") -> dict[str, str]:
    if await chat.store.get_account(account_id) is None:
        raise NotFound("There is no account with this ID.")
    name = check_name(name, "name")
    email = check_email(email)
    if await chat.store.agent_email_taken(account_id, email):
        raise Conflict("An agent with this email already exists in this account.")
    agent: dict[str, Any] = {"id": new_id(), "account_id": account_id, "name": name, "email": email,
                             "password_hash": hash_password(password) if password else None,
                             "role": role, "is_bot": bot, "created_at": now_ms()}
    token = new_token(API_TOKEN_PREFIX)
    async with chat.store.transaction() as tx:
        await chat.store.insert_agent(agent, conn=tx)
        await chat.store.insert_token(_token_row(agent, token, "created with the agent"), conn=tx)
    return {"agentId": agent["id"], "apiToken": token}


async def authenticate_token(chat: Chat, token: str | None) -> Principal:
    if not token or not token.startswith(API_TOKEN_PREFIX):
        raise Unauthenticated()
    # Cached by the token itself (for at most TOKEN_TTL, cleared on any revocation): hashing it
    # was a microsecond of every API call; the store keeps only hashes.
    principal = chat.cache.token(token)
    if principal is not None:
        return principal
    token_hash = hash_token(token)
    row = await chat.store.token_principal(token_hash)
    if row is None:
        raise Unauthenticated()
    now = now_ms()
    if row["last_used_at"] is None or now - row["last_used_at"] > 60_000:
        await chat.store.touch_token(row["token_id"], now)  # at most once a minute per token
    principal = Principal(row["account_id"], row["agent_id"], row["role"], bool(row["is_bot"]),
                          row["token_id"])
    chat.cache.remember_token(token, principal)
    return principal


async def list_agents(chat: Chat, principal: Principal, cursor: str | None, limit: Any) -> Page:
    size = check_limit(limit)
    rows = await chat.store.list_agents(principal.account_id, decode_cursor(cursor), size + 1)
    from .availability import agent_status_json  # availability builds on accounts

    counts = await chat.store.open_assigned_counts(principal.account_id)
    return make_page(rows, size, lambda r: agent_status_json(chat, r, counts))


def new_password() -> str:
    return secrets.token_urlsafe(12)
