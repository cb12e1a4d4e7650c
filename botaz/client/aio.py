"""Asyncio clients: AsyncClient for the agents' API (/api), AsyncVisitorClient for the widget's."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, AsyncIterator, Iterable, Literal, Self

import httpx

from ._core import (RECONNECT_ERRORS, Base, Call, body, conversation_params, seg,
                    upload_headers, visitor_fields)
from .types import (UNSET, AccountHours, Agent, AgentCreated, Availability, Bot, BusinessHours,
                    Canned, Conversation, Delivery, FaqEntry, Me, Message, Note, OnlineVisitors,
                    Page, PageVisit, PreformSettings, SeenResult,
                    Settings, Token, TokenCreated, Unset, Visitor, VisitorCreated, Webhook,
                    WebhookCreated, WidgetConfig, WidgetSettings, Episode, Label,
                    ReportSummary, VisitorRating)


class _AsyncTransport(Base):
    def __init__(self, base_url: str, token: str | None, *, timeout: float, max_retries: int,
                 max_retry_wait: float) -> None:
        super().__init__(base_url, token, timeout=timeout, max_retries=max_retries,
                         max_retry_wait=max_retry_wait)
        self._http = httpx.AsyncClient(**self._client_options())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def _call(self, call: Call) -> Any:
        retries = 0
        reconnected = False
        while True:
            try:
                response = await self._http.request(call.method, call.path,
                                                    headers=self._headers(call),
                                                    **call.request_kwargs())
            except RECONNECT_ERRORS:
                if call.method != "GET" or reconnected:
                    raise
                reconnected = True
                continue
            delay = self._retry_delay(response, retries)
            if delay is None:
                return self._decode(call, response)
            retries += 1
            await asyncio.sleep(delay)

    async def _get(self, path: str, **params: Any) -> Any:
        return await self._call(Call("GET", path, params=params))

    async def _post(self, path: str, json: Any) -> Any:
        return await self._call(Call("POST", path, json=json))

    async def _pages(self, path: str, page_size: int | None, **params: Any) -> AsyncIterator[Any]:
        cursor: str | None = None
        while True:
            page = await self._get(path, **params, limit=page_size, cursor=cursor)
            for item in page["items"]:
                yield item
            cursor = page.get("next")
            if not cursor:
                return

    async def _all(self, path: str) -> list[Any]:
        return [item async for item in self._pages(path, None)]


class AsyncClient(_AsyncTransport):
    """The agents' REST API with an API token: `async with AsyncClient(url, token) as botaz: ...`.

    Errors raise BotazError subclasses; 429 answers are retried up to `max_retries` times,
    waiting what `Retry-After` says (at most `max_retry_wait` seconds, else RateLimited at once).
    Network failures raise httpx.TransportError; a GET is retried once on a broken connection.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 10, max_retries: int = 3,
                 max_retry_wait: float = 60) -> None:
        super().__init__(base_url, token, timeout=timeout, max_retries=max_retries,
                         max_retry_wait=max_retry_wait)

    # messages

    async def send_message(self, user_id: str, visitor_id: str, text: str) -> Message:
        return await self._post("/api/messages/", {"userId": user_id, "visitorId": visitor_id,
                                                   "text": text})

    async def get_message(self, message_id: str) -> Message:
        return await self._get(f"/api/messages/{seg(message_id)}")

    async def edit_message(self, message_id: str, text: str) -> Message:
        return await self._call(Call("PUT", f"/api/messages/{seg(message_id)}",
                                     json={"text": text}))

    async def delete_message(self, message_id: str) -> Message:
        return await self._call(Call("DELETE", f"/api/messages/{seg(message_id)}"))

    # visitors

    async def get_visitor(self, visitor_id: str) -> Visitor:
        return await self._get(f"/api/visitors/{seg(visitor_id)}")

    async def update_visitor(self, visitor_id: str, *, name: str | None | Unset = UNSET,
                             email: str | None | Unset = UNSET,
                             phone: str | None | Unset = UNSET,
                             notes: str | None | Unset = UNSET) -> Visitor:
        """Keys left UNSET stay as they are; None removes the value."""
        return await self._call(Call("PUT", f"/api/visitors/{seg(visitor_id)}",
                                     json=body(name=name, email=email, phone=phone, notes=notes)))

    async def online_visitors(self, *, limit: int | None = None) -> OnlineVisitors:
        """Visitors whose widget is connected now: page, visit start, conversation state."""
        return await self._get("/api/visitors/online", limit=limit)

    async def list_visitors(self, *, limit: int | None = None, cursor: str | None = None,
                            attribute: list[str] | None = None) -> Page[Visitor]:
        """attribute: ["plan:pro", ...], only visitors whose custom attributes match them all."""
        return await self._get("/api/visitors", limit=limit, cursor=cursor, attribute=attribute)

    async def iter_visitors(self, *, page_size: int | None = None,
                            attribute: list[str] | None = None) -> AsyncIterator[Visitor]:
        async for item in self._pages("/api/visitors", page_size, attribute=attribute):
            yield item

    async def visitor_attribute_keys(self) -> dict[str, Any]:
        """{"items": [{"key", "visitors"}]}: the custom attribute keys the visitors have."""
        return await self._get("/api/visitors/attribute-keys")

    async def visitor_messages(self, visitor_id: str, *, limit: int | None = None,
                               cursor: str | None = None) -> Page[Message]:
        return await self._get(f"/api/visitors/{seg(visitor_id)}/messages", limit=limit,
                               cursor=cursor)

    async def iter_visitor_messages(self, visitor_id: str, *,
                                    page_size: int | None = None) -> AsyncIterator[Message]:
        async for item in self._pages(f"/api/visitors/{seg(visitor_id)}/messages", page_size):
            yield item

    async def seen(self, visitor_id: str, message_id: str) -> SeenResult:
        """Mark the visitor's messages up to and including `message_id` as seen by agents."""
        return await self._post(f"/api/visitors/{seg(visitor_id)}/seen",
                                {"messageId": message_id})

    async def delete_visitor(self, visitor_id: str) -> Visitor:
        """Erase the visitor and everything stored about them; returns the visitor as it was."""
        return await self._call(Call("DELETE", f"/api/visitors/{seg(visitor_id)}"))

    async def export_visitor(self, visitor_id: str) -> dict[str, Any]:
        """Everything stored about a visitor: visitor, messages, pages, notes, attachments."""
        return await self._get(f"/api/visitors/{seg(visitor_id)}/export")

    async def audit_log(self, *, limit: int | None = None,
                   cursor: str | None = None) -> Page[dict[str, Any]]:
        """Owners only: who did what, newest first."""
        return await self._get("/api/audit", limit=limit, cursor=cursor)

    # knowledge base (docs/knowledge-base.md)

    async def create_article(self, title: str, body: str, **fields: Any) -> dict[str, Any]:
        """fields: locale, category, slug, published (as in the API)."""
        return await self._post("/api/articles", {"title": title, "body": body, **fields})

    async def list_articles(self, *, limit: int | None = None, cursor: str | None = None,
                      locale: str | None = None, category: str | None = None,
                      q: str | None = None) -> Page[dict[str, Any]]:
        return await self._get("/api/articles", limit=limit, cursor=cursor, locale=locale,
                         category=category, q=q)

    async def get_article(self, article_id: str) -> dict[str, Any]:
        return await self._get(f"/api/articles/{seg(article_id)}")

    async def update_article(self, article_id: str, **fields: Any) -> dict[str, Any]:
        return await self._call(Call("PUT", f"/api/articles/{seg(article_id)}", json=fields))

    async def delete_article(self, article_id: str) -> None:
        await self._call(Call("DELETE", f"/api/articles/{seg(article_id)}"))

    async def preview_article(self, body: str) -> dict[str, Any]:
        """The Markdown rendered to sanitized HTML, as the help centre shows it."""
        return await self._post("/api/articles/preview", {"body": body})

    async def email_status(self) -> dict[str, Any]:
        """Whether this server sends email (BOTAZ_SMTP_URL set)."""
        return await self._get("/api/email/status")

    async def email_log(self, *, limit: int | None = None,
                  cursor: str | None = None) -> Page[dict[str, Any]]:
        """Owners only: the emails botaz sent, is sending or gave up on, newest first."""
        return await self._get("/api/emails", limit=limit, cursor=cursor)

    async def ban_visitor(self, visitor_id: str) -> Visitor:
        return await self._call(Call("POST", f"/api/visitors/{seg(visitor_id)}/ban"))

    async def unban_visitor(self, visitor_id: str) -> Visitor:
        return await self._call(Call("POST", f"/api/visitors/{seg(visitor_id)}/unban"))

    async def visitor_pages(self, visitor_id: str, *, limit: int | None = None,
                            cursor: str | None = None) -> Page[PageVisit]:
        return await self._get(f"/api/visitors/{seg(visitor_id)}/pages", limit=limit,
                               cursor=cursor)

    async def iter_visitor_pages(self, visitor_id: str, *,
                                 page_size: int | None = None) -> AsyncIterator[PageVisit]:
        async for item in self._pages(f"/api/visitors/{seg(visitor_id)}/pages", page_size):
            yield item

    async def send_typing(self, visitor_id: str, typing: bool = True) -> None:
        await self._post(f"/api/visitors/{seg(visitor_id)}/typing", {"typing": typing})

    async def upload_attachment(self, visitor_id: str, data: bytes, filename: str,
                                content_type: str, *, user_id: str | None = None) -> Message:
        return await self._call(Call("POST", f"/api/visitors/{seg(visitor_id)}/attachments",
                                     params={"userId": user_id}, content=data,
                                     headers=upload_headers(filename, content_type)))

    async def download_attachment(self, attachment_id: str) -> bytes:
        return await self._call(Call("GET", f"/attachments/{seg(attachment_id)}", raw=True))

    # pictures the widget shows (docs/widget.md)

    async def images(self) -> dict[str, Any]:
        """{"logoUrl", "avatarUrl"}: the account's logo and this agent's avatar, or None."""
        return await self._get("/api/settings/images")

    async def set_logo(self, data: bytes, content_type: str) -> dict[str, Any]:
        """Owners: PNG, JPEG or WebP up to 256 KB; answers {"url"}."""
        return await self._call(Call("PUT", "/api/settings/logo", content=data,
                                     headers={"Content-Type": content_type}))

    async def remove_logo(self) -> dict[str, Any]:
        return await self._call(Call("DELETE", "/api/settings/logo"))

    async def set_avatar(self, data: bytes, content_type: str) -> dict[str, Any]:
        """This agent's picture beside their messages in the widget; answers {"url"}."""
        return await self._call(Call("PUT", "/auth/me/avatar", content=data,
                                     headers={"Content-Type": content_type}))

    async def remove_avatar(self) -> dict[str, Any]:
        return await self._call(Call("DELETE", "/auth/me/avatar"))

    async def download_image(self, image_id: str) -> bytes:
        return await self._call(Call("GET", f"/images/{seg(image_id)}", raw=True))

    # agents

    async def me(self) -> Me:
        return await self._get("/auth/me")

    async def availability(self) -> Availability:
        """This agent's Online/Away and whether they can take conversations now."""
        return await self._get("/auth/me/availability")

    async def set_availability(self, status: Literal["online", "away"], *,
                         auto: bool | Unset = UNSET) -> Availability:
        return await self._call(Call("PUT", "/auth/me/availability", json=body(status=status, auto=auto)))

    async def preferences(self) -> dict[str, Any]:
        return await self._get("/auth/me/preferences")

    async def update_preferences(self, **preferences: Any) -> dict[str, Any]:
        """Keys as in the API (e.g. emailAlerts=False, idleAwayMinutes=15); others stay."""
        return await self._call(Call("PUT", "/auth/me/preferences", json=preferences))

    async def set_agent_capacity(self, agent_id: str, max_conversations: int | None) -> Agent:
        """Most open conversations automatic assignment gives the agent; None: no limit."""
        return await self._call(Call("PUT", f"/api/agents/{seg(agent_id)}",
                                json={"maxConversations": max_conversations}))

    async def list_agents(self, *, limit: int | None = None,
                          cursor: str | None = None) -> Page[Agent]:
        return await self._get("/api/agents", limit=limit, cursor=cursor)

    async def iter_agents(self, *, page_size: int | None = None) -> AsyncIterator[Agent]:
        async for item in self._pages("/api/agents", page_size):
            yield item

    async def add_agent(self, name: str, email: str, *, password: str | None | Unset = UNSET,
                        role: Literal["owner", "agent"] | Unset = UNSET,
                        bot: bool | Unset = UNSET) -> AgentCreated:
        return await self._post("/api/agents", body(name=name, email=email, password=password,
                                                    role=role, bot=bot))

    async def remove_agent(self, agent_id: str) -> None:
        await self._call(Call("DELETE", f"/api/agents/{seg(agent_id)}"))

    # settings

    async def get_settings(self) -> Settings:
        return await self._get("/api/settings")

    async def visitor_attributes(self, visitor_id: str) -> dict[str, Any]:
        """{"externalId": the site's user ID or None, "attributes": {...}}."""
        return await self._get(f"/api/visitors/{seg(visitor_id)}/attributes")

    async def rotate_identity_secret(self) -> dict[str, str]:
        """Owners: a new identity secret ({"identitySecret": ...}); old hashes stop working."""
        return await self._post("/api/settings/identity-secret", {})

    async def update_settings(self, *,
                              preform: PreformSettings | dict[str, Any] | Unset = UNSET,
                              widget: WidgetSettings | dict[str, Any] | Unset = UNSET,
                              allowed_origins: list[str] | Unset = UNSET,
                        business_hours: AccountHours | dict[str, Any] | None | Unset = UNSET,
                        auto_assign: bool | Unset = UNSET) -> Settings:
        """Keys left out, here and inside each object, stay as they are (business_hours is
        replaced whole; None switches it off)."""
        return await self._call(Call("PUT", "/api/settings", json=body(
            preform=preform, widget=widget, allowedOrigins=allowed_origins,
            businessHours=business_hours, autoAssign=auto_assign)))

    # conversations

    async def list_conversations(self, *,
                                 status: Literal["open", "resolved", "all"] | None = None,
                                 assignee: str | None = None, q: str | None = None,
                                 limit: int | None = None,
                                 cursor: str | None = None) -> Page[Conversation]:
        """`assignee` is "me", "none", "all" or an agent ID."""
        return await self._get("/api/conversations", **conversation_params(status, assignee, q),
                               limit=limit, cursor=cursor)

    async def iter_conversations(self, *,
                                 status: Literal["open", "resolved", "all"] | None = None,
                                 assignee: str | None = None, q: str | None = None,
                                 page_size: int | None = None) -> AsyncIterator[Conversation]:
        async for item in self._pages("/api/conversations", page_size,
                                      **conversation_params(status, assignee, q)):
            yield item

    async def get_conversation(self, visitor_id: str) -> Conversation:
        return await self._get(f"/api/conversations/{seg(visitor_id)}")

    async def assign_conversation(self, visitor_id: str, agent_id: str | None) -> Conversation:
        """None unassigns."""
        return await self._post(f"/api/conversations/{seg(visitor_id)}/assign",
                                {"agentId": agent_id})

    async def set_conversation_status(self, visitor_id: str,
                                      status: Literal["open", "resolved"]) -> Conversation:
        return await self._post(f"/api/conversations/{seg(visitor_id)}/status",
                                {"status": status})

    async def list_notes(self, visitor_id: str) -> list[Note]:
        return await self._all(f"/api/conversations/{seg(visitor_id)}/notes")

    async def add_note(self, visitor_id: str, text: str) -> Note:
        return await self._post(f"/api/conversations/{seg(visitor_id)}/notes", {"text": text})

    # canned responses

    async def list_canned(self) -> list[Canned]:
        return await self._all("/api/canned")

    async def add_canned(self, shortcut: str, text: str) -> Canned:
        return await self._post("/api/canned", {"shortcut": shortcut, "text": text})

    async def edit_canned(self, canned_id: str, *, shortcut: str | Unset = UNSET,
                          text: str | Unset = UNSET) -> Canned:
        return await self._call(Call("PUT", f"/api/canned/{seg(canned_id)}",
                                     json=body(shortcut=shortcut, text=text)))

    async def delete_canned(self, canned_id: str) -> None:
        await self._call(Call("DELETE", f"/api/canned/{seg(canned_id)}"))

    # API tokens

    async def list_tokens(self) -> list[Token]:
        return await self._all("/api/tokens")

    async def create_token(self, label: str, *, agent_id: str | Unset = UNSET) -> TokenCreated:
        return await self._post("/api/tokens", body(label=label, agentId=agent_id))

    async def revoke_token(self, token_id: str) -> None:
        await self._call(Call("DELETE", f"/api/tokens/{seg(token_id)}"))

    # bots

    async def get_bot(self) -> Bot:
        return await self._get("/api/bot")

    async def update_bot(self, *, enabled: bool | Unset = UNSET,
                         greeting: str | None | Unset = UNSET,
                         faq: list[FaqEntry] | list[dict[str, Any]] | Unset = UNSET,
                         offline_reply: str | None | Unset = UNSET,
                         business_hours: BusinessHours | dict[str, Any] | None | Unset = UNSET,
                         ask_contact: bool | Unset = UNSET, ask_contact_text: str | Unset = UNSET,
                         handoff_keywords: list[str] | Unset = UNSET,
                         handoff_reply: str | Unset = UNSET,
                         handoff_offline_reply: str | Unset = UNSET,
                         idle_minutes: int | Unset = UNSET,
                         external_url: str | None | Unset = UNSET,
                         agent_id: str | Unset = UNSET) -> Bot:
        """Owners only. Setting a new `external_url` returns its `externalSecret`, once."""
        return await self._call(Call("PUT", "/api/bot", json=body(
            enabled=enabled, greeting=greeting, faq=faq, offlineReply=offline_reply,
            businessHours=business_hours, askContact=ask_contact, askContactText=ask_contact_text,
            handoffKeywords=handoff_keywords, handoffReply=handoff_reply,
            handoffOfflineReply=handoff_offline_reply, idleMinutes=idle_minutes,
            externalUrl=external_url, agentId=agent_id)))

    async def show_bot_messages(self, visitor_id: str, show: bool) -> Visitor:
        """False: no bot answers this visitor, and the widget hides bot messages."""
        return await self._call(Call("PUT", f"/api/visitors/{seg(visitor_id)}/bot",
                                     json={"showBotMessages": show}))

    # webhooks

    async def create_webhook(self, url: str, events: Iterable[str]) -> WebhookCreated:
        """The answer is the only place the signing `secret` ever appears."""
        return await self._post("/api/webhooks", {"url": url, "events": list(events)})

    async def list_webhooks(self) -> list[Webhook]:
        return await self._all("/api/webhooks")

    async def get_webhook(self, webhook_id: str) -> Webhook:
        return await self._get(f"/api/webhooks/{seg(webhook_id)}")

    async def update_webhook(self, webhook_id: str, *, url: str | Unset = UNSET,
                             events: Iterable[str] | Unset = UNSET,
                             enabled: bool | Unset = UNSET) -> Webhook:
        return await self._call(Call("PUT", f"/api/webhooks/{seg(webhook_id)}", json=body(
            url=url, events=events if events is UNSET else list(events), enabled=enabled)))

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._call(Call("DELETE", f"/api/webhooks/{seg(webhook_id)}"))

    async def webhook_deliveries(self, webhook_id: str, *, limit: int | None = None,
                                 cursor: str | None = None) -> Page[Delivery]:
        return await self._get(f"/api/webhooks/{seg(webhook_id)}/deliveries", limit=limit,
                               cursor=cursor)

    async def iter_webhook_deliveries(self, webhook_id: str, *,
                                      page_size: int | None = None) -> AsyncIterator[Delivery]:
        async for item in self._pages(f"/api/webhooks/{seg(webhook_id)}/deliveries", page_size):
            yield item

    async def redeliver(self, webhook_id: str, delivery_id: str) -> Delivery:
        return await self._call(Call(
            "POST", f"/api/webhooks/{seg(webhook_id)}/deliveries/{seg(delivery_id)}/redeliver"))

    # episodes, labels and reports

    async def conversation_history(self, visitor_id: str, *, limit: int | None = None,
                             cursor: str | None = None) -> Page[Episode]:
        """The visitor's conversations (episodes), newest first."""
        return await self._get(f"/api/conversations/{seg(visitor_id)}/history", limit=limit, cursor=cursor)

    async def list_labels(self) -> list[Label]:
        return await self._all("/api/labels")

    async def create_label(self, name: str, color: str) -> Label:
        return await self._post("/api/labels", {"name": name, "color": color})

    async def edit_label(self, label_id: str, *, name: str | Unset = UNSET,
                   color: str | Unset = UNSET) -> Label:
        return await self._call(Call("PUT", f"/api/labels/{seg(label_id)}", json=body(name=name, color=color)))

    async def delete_label(self, label_id: str) -> None:
        await self._call(Call("DELETE", f"/api/labels/{seg(label_id)}"))

    async def add_conversation_label(self, visitor_id: str, label_id: str) -> Episode:
        return await self._post(f"/api/conversations/{seg(visitor_id)}/labels", {"labelId": label_id})

    async def remove_conversation_label(self, visitor_id: str, label_id: str) -> Episode:
        return await self._call(Call("DELETE", f"/api/conversations/{seg(visitor_id)}/labels/{seg(label_id)}"))

    async def report_summary(self, *, start: str | None = None, end: str | None = None) -> ReportSummary:
        """`start` and `end` are the API's `from` and `to` (ISO 8601)."""
        return await self._get("/api/reports/summary", **{"from": start, "to": end})

    async def report_breakdown(self, *, start: str | None = None, end: str | None = None,
                         tz: str | None = None) -> dict[str, Any]:
        return await self._get("/api/reports/breakdown", **{"from": start, "to": end, "tz": tz})

    async def export_conversations_csv(self, *, start: str | None = None, end: str | None = None) -> bytes:
        return await self._call(Call("GET", "/api/reports/conversations.csv",
                               params={"from": start, "to": end}, raw=True))


class AsyncVisitorClient(_AsyncTransport):
    """The widget's side, as a visitor: create_visitor() first (or pass a visitorToken)."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 10,
                 max_retries: int = 3, max_retry_wait: float = 60) -> None:
        super().__init__(base_url, token, timeout=timeout, max_retries=max_retries,
                         max_retry_wait=max_retry_wait)
        self.visitor_id: str | None = None
        self.site_key: str | None = None

    async def create_visitor(self, site_key: str, *, user_agent: str | None = None,
                             app_name: str | None = None, app_version: str | None = None,
                             platform: str | None = None,
                             cookie_enabled: bool | None = None) -> VisitorCreated:
        """Start a visitor of the site; this client then acts as that visitor."""
        created: VisitorCreated = await self._post("/widget/v1/visitors", visitor_fields(
            site_key, user_agent, app_name, app_version, platform, cookie_enabled))
        self.token, self.visitor_id, self.site_key = (created["visitorToken"],
                                                      created["visitorId"], site_key)
        return created

    async def config(self, site_key: str | None = None) -> WidgetConfig:
        return await self._get("/widget/v1/config", siteKey=site_key or self.site_key)

    async def me(self) -> Visitor:
        return await self._get("/widget/v1/me")

    async def send_message(self, text: str) -> Message:
        return await self._post("/widget/v1/messages", {"text": text})

    async def messages(self, *, after: str | None = None,
                       limit: int | None = None) -> list[Message]:
        """The conversation, oldest first: the latest 500, or those after message `after`."""
        return await self._get("/widget/v1/messages", after=after, limit=limit)

    async def preform(self, *, name: str | None | Unset = UNSET,
                      email: str | None | Unset = UNSET,
                      phone: str | None | Unset = UNSET) -> Visitor:
        return await self._post("/widget/v1/preform", body(name=name, email=email, phone=phone))

    async def seen(self, message_id: str) -> SeenResult:
        """Mark agents' messages up to and including `message_id` as seen."""
        return await self._post("/widget/v1/seen", {"messageId": message_id})

    async def search_help(self, q: str | None = None, *, locale: str | None = None,
                    site_key: str | None = None) -> dict[str, Any]:
        """The help centre's articles matching `q` (all published ones without it)."""
        return await self._get("/widget/v1/articles", siteKey=site_key or self.site_key, q=q,
                         locale=locale)

    async def help_article(self, article_id: str, *, site_key: str | None = None) -> dict[str, Any]:
        """One published article, its body rendered to sanitized HTML."""
        return await self._get(f"/widget/v1/articles/{seg(article_id)}",
                         siteKey=site_key or self.site_key)

    async def leave_email(self, email: str, *, locale: str | Unset = UNSET) -> Visitor:
        """The widget's offline form: the address replies are emailed to."""
        return await self._post("/widget/v1/email", body(email=email, locale=locale))

    async def request_transcript(self, *, email: str | Unset = UNSET,
                           locale: str | Unset = UNSET) -> dict[str, Any]:
        """Emails the conversation to `email` (or the visitor's own address)."""
        return await self._post("/widget/v1/transcript", body(email=email, locale=locale))

    async def identify(self, user_id: str, hash: str, *, name: str | None = None,
                 email: str | None = None, site_key: str | None = None) -> VisitorCreated:
        """Become the site's known user `user_id` (hash: hex HMAC-SHA256 of it with the identity
        secret); this client's current visitor, if any, is merged into the user's."""
        created: VisitorCreated = await self._post("/widget/v1/identify", {
            k: v for k, v in {"siteKey": site_key or self.site_key, "id": user_id, "hash": hash,
                              "name": name, "email": email}.items() if v is not None})
        self.token, self.visitor_id = created["visitorToken"], created["visitorId"]
        self.site_key = site_key or self.site_key
        return created

    async def fire_proactive(self, rule_id: str) -> Message | None:
        """Say a proactive rule's message to this visitor; None if it was already said."""
        return await self._post("/widget/v1/proactive", {"ruleId": rule_id})

    async def set_attributes(self, **attributes: Any) -> dict[str, Any]:
        """Merge custom attributes into the visitor's; None removes a key."""
        return await self._post("/widget/v1/attributes", {"attributes": attributes})

    async def report_page(self, url: str, *, title: str | None = None,
                          referrer: str | None = None) -> PageVisit:
        return await self._post("/widget/v1/pages", {"url": url, "title": title,
                                                     "referrer": referrer})

    async def upload_attachment(self, data: bytes, filename: str, content_type: str) -> Message:
        return await self._call(Call("POST", "/widget/v1/attachments", content=data,
                                     headers=upload_headers(filename, content_type)))

    async def download_attachment(self, attachment_id: str) -> bytes:
        return await self._call(Call("GET", f"/attachments/{seg(attachment_id)}", raw=True))

    async def rating(self) -> VisitorRating:
        """Whether to ask for a rating now, and the rating given."""
        return await self._get("/widget/v1/rating")

    async def rate(self, score: int, comment: str | None = None) -> VisitorRating:
        return await self._post("/widget/v1/rating", {"score": score, "comment": comment})
