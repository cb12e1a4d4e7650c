"""Dashboard sign-in: password checks, throttling, sessions with a CSRF token each."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import asyncio
import secrets
from typing import Any

from ..events import REVOKED, Event
from ..ids import hash_token, now_ms
from ..schema import Body, Str
from .accounts import Principal, hash_password, verify_password
from .context import Chat
from .errors import DomainError, Forbidden, Invalid, Unauthenticated

SESSION_DAYS = 30
SESSION_MS = SESSION_DAYS * 24 * 3600 * 1000
LOGIN_WINDOW_MS = 15 * 60 * 1000
LOGIN_MAX_FAILURES = 10  # per email in the window
LOGIN_MAX_FAILURES_PER_ADDRESS = 50  # offices share one address behind NAT



class Login(Body):
    email: Str("Agent's email", max_length=254)
    password: Str("Agent's password", max_length=1024)


class PasswordChange(Body):
    current: Str("The current password", max_length=1024)
    new: Str("The new password, at least 8 characters", max_length=1024)


LOGIN, PASSWORD_CHANGE = Login, PasswordChange


class Throttled(DomainError):
    kind = "throttled"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


async def _check_throttle(chat: Chat, keys: list[str]) -> None:
    now = now_ms()
    for key, limit in zip(keys, (LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDRESS)):
        state = await chat.store.throttle_state(key, now)
        if state is not None and state["count"] >= limit:
            wait = max(1, (state["reset_at"] - now) // 1000)
            raise Throttled("Too many failed sign-ins; try again later.", int(wait))


async def do_login(chat: Chat, body: Login, client: str) -> tuple[str, dict[str, Any]]:
    """Returns a new session token (for the cookie) and the session's agent row and CSRF token."""
    email = body.email.strip().lower()
    keys = [f"login:email:{email}", f"login:ip:{client}"]
    await _check_throttle(chat, keys)
    candidates = await chat.store.agents_by_email(email)
    agent = None
    for row in candidates:
        if await asyncio.to_thread(verify_password, row["password_hash"], body.password):
            agent = row
            break
    if agent is None:
        if not candidates:
            # Spend the same time as a real check so timing does not reveal which emails exist.
            await asyncio.to_thread(verify_password, _DUMMY_HASH(), body.password)
        now = now_ms()
        for key in keys:
            await chat.store.throttle_hit(key, LOGIN_WINDOW_MS, now)
        raise Unauthenticated()  # the contract's one 401 message; the dashboard explains it
    await chat.store.throttle_clear(keys[0])
    # A fresh session ID on every sign-in: an ID planted before sign-in is never promoted.
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = now_ms()
    await chat.store.insert_session({"id_hash": hash_token(token), "agent_id": agent["id"],
                                     "account_id": agent["account_id"], "csrf_token": csrf,
                                     "created_at": now, "expires_at": now + SESSION_MS})
    return token, {"agent": agent, "csrf": csrf}


_dummy: list[str] = []


def _DUMMY_HASH() -> str:
    if not _dummy:
        _dummy.append(hash_password(secrets.token_hex(8)))
    return _dummy[0]


async def authenticate_session(chat: Chat, token: str | None) -> Principal:
    if not token:
        raise Unauthenticated()
    session = hash_token(token)
    row = await chat.store.session_principal(session, now_ms())
    if row is None:
        raise Unauthenticated()
    return Principal(row["account_id"], row["agent_id"], row["role"], bool(row["is_bot"]), None,
                     csrf=row["csrf_token"], session=session)


def revoked(chat: Chat, account_id: str, **what: Any) -> None:
    """Open sockets opened with credentials that no longer hold are closed, on every node."""
    chat.send_event(Event(REVOKED, account_id, "", what, agents_only=True))


async def do_logout(chat: Chat, principal: Principal, token: str) -> None:
    await chat.store.delete_session(hash_token(token))
    revoked(chat, principal.account_id, session=hash_token(token))


async def do_change_password(chat: Chat, principal: Principal, body: PasswordChange,
                             session_token: str | None) -> None:
    if len(body.new) < 8:
        raise Invalid("new must be at least 8 characters.")
    current_hash = await chat.store.agent_password_hash(principal.agent_id)
    if not await asyncio.to_thread(verify_password, current_hash, body.current):
        raise Forbidden("The current password is wrong.")
    await chat.store.set_agent_password(principal.agent_id,
                                        await asyncio.to_thread(hash_password, body.new))
    # Other sessions of this agent end; the one that changed the password stays.
    keep = hash_token(session_token) if session_token else None
    await chat.store.delete_agent_sessions(principal.agent_id, keep=keep)
    revoked(chat, principal.account_id, agentId=principal.agent_id, sessionsOnly=True, keepSession=keep)
