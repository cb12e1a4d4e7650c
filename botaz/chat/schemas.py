"""The shapes of the API: request bodies (validated here) and responses (documented here)."""

from __future__ import annotations

from typing import Any

from ..ids import ID_ALPHABET, ID_LENGTH
from ..schema import F, Obj

ID_PATTERN = f"^[{ID_ALPHABET}]{{{ID_LENGTH}}}$"
TIME = F("string", "ISO 8601 UTC time with milliseconds, e.g. 2019-01-03T07:14:07.438Z",
         format="date-time")
TIME_OR_NULL = F("string", TIME.description, format="date-time", nullable=True)


def _id(description: str, nullable: bool = False) -> F:
    return F("string", description + " (17 characters, Meteor style)", nullable=nullable,
             min_length=ID_LENGTH, max_length=ID_LENGTH)


MESSAGE_CREATE = Obj("MessageCreate", {
    "userId": F("string", "Agent's ID, shown on the agents page; must be an agent of your account.",
                required=True, example="MvSzqx36KksKNxHmK"),
    "visitorId": F("string", "Visitor's ID, as in the dashboard's address bar (/chat/:id).",
                   required=True, example="BtR7qAyvZfTWoaC7a"),
    "text": F("string", "Message text.", required=True, min_length=1, max_length=10_000,
              example="Good morning! Can I help you?"),
}, example={"userId": "MvSzqx36KksKNxHmK", "visitorId": "BtR7qAyvZfTWoaC7a",
            "text": "Good morning! Can I help you?"})

MESSAGE_EDIT = Obj("MessageEdit", {
    "text": F("string", "New message text.", required=True, min_length=1, max_length=10_000),
}, example={"text": "Good evening! Can I help you?"})

VISITOR_EDIT = Obj("VisitorEdit", {
    "name": F("string", "Visitor's name; null removes it.", nullable=True, max_length=200),
    "email": F("string", "Email address; null removes it.", nullable=True, max_length=254,
               format="email"),
    "phone": F("string", "Phone number; null removes it.", nullable=True, max_length=50),
    "notes": F("string", "Agents' notes about the visitor; null removes them.", nullable=True,
               max_length=5000),
}, description="Only these four keys; a key left out is left unchanged, null removes the value.",
   example={"email": "anar@example.com", "name": "Anar Hasanzade", "phone": "+994124801574",
            "notes": "Asked about new functionality"})

WIDGET_VISITOR_CREATE = Obj("WidgetVisitorCreate", {
    "siteKey": F("string", "The account's site key, from the embed snippet.", required=True,
                 min_length=1, max_length=100),
    "userAgent": F("string", "navigator.userAgent", nullable=True, max_length=1000),
    "appName": F("string", "navigator.appName", nullable=True, max_length=1000),
    "appVersion": F("string", "navigator.appVersion", nullable=True, max_length=1000),
    "platform": F("string", "navigator.platform", nullable=True, max_length=1000),
    "cookieEnabled": F("boolean", "navigator.cookieEnabled", nullable=True),
}, additional=False)

WIDGET_MESSAGE_CREATE = Obj("WidgetMessageCreate", {
    "text": F("string", "Message text.", required=True, min_length=1, max_length=10_000),
})

MESSAGE = Obj("Message", {
    "_id": _id("Message ID"),
    "userId": _id("Agent who wrote it; null for a visitor's message", nullable=True),
    "visitorId": _id("The visitor whose conversation it belongs to"),
    "text": F("string", "Message text"),
    "seen": F("boolean", "Whether the other side has seen it"),
    "sentAt": TIME,
    "bot": F("boolean", "Present (true) only on messages written by a bot agent"),
    "attachment": F("object", "Present only on file messages: {id, name, type, size, url}"),
}, example={"_id": "qZkS5QLZSBLKzYAwm", "userId": "MvSzqx36KksKNxHmK",
            "visitorId": "BtR7qAyvZfTWoaC7a", "text": "Good morning! Can I help you?",
            "seen": False, "sentAt": "2019-01-03T07:14:07.438Z"})

_NULLABLE_TEXT: dict[str, Any] = {"nullable": True}
VISITOR = Obj("Visitor", {
    "_id": _id("Visitor ID"),
    "userAgent": F("string", "Browser's user agent", **_NULLABLE_TEXT),
    "appName": F("string", "navigator.appName", **_NULLABLE_TEXT),
    "appVersion": F("string", "navigator.appVersion", **_NULLABLE_TEXT),
    "platform": F("string", "navigator.platform", **_NULLABLE_TEXT),
    "cookieEnabled": F("boolean", "navigator.cookieEnabled", nullable=True),
    "banned": F("boolean", "Whether the visitor is banned"),
    "addedAt": TIME,
    "agents": F("array", "IDs of agents who have written to the visitor, first contact first",
                items={"type": "string"}),
    "name": F("string", "Name", **_NULLABLE_TEXT),
    "email": F("string", "Email", **_NULLABLE_TEXT),
    "phone": F("string", "Phone", **_NULLABLE_TEXT),
    "notes": F("string", "Agents' notes", **_NULLABLE_TEXT),
    "preformFilled": F("boolean", "Whether the visitor filled in the pre-chat form"),
    "lastOnline": TIME_OR_NULL,
    "showBotMessages": F("boolean", "Whether bots answer this visitor"),
})

AGENT = Obj("Agent", {
    "_id": _id("Agent ID: the userId of POST /api/messages/"),
    "name": F("string", "Name"),
    "email": F("string", "Email"),
    "role": F("string", "owner or agent", enum=("owner", "agent")),
    "bot": F("boolean", "Whether this agent is a bot"),
    "addedAt": TIME,
    "lastOnline": TIME_OR_NULL,
    "online": F("boolean", "Whether the agent has a socket open now"),
    "availability": F("string", "online: a human signed in to the dashboard and set to Online, "
                                "who can take conversations; away otherwise", enum=("online", "away")),
    "maxConversations": F("integer", "Capacity for automatic assignment; null: no limit",
                          nullable=True),
    "openConversations": F("integer", "Open conversations assigned to the agent now"),
})

ERROR = Obj("Error", {
    "status": F("string", "Always error", enum=("error",)),
    "message": F("string", "A sentence saying what went wrong, naming the field if one is at fault"),
}, example={"status": "error", "message": "You must be logged in to do this."})

WIDGET_VISITOR_CREATED = Obj("WidgetVisitorCreated", {
    "visitorId": _id("The new visitor's ID"),
    "visitorToken": F("string", "Bearer token for the visitor's calls; keep it in the browser"),
    "visitor": F("object", ref="Visitor"),
})


def page_of(item: str) -> Obj:
    return Obj(f"{item}Page", {
        "items": F("array", f"{item} objects, newest first", items={"$ref": f"#/components/schemas/{item}"}),
        "next": F("string", "Cursor for the next page; null on the last page", nullable=True),
    })


RESPONSE_SCHEMAS = [MESSAGE, VISITOR, AGENT, ERROR, WIDGET_VISITOR_CREATED,
                    page_of("Message"), page_of("Visitor"), page_of("Agent")]
REQUEST_SCHEMAS = [MESSAGE_CREATE, MESSAGE_EDIT, VISITOR_EDIT, WIDGET_VISITOR_CREATE,
                   WIDGET_MESSAGE_CREATE]
