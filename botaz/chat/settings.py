"""Per-account settings: the pre-chat form and the widget's look. Owners change them."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import copy
import re
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

import orjson

from ..events import Event
from ..schema import UNSET, Body, D, F, Obj, Reply, Str, UnsetType, present
from . import audit
from .accounts import DEFAULT_ACCOUNT_SETTINGS, Principal, require_owner
from .context import Chat
from .errors import Forbidden, Invalid, NotFound
from .hours import DEFAULT_HOURS, check_hours
from .proactive import ProactiveRule

PREFORM_FIELDS = ("name", "email", "phone")
# Internal (never reaches a socket or webhook), on every node: caches of account settings go.
SETTINGS_CHANGED = "_settings_changed"
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

ORIGIN_RE = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")
# Custom pre-chat fields (docs/widget.md): asked besides name, email and phone.
CUSTOM_FIELD_TYPES = ("text", "select", "checkbox")
CUSTOM_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_CUSTOM_FIELDS = 10
MAX_CUSTOM_LABEL = 80
MAX_CUSTOM_ANSWER = 500
# The accent's text is white or this near-black, whichever contrasts more (widget.js onColor).
DARK_TEXT = "#111827"
MIN_CONTRAST = 4.5  # WCAG AA for normal text

CUSTOM_FIELD = Obj("CustomField", {
    "key": F("string", "Name of the visitor attribute the answer is stored in: lower-case "
                       "letters, digits, - and _, unique, not name/email/phone", required=True,
             max_length=40),
    "label": F("string", "What the form says (1 to 80 characters)", required=True, min_length=1,
               max_length=MAX_CUSTOM_LABEL),
    "type": F("string", "text, select (one of `options`) or checkbox", required=True,
              enum=CUSTOM_FIELD_TYPES),
    "required": F("boolean", "The visitor must answer (a required checkbox must be ticked)"),
    "options": F("array", "select only: the choices (1 to 20 texts of at most 80 characters)",
                 items={"type": "string"}),
    "privacyUrl": F("string", "checkbox only: an http(s) address of the privacy policy, linked "
                              "from the label (a consent box)", nullable=True, max_length=2000),
}, example={"key": "consent", "label": "I agree to the privacy policy", "type": "checkbox",
            "required": True, "privacyUrl": "https://shop.example.com/privacy"})


class PreformEdit(Body):
    enabled: D(bool, "Whether the widget asks for contact details before the chat") | UnsetType = UNSET
    fields: D(list[Literal["name", "email", "phone"]], "Which fields it asks for") | UnsetType = UNSET
    customFields: Annotated[list[Any], Meta(
        description="The account's own fields, asked after those (at most 10; left out of the "
                    "settings while there are none)",
        extra_json_schema={"items": {"$ref": "#/components/schemas/CustomField"}})] | UnsetType = UNSET


class WidgetEdit(Body):
    greeting: Str("First bubble the visitor sees", max_length=500) | UnsetType = UNSET
    color: Str("Accent colour, #rrggbb", max_length=7) | UnsetType = UNSET
    title: Str("Panel title", min_length=1, max_length=80) | UnsetType = UNSET
    position: D(Literal["right", "left"], "Where the launcher sits: right (default) or left") | UnsetType = UNSET
    sound: D(bool, "A short sound when an agent replies while the widget is closed or the tab "
                   "hidden (default true; each visitor can switch it off)") | UnsetType = UNSET


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
    require_owner(principal, "Only owners can change settings.")
    body = present(edit)
    current = await get_settings(chat, principal.account_id)
    if "preform" in body:
        preform = present(body["preform"])
        if "fields" in preform:
            fields = preform["fields"]
            if not fields or any(f not in PREFORM_FIELDS for f in fields) or len(set(fields)) != len(fields):
                raise Invalid("preform.fields must list some of name, email, phone, each once.")
        if "customFields" in preform:
            preform["customFields"] = check_custom_fields(preform["customFields"])
        current["preform"].update(preform)
        if not current["preform"].get("customFields"):
            current["preform"].pop("customFields", None)
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
        if "color" in widget and accent_contrast(widget["color"]) < MIN_CONTRAST:
            raise Invalid(f"widget.color {widget['color']} leaves text on it unreadable in white "
                          f"and in black (best contrast {accent_contrast(widget['color']):.2f}:1, "
                          f"at least {MIN_CONTRAST}:1 needed): choose a lighter or darker colour.")
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
    await audit.record(chat, principal, "settings.update", "settings", principal.account_id,
                       {"fields": sorted(body)})
    return current


def _luminance(hex_color: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    n = int(hex_color[1:], 16)
    r, g, b = channel((n >> 16) & 255), channel((n >> 8) & 255), channel(n & 255)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def accent_contrast(color: str) -> float:
    """How readable the widget's text on the accent is: it picks white or DARK_TEXT, the better."""
    return max(contrast(color, "#ffffff"), contrast(color, DARK_TEXT))


def check_custom_fields(value: Any) -> list[dict[str, Any]]:
    """The account's own pre-chat fields, each checked; a clear sentence names what is wrong."""
    if not isinstance(value, list) or len(value) > MAX_CUSTOM_FIELDS:
        raise Invalid(f"preform.customFields must be a list of at most {MAX_CUSTOM_FIELDS} fields.")
    fields: list[dict[str, Any]] = []
    for i, raw in enumerate(value):
        where = f"preform.customFields[{i}]"
        try:
            field = CUSTOM_FIELD.validate(raw)
        except Invalid as err:
            raise Invalid(f"{where}: {err}") from None
        key, label, kind = field["key"], field["label"].strip(), field["type"]
        if not CUSTOM_KEY_RE.match(key) or key in PREFORM_FIELDS:
            raise Invalid(f"{where}.key must be 1 to 40 lower-case letters, digits, - or _ "
                          "(not name, email or phone).")
        if any(f["key"] == key for f in fields):
            raise Invalid(f"{where}.key {key} is used twice; each field needs its own key.")
        if not label:
            raise Invalid(f"{where}.label must not be blank.")
        out: dict[str, Any] = {"key": key, "label": label, "type": kind,
                               "required": bool(field.get("required", False))}
        options = field.get("options")
        if kind == "select":
            if (not isinstance(options, list) or not 1 <= len(options) <= 20
                    or any(not isinstance(o, str) or not o.strip() or len(o) > MAX_CUSTOM_LABEL
                           for o in options)):
                raise Invalid(f"{where}.options must list 1 to 20 choices of 1 to "
                              f"{MAX_CUSTOM_LABEL} characters.")
            out["options"] = list(dict.fromkeys(o.strip() for o in options))
        elif options is not None:
            raise Invalid(f"{where}.options is only for select fields.")
        url = field.get("privacyUrl")
        if url is not None and kind != "checkbox":
            raise Invalid(f"{where}.privacyUrl is only for checkbox fields.")
        if kind == "checkbox" and url:
            if not re.match(r"^https?://[^\s/]+\.[^\s]*$", url.strip()):
                raise Invalid(f"{where}.privacyUrl must be an http:// or https:// address.")
            out["privacyUrl"] = url.strip()
        fields.append(out)
    return fields


def check_custom_answers(preform: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The visitor's answers to the custom fields, as attributes; unknown keys are refused."""
    asked = (preform.get("customFields") or []) if preform.get("enabled") else []
    by_key = {f["key"]: f for f in asked}
    for key in answers:
        if key not in by_key:
            accepted = ", ".join(("name", "email", "phone", *by_key))
            raise Invalid(f"{key} is not a field of this site's pre-chat form; accepted fields: "
                          f"{accepted}.")
    out: dict[str, Any] = {}
    for f in asked:
        key, value = f["key"], answers.get(f["key"])
        if f["type"] == "checkbox":
            if value is not None and not isinstance(value, bool):
                raise Invalid(f"{key} must be true or false.")
            if f["required"] and value is not True:
                raise Invalid(f"{key} must be ticked ({f['label']}).")
            if value is not None:
                out[key] = value
            continue
        if value is not None and not isinstance(value, str):
            raise Invalid(f"{key} must be a text.")
        value = (value or "").strip()
        if not value:
            if f["required"]:
                raise Invalid(f"{key} is required.")
            continue
        if f["type"] == "select" and value not in f["options"]:
            raise Invalid(f"{key} must be one of: {', '.join(f['options'])}.")
        if len(value) > MAX_CUSTOM_ANSWER:
            raise Invalid(f"{key} must have at most {MAX_CUSTOM_ANSWER} characters.")
        out[key] = value
    return out


def settings_changed(chat: Chat, account_id: str) -> None:
    chat.send_event(Event(SETTINGS_CHANGED, account_id, "", {}, agents_only=True))


async def check_origin(chat: Chat, account: Any, origin: str | None) -> None:
    """A browser page on a website the account did not allow may not use its widget."""
    if not origin:
        return  # not a browser's cross-origin call: servers and tests talk to the API directly
    allowed = settings_of(account).get("allowedOrigins") or []
    if allowed and origin.strip().lower().rstrip("/") not in allowed:
        raise Forbidden("This website is not allowed to use this chat.")
