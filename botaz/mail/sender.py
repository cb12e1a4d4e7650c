"""Sends the email outbox over SMTP: leased claims, retries with backoff, a log of every email.

Like the webhook dispatcher, every node runs one; a claim leases the due rows (SKIP LOCKED on
PostgreSQL), so each attempt happens on one node only. Each pass also runs the scheduled checks
that put emails in the outbox (unseen replies, unanswered visitors: `botaz/chat/mail.py`).
"""

from __future__ import annotations

import asyncio
import logging

import aiosmtplib

from ..chat import mail
from ..chat.context import Chat
from ..ids import now_ms
from ..outbox import Poller, backoff_ms as backoff
from ..store.db import Row
from .smtp import SmtpServer

log = logging.getLogger("botaz.mail")

# Seconds before attempt n+1; after a day of failures an email is given up ("failed").
BACKOFF = (30, 60, 300, 900, 1800, 3600, 7200, 14400)
GIVE_UP_AFTER_MS = 24 * 3600 * 1000
TIMEOUT = 30.0
LEASE_MS = 120_000
MAX_IN_FLIGHT = 8
PRUNE_EVERY_MS = 10 * 60 * 1000
KEEP_EMAILS_MS = 30 * 24 * 3600 * 1000  # the delivery log, like webhooks'


class PermanentFailure(Exception):
    """The server refused for good (5xx): retrying would only repeat the refusal."""


def backoff_ms(attempts: int, scale: float) -> int:
    return backoff(BACKOFF, attempts, scale)


class Mailer(Poller):
    log = log
    what = "mail"

    def __init__(self, chat: Chat, *, poll_interval: float = 1.0, backoff_scale: float = 1.0) -> None:
        self.chat = chat
        self.server = SmtpServer.parse(chat.settings.smtp_url) if chat.settings.smtp_url else None
        self.poll_interval = poll_interval
        self.backoff_scale = backoff_scale
        # The scheduled checks run every poll interval (a second), or a quarter of the shorter
        # delay when that is less, so an email leaves within about a second of its delay.
        shortest = min(chat.settings.email_delay_s, chat.settings.alert_delay_s)
        self.check_every = max(0.05, min(5.0, shortest / 4, poll_interval))
        super().__init__(interval=self.check_every, drain_timeout=TIMEOUT + 1)
        self._last_prune = 0
        self.sent = 0
        self.failed_attempts = 0
        chat.mail_wake = self.wake  # a change that queued an email wakes the sender at once

    async def tick(self) -> None:
        now = now_ms()
        store = self.chat.store
        if now - self._last_prune > PRUNE_EVERY_MS:
            self._last_prune = now
            await store.prune_mail(now, emails_ms=KEEP_EMAILS_MS, resets_ms=24 * 3600 * 1000)
            await store.skip_old_mail(now - mail.HORIZON_MS)
        if self.server is None:
            return  # no SMTP: nothing is queued, nothing sent
        await mail.run_checks(self.chat, now)
        room = self.room(MAX_IN_FLIGHT)
        if room <= 0:
            return
        # A lease outlives any attempt (TIMEOUT); tests shrink it with the backoff, not below 2 s.
        lease = max(2000, int(LEASE_MS * min(1.0, self.backoff_scale)))
        for row in await store.claim_emails(now, lease, room):
            self.spawn(self._deliver(row))

    async def _send(self, row: Row) -> None:
        assert self.server is not None
        s = self.server
        try:
            await aiosmtplib.send(
                row["message"].encode("utf-8"), sender=self.chat.settings.mail_from,
                recipients=[row["recipient"]], hostname=s.host, port=s.port, use_tls=s.tls,
                start_tls=None if not s.tls else False, username=s.username, password=s.password,
                timeout=TIMEOUT)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and all(500 <= c < 600 for c in codes):
                raise PermanentFailure(f"refused: {exc.recipients[0].code} "
                                       f"{exc.recipients[0].message}") from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600 and not isinstance(exc, aiosmtplib.SMTPAuthenticationError):
                raise PermanentFailure(f"refused: {exc.code} {exc.message}") from exc
            raise

    async def _deliver(self, row: Row) -> None:
        error: str | None = None
        permanent = False
        try:
            await self._send(row)
        except PermanentFailure as exc:
            error, permanent = str(exc)[:1000], True
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            error = (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:1000]
        try:
            await self._record(row, error, permanent)
        except Exception:
            log.exception("could not record email %s", row["id"])

    async def _record(self, row: Row, error: str | None, permanent: bool) -> None:
        now = now_ms()
        attempts = row["attempts"] + 1
        if error is None:
            self.sent += 1
            await self.chat.store.finish_email(row["seq"], status="sent", attempts=attempts, at=now,
                                               next_attempt_at=None, error=None)
            return
        self.failed_attempts += 1
        gave_up = permanent or now - row["created_at"] > GIVE_UP_AFTER_MS * self.backoff_scale
        log.warning("email %s to %s: %s%s", row["id"], row["recipient"], error,
                    " (given up)" if gave_up else "")
        await self.chat.store.finish_email(
            row["seq"], status="failed" if gave_up else "pending", attempts=attempts, at=now,
            next_attempt_at=None if gave_up else now + backoff_ms(attempts, self.backoff_scale),
            error=error)

