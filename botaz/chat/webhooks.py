"""Webhook endpoints, managed by owners: where the account's events are POSTed."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import secrets
from typing import Any, ClassVar, Literal

import msgspec
import orjson

from ..events import WEBHOOKS_CHANGED, Event
from ..ids import is_id, iso_ms, new_id, now_ms
from ..schema import UNSET, Body, D, Reply, Str, UnsetType, present
from ..store.db import Row
from ..webhooks.targets import TargetRefused, check_target
from . import audit
from .accounts import Principal, require_owner
from .context import DURABLE_EVENTS, Chat
from .errors import Invalid, NotFound
from .pagination import Page, check_limit, decode_cursor, make_page

EVENT_CHOICES = tuple(sorted(DURABLE_EVENTS))
RESPONSE_BODY_LIMIT = 1000

EventName = Literal[EVENT_CHOICES]


class WebhookCreate(Body):
    url: Str("Where events are POSTed (http or https)", min_length=1, max_length=2000)
    events: D(list[EventName], "Event names to send")
    __example__: ClassVar = {"url": "https://example.com/botaz-events", "events": ["message.created"]}


class WebhookEdit(Body):
    url: Str("New URL", min_length=1, max_length=2000) | UnsetType = UNSET
    events: D(list[EventName], "New event list") | UnsetType = UNSET
    enabled: D(bool, "Switch deliveries on or off; switching on clears a failure stop") | UnsetType = UNSET


WEBHOOK_CREATE, WEBHOOK_EDIT = WebhookCreate, WebhookEdit
class Webhook(Reply, kw_only=True):
    id_: Str("Webhook ID") = msgspec.field(name="_id")
    url: Str("URL")
    events: D(list[str], "Event names")
    enabled: D(bool, "Whether deliveries are made")
    createdAt: Str("Created", fmt="date-time")
    disabledReason: Str("Why botaz switched it off, if it did", nullable=True)
    secret: Str("Signing secret: in the create response only") | UnsetType = UNSET


WEBHOOK = Webhook
class Delivery(Reply, kw_only=True):
    id_: Str("Delivery ID") = msgspec.field(name="_id")
    eventId: Str("The event's stable id")
    event: Str("Event name")
    status: D(Literal["pending", "delivered", "failed"], "pending, delivered or failed")
    attempts: D(int, "Attempts so far")
    createdAt: Str("Queued", fmt="date-time")
    lastAttemptAt: Str("Last attempt", fmt="date-time", nullable=True)
    nextAttemptAt: Str("Next attempt while pending", fmt="date-time", nullable=True)
    responseCode: D(int | None, "HTTP status of the last answer")
    responseBody: Str("First 1000 characters of the last answer", nullable=True)
    error: Str("Why the last attempt failed", nullable=True)


DELIVERY = Delivery


def delivery_body(event: Row) -> str:
    """What an endpoint receives for a stored event (the outbox's row): `{"id", "event",
    "createdAt", "data"}`. The event's data is stored as JSON and spliced in as it is, neither
    parsed nor encoded again, so every webhook of the event gets the same bytes."""
    return ('{"id":' + orjson.dumps(event["id"]).decode()
            + ',"event":' + orjson.dumps(event["name"]).decode()
            + ',"createdAt":' + orjson.dumps(iso_ms(event["created_at"])).decode()
            + ',"data":' + event["data"] + "}")


def webhook_json(row: Row) -> dict[str, Any]:
    return {"_id": row["id"], "url": row["url"], "events": orjson.loads(row["events"]),
            "enabled": bool(row["enabled"]), "createdAt": iso_ms(row["created_at"]),
            "disabledReason": row["disabled_reason"]}


def delivery_json(row: Row) -> dict[str, Any]:
    return {"_id": row["id"], "eventId": row["event_id"], "event": row["event_name"],
            "status": row["status"], "attempts": row["attempts"],
            "createdAt": iso_ms(row["created_at"]), "lastAttemptAt": iso_ms(row["last_attempt_at"]),
            "nextAttemptAt": iso_ms(row["next_attempt_at"]) if row["status"] == "pending" else None,
            "responseCode": row["response_code"], "responseBody": row["response_body"],
            "error": row["error"]}


def _check_events(events: list[Any]) -> list[str]:
    if not events:
        raise Invalid("events must list at least one event name.")
    for name in events:
        if name not in EVENT_CHOICES:
            raise Invalid(f"events: {name!r} is not one of {', '.join(EVENT_CHOICES)}.")
    return list(dict.fromkeys(events))


async def _check_url(chat: Chat, url: str) -> str:
    try:
        await check_target(url, chat.settings.webhooks_allow_private)
    except TargetRefused as exc:
        raise Invalid(str(exc)) from None
    return url


def _changed(chat: Chat, account_id: str) -> None:
    """Every node forgets whether this account has webhooks, so its next event is stored."""
    chat.send_event(Event(WEBHOOKS_CHANGED, account_id, "", {}, agents_only=True))


async def _get(chat: Chat, principal: Principal, webhook_id: str) -> Row:
    row = await chat.store.get_webhook(principal.account_id, webhook_id) if is_id(webhook_id) else None
    if row is None:
        raise NotFound("Webhook not found.")
    return row


async def do_create_webhook(chat: Chat, principal: Principal, body: WebhookCreate) -> dict[str, Any]:
    require_owner(principal)
    url = await _check_url(chat, body.url.strip())
    events = _check_events(body.events)
    row: dict[str, Any] = {"id": new_id(), "account_id": principal.account_id, "url": url,
                           "events": orjson.dumps(events).decode(), "secret": "whsec_" + secrets.token_hex(24),
                           "created_at": now_ms()}
    await chat.store.insert_webhook(row)
    _changed(chat, principal.account_id)
    await audit.record(chat, principal, "webhook.create", "webhook", row["id"], {"url": url})
    return {"_id": row["id"], "url": url, "events": events, "enabled": True, "secret": row["secret"],
            "createdAt": iso_ms(row["created_at"]), "disabledReason": None}


async def list_webhooks(chat: Chat, principal: Principal) -> dict[str, Any]:
    require_owner(principal)
    return {"items": [webhook_json(r) for r in await chat.store.list_webhooks(principal.account_id)],
            "next": None}


async def get_webhook(chat: Chat, principal: Principal, webhook_id: str) -> dict[str, Any]:
    require_owner(principal)
    return webhook_json(await _get(chat, principal, webhook_id))


async def do_update_webhook(chat: Chat, principal: Principal, webhook_id: str,
                            body: WebhookEdit) -> dict[str, Any]:
    require_owner(principal)
    data = present(body)
    row = await _get(chat, principal, webhook_id)
    changes: dict[str, Any] = {}
    if "url" in data:
        changes["url"] = await _check_url(chat, data["url"].strip())
    if "events" in data:
        changes["events"] = orjson.dumps(_check_events(data["events"])).decode()
    if "enabled" in data:
        changes["enabled"] = int(data["enabled"])
        if data["enabled"]:
            changes |= {"disabled_reason": None, "failing_since": None}
            await chat.store.retry_pending_now(row["id"], now_ms())
    if changes:
        await chat.store.update_webhook(row["id"], changes)
        _changed(chat, principal.account_id)
        await audit.record(chat, principal, "webhook.update", "webhook", row["id"], {"fields": sorted(data)})
    return webhook_json(await _get(chat, principal, webhook_id))


async def do_delete_webhook(chat: Chat, principal: Principal, webhook_id: str) -> None:
    require_owner(principal)
    row = await _get(chat, principal, webhook_id)
    await chat.store.delete_webhook(principal.account_id, row["id"])
    _changed(chat, principal.account_id)
    await audit.record(chat, principal, "webhook.delete", "webhook", row["id"])


async def list_deliveries(chat: Chat, principal: Principal, webhook_id: str,
                          cursor: str | None, limit: Any) -> Page:
    require_owner(principal)
    size = check_limit(limit)
    row = await _get(chat, principal, webhook_id)
    rows = await chat.store.list_deliveries(row["id"], decode_cursor(cursor), size + 1)
    return make_page(rows, size, delivery_json)


async def do_redeliver(chat: Chat, principal: Principal, webhook_id: str,
                       delivery_id: str) -> dict[str, Any]:
    require_owner(principal)
    hook = await _get(chat, principal, webhook_id)
    original = await chat.store.get_delivery(hook["id"], delivery_id)
    if original is None:
        raise NotFound("Delivery not found.")
    copy_id = new_id()
    await chat.store.insert_delivery_copy(original, copy_id, now_ms())
    return delivery_json(await chat.store.get_delivery(hook["id"], copy_id))
