"""Per-account settings: the pre-chat form and the widget's look. Owners change them."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import copy
import re
from typing import Any, ClassVar, Literal

import orjson

from ..schema import UNSET, Body, D, Reply, Str, UnsetType, present
from .accounts import DEFAULT_ACCOUNT_SETTINGS, Principal
from .context import Chat
from .errors import Forbidden, Invalid, NotFound
from .hours import DEFAULT_HOURS, check_hours
from .proactive import ProactiveRule

PREFORM_FIELDS = ("name", "email", "phone")
# Internal (never reaches a socket or webhook), on every node: caches of account settings go.
SETTINGS_CHANGED = "_settings_changed"
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

ORIGIN_RE = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")



class PreformEdit(Body):
    enabled: D(bool, "Whether the widget asks for contact details before the chat") | UnsetType = UNSET
    fields: D(list[Literal["name", "email", "phone"]], "Which fields it asks for") | UnsetType = UNSET


class WidgetEdit(Body):
    greeting: Str("First bubble the visitor sees", max_length=500) | UnsetType = UNSET
    color: Str("Accent colour, #rrggbb", max_length=7) | UnsetType = UNSET
    title: Str("Panel title", min_length=1, max_length=80) | UnsetType = UNSET
    position: D(Literal["right", "left"], "Where the launcher sits: right (default) or left") | UnsetType = UNSET


class EmailSettingsEdit(Body):
    transcriptOnResolve: D(bool, "Email the visitor the transcript when a conversation is resolved "
                                 "(if the visitor gave an email)") | UnsetType = UNSET
    locale: D(Literal["en", "az"], "Language of emails to agents, and to visitors whose widget "
                                   "language is not known") | UnsetType = UNSET
    offlineMessage: D(dict[str, Any], "What the widget's offline form says, per language "
                                      '({"en": str, "az": str}; empty: the default wording)') | UnsetType = UNSET


class SatisfactionEdit(Body):
    enabled: D(bool, "Whether the widget asks for a rating when a conversation is resolved") | UnsetType = UNSET


class TargetsEdit(Body):
    firstResponseSeconds: D(int, "First-response target in seconds (10 to 86400)") | UnsetType = UNSET


class SettingsEdit(Body):
    """Keys left out stay unchanged; inside each object too."""
    allowedOrigins: D(list[str], "Websites (scheme://host[:port]) whose pages may use the widget; "
                                 "empty: any") | UnsetType = UNSET
    preform: PreformEdit | UnsetType = UNSET
    widget: WidgetEdit | UnsetType = UNSET
    businessHours: D(dict[str, Any] | None, 'Business hours: {"enabled": bool, "timezone": IANA name, '
                     '"days": {"mon": [["09:00", "18:00"]], ...}}; replaced whole; null switches '
                     "them off") | UnsetType = UNSET
    autoAssign: D(bool, "Assign each new conversation to an available agent, round robin") | UnsetType = UNSET
    email: EmailSettingsEdit | UnsetType = UNSET
    satisfaction: SatisfactionEdit | UnsetType = UNSET
    targets: TargetsEdit | UnsetType = UNSET
    proactive: D(list[ProactiveRule], "Proactive messages: rules by which the widget speaks first, "
                                      "replaced whole (at most 20)") | UnsetType = UNSET
    __example__: ClassVar = {
        "preform": {"enabled": True, "fields": ["name", "email"]},
        "widget": {"greeting": "Hi! How can we help?", "color": "#2563eb", "title": "Chat with us"}}


SETTINGS_EDIT, PREFORM_EDIT, WIDGET_EDIT, EMAIL_EDIT, SATISFACTION_EDIT, TARGETS_EDIT = (
    SettingsEdit, PreformEdit, WidgetEdit, EmailSettingsEdit, SatisfactionEdit, TargetsEdit)
class BusinessHours(Reply):
    enabled: D(bool, "Whether the hours apply; false: always open")
    timezone: Str("IANA time zone, e.g. Asia/Baku")
    days: D(dict[str, Any], 'mon..sun -> list of ["HH:MM", "HH:MM"] intervals; a day left out is '
                            'closed; "24:00" ends a day')


class Settings(Reply):
    allowedOrigins: D(list[str], "Websites allowed to use the widget; empty: any")
    preform: PreformEdit
    widget: WidgetEdit
    businessHours: BusinessHours
    autoAssign: D(bool, "Whether new conversations are assigned round robin")
    email: EmailSettingsEdit
    satisfaction: SatisfactionEdit
    targets: TargetsEdit
    proactive: list[ProactiveRule] | UnsetType = UNSET
    identitySecret: Str("Owners only: the key that signs known users' IDs (Botaz.identify); "
                        "rotate with POST /api/settings/identity-secret") | UnsetType = UNSET


SETTINGS, BUSINESS_HOURS = Settings, BusinessHours


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


async def do_update_settings(chat: Chat, principal: Principal, edit: SettingsEdit) -> dict[str, Any]:
    if principal.role != "owner":
        raise Forbidden("Only owners can change settings.")
    body = present(edit)
    current = await get_settings(chat, principal.account_id)
    if "preform" in body:
        preform = present(body["preform"])
        if "fields" in preform:
            fields = preform["fields"]
            if not fields or any(f not in PREFORM_FIELDS for f in fields) or len(set(fields)) != len(fields):
                raise Invalid("preform.fields must list some of name, email, phone, each once.")
        current["preform"].update(preform)
    if "allowedOrigins" in body:
        origins = []
        for origin in body["allowedOrigins"]:
            if not ORIGIN_RE.match(origin.strip().lower().rstrip("/")):
                raise Invalid("allowedOrigins must list origins like https://shop.example.com.")
            origins.append(origin.strip().lower().rstrip("/"))
        current["allowedOrigins"] = list(dict.fromkeys(origins))
    if "businessHours" in body:
        hours = check_hours(body["businessHours"])
        current["businessHours"] = hours if hours is not None else {**DEFAULT_HOURS}
    if "autoAssign" in body:
        current["autoAssign"] = body["autoAssign"]
    if "widget" in body:
        widget = present(body["widget"])
        if "color" in widget and not COLOR_RE.match(widget["color"]):
            raise Invalid("widget.color must be a colour like #2563eb.")
        current["widget"].update(widget)
    if "email" in body:
        email = present(body["email"])
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
        current["satisfaction"].update(present(body["satisfaction"]))
    if "targets" in body:
        targets = present(body["targets"])
        seconds = targets.get("firstResponseSeconds", 300)
        if not 10 <= seconds <= 86_400:
            raise Invalid("targets.firstResponseSeconds must be from 10 to 86400.")
        current["targets"].update(targets)
    if "proactive" in body:
        from .proactive import check_rules

        current["proactive"] = await check_rules(chat, principal.account_id, body["proactive"])
    await chat.store.update_account_settings(principal.account_id, orjson.dumps(current).decode())
    settings_changed(chat, principal.account_id)
    from . import audit

    await audit.record(chat, principal, "settings.update", "settings", principal.account_id,
                       {"fields": sorted(body)})
    return current


def settings_changed(chat: Chat, account_id: str) -> None:
    from ..events import Event

    chat.send_event(Event(SETTINGS_CHANGED, account_id, "", {}, agents_only=True))


async def check_origin(chat: Chat, account: Any, origin: str | None) -> None:
    """A browser page on a website the account did not allow may not use its widget."""
    if not origin:
        return  # not a browser's cross-origin call: servers and tests talk to the API directly
    allowed = settings_of(account).get("allowedOrigins") or []
    if allowed and origin.strip().lower().rstrip("/") not in allowed:
        raise Forbidden("This website is not allowed to use this chat.")
