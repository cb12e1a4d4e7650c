"""Per-account settings: the pre-chat form and the widget's look. Owners change them."""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson

from ..events import Event
from ..schema import F, Obj
from . import audit
from .accounts import DEFAULT_ACCOUNT_SETTINGS, Principal
from .context import Chat
from .errors import Forbidden, Invalid, NotFound
from .hours import DEFAULT_HOURS, check_hours

PREFORM_FIELDS = ("name", "email", "phone")
# Internal (never reaches a socket or webhook), on every node: caches of account settings go.
SETTINGS_CHANGED = "_settings_changed"
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

ORIGIN_RE = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")

SETTINGS_EDIT = Obj("SettingsEdit", {
    "allowedOrigins": F("array", "Websites (scheme://host[:port]) whose pages may use the widget; "
                                 "empty: any", items={"type": "string"}),
    "preform": F("object", "Pre-chat form: {\"enabled\": bool, \"fields\": subset of name, email, phone}"),
    "widget": F("object", "Widget look: {\"greeting\": str, \"color\": \"#rrggbb\", \"title\": str, "
                          "\"position\": \"right\"|\"left\"}"),
    "businessHours": F("object", "Business hours: {\"enabled\": bool, \"timezone\": IANA name, "
                                 "\"days\": {\"mon\": [[\"09:00\", \"18:00\"]], ...}}; replaced "
                                 "whole; null switches them off", nullable=True),
    "autoAssign": F("boolean", "Assign each new conversation to an available agent, round robin"),
    "email": F("object", "Email: {\"transcriptOnResolve\": bool, \"locale\": \"az\"|\"en\", "
                         "\"offlineMessage\": {\"en\": str, \"az\": str}}"),
    "satisfaction": F("object", "Rating: {\"enabled\": bool}: the widget asks for a rating when a "
                                "conversation is resolved"),
    "targets": F("object", "Goals the reports measure: {\"firstResponseSeconds\": int}"),
    "proactive": F("array", "Proactive messages: rules by which the widget speaks first, "
                            "replaced whole (ProactiveRule objects, at most 20)",
                   items={"type": "object"}),
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
    "position": F("string", "Where the launcher sits: right (default) or left",
                  enum=("right", "left")),
})
EMAIL_EDIT = Obj("EmailSettingsEdit", {
    "transcriptOnResolve": F("boolean", "Email the visitor the transcript when a conversation is "
                                        "resolved (if the visitor gave an email)"),
    "locale": F("string", "Language of emails to agents, and to visitors whose widget language "
                          "is not known", enum=("en", "az")),
    "offlineMessage": F("object", "What the widget's offline form says, per language "
                                  "({\"en\": str, \"az\": str}; empty: the default wording)"),
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
    "businessHours": F("object", "When the team is in; off: always", ref="BusinessHours"),
    "autoAssign": F("boolean", "Whether new conversations are assigned round robin"),
    "email": F("object", "Email", ref="EmailSettingsEdit"),
    "satisfaction": F("object", "Rating after resolution", ref="SatisfactionEdit"),
    "targets": F("object", "Goals the reports measure", ref="TargetsEdit"),
    "proactive": F("array", "Proactive message rules", items={"$ref": "#/components/schemas/ProactiveRule"}),
    "identitySecret": F("string", "Owners only: the key that signs known users' IDs "
                                  "(Botaz.identify); rotate with POST /api/settings/identity-secret"),
})
BUSINESS_HOURS = Obj("BusinessHours", {
    "enabled": F("boolean", "Whether the hours apply; false: always open"),
    "timezone": F("string", "IANA time zone, e.g. Asia/Baku"),
    "days": F("object", "mon..sun -> list of [\"HH:MM\", \"HH:MM\"] intervals; a day left out "
                        "is closed; \"24:00\" ends a day"),
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
    if "businessHours" in body:
        hours = check_hours(body["businessHours"])
        current["businessHours"] = hours if hours is not None else {**DEFAULT_HOURS}
    if "autoAssign" in body:
        current["autoAssign"] = body["autoAssign"]
    if "widget" in body:
        widget = WIDGET_EDIT.validate(body["widget"])
        if "color" in widget and not COLOR_RE.match(widget["color"]):
            raise Invalid("widget.color must be a colour like #2563eb.")
        current["widget"].update(widget)
    if "email" in body:
        email = EMAIL_EDIT.validate(body["email"])
        if "offlineMessage" in email:
            texts = email["offlineMessage"]
            if (not isinstance(texts, dict) or set(texts) - {"en", "az"}
                    or any(not isinstance(v, str) or len(v) > 500 for v in texts.values())):
                raise Invalid("email.offlineMessage must map en and az to texts of at most "
                              "500 characters.")
            email["offlineMessage"] = {**current["email"].get("offlineMessage", {}),
                                       **{k: v.strip() for k, v in texts.items()}}
        current["email"].update(email)
    if "satisfaction" in body:
        current["satisfaction"].update(SATISFACTION_EDIT.validate(body["satisfaction"]))
    if "targets" in body:
        targets = TARGETS_EDIT.validate(body["targets"])
        seconds = targets.get("firstResponseSeconds", 300)
        if not 10 <= seconds <= 86_400:
            raise Invalid("targets.firstResponseSeconds must be from 10 to 86400.")
        current["targets"].update(targets)
    if "proactive" in body:
        from .proactive import check_rules

        current["proactive"] = await check_rules(chat, principal.account_id, body["proactive"])
    await chat.store.update_account_settings(principal.account_id, orjson.dumps(current).decode())
    settings_changed(chat, principal.account_id)
    await audit.record(chat, principal, "settings.update", "settings", principal.account_id,
                       {"fields": sorted(body)})
    return current


def settings_changed(chat: Chat, account_id: str) -> None:
    chat.send_event(Event(SETTINGS_CHANGED, account_id, "", {}, agents_only=True))


async def check_origin(chat: Chat, account: Any, origin: str | None) -> None:
    """A browser page on a website the account did not allow may not use its widget."""
    if not origin:
        return  # not a browser's cross-origin call: servers and tests talk to the API directly
    allowed = settings_of(account).get("allowedOrigins") or []
    if allowed and origin.strip().lower().rstrip("/") not in allowed:
        raise Forbidden("This website is not allowed to use this chat.")
