"""Per-account settings: the pre-chat form and the widget's look. Owners change them."""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson

from ..schema import F, Obj
from .accounts import DEFAULT_ACCOUNT_SETTINGS, Principal
from .context import Chat
from .errors import Forbidden, Invalid, NotFound

PREFORM_FIELDS = ("name", "email", "phone")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

ORIGIN_RE = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")

SETTINGS_EDIT = Obj("SettingsEdit", {
    "allowedOrigins": F("array", "Websites (scheme://host[:port]) whose pages may use the widget; "
                                 "empty: any", items={"type": "string"}),
    "preform": F("object", "Pre-chat form: {\"enabled\": bool, \"fields\": subset of name, email, phone}"),
    "widget": F("object", "Widget look: {\"greeting\": str, \"color\": \"#rrggbb\", \"title\": str}"),
    "satisfaction": F("object", "Rating: {\"enabled\": bool}: the widget asks for a rating when a "
                                "conversation is resolved"),
    "targets": F("object", "Goals the reports measure: {\"firstResponseSeconds\": int}"),
}, description="Keys left out stay unchanged; inside each object too.",
   example={"preform": {"enabled": True, "fields": ["name", "email"]},
            "widget": {"greeting": "Hi! How can we help?", "color": "#2563eb", "title": "Chat with us"}})
PREFORM_EDIT = Obj("PreformEdit", {
    "enabled": F("boolean", "Whether the widget asks for contact details before the chat"),
    "fields": F("array", "Which fields it asks for", items={"type": "string", "enum": list(PREFORM_FIELDS)}),
})
WIDGET_EDIT = Obj("WidgetEdit", {
    "greeting": F("string", "First bubble the visitor sees", max_length=500),
    "color": F("string", "Accent colour, #rrggbb", max_length=7),
    "title": F("string", "Panel title", min_length=1, max_length=80),
})
SATISFACTION_EDIT = Obj("SatisfactionEdit", {
    "enabled": F("boolean", "Whether the widget asks for a rating when a conversation is resolved"),
})
TARGETS_EDIT = Obj("TargetsEdit", {
    "firstResponseSeconds": F("integer", "First-response target in seconds (10 to 86400)"),
})
SETTINGS = Obj("Settings", {
    "allowedOrigins": F("array", "Websites allowed to use the widget; empty: any",
                        items={"type": "string"}),
    "preform": F("object", "Pre-chat form", ref="PreformEdit"),
    "widget": F("object", "Widget look", ref="WidgetEdit"),
    "satisfaction": F("object", "Rating after resolution", ref="SatisfactionEdit"),
    "targets": F("object", "Goals the reports measure", ref="TargetsEdit"),
})


def settings_of(account: Any) -> dict[str, Any]:
    stored = orjson.loads(account["settings"] or "{}")
    merged = copy.deepcopy(DEFAULT_ACCOUNT_SETTINGS)
    for key, value in stored.items():
        if isinstance(value, dict) and key in merged:
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


async def get_settings(chat: Chat, account_id: str) -> dict[str, Any]:
    account = await chat.store.get_account(account_id)
    if account is None:
        raise NotFound("Account not found.")
    return settings_of(account)


async def do_update_settings(chat: Chat, principal: Principal, body: Any) -> dict[str, Any]:
    if principal.role != "owner":
        raise Forbidden("Only owners can change settings.")
    body = SETTINGS_EDIT.validate(body)
    current = await get_settings(chat, principal.account_id)
    if "preform" in body:
        preform = PREFORM_EDIT.validate(body["preform"])
        if "fields" in preform:
            fields = preform["fields"]
            if not fields or any(f not in PREFORM_FIELDS for f in fields) or len(set(fields)) != len(fields):
                raise Invalid("preform.fields must list some of name, email, phone, each once.")
        current["preform"].update(preform)
    if "allowedOrigins" in body:
        origins = []
        for origin in body["allowedOrigins"]:
            if not isinstance(origin, str) or not ORIGIN_RE.match(origin.strip().lower().rstrip("/")):
                raise Invalid("allowedOrigins must list origins like https://shop.example.com.")
            origins.append(origin.strip().lower().rstrip("/"))
        current["allowedOrigins"] = list(dict.fromkeys(origins))
    if "widget" in body:
        widget = WIDGET_EDIT.validate(body["widget"])
        if "color" in widget and not COLOR_RE.match(widget["color"]):
            raise Invalid("widget.color must be a colour like #2563eb.")
        current["widget"].update(widget)
    if "satisfaction" in body:
        current["satisfaction"].update(SATISFACTION_EDIT.validate(body["satisfaction"]))
    if "targets" in body:
        targets = TARGETS_EDIT.validate(body["targets"])
        seconds = targets.get("firstResponseSeconds", 300)
        if not 10 <= seconds <= 86_400:
            raise Invalid("targets.firstResponseSeconds must be from 10 to 86400.")
        current["targets"].update(targets)
    await chat.store.update_account_settings(principal.account_id, orjson.dumps(current).decode())
    from . import audit

    await audit.record(chat, principal, "settings.update", "settings", principal.account_id,
                       {"fields": sorted(body)})
    return current


async def check_origin(chat: Chat, account: Any, origin: str | None) -> None:
    """A browser page on a website the account did not allow may not use its widget."""
    if not origin:
        return  # not a browser's cross-origin call: servers and tests talk to the API directly
    allowed = settings_of(account).get("allowedOrigins") or []
    if allowed and origin.strip().lower().rstrip("/") not in allowed:
        raise Forbidden("This website is not allowed to use this chat.")
