"""The JSON objects of the botaz API, as TypedDicts: what the client's methods return."""

from __future__ import annotations

import enum
from typing import Any, Generic, Literal, NotRequired, TypedDict, TypeVar


T = TypeVar("T")


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset.UNSET
"""Leaves a key out of the request body, where None would send null (which removes a value)."""

Unset = Literal[_Unset.UNSET]


class Page(TypedDict, Generic[T]):
    items: list[T]
    next: str | None


class Attachment(TypedDict):
    id: str
    name: str
    type: str
    size: int
    url: str


class Message(TypedDict):
    _id: str
    userId: str | None
    visitorId: str
    text: str
    seen: bool
    sentAt: str
    attachment: NotRequired[Attachment]
    bot: NotRequired[bool]


class Visitor(TypedDict):
    _id: str
    userAgent: str | None
    appName: str | None
    appVersion: str | None
    platform: str | None
    cookieEnabled: bool | None
    banned: bool
    addedAt: str
    agents: list[str]
    name: str | None
    email: str | None
    phone: str | None
    notes: str | None
    preformFilled: bool
    lastOnline: str | None
    showBotMessages: bool


class Agent(TypedDict):
    _id: str
    name: str
    email: str
    role: Literal["owner", "agent"]
    bot: bool
    addedAt: str
    lastOnline: str | None
    online: bool
    # In GET /api/agents (docs/availability.md): whether the agent can take conversations now,
    # their capacity for automatic assignment and their open assigned conversations.
    availability: NotRequired[Literal["online", "away"]]
    maxConversations: NotRequired[int | None]
    openConversations: NotRequired[int]


class AgentCreated(TypedDict):
    agent: Agent
    apiToken: str


class Account(TypedDict):
    _id: str
    name: str
    siteKey: str


class Me(TypedDict):
    agent: Agent
    account: Account
    csrfToken: str | None


class SeenResult(TypedDict):
    seen: list[str]


class PageVisit(TypedDict):
    url: str
    title: str | None
    referrer: str | None
    visitedAt: str


class PreformSettings(TypedDict):
    enabled: bool
    fields: list[Literal["name", "email", "phone"]]


class WidgetSettings(TypedDict):
    greeting: str
    color: str
    title: str


class Settings(TypedDict):
    allowedOrigins: list[str]
    preform: PreformSettings
    widget: WidgetSettings
    businessHours: NotRequired[AccountHours]
    autoAssign: NotRequired[bool]
    email: NotRequired[dict[str, Any]]  # transcriptOnResolve, locale, offlineMessage (docs/email.md)


class AccountHours(TypedDict):
    """The account's business hours (docs/availability.md); `enabled: false` means always open."""
    enabled: bool
    timezone: str
    days: dict[str, list[list[str]]]


class Availability(TypedDict):
    status: Literal["online", "away"]
    auto: bool
    available: bool


class WidgetConfig(TypedDict):
    accountName: str
    preform: PreformSettings
    widget: WidgetSettings
    online: bool


class Conversation(TypedDict):
    visitor: Visitor
    online: bool
    unread: int
    lastMessage: Message | None
    status: Literal["open", "resolved"]
    assigneeId: str | None
    lastActivityAt: str
    startedAt: str | None  # the first message; None while only a visitor on the site


class OnlineVisitor(TypedDict):
    visitor: Visitor
    visitStartedAt: str
    page: PageVisit | None
    conversationStartedAt: str | None
    status: Literal["open", "resolved"]
    assigneeId: str | None


class OnlineVisitors(TypedDict):
    items: list[OnlineVisitor]
    total: int


class Note(TypedDict):
    _id: str
    userId: str
    visitorId: str
    text: str
    createdAt: str


class Canned(TypedDict):
    _id: str
    shortcut: str
    text: str


class Token(TypedDict):
    _id: str
    label: str
    agentId: str
    createdAt: str
    lastUsedAt: str | None


class TokenCreated(Token):
    token: str


class VisitorCreated(TypedDict):
    visitorId: str
    visitorToken: str
    visitor: Visitor


class Webhook(TypedDict):
    _id: str
    url: str
    events: list[str]
    enabled: bool
    createdAt: str
    disabledReason: str | None


class WebhookCreated(Webhook):
    secret: str


class Delivery(TypedDict):
    _id: str
    eventId: str
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    createdAt: str
    lastAttemptAt: str | None
    nextAttemptAt: str | None
    responseCode: int | None
    responseBody: str | None
    error: str | None


class FaqEntry(TypedDict):
    keywords: list[str]
    pattern: str | None
    answer: str


class BusinessHours(TypedDict):
    timezone: str
    days: dict[str, list[list[str]]]


class BotStatus(TypedDict):
    lastError: str | None
    lastErrorAt: str | None
    lastSuccessAt: str | None


class Bot(TypedDict):
    enabled: bool
    agentId: str | None
    greeting: str | None
    faq: list[FaqEntry]
    offlineReply: str | None
    businessHours: BusinessHours | None
    askContact: bool
    askContactText: str
    handoffKeywords: list[str]
    handoffReply: str
    handoffOfflineReply: str
    idleMinutes: int
    externalUrl: str | None
    status: BotStatus
    externalSecret: NotRequired[str]


class WebhookEvent(TypedDict):
    id: str
    event: str
    data: dict[str, Any]
    createdAt: str


EventName = Literal["message.created", "message.updated", "message.deleted", "visitor.created",
                    "visitor.updated"]
"""What a webhook can subscribe to."""
