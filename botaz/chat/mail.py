"""What botaz emails, and when (docs/email.md).

Every email is a row of the `emails` outbox, inserted in the transaction of what caused it;
`botaz/mail/sender.py` sends the rows. Two kinds come from scheduled checks that every node runs
(`run_checks`), each claiming a conversation by locking its visitor row:

- an unseen reply: human agents' messages the visitor has not seen `BOTAZ_EMAIL_DELAY_S` after
  the first of them was sent, while no widget of the visitor is connected, go to the visitor's
  email in one email;
- an alert: visitor messages that no human agent has answered `BOTAZ_ALERT_DELAY_S` after the
  first of them go, in one email, to the assignee or else every human agent of the account with
  `emailAlerts` on.

Each message has `mail_at`: NULL while it may still cause an email, set once it has been dealt
with (emailed, or found not to need one), so no message is ever in two emails of its kind.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Literal

import msgspec
import orjson

from ..ids import iso_ms, new_id, now_ms
from ..mail import compose
from ..mail.compose import Email, Entry
from ..schema import UNSET, Body, D, Reply, Str, UnsetType, present
from ..store.db import Conn, Row
from .accounts import Principal, require_owner
from .context import Chat
from .errors import Conflict, Invalid
from .links import conversation_link
from .messages import visible_to_visitor
from .pagination import Page, check_limit, decode_cursor, make_page
from .replies import reply_address
from .sessions import Throttled
from .settings import settings_of
from .visitors import do_set_visitor_state

log = logging.getLogger("botaz.mail")

# Messages older than this (past their delay) are never emailed about: after an outage, or when
# SMTP is set up later, botaz does not mail about last month's chats.
HORIZON_MS = 24 * 3600 * 1000
TRANSCRIPT_MAX = 1000
TRANSCRIPTS_PER_VISITOR = 3  # an hour
TRANSCRIPTS_PER_ADDRESS = 20  # an hour, per client IP
HOUR_MS = 3600 * 1000
BATCH = 200

class EmailLogEntry(Reply, kw_only=True):
    id_: Str("Email ID") = msgspec.field(name="_id")
    kind: D(Literal["reply", "alert", "transcript", "password-reset"],
            "reply, alert, transcript or password-reset")
    recipient: Str("To")
    subject: Str("Subject")
    visitorId: Str("The conversation it is about", nullable=True)
    status: D(Literal["pending", "sent", "failed"], "pending, sent or failed (given up)")
    attempts: D(int, "SMTP attempts so far")
    lastError: Str("The last attempt's error", nullable=True)
    createdAt: Str("Queued", fmt="date-time")
    lastAttemptAt: Str("Last attempt", fmt="date-time", nullable=True)
    nextAttemptAt: Str("Next attempt (pending only)", fmt="date-time", nullable=True)
    sentAt: Str("Accepted by the SMTP server", fmt="date-time", nullable=True)


EMAIL_LOG_ENTRY = EmailLogEntry
Locale = D(Literal[compose.LOCALES], "The widget's language: az or en")


class TranscriptRequest(Body):
    email: Str("Where to send it; default the visitor's email (saved on the visitor if it had "
               "none)", email=True, max_length=254) | UnsetType = UNSET
    locale: Locale | UnsetType = UNSET


class VisitorEmail(Body):
    email: Str("Where replies should go", email=True, max_length=254)
    locale: Locale | UnsetType = UNSET


class TranscriptQueued(Reply):
    email: Str("Where the transcript goes")
    status: D(Literal["queued"], "queued")


TRANSCRIPT_REQUEST, VISITOR_EMAIL, TRANSCRIPT_QUEUED = TranscriptRequest, VisitorEmail, TranscriptQueued


def enabled(chat: Chat) -> bool:
    return bool(chat.settings.smtp_url)


def require_mail(chat: Chat) -> None:
    if not enabled(chat):
        # 409: the request is fine; the server's set-up does not allow it (not a server fault).
        raise Conflict("This server does not send email (BOTAZ_SMTP_URL is not set).")


def wake_sender(chat: Chat) -> None:
    """After queueing an email: this node's sender (if it runs one) sends it now."""
    if chat.mail_wake is not None:
        chat.mail_wake()


class Look:
    """What every email of an account shares: its name, colour and language."""

    def __init__(self, account: Row) -> None:
        s = settings_of(account)
        self.account_id = account["id"]
        self.name = account["name"]
        self.color = s["widget"].get("color") or "#2563eb"
        self.locale = compose.pick_locale(s.get("email", {}).get("locale"))
        self.settings = s


async def account_look(chat: Chat, account_id: str) -> Look | None:
    """How the account's emails look; None when the account is gone."""
    account = await chat.store.get_account(account_id)
    return Look(account) if account is not None else None


async def queue(chat: Chat, conn: Conn, *, account_id: str, visitor_id: str | None, kind: str,
                recipient: str, email: Email, reply_to: str | None = None) -> None:
    settings = chat.settings
    message = compose.mime(email, sender=settings.mail_from, recipient=recipient,
                           reply_to=reply_to, domain=settings.mail_domain(),
                           thread=f"conversation.{visitor_id}" if visitor_id else None)
    await chat.store.insert_email({
        "id": new_id(), "account_id": account_id, "visitor_id": visitor_id, "kind": kind,
        "recipient": recipient, "subject": compose.one_line(email.subject),
        "message": message, "created_at": now_ms()}, conn=conn)


def _greeting_name(visitor: Row) -> str:
    return f" {compose.one_line(visitor['name'], 60)}" if visitor["name"] else ""


def _entries(rows: list[Row], names: dict[str, str], locale: str, visitor_label: str) -> list[Entry]:
    # A file's message text is its name; the file itself needs a signed-in browser to download.
    return [Entry(names.get(r["user_id"], "") if r["user_id"] else visitor_label, r["sent_at"],
                  f"{compose.t(locale, 'file')}: {r['text']}" if r["attachment"] else r["text"])
            for r in rows]


# scheduled checks

async def run_checks(chat: Chat, now: int) -> int:
    """Queue the emails that are due now; returns how many conversations were emailed about."""
    done = 0
    reply_cutoff = now - int(chat.settings.email_delay_s * 1000)
    for row in await chat.store.mail_due_visitors(agents=True, before=reply_cutoff, limit=BATCH):
        if chat.presence.visitor_online(row["visitor_id"]):
            continue  # the widget is open: the visitor can still see them there
        try:
            done += await _reply_email(chat, row["visitor_id"], now, reply_cutoff)
        except Exception:
            log.exception("unseen-reply check failed for visitor %s", row["visitor_id"])
    alert_cutoff = now - int(chat.settings.alert_delay_s * 1000)
    for row in await chat.store.mail_due_visitors(agents=False, before=alert_cutoff, limit=BATCH):
        try:
            done += await _alert_email(chat, row["visitor_id"], now, alert_cutoff)
        except Exception:
            log.exception("alert check failed for visitor %s", row["visitor_id"])
    if done:
        wake_sender(chat)
    return done


async def _reply_email(chat: Chat, visitor_id: str, now: int, cutoff: int) -> int:
    store = chat.store
    visitor = await store.get_visitor_any_account(visitor_id)
    if visitor is None:
        return 0
    look = await account_look(chat, visitor["account_id"])
    prepared: dict[str, Any] | None = None
    if visitor["email"] and not visitor["banned"] and look is not None:
        # Made before the visitor row is locked: they write on other connections.
        prepared = {"reply_to": await reply_address(chat, visitor_id),
                    "link": await conversation_link(chat, visitor_id),
                    "names": await store.agent_names(visitor["account_id"]),
                    "locale": compose.pick_locale(await store.visitor_locale(visitor_id),
                                                  look.locale)}
    async with store.transaction() as tx:
        locked = await store.lock_visitor_for_mail(visitor_id, tx)
        if locked is None:
            return 0  # another node has this conversation right now
        rows = await store.unmailed_messages(visitor_id, agents=True, conn=tx)
        due = [r for r in rows if r["sent_at"] <= cutoff]
        if not due:
            return 0
        if locked["email"] != visitor["email"]:
            return 0  # the address changed since we looked: the next check sees the new one
        unseen = [r for r in rows if not r["seen"] and r["deleted_at"] is None and not r["by_bot"]]
        if prepared is None or not any(r["sent_at"] <= cutoff for r in unseen):
            # Nobody to write to, or nothing unseen that is due: these need no email, ever.
            await store.mark_mailed([r["seq"] for r in due], 0, tx)
            return 0
        assert look is not None
        locale = prepared["locale"]
        email = Email(locale, look.name, look.color,
                      compose.t(locale, "reply.subject", account=look.name),
                      [compose.t(locale, "reply.intro", name=_greeting_name(locked),
                                 account=look.name)],
                      _entries(unseen, prepared["names"], locale, compose.t(locale, "you")),
                      prepared["link"], compose.t(locale, "reply.open"),
                      [compose.t(locale, "reply.hint")])
        await queue(chat, tx, account_id=locked["account_id"], visitor_id=visitor_id,
                    kind="reply", recipient=locked["email"], email=email,
                    reply_to=prepared["reply_to"])
        # Everything of this moment goes in this one email; seen and bot messages need none.
        await store.mark_mailed([r["seq"] for r in rows], now, tx)
    return 1


def _alerts_on(prefs: str | None) -> bool:
    try:
        return bool(orjson.loads(prefs or "{}").get("emailAlerts", True))
    except orjson.JSONDecodeError:
        return True


async def alert_recipients(chat: Chat, visitor: Row) -> list[Row]:
    """The assignee if a human agent is assigned, else every human agent; those with alerts on."""
    agents = await chat.store.mail_recipients(visitor["account_id"])
    # Assigned to a bot or a removed agent counts as unassigned: a person must hear of it.
    chosen = [a for a in agents if a["id"] == visitor["assignee_id"]] or agents
    return [a for a in chosen if _alerts_on(a["prefs"])]


async def _alert_email(chat: Chat, visitor_id: str, now: int, cutoff: int) -> int:
    store = chat.store
    visitor = await store.get_visitor_any_account(visitor_id)
    if visitor is None:
        return 0
    look = await account_look(chat, visitor["account_id"])
    recipients = await alert_recipients(chat, visitor) if look and not visitor["banned"] else []
    async with store.transaction() as tx:
        locked = await store.lock_visitor_for_mail(visitor_id, tx)
        if locked is None:
            return 0
        rows = await store.unmailed_messages(visitor_id, agents=False, conn=tx)
        if not any(r["sent_at"] <= cutoff for r in rows):
            return 0
        answered_upto = await store.last_human_reply_seq(visitor_id, tx)
        waiting = [r for r in rows if r["seq"] > answered_upto and r["deleted_at"] is None]
        waiting_seqs = {r["seq"] for r in waiting}
        done = [r["seq"] for r in rows if r["seq"] not in waiting_seqs]
        if not any(r["sent_at"] <= cutoff for r in waiting) or not recipients:
            # Answered, or nobody wants alerts: what is due needs no email.
            due = [r["seq"] for r in rows if r["sent_at"] <= cutoff]
            await store.mark_mailed(sorted(set(done) | set(due)), 0, tx)
            return 0
        assert look is not None
        await store.mark_mailed(done, 0, tx)
        who = compose.one_line(locked["name"] or locked["email"] or "", 80)
        link = f"{chat.settings.base_url()}/chat/{visitor_id}"
        for agent in recipients:
            locale = look.locale
            label = who or compose.t(locale, "visitor")
            email = Email(locale, look.name, look.color,
                          compose.t(locale, "alert.subject",
                                    snippet=compose.one_line(waiting[0]["text"], 60)),
                          [compose.t(locale, "alert.intro", visitor=label, account=look.name)],
                          _entries(waiting, {}, locale, label), link,
                          compose.t(locale, "alert.open"), [compose.t(locale, "alert.footer")])
            # No Reply-To: an agent answering an alert by email would otherwise post into the
            # chat as the visitor. Agents answer in the dashboard.
            await queue(chat, tx, account_id=locked["account_id"], visitor_id=visitor_id,
                        kind="alert", recipient=agent["email"], email=email)
        await store.mark_mailed([r["seq"] for r in waiting], now, tx)
    return 1


# transcripts

async def _transcript(chat: Chat, visitor: Row, look: Look, locale: str) -> Email:
    rows = await chat.store.list_messages_desc(visitor["id"], None, TRANSCRIPT_MAX)
    rows = [r for r in reversed(rows) if visible_to_visitor(visitor, r)]
    names = await chat.store.agent_names(visitor["account_id"])
    return Email(locale, look.name, look.color,
                 compose.t(locale, "transcript.subject", account=look.name),
                 [compose.t(locale, "transcript.intro", name=_greeting_name(visitor),
                            account=look.name)]
                 + ([] if rows else [compose.t(locale, "transcript.empty")]),
                 _entries(rows, names, locale, compose.t(locale, "you")),
                 await conversation_link(chat, visitor["id"]), compose.t(locale, "reply.open"),
                 [compose.t(locale, "reply.hint")])


async def throttle(chat: Chat, limits: list[tuple[str, int]], window_ms: int,
                   message: str) -> None:
    """Counts one request against each (key, most) limit; refuses with `message` (429) when any
    is spent. Shared by transcripts and password reset emails."""
    now = now_ms()
    for key, most in limits:
        state = await chat.store.throttle_state(key, now)
        if state is not None and state["count"] >= most:
            raise Throttled(message, max(1, int((state["reset_at"] - now) // 1000)))
    for key, _ in limits:
        await chat.store.throttle_hit(key, window_ms, now)


async def do_request_transcript(chat: Chat, visitor: Row, body: TranscriptRequest,
                                client: str) -> dict[str, Any]:
    """The visitor asked for the conversation by email (the widget's menu)."""
    data = present(body)
    require_mail(chat)
    recipient = (data.get("email") or visitor["email"] or "").strip()
    if not recipient:
        raise Invalid("email is required: this visitor has no email address yet.")
    await throttle(chat, [(f"transcript:visitor:{visitor['id']}", TRANSCRIPTS_PER_VISITOR),
                          (f"transcript:ip:{client}", TRANSCRIPTS_PER_ADDRESS)],
                   HOUR_MS, "Too many requests for transcripts; try again later.")
    if data.get("locale"):
        await chat.store.set_visitor_locale(visitor["id"], data["locale"])
    if not visitor["email"]:
        await do_set_visitor_state(chat, visitor, email=recipient)
    look = await account_look(chat, visitor["account_id"])
    assert look is not None
    locale = compose.pick_locale(data.get("locale"), await chat.store.visitor_locale(visitor["id"]),
                                 look.locale)
    email = await _transcript(chat, visitor, look, locale)
    reply_to = await reply_address(chat, visitor["id"])
    async with chat.store.transaction() as tx:
        await queue(chat, tx, account_id=visitor["account_id"], visitor_id=visitor["id"],
                    kind="transcript", recipient=recipient, email=email, reply_to=reply_to)
    wake_sender(chat)
    return {"email": recipient, "status": "queued"}


async def transcript_on_resolve(chat: Chat, visitor: Row) -> Callable[[Conn], Awaitable[None]] | None:
    """When the account wants transcripts on resolve and the visitor has an email: the insert to
    run inside the status change's transaction."""
    if not enabled(chat) or not visitor["email"] or visitor["banned"]:
        return None
    look = await account_look(chat, visitor["account_id"])
    if look is None or not look.settings.get("email", {}).get("transcriptOnResolve"):
        return None
    locale = compose.pick_locale(await chat.store.visitor_locale(visitor["id"]), look.locale)
    email = await _transcript(chat, visitor, look, locale)
    reply_to = await reply_address(chat, visitor["id"])

    async def insert(tx: Conn) -> None:
        await queue(chat, tx, account_id=visitor["account_id"], visitor_id=visitor["id"],
                    kind="transcript", recipient=visitor["email"], email=email, reply_to=reply_to)
        wake_sender(chat)

    return insert


# the visitor's email (the widget's offline form)

async def do_save_visitor_email(chat: Chat, visitor: Row, body: VisitorEmail) -> dict[str, Any]:
    email = body.email.strip()
    if body.locale is not UNSET:
        await chat.store.set_visitor_locale(visitor["id"], body.locale)
    return await do_set_visitor_state(chat, visitor, email=email)


# the delivery log

def email_json(row: Row) -> dict[str, Any]:
    pending = row["status"] == "pending"
    return {"_id": row["id"], "kind": row["kind"], "recipient": row["recipient"],
            "subject": row["subject"], "visitorId": row["visitor_id"], "status": row["status"],
            "attempts": row["attempts"], "lastError": row["error"],
            "createdAt": iso_ms(row["created_at"]), "lastAttemptAt": iso_ms(row["last_attempt_at"]),
            "nextAttemptAt": iso_ms(row["next_attempt_at"]) if pending else None,
            "sentAt": iso_ms(row["sent_at"])}


async def list_email_log(chat: Chat, principal: Principal, cursor: str | None, limit: Any) -> Page:
    require_owner(principal)
    size = check_limit(limit)
    rows = await chat.store.list_emails(principal.account_id, decode_cursor(cursor), size + 1)
    return make_page(rows, size, email_json)


def widget_config(chat: Chat, account_settings: dict[str, Any]) -> dict[str, Any]:
    """What the widget needs: whether mail works here, and the account's offline text."""
    email = account_settings.get("email", {})
    return {"enabled": enabled(chat), "offlineMessage": dict(email.get("offlineMessage") or {})}

