"""Delivers stored events to webhook endpoints: signed, in order per visitor, at least once.

Every node runs a dispatcher; claiming rows with a lease (and SKIP LOCKED on PostgreSQL) makes
each delivery attempt happen on one node only, without a leader.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import httpx

from ..chat.attachments import sweep_strays
from ..chat.context import DURABLE_EVENTS, Chat
from ..chat.webhooks import delivery_body
from ..ids import iso_ms, now_ms
from ..outbox import Poller, backoff_ms as backoff
from ..store.db import Row
from .signing import signature_header
from .targets import TargetRefused, check_target

log = logging.getLogger("botaz.webhooks")

# Seconds before attempt n+1; retries go on for at least a day, then the delivery fails.
BACKOFF = (10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 21600)
GIVE_UP_AFTER_MS = 26 * 3600 * 1000
DISABLE_AFTER_MS = 3 * 24 * 3600 * 1000
TIMEOUT = 10.0
LEASE_MS = 60_000
PER_WEBHOOK = 4  # in flight at once, so one slow endpoint cannot take every slot
MAX_IN_FLIGHT = 64
RESPONSE_BODY_LIMIT = 1000
PRUNE_EVERY_MS = 10 * 60 * 1000
KEEP_EVENTS_MS = 7 * 24 * 3600 * 1000  # delivered events (the outbox) are kept a week
KEEP_DELIVERIES_MS = 30 * 24 * 3600 * 1000  # the delivery log a month


async def prune_silent_visitors(chat: Chat, now: int, batches: int = 20) -> int:
    """Visitors who never wrote, nor were written to, go after BOTAZ_PRUNE_SILENT_DAYS, in batches
    so that one round never holds the database for long."""
    before = now - int(chat.settings.prune_silent_days * 86_400_000)
    removed = 0
    for _ in range(batches):
        count = await chat.store.prune_silent_visitors(before)
        removed += count
        if count == 0:
            break
    return removed


def backoff_ms(attempts: int, scale: float) -> int:
    return backoff(BACKOFF, attempts, scale)


class Dispatcher(Poller):
    log = log
    what = "webhook dispatcher"

    def __init__(self, chat: Chat, *, poll_interval: float = 1.0, backoff_scale: float = 1.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(interval=poll_interval, drain_timeout=TIMEOUT + 1)
        self.chat = chat
        self.poll_interval = poll_interval
        self.backoff_scale = backoff_scale
        self._in_flight: dict[str, int] = defaultdict(int)
        self._client = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False,
                                         transport=transport,
                                         headers={"User-Agent": "botaz-webhooks/1"})
        self._last_prune = 0
        self.delivered = 0
        self.failed_attempts = 0
        self._unsubscribe = chat.bus.subscribe(self._on_event)

    def _on_event(self, event: Any) -> None:
        # Only an event that went into the outbox gives work; waking for every message would
        # cost each request a couple of queries for nothing.
        if (event.name in DURABLE_EVENTS and not event.transient
                and self.chat.cache.has_webhooks(event.account_id)):
            self._wake.set()

    def stopping(self) -> None:
        self._unsubscribe()

    async def stopped(self) -> None:
        await self._client.aclose()

    async def tick(self) -> None:
        now = now_ms()
        if now - self._last_prune > PRUNE_EVERY_MS:
            self._last_prune = now
            await self.chat.store.prune(now, events_ms=KEEP_EVENTS_MS, deliveries_ms=KEEP_DELIVERIES_MS)
            await prune_silent_visitors(self.chat, now)
            try:  # the same housekeeping round removes files that crashed uploads left behind
                await sweep_strays(self.chat)
            except Exception as exc:
                log.warning("sweeping stray attachment files failed: %s", exc)
        while await self.chat.store.fan_out(now, delivery_body):
            pass
        room = self.room(MAX_IN_FLIGHT)
        if room <= 0:
            return
        rows = await self.chat.store.claim_deliveries(now, LEASE_MS, room)
        if not rows:
            return
        hooks = await self.chat.store.webhook_secrets(sorted({r["webhook_id"] for r in rows}))
        for row in rows:
            hook = hooks.get(row["webhook_id"])
            if hook is None or not hook["enabled"] or self._in_flight[row["webhook_id"]] >= PER_WEBHOOK:
                # Give it back: switched off, deleted, or its endpoint already has enough in flight.
                await self.chat.store.finish_delivery(
                    row["seq"], status="pending", attempts=row["attempts"], at=now,
                    next_attempt_at=now + (1000 if hook and hook["enabled"] else 3_600_000),
                    response_code=None, response_body=None, error=None)
                continue
            self._in_flight[row["webhook_id"]] += 1
            self.spawn(self._deliver(row, hook))

    async def _deliver(self, row: Row, hook: Row) -> None:
        body = row["body"].encode()
        code: int | None = None
        text: str | None = None
        error: str | None = None
        try:
            await check_target(hook["url"], self.chat.settings.webhooks_allow_private)
            response = await self._client.post(hook["url"], content=body, headers={
                "Content-Type": "application/json",
                "X-Botaz-Signature": signature_header(hook["secret"], body),
                "X-Botaz-Event": row["event_name"],
                "X-Botaz-Delivery": row["id"],
            })
            code = response.status_code
            text = response.text[:RESPONSE_BODY_LIMIT]
            ok = 200 <= code < 300
            if not ok:
                error = f"answered {code}"
        except TargetRefused as exc:
            ok, error = False, str(exc)
        except httpx.TimeoutException:
            ok, error = False, f"no answer in {TIMEOUT:.0f} s"
        except httpx.HTTPError as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"[:RESPONSE_BODY_LIMIT]
        finally:
            self._in_flight[row["webhook_id"]] -= 1
        try:
            await self._record(row, hook, ok, code, text, error)
        except Exception:
            log.exception("could not record webhook delivery %s", row["id"])
        if ok:
            self._wake.set()  # the next delivery for this visitor is now first in line

    async def _record(self, row: Row, hook: Row, ok: bool, code: int | None, text: str | None,
                      error: str | None) -> None:
        now = now_ms()
        attempts = row["attempts"] + 1
        store = self.chat.store
        if ok:
            self.delivered += 1
            await store.finish_delivery(row["seq"], status="delivered", attempts=attempts, at=now,
                                        next_attempt_at=None, response_code=code,
                                        response_body=text, error=None)
            await store.update_webhook(hook["id"], {"last_success_at": now, "failing_since": None})
            return
        self.failed_attempts += 1
        gave_up = now - row["created_at"] > GIVE_UP_AFTER_MS * self.backoff_scale
        await store.finish_delivery(
            row["seq"], status="failed" if gave_up else "pending", attempts=attempts, at=now,
            next_attempt_at=None if gave_up else now + backoff_ms(attempts, self.backoff_scale),
            response_code=code, response_body=text, error=error)
        failing_since = hook["failing_since"] or now
        changes: dict[str, Any] = {"failing_since": failing_since}
        if now - failing_since > DISABLE_AFTER_MS * self.backoff_scale:
            changes |= {"enabled": 0, "disabled_reason":
                        f"Switched off at {iso_ms(now)}: every delivery has failed since "
                        f"{iso_ms(failing_since)} (last: {error}). Fix the endpoint and enable it again."}
            log.warning("webhook %s switched off after failing since %s", hook["id"], iso_ms(failing_since))
        await store.update_webhook(hook["id"], changes)
