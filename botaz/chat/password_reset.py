"""Getting back in: "Forgot password?" emails a one-time link valid for an hour (docs/email.md).

The request answers the same whether or not the email belongs to an agent, so it cannot be used
to learn who has an account. Only a hash of each link's token is stored; using a link spends it,
and every other link of that agent, and signs the agent out everywhere.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import asyncio
import secrets
from typing import Any, Literal

from ..ids import hash_token, now_ms
from ..mail import compose
from ..mail.compose import Email
from ..schema import Body, D, Reply, Str
from .accounts import EMAIL_RE, hash_password, new_password
from .context import Chat
from .errors import Invalid, NotFound
from .mail import account_look, queue, require_mail, throttle, wake_sender
from .sessions import revoked

RESET_TTL_MS = 3600 * 1000
WINDOW_MS = 3600 * 1000
PER_EMAIL = 3  # requests an hour per email address
PER_ADDRESS = 20  # an hour per client IP



class PasswordResetRequest(Body):
    email: Str("The email you sign in with", max_length=254)


class PasswordResetConfirm(Body):
    token: Str("The token from the emailed link", max_length=200)
    password: Str("The new password, at least 8 characters", max_length=1024)


class PasswordResetRequested(Reply):
    status: D(Literal["ok"], "ok")
    message: Str("The same sentence whether or not the email is known")


RESET_REQUEST, RESET_CONFIRM, RESET_REQUESTED = (
    PasswordResetRequest, PasswordResetConfirm, PasswordResetRequested)
ANSWER = {"status": "ok", "message": "If an agent signs in with this email, we have sent it a "
                                     "link to choose a new password. The link works for one hour."}


async def do_request_reset(chat: Chat, body: PasswordResetRequest, client: str) -> dict[str, str]:
    email = body.email.strip().lower()
    if not EMAIL_RE.match(email):
        raise Invalid("email must be a valid email address.")
    require_mail(chat)
    await throttle(chat, [(f"reset:email:{email}", PER_EMAIL), (f"reset:ip:{client}", PER_ADDRESS)],
                   WINDOW_MS, "Too many password reset requests; try again later.")
    for agent in await chat.store.agents_with_email(email):
        look = await account_look(chat, agent["account_id"])
        if look is None:
            continue
        token = secrets.token_urlsafe(32)
        now = now_ms()
        # The token rides in the fragment: browsers never send it to a server, so it cannot leak
        # through logs or a Referer header.
        link = f"{chat.settings.base_url()}/reset-password#token={token}"
        locale = look.locale
        message = Email(locale, look.name, look.color,
                        compose.t(locale, "reset.subject", account=look.name),
                        [compose.t(locale, "reset.intro", email=agent["email"], account=look.name)],
                        [], link, compose.t(locale, "reset.open"),
                        [compose.t(locale, "reset.footer")])
        async with chat.store.transaction() as tx:
            await chat.store.insert_password_reset(
                {"token_hash": hash_token(token), "agent_id": agent["id"],
                 "account_id": agent["account_id"], "created_at": now,
                 "expires_at": now + RESET_TTL_MS}, conn=tx)
            await queue(chat, tx, account_id=agent["account_id"], visitor_id=None,
                        kind="password-reset", recipient=agent["email"], email=message)
    wake_sender(chat)
    return dict(ANSWER)


async def do_confirm_reset(chat: Chat, body: PasswordResetConfirm) -> None:
    if len(body.password) < 8:
        raise Invalid("password must be at least 8 characters.")
    password_hash = await asyncio.to_thread(hash_password, body.password)
    async with chat.store.transaction() as tx:
        agent = await chat.store.use_password_reset(hash_token(body.token.strip()), now_ms(), tx)
        if agent is None:
            raise Invalid("token is not valid: the link was used already, has expired or was "
                          "mistyped. Ask for a new one.")
        await chat.store.set_agent_password(agent["agent_id"], password_hash, conn=tx)
        await chat.store.delete_agent_sessions(agent["agent_id"], conn=tx)
    revoked(chat, agent["account_id"], agentId=agent["agent_id"], sessionsOnly=True)


async def do_reset_password_cli(chat: Chat, email: str, account_id: str | None) -> dict[str, Any]:
    """`botaz reset-password`: a new random password for the agent with this email."""
    agents = await chat.store.agents_with_email(email.strip())
    if account_id:
        agents = [a for a in agents if a["account_id"] == account_id]
    if not agents:
        raise NotFound(f"No agent signs in with {email}" + (f" in account {account_id}." if account_id
                                                             else "."))
    if len(agents) > 1:
        accounts = []
        for a in agents:
            account = await chat.store.get_account(a["account_id"])
            accounts.append(f"{a['account_id']} ({account['name'] if account else '?'})")
        raise Invalid(f"{email} signs in to {len(agents)} accounts: {', '.join(accounts)}. "
                      "Choose one with --account ACCOUNT_ID.")
    agent = agents[0]
    password = new_password()
    password_hash = await asyncio.to_thread(hash_password, password)  # not inside a transaction
    async with chat.store.transaction() as tx:
        await chat.store.set_agent_password(agent["id"], password_hash, conn=tx)
        await chat.store.delete_agent_sessions(agent["id"], conn=tx)
    return {"agentId": agent["id"], "accountId": agent["account_id"], "email": agent["email"],
            "password": password}
