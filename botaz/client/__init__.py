"""Python client for botaz: the agents' REST API, the widget's visitor API, webhook signatures.

    from botaz.client import Client

    with Client("http://127.0.0.1:8000", "btz_...") as botaz:
        message = botaz.send_message(agent_id, visitor_id, "Good morning! Can I help you?")

See docs/client.md.
"""

from .aio import AsyncClient, AsyncVisitorClient
from .errors import (BadRequest, BotazError, Conflict, Forbidden, MethodNotAllowed, NotFound,
                     PayloadTooLarge, RateLimited, ServerError, Unauthorized,
                     UnsupportedMediaType)
from .sync import Client, VisitorClient
from .types import (UNSET, Account, AccountHours, Agent, AgentCreated, Attachment, Availability, Bot,
                    BotStatus, BusinessHours, Canned, Conversation, Delivery, EventName, FaqEntry,
                    Me, Message, Note, OnlineVisitor, OnlineVisitors, Page,
                    PageVisit, PreformSettings, SeenResult, Settings, Token, TokenCreated, Unset,
                    Visitor, VisitorCreated, Webhook, WebhookCreated, WebhookEvent, WidgetConfig,
                    WidgetSettings)
from .webhooks import (SIGNATURE_HEADER, WebhookSignatureError, check_signature,
                       compute_signature, sign_webhook, verify_signature, verify_webhook)

__all__ = [
    "Client", "AsyncClient", "VisitorClient", "AsyncVisitorClient", "UNSET", "Unset",
    "BotazError", "BadRequest", "Unauthorized", "Forbidden", "NotFound", "MethodNotAllowed",
    "Conflict", "PayloadTooLarge", "UnsupportedMediaType", "RateLimited", "ServerError",
    "SIGNATURE_HEADER", "WebhookSignatureError", "check_signature", "compute_signature",
    "sign_webhook", "verify_signature", "verify_webhook",
    "Account", "AccountHours", "Agent", "AgentCreated", "Attachment", "Availability", "Bot", "BotStatus", "BusinessHours",
    "FaqEntry", "Canned", "Conversation", "Delivery",
    "EventName", "Me", "Message", "Note", "OnlineVisitor", "OnlineVisitors", "Page", "PageVisit", "PreformSettings", "SeenResult",
    "Settings", "Token", "TokenCreated", "Visitor", "VisitorCreated", "Webhook", "WebhookCreated",
    "WebhookEvent", "WidgetConfig", "WidgetSettings",
]
