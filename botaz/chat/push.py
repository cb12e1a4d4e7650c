"""Web Push for agents: the installation's VAPID key pair and each agent's subscribed browsers.

The key pair (P-256, RFC 8292) is made once per installation, at the first start, and kept with
`store.instance_secret`, so every node signs with the same key and subscriptions survive restarts.
Delivery is in botaz/push/sender.py.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import base64
import weakref
from typing import Any
from urllib.parse import urlsplit

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from ..ids import iso_ms, new_id, now_ms
from ..schema import UNSET, Body, D, Reply, Str, UnsetType
from ..store import Store
from ..store.db import Row
from ..webhooks.targets import TargetRefused, check_target
from .accounts import Principal
from .context import Chat
from .errors import Invalid, NotFound

VAPID_SECRET = "vapid-private-key"



class PushKeys(Body, forbid_unknown_fields=False):
    p256dh: Str("The browser's P-256 public key, base64url (65 bytes decoded)", max_length=200)
    auth: Str("The browser's authentication secret, base64url (16 bytes decoded)", max_length=100)


class PushSubscriptionCreate(Body):
    """The browser's PushSubscription, as PushSubscription.toJSON() gives it."""
    endpoint: Str("The push service URL (PushSubscription.endpoint)", min_length=1, max_length=2000)
    keys: D(PushKeys, "PushSubscription.toJSON().keys")
    expirationTime: D(int | None, "Ignored; browsers renew subscriptions themselves") | UnsetType = UNSET


PUSH_KEYS, SUBSCRIPTION_CREATE = PushKeys, PushSubscriptionCreate
class PushSubscription(Reply, kw_only=True):
    id_: Str("Subscription ID") = msgspec.field(name="_id")
    endpoint: Str("The push service URL")
    userAgent: Str("The browser that subscribed", nullable=True)
    createdAt: Str("Subscribed", fmt="date-time")
    lastSuccessAt: Str("Last push accepted by the push service", fmt="date-time", nullable=True)
    lastError: Str("Why the last push failed, if it did", nullable=True)


SUBSCRIPTION = PushSubscription
class PushSubscriptionList(Reply):
    items: D(list[PushSubscription], "Your subscribed browsers, oldest first")


SUBSCRIPTION_LIST = PushSubscriptionList
class PushKey(Reply):
    publicKey: Str("The VAPID public key (uncompressed P-256 point, base64url): the "
                   "applicationServerKey for pushManager.subscribe()")


PUBLIC_KEY = PushKey
class PushTest(Reply):
    queued: D(int, "Pushes queued, one per subscribed browser")


TEST_RESULT = PushTest

_keys: "weakref.WeakKeyDictionary[Store, Vapid02]" = weakref.WeakKeyDictionary()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _make_private_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


async def vapid(chat: Chat) -> Vapid02:
    """The installation's VAPID signer; the first node to start makes the key, all use it."""
    signer = _keys.get(chat.store)
    if signer is None:
        raw = await chat.store.instance_secret(VAPID_SECRET, _make_private_key(), now_ms())
        signer = Vapid02.from_raw(raw.encode())
        _keys[chat.store] = signer
    return signer


def public_key(signer: Vapid02) -> str:
    return b64url(signer.public_key.public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint))


async def get_public_key(chat: Chat) -> dict[str, str]:
    return {"publicKey": public_key(await vapid(chat))}


def subscription_json(row: Row) -> dict[str, Any]:
    return {"_id": row["id"], "endpoint": row["endpoint"], "userAgent": row["user_agent"],
            "createdAt": iso_ms(row["created_at"]), "lastSuccessAt": iso_ms(row["last_success_at"]),
            "lastError": row["last_error"]}


def _check_keys(keys: dict[str, Any]) -> tuple[str, str]:
    checked: dict[str, str] = {}
    for name in ("p256dh", "auth"):
        value = keys.get(name)
        if not isinstance(value, str) or not value or len(value) > 200:
            raise Invalid(f"keys.{name} is required: a base64url string from the browser's "
                          "PushSubscription.")
        checked[name] = value
    try:
        point = unb64url(checked["p256dh"])
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid("keys.p256dh must be an uncompressed P-256 public key in base64url.") from None
    try:
        if len(unb64url(checked["auth"])) != 16:
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid("keys.auth must be 16 bytes in base64url.") from None
    return checked["p256dh"], checked["auth"]


async def check_endpoint(chat: Chat, endpoint: str) -> str:
    parts = urlsplit(endpoint)
    allow_private = chat.settings.webhooks_allow_private
    # Push services are https (RFC 8030); plain http only where private targets are allowed too.
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise Invalid("endpoint must be an https:// push service address.")
    try:
        await check_target(endpoint, allow_private)
    except TargetRefused as exc:
        raise Invalid(str(exc).replace("url", "endpoint", 1)) from None
    return endpoint


async def do_subscribe(chat: Chat, principal: Principal, body: PushSubscriptionCreate,
                       user_agent: str | None) -> dict[str, Any]:
    endpoint = await check_endpoint(chat, body.endpoint.strip())
    p256dh, auth = _check_keys({"p256dh": body.keys.p256dh, "auth": body.keys.auth})
    row = await chat.store.save_push_subscription({
        "id": new_id(), "account_id": principal.account_id, "agent_id": principal.agent_id,
        "endpoint": endpoint, "p256dh": p256dh, "auth": auth,
        "user_agent": (user_agent or "")[:300] or None, "created_at": now_ms()})
    return subscription_json(row)


async def list_subscriptions(chat: Chat, principal: Principal) -> dict[str, Any]:
    rows = await chat.store.agent_push_subscriptions(principal.agent_id)
    return {"items": [subscription_json(r) for r in rows]}


async def do_unsubscribe(chat: Chat, principal: Principal, subscription_id: str) -> None:
    if not await chat.store.delete_push_subscription(subscription_id, principal.agent_id):
        raise NotFound("Push subscription not found.")
