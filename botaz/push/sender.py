"""Sends agents' alerts by Web Push: encrypted (RFC 8291), signed (RFC 8292), retried.

A bus listener turns a visitor's message (or a new assignment) into one row per subscribed
browser of each agent who should be alerted and has no dashboard open, in the `push_outbox`
table; the sender loop claims due rows with a lease (as the webhook dispatcher does, so several
nodes never send the same push twice at once) and POSTs them to the push services. A browser
whose push service answers 404 or 410 has unsubscribed: its subscription is deleted.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

import http_ece
import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from ..chat import alerts, push
from ..chat.context import Chat
from ..chat.prefs import DEFAULTS
from ..events import Event
from ..ids import now_ms
from ..outbox import Poller, backoff_ms
from ..store.db import Row
from ..webhooks.targets import TargetRefused, check_target

log = logging.getLogger("botaz.push")

BACKOFF = (5, 30, 120, 600, 1800)  # seconds before attempt n+1
GIVE_UP_AFTER_MS = 6 * 3600 * 1000  # an alert older than this is no use to anyone
TTL_S = 6 * 3600  # how long a push service keeps a push for a browser that is offline
TIMEOUT = 10.0
LEASE_MS = 60_000
MAX_IN_FLIGHT = 32
JWT_LIFETIME_S = 12 * 3600  # RFC 8292: at most 24 hours
JWT_REUSE_S = 3600
PRUNE_EVERY_MS = 10 * 60 * 1000
KEEP_FAILED_MS = 7 * 24 * 3600 * 1000


def _pref(prefs_json: str, key: str) -> Any:
    try:
        return orjson.loads(prefs_json or "{}").get(key, DEFAULTS[key])
    except orjson.JSONDecodeError:
        return DEFAULTS[key]


class PushSender(Poller):
    log = log
    what = "push sender"

    def __init__(self, chat: Chat, *, poll_interval: float = 1.0, backoff_scale: float = 1.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(interval=poll_interval, drain_timeout=TIMEOUT + 1)
        self.chat = chat
        self.poll_interval = poll_interval
        self.backoff_scale = backoff_scale
        self._client = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False,
                                         transport=transport,
                                         headers={"User-Agent": "botaz-push/1"})
        self._signer: Vapid02 | None = None
        self._tokens: dict[str, tuple[float, str]] = {}  # audience -> (made at, Authorization)
        self._last_prune = 0
        self.sent = 0
        self._unsubscribe = chat.bus.subscribe(self._on_event)

    # what causes a push

    def _on_event(self, event: Event) -> None:
        if event.remote:
            return  # the node that made the change alerts
        if event.name == "message.created" and event.data.get("userId") is None:
            self.spawn(self._alert_message(event))
        elif event.name == "conversation.assigned":
            self.spawn(self._alert_assigned(event))

    def _closed_dashboard(self, agent_id: str) -> bool:
        # An open dashboard alerts in the page itself; pushing too would alert twice. Only a
        # dashboard session counts where presence tells them apart (an integration's socket
        # opened with the agent's API token is no dashboard).
        presence = self.chat.presence
        dashboard_online = getattr(presence, "dashboard_online", presence.agent_online)
        return not dashboard_online(agent_id)

    async def _alert_message(self, event: Event) -> None:
        try:
            # One query for the many accounts where nobody has turned Web Push on.
            subscribed = await self.chat.store.push_agents(event.account_id)
            if not subscribed:
                return
            visitor = await self.chat.store.get_visitor(event.account_id, event.visitor_id)
            if visitor is None or visitor["banned"]:
                return
            agents = await self.chat.store.alert_agents(event.account_id)
            targets = [a["id"] for a in agents
                       if a["id"] in subscribed and _pref(a["prefs"], "alertPush")
                       and alerts.wants(_pref(a["prefs"], "alertsFor"), a["id"], visitor["assignee_id"])
                       and self._closed_dashboard(a["id"])]
            await self.queue(targets, alerts.message_alert(visitor, event.data))
        except Exception:
            log.exception("could not queue push alerts for message %s", event.data.get("_id"))

    async def _alert_assigned(self, event: Event) -> None:
        try:
            agent_id = event.data.get("agentId")
            by = event.data.get("byAgentId")
            if not agent_id or agent_id == by:
                return
            visitor = await self.chat.store.get_visitor(event.account_id, event.visitor_id)
            agents = {a["id"]: a for a in await self.chat.store.alert_agents(event.account_id)}
            target = agents.get(agent_id)
            if visitor is None or target is None or not _pref(target["prefs"], "alertPush"):
                return
            if not self._closed_dashboard(agent_id):
                return
            by_row = await self.chat.store.get_agent(event.account_id, by) if by else None
            await self.queue([agent_id], alerts.assigned_alert(visitor, by_row["name"] if by_row else None))
        except Exception:
            log.exception("could not queue push alerts for assignment of %s", event.visitor_id)

    async def queue(self, agent_ids: list[str], payload: dict[str, Any]) -> int:
        """One push per subscribed browser of these agents; returns how many were queued."""
        subscriptions = await self.chat.store.push_subscriptions_of(agent_ids)
        if not subscriptions:
            return 0
        now = now_ms()
        body = orjson.dumps(payload).decode()
        await self.chat.store.queue_pushes([{
            "subscription_id": s["id"], "payload": body, "urgency": "high",
            # A newer alert for the same visitor replaces an undelivered one at the push service.
            "topic": payload["visitorId"][:32] if payload.get("visitorId") else None,
            "created_at": now} for s in subscriptions])
        self._wake.set()
        return len(subscriptions)

    # the sender loop

    def stopping(self) -> None:
        self._unsubscribe()

    async def stopped(self) -> None:
        await self._client.aclose()

    async def tick(self) -> None:
        if self._signer is None:
            # Made at the first start and shared by all nodes (instance_secrets).
            self._signer = await push.vapid(self.chat)
        now = now_ms()
        if now - self._last_prune > PRUNE_EVERY_MS:
            self._last_prune = now
            await self.chat.store.prune_pushes(now - KEEP_FAILED_MS)
        room = self.room(MAX_IN_FLIGHT)
        if room <= 0:
            return
        for row in await self.chat.store.claim_pushes(now, LEASE_MS, room):
            self.spawn(self._send(row))

    def _authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        made = self._tokens.get(audience)
        if made is None or time.time() - made[0] > JWT_REUSE_S:
            assert self._signer is not None
            headers = self._signer.sign({"aud": audience, "sub": self.chat.settings.vapid_contact(),
                                         "exp": int(time.time()) + JWT_LIFETIME_S})
            made = (time.time(), headers["Authorization"])
            self._tokens[audience] = made
        return made[1]

    def encrypt(self, row: Row) -> bytes:
        return http_ece.encrypt(row["payload"].encode(), private_key=ec.generate_private_key(ec.SECP256R1()),
                                dh=push.unb64url(row["p256dh"]), auth_secret=push.unb64url(row["auth"]),
                                version="aes128gcm")

    async def _send(self, row: Row) -> None:
        code: int | None = None
        retry_after: int | None = None
        permanent = False
        try:
            await check_target(row["endpoint"], self.chat.settings.webhooks_allow_private)
            headers = {"Authorization": self._authorization(row["endpoint"]),
                       "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
                       "TTL": str(TTL_S), "Urgency": row["urgency"]}
            if row["topic"]:
                headers["Topic"] = row["topic"]
            response = await self._client.post(row["endpoint"], content=self.encrypt(row),
                                               headers=headers)
            code = response.status_code
            if code == 429 or code >= 500:
                value = response.headers.get("retry-after", "")
                retry_after = int(value) if value.isdigit() else None
            error = None if 200 <= code < 300 else f"answered {code}: {response.text[:200]}"
        except TargetRefused as exc:
            error, permanent = str(exc), True
        except httpx.TimeoutException:
            error = f"no answer in {TIMEOUT:.0f} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        except Exception as exc:  # a broken key, say: fail this push, keep the loop alive
            log.exception("push %s failed", row["seq"])
            error, permanent = f"{type(exc).__name__}: {exc}"[:300], True
        try:
            await self._record(row, code, error, retry_after, permanent)
        except Exception:
            log.exception("could not record push %s", row["seq"])

    async def _record(self, row: Row, code: int | None, error: str | None,
                      retry_after: int | None, permanent: bool) -> None:
        store = self.chat.store
        now = now_ms()
        attempts = row["attempts"] + 1
        if error is None:
            self.sent += 1
            await store.finish_push(row["seq"], status="sent", attempts=attempts,
                                    next_attempt_at=None, error=None)
            await store.push_result(row["subscription_id"], at=now, error=None)
            return
        if code in (404, 410):
            # RFC 8030: the subscription is gone for good (the browser unsubscribed or expired).
            log.info("push subscription %s is gone (%s); removed", row["subscription_id"], code)
            await store.delete_push_subscription(row["subscription_id"])
            return
        await store.push_result(row["subscription_id"], at=None, error=error)
        # 429, 5xx and network trouble are worth retrying; any other answer will not change.
        transient = not permanent and (code is None or code == 429 or code >= 500)
        gave_up = not transient or now - row["created_at"] > GIVE_UP_AFTER_MS * self.backoff_scale
        delay = backoff_ms(BACKOFF, attempts, self.backoff_scale)
        if retry_after is not None:
            delay = max(delay, int(min(retry_after, 3600) * 1000 * self.backoff_scale))
        await store.finish_push(row["seq"], status="failed" if gave_up else "pending",
                                attempts=attempts, next_attempt_at=None if gave_up else now + delay,
                                error=error)
