"""The shapes of the API: request bodies (checked here) and responses (documented here)."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

from typing import Any, ClassVar, Literal

import msgspec

from ..ids import ID_ALPHABET, ID_LENGTH
from ..schema import UNSET, Body, D, F, Meta, Obj, Reply, Str, UnsetType

ID_PATTERN = f"^[{ID_ALPHABET}]{{{ID_LENGTH}}}$"
TIME_TEXT = "ISO 8601 UTC time with milliseconds, e.g. 2019-01-03T07:14:07.438Z"
Time = Str(TIME_TEXT, fmt="date-time")
TimeOrNull = Str(TIME_TEXT, fmt="date-time", nullable=True)
Status = Literal["open", "resolved"]


def _id(description: str, nullable: bool = False) -> Any:
    import typing

    meta = Meta(description=description + " (17 characters, Meteor style)", min_length=ID_LENGTH,
                max_length=ID_LENGTH)
    return typing.Annotated[str, meta] | None if nullable else typing.Annotated[str, meta]


# Request bodies -------------------------------------------------------------------------------

class MessageCreate(Body):
    userId: Str("Agent's ID, shown on the agents page; must be an agent of your account.",
                examples=["MvSzqx36KksKNxHmK"])
    visitorId: Str("Visitor's ID, as in the dashboard's address bar (/chat/:id).",
                   examples=["BtR7qAyvZfTWoaC7a"])
    text: Str("Message text.", min_length=1, max_length=10_000,
              examples=["Good morning! Can I help you?"])
    __example__: ClassVar = {"userId": "MvSzqx36KksKNxHmK", "visitorId": "BtR7qAyvZfTWoaC7a",
                             "text": "Good morning! Can I help you?"}


class MessageEdit(Body):
    text: Str("New message text.", min_length=1, max_length=10_000)
    __example__: ClassVar = {"text": "Good evening! Can I help you?"}


class VisitorEdit(Body):
    """Only these four keys; a key left out is left unchanged, null removes the value."""
    name: Str("Visitor's name; null removes it.", nullable=True, max_length=200) | UnsetType = UNSET
    email: Str("Email address; null removes it.", nullable=True, max_length=254,
               email=True) | UnsetType = UNSET
    phone: Str("Phone number; null removes it.", nullable=True, max_length=50) | UnsetType = UNSET
    notes: Str("Agents' notes about the visitor; null removes them.", nullable=True,
               max_length=5000) | UnsetType = UNSET
    __example__: ClassVar = {"email": "anar@example.com", "name": "Anar Hasanzade",
                             "phone": "+994124801574", "notes": "Asked about new functionality"}


class WidgetVisitorCreate(Body):
    siteKey: Str("The account's site key, from the embed snippet.", min_length=1, max_length=100)
    userAgent: Str("navigator.userAgent", nullable=True, max_length=1000) | UnsetType = UNSET
    appName: Str("navigator.appName", nullable=True, max_length=1000) | UnsetType = UNSET
    appVersion: Str("navigator.appVersion", nullable=True, max_length=1000) | UnsetType = UNSET
    platform: Str("navigator.platform", nullable=True, max_length=1000) | UnsetType = UNSET
    cookieEnabled: D(bool | None, "navigator.cookieEnabled") | UnsetType = UNSET


class WidgetMessageCreate(Body):
    text: Str("Message text.", min_length=1, max_length=10_000)


# Responses ------------------------------------------------------------------------------------

class Attachment(Reply):
    """The file of a file message."""
    id: Str("Attachment ID")
    name: Str("File name as uploaded")
    type: Str("Media type, e.g. image/png")
    size: D(int, "Bytes")
    url: Str("Where to download it: /attachments/:id")


ID = msgspec.field(name="_id")


class Message(Reply, kw_only=True):
    id_: _id("Message ID") = ID
    userId: _id("Agent who wrote it; null for a visitor's message", nullable=True)
    visitorId: _id("The visitor whose conversation it belongs to")
    text: Str("Message text")
    seen: D(bool, "Whether the other side has seen it")
    sentAt: Time
    bot: D(bool, "Present (true) only on messages written by a bot agent") | UnsetType = UNSET
    attachment: D(Attachment | None, "Present only on file messages") | UnsetType = UNSET
    __example__: ClassVar = {"_id": "qZkS5QLZSBLKzYAwm", "userId": "MvSzqx36KksKNxHmK",
                             "visitorId": "BtR7qAyvZfTWoaC7a", "text": "Good morning! Can I help you?",
                             "seen": False, "sentAt": "2019-01-03T07:14:07.438Z"}


class Visitor(Reply, kw_only=True):
    id_: _id("Visitor ID") = ID
    userAgent: Str("Browser's user agent", nullable=True)
    appName: Str("navigator.appName", nullable=True)
    appVersion: Str("navigator.appVersion", nullable=True)
    platform: Str("navigator.platform", nullable=True)
    cookieEnabled: D(bool | None, "navigator.cookieEnabled")
    banned: D(bool, "Whether the visitor is banned")
    addedAt: Time
    agents: D(list[str], "IDs of agents who have written to the visitor, first contact first")
    name: Str("Name", nullable=True)
    email: Str("Email", nullable=True)
    phone: Str("Phone", nullable=True)
    notes: Str("Agents' notes (null on the visitor's own side)", nullable=True)
    preformFilled: D(bool, "Whether the visitor filled in the pre-chat form")
    lastOnline: TimeOrNull
    showBotMessages: D(bool, "Whether bots answer this visitor")


class Agent(Reply, kw_only=True):
    id_: _id("Agent ID: the userId of POST /api/messages/") = ID
    name: Str("Name")
    email: Str("Email")
    role: D(Literal["owner", "agent"], "owner or agent")
    bot: D(bool, "Whether this agent is a bot")
    addedAt: Time
    lastOnline: TimeOrNull
    online: D(bool, "Whether the agent has a socket open now") | UnsetType = UNSET
    availability: D(Literal["online", "away"], "online: a human signed in to the dashboard and set "
                    "to Online, who can take conversations; away otherwise") | UnsetType = UNSET
    maxConversations: D(int | None, "Capacity for automatic assignment; null: no limit") | UnsetType = UNSET
    openConversations: D(int, "Open conversations assigned to the agent now") | UnsetType = UNSET


class Error(Reply):
    status: D(Literal["error"], "Always error")
    message: Str("A sentence saying what went wrong, naming the field if one is at fault")
    __example__: ClassVar = {"status": "error", "message": "You must be logged in to do this."}


class WidgetVisitorCreated(Reply):
    visitorId: _id("The new visitor's ID")
    visitorToken: Str("Bearer token for the visitor's calls; keep it in the browser")
    visitor: D(Visitor, "The new visitor")


def page_of(item: str) -> Obj:
    return Obj(f"{item}Page", {
        "items": F("array", f"{item} objects, newest first", required=True,
                   items={"$ref": f"#/components/schemas/{item}"}),
        "next": F("string", "Cursor for the next page; null on the last page", nullable=True,
                  required=True),
    })


RESPONSE_SCHEMAS: list[Any] = [Message, Attachment, Visitor, Agent, Error, WidgetVisitorCreated,
                               page_of("Message"), page_of("Visitor"), page_of("Agent")]
REQUEST_SCHEMAS: list[Any] = [MessageCreate, MessageEdit, VisitorEdit, WidgetVisitorCreate,
                              WidgetMessageCreate]
