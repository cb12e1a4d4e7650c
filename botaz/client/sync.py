"""Blocking clients: Client for the agents' API (/api), VisitorClient for the widget's."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Iterable, Iterator, Literal, Self

import httpx

from ._core import (RECONNECT_ERRORS, Base, Call, body, conversation_params, seg,
                    upload_headers, visitor_fields)
from .types import (UNSET, AccountHours, Agent, AgentCreated, Availability, Bot, BusinessHours,
                    Canned, Conversation, Delivery, FaqEntry, Me, Message, Note, OnlineVisitors,
                    Page, PageVisit, PreformSettings, SeenResult,
                    Settings, Token, TokenCreated, Unset, Visitor, VisitorCreated, Webhook,
                    WebhookCreated, WidgetConfig, WidgetSettings, Episode, Label,
                    ReportSummary, VisitorRating)


class _SyncTransport(Base):
    def __init__(self, base_url: str, token: str | None, *, timeout: float, max_retries: int,
                 max_retry_wait: float) -> None:
        super().__init__(base_url, token, timeout=timeout, max_retries=max_retries,
                         max_retry_wait=max_retry_wait)
        self._http = httpx.Client(**self._client_options())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _call(self, call: Call) -> Any:
        retries = 0
        reconnected = False
        while True:
            try:
                response = self._http.request(call.method, call.path, headers=self._headers(call),
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
            time.sleep(delay)

    def _get(self, path: str, **params: Any) -> Any:
        return self._call(Call("GET", path, params=params))

    def _post(self, path: str, json: Any) -> Any:
        return self._call(Call("POST", path, json=json))

    def _pages(self, path: str, page_size: int | None, **params: Any) -> Iterator[Any]:
        cursor: str | None = None
        while True:
            page = self._get(path, **params, limit=page_size, cursor=cursor)
            yield from page["items"]
            cursor = page.get("next")
            if not cursor:
                return

    def _all(self, path: str) -> list[Any]:
        return list(self._pages(path, None))


class Client(_SyncTransport):
    """The agents' REST API with an API token: `with Client(url, token) as botaz: ...`.

    Errors raise BotazError subclasses; 429 answers are retried up to `max_retries` times,
    waiting what `Retry-After` says (at most `max_retry_wait` seconds, else RateLimited at once).
    Network failures raise httpx.TransportError; a GET is retried once on a broken connection.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 10, max_retries: int = 3,
                 max_retry_wait: float = 60) -> None:
        super().__init__(base_url, token, timeout=timeout, max_retries=max_retries,
                         max_retry_wait=max_retry_wait)

    # messages

    def send_message(self, user_id: str, visitor_id: str, text: str) -> Message:
        return self._post("/api/messages/", {"userId": user_id, "visitorId": visitor_id,
                                             "text": text})

    def get_message(self, message_id: str) -> Message:
        return self._get(f"/api/messages/{seg(message_id)}")

    def edit_message(self, message_id: str, text: str) -> Message:
        return self._call(Call("PUT", f"/api/messages/{seg(message_id)}", json={"text": text}))

    def delete_message(self, message_id: str) -> Message:
        return self._call(Call("DELETE", f"/api/messages/{seg(message_id)}"))

    # visitors

    def get_visitor(self, visitor_id: str) -> Visitor:
        return self._get(f"/api/visitors/{seg(visitor_id)}")

    def update_visitor(self, visitor_id: str, *, name: str | None | Unset = UNSET,
                       email: str | None | Unset = UNSET, phone: str | None | Unset = UNSET,
                       notes: str | None | Unset = UNSET) -> Visitor:
        """Keys left UNSET stay as they are; None removes the value."""
        return self._call(Call("PUT", f"/api/visitors/{seg(visitor_id)}",
                               json=body(name=name, email=email, phone=phone, notes=notes)))

    def online_visitors(self, *, limit: int | None = None) -> OnlineVisitors:
        """Visitors whose widget is connected now: page, visit start, conversation state."""
        return self._get("/api/visitors/online", limit=limit)

    def list_visitors(self, *, limit: int | None = None, cursor: str | None = None,
                      attribute: list[str] | None = None) -> Page[Visitor]:
        """attribute: ["plan:pro", ...], only visitors whose custom attributes match them all."""
        return self._get("/api/visitors", limit=limit, cursor=cursor, attribute=attribute)

    def iter_visitors(self, *, page_size: int | None = None,
                      attribute: list[str] | None = None) -> Iterator[Visitor]:
        return self._pages("/api/visitors", page_size, attribute=attribute)

    def visitor_attribute_keys(self) -> dict[str, Any]:
        """{"items": [{"key", "visitors"}]}: the custom attribute keys the visitors have."""
        return self._get("/api/visitors/attribute-keys")

    def visitor_messages(self, visitor_id: str, *, limit: int | None = None,
                         cursor: str | None = None) -> Page[Message]:
        return self._get(f"/api/visitors/{seg(visitor_id)}/messages", limit=limit, cursor=cursor)

    def iter_visitor_messages(self, visitor_id: str, *,
                              page_size: int | None = None) -> Iterator[Message]:
        return self._pages(f"/api/visitors/{seg(visitor_id)}/messages", page_size)

    def seen(self, visitor_id: str, message_id: str) -> SeenResult:
        """Mark the visitor's messages up to and including `message_id` as seen by agents."""
        return self._post(f"/api/visitors/{seg(visitor_id)}/seen", {"messageId": message_id})

    def delete_visitor(self, visitor_id: str) -> Visitor:
        """Erase the visitor and everything stored about them; returns the visitor as it was."""
        return self._call(Call("DELETE", f"/api/visitors/{seg(visitor_id)}"))

    def export_visitor(self, visitor_id: str) -> dict[str, Any]:
        """Everything stored about a visitor: visitor, messages, pages, notes, attachments."""
        return self._get(f"/api/visitors/{seg(visitor_id)}/export")

    def audit_log(self, *, limit: int | None = None,
                   cursor: str | None = None) -> Page[dict[str, Any]]:
        """Owners only: who did what, newest first."""
        return self._get("/api/audit", limit=limit, cursor=cursor)

    # knowledge base (docs/knowledge-base.md)

    def create_article(self, title: str, body: str, **fields: Any) -> dict[str, Any]:
        """fields: locale, category, slug, published (as in the API)."""
        return self._post("/api/articles", {"title": title, "body": body, **fields})

    def list_articles(self, *, limit: int | None = None, cursor: str | None = None,
                      locale: str | None = None, category: str | None = None,
                      q: str | None = None) -> Page[dict[str, Any]]:
        return self._get("/api/articles", limit=limit, cursor=cursor, locale=locale,
                         category=category, q=q)

    def get_article(self, article_id: str) -> dict[str, Any]:
        return self._get(f"/api/articles/{seg(article_id)}")

    def update_article(self, article_id: str, **fields: Any) -> dict[str, Any]:
        return self._call(Call("PUT", f"/api/articles/{seg(article_id)}", json=fields))

    def delete_article(self, article_id: str) -> None:
        self._call(Call("DELETE", f"/api/articles/{seg(article_id)}"))

    def preview_article(self, body: str) -> dict[str, Any]:
        """The Markdown rendered to sanitized HTML, as the help centre shows it."""
        return self._post("/api/articles/preview", {"body": body})

    def email_status(self) -> dict[str, Any]:
        """Whether this server sends email (BOTAZ_SMTP_URL set)."""
        return self._get("/api/email/status")

    def email_log(self, *, limit: int | None = None,
                  cursor: str | None = None) -> Page[dict[str, Any]]:
        """Owners only: the emails botaz sent, is sending or gave up on, newest first."""
        return self._get("/api/emails", limit=limit, cursor=cursor)

    def ban_visitor(self, visitor_id: str) -> Visitor:
        return self._call(Call("POST", f"/api/visitors/{seg(visitor_id)}/ban"))

    def unban_visitor(self, visitor_id: str) -> Visitor:
        return self._call(Call("POST", f"/api/visitors/{seg(visitor_id)}/unban"))

    def visitor_pages(self, visitor_id: str, *, limit: int | None = None,
                      cursor: str | None = None) -> Page[PageVisit]:
        return self._get(f"/api/visitors/{seg(visitor_id)}/pages", limit=limit, cursor=cursor)

    def iter_visitor_pages(self, visitor_id: str, *,
                           page_size: int | None = None) -> Iterator[PageVisit]:
        return self._pages(f"/api/visitors/{seg(visitor_id)}/pages", page_size)

    def send_typing(self, visitor_id: str, typing: bool = True) -> None:
        self._post(f"/api/visitors/{seg(visitor_id)}/typing", {"typing": typing})

    def upload_attachment(self, visitor_id: str, data: bytes, filename: str, content_type: str, *,
                          user_id: str | None = None) -> Message:
        return self._call(Call("POST", f"/api/visitors/{seg(visitor_id)}/attachments",
                               params={"userId": user_id}, content=data,
                               headers=upload_headers(filename, content_type)))

    def download_attachment(self, attachment_id: str) -> bytes:
        return self._call(Call("GET", f"/attachments/{seg(attachment_id)}", raw=True))

    # pictures the widget shows (docs/widget.md)

    def images(self) -> dict[str, Any]:
        """{"logoUrl", "avatarUrl"}: the account's logo and this agent's avatar, or None."""
        return self._get("/api/settings/images")

    def set_logo(self, data: bytes, content_type: str) -> dict[str, Any]:
        """Owners: PNG, JPEG or WebP up to 256 KB; answers {"url"}."""
        return self._call(Call("PUT", "/api/settings/logo", content=data,
                               headers={"Content-Type": content_type}))

    def remove_logo(self) -> dict[str, Any]:
        return self._call(Call("DELETE", "/api/settings/logo"))

    def set_avatar(self, data: bytes, content_type: str) -> dict[str, Any]:
        """This agent's picture beside their messages in the widget; answers {"url"}."""
        return self._call(Call("PUT", "/auth/me/avatar", content=data,
                               headers={"Content-Type": content_type}))

    def remove_avatar(self) -> dict[str, Any]:
        return self._call(Call("DELETE", "/auth/me/avatar"))

    def download_image(self, image_id: str) -> bytes:
        return self._call(Call("GET", f"/images/{seg(image_id)}", raw=True))

    # agents

    def me(self) -> Me:
        return self._get("/auth/me")

    def availability(self) -> Availability:
        """This agent's Online/Away and whether they can take conversations now."""
        return self._get("/auth/me/availability")

    def set_availability(self, status: Literal["online", "away"], *,
                         auto: bool | Unset = UNSET) -> Availability:
        return self._call(Call("PUT", "/auth/me/availability", json=body(status=status, auto=auto)))

    def preferences(self) -> dict[str, Any]:
        return self._get("/auth/me/preferences")

    def update_preferences(self, **preferences: Any) -> dict[str, Any]:
        """Keys as in the API (e.g. emailAlerts=False, idleAwayMinutes=15); others stay."""
        return self._call(Call("PUT", "/auth/me/preferences", json=preferences))

    def set_agent_capacity(self, agent_id: str, max_conversations: int | None) -> Agent:
        """Most open conversations automatic assignment gives the agent; None: no limit."""
        return self._call(Call("PUT", f"/api/agents/{seg(agent_id)}",
                                json={"maxConversations": max_conversations}))

    def list_agents(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Agent]:
        return self._get("/api/agents", limit=limit, cursor=cursor)

    def iter_agents(self, *, page_size: int | None = None) -> Iterator[Agent]:
        return self._pages("/api/agents", page_size)

    def add_agent(self, name: str, email: str, *, password: str | None | Unset = UNSET,
                  role: Literal["owner", "agent"] | Unset = UNSET,
                  bot: bool | Unset = UNSET) -> AgentCreated:
        return self._post("/api/agents", body(name=name, email=email, password=password,
                                              role=role, bot=bot))

    def remove_agent(self, agent_id: str) -> None:
        self._call(Call("DELETE", f"/api/agents/{seg(agent_id)}"))

    # settings

    def get_settings(self) -> Settings:
        return self._get("/api/settings")

    def visitor_attributes(self, visitor_id: str) -> dict[str, Any]:
        """{"externalId": the site's user ID or None, "attributes": {...}}."""
        return self._get(f"/api/visitors/{seg(visitor_id)}/attributes")

    def rotate_identity_secret(self) -> dict[str, str]:
        """Owners: a new identity secret ({"identitySecret": ...}); old hashes stop working."""
        return self._post("/api/settings/identity-secret", {})

    def update_settings(self, *, preform: PreformSettings | dict[str, Any] | Unset = UNSET,
                        widget: WidgetSettings | dict[str, Any] | Unset = UNSET,
                        allowed_origins: list[str] | Unset = UNSET,
                        business_hours: AccountHours | dict[str, Any] | None | Unset = UNSET,
                        auto_assign: bool | Unset = UNSET) -> Settings:
        """Keys left out, here and inside each object, stay as they are (business_hours is
        replaced whole; None switches it off)."""
        return self._call(Call("PUT", "/api/settings", json=body(
            preform=preform, widget=widget, allowedOrigins=allowed_origins,
            businessHours=business_hours, autoAssign=auto_assign)))

    # conversations

    def list_conversations(self, *, status: Literal["open", "resolved", "all"] | None = None,
                           assignee: str | None = None, q: str | None = None,
                           limit: int | None = None,
                           cursor: str | None = None) -> Page[Conversation]:
        """`assignee` is "me", "none", "all" or an agent ID."""
        return self._get("/api/conversations", **conversation_params(status, assignee, q),
                         limit=limit, cursor=cursor)

    def iter_conversations(self, *, status: Literal["open", "resolved", "all"] | None = None,
                           assignee: str | None = None, q: str | None = None,
                           page_size: int | None = None) -> Iterator[Conversation]:
        return self._pages("/api/conversations", page_size,
                           **conversation_params(status, assignee, q))

    def get_conversation(self, visitor_id: str) -> Conversation:
        return self._get(f"/api/conversations/{seg(visitor_id)}")

    def assign_conversation(self, visitor_id: str, agent_id: str | None) -> Conversation:
        """None unassigns."""
        return self._post(f"/api/conversations/{seg(visitor_id)}/assign", {"agentId": agent_id})

    def set_conversation_status(self, visitor_id: str,
                                status: Literal["open", "resolved"]) -> Conversation:
        return self._post(f"/api/conversations/{seg(visitor_id)}/status", {"status": status})

    def list_notes(self, visitor_id: str) -> list[Note]:
        return self._all(f"/api/conversations/{seg(visitor_id)}/notes")

    def add_note(self, visitor_id: str, text: str) -> Note:
        return self._post(f"/api/conversations/{seg(visitor_id)}/notes", {"text": text})

    # canned responses

    def list_canned(self) -> list[Canned]:
        return self._all("/api/canned")

    def add_canned(self, shortcut: str, text: str) -> Canned:
        return self._post("/api/canned", {"shortcut": shortcut, "text": text})

    def edit_canned(self, canned_id: str, *, shortcut: str | Unset = UNSET,
                    text: str | Unset = UNSET) -> Canned:
        return self._call(Call("PUT", f"/api/canned/{seg(canned_id)}",
                               json=body(shortcut=shortcut, text=text)))

    def delete_canned(self, canned_id: str) -> None:
        self._call(Call("DELETE", f"/api/canned/{seg(canned_id)}"))

    # API tokens

    def list_tokens(self) -> list[Token]:
        return self._all("/api/tokens")

    def create_token(self, label: str, *, agent_id: str | Unset = UNSET) -> TokenCreated:
        return self._post("/api/tokens", body(label=label, agentId=agent_id))

    def revoke_token(self, token_id: str) -> None:
        self._call(Call("DELETE", f"/api/tokens/{seg(token_id)}"))

    # bots

    def get_bot(self) -> Bot:
        return self._get("/api/bot")

    def update_bot(self, *, enabled: bool | Unset = UNSET, greeting: str | None | Unset = UNSET,
                   faq: list[FaqEntry] | list[dict[str, Any]] | Unset = UNSET,
                   offline_reply: str | None | Unset = UNSET,
                   business_hours: BusinessHours | dict[str, Any] | None | Unset = UNSET,
                   ask_contact: bool | Unset = UNSET, ask_contact_text: str | Unset = UNSET,
                   handoff_keywords: list[str] | Unset = UNSET,
                   handoff_reply: str | Unset = UNSET,
                   handoff_offline_reply: str | Unset = UNSET,
                   idle_minutes: int | Unset = UNSET, external_url: str | None | Unset = UNSET,
                   agent_id: str | Unset = UNSET) -> Bot:
        """Owners only. Setting a new `external_url` returns its `externalSecret`, once."""
        return self._call(Call("PUT", "/api/bot", json=body(
            enabled=enabled, greeting=greeting, faq=faq, offlineReply=offline_reply,
            businessHours=business_hours, askContact=ask_contact, askContactText=ask_contact_text,
            handoffKeywords=handoff_keywords, handoffReply=handoff_reply,
            handoffOfflineReply=handoff_offline_reply, idleMinutes=idle_minutes,
            externalUrl=external_url, agentId=agent_id)))

    def show_bot_messages(self, visitor_id: str, show: bool) -> Visitor:
        """False: no bot answers this visitor, and the widget hides bot messages."""
        return self._call(Call("PUT", f"/api/visitors/{seg(visitor_id)}/bot",
                               json={"showBotMessages": show}))

    # webhooks

    def create_webhook(self, url: str, events: Iterable[str]) -> WebhookCreated:
        """The answer is the only place the signing `secret` ever appears."""
        return self._post("/api/webhooks", {"url": url, "events": list(events)})

    def list_webhooks(self) -> list[Webhook]:
        return self._all("/api/webhooks")

    def get_webhook(self, webhook_id: str) -> Webhook:
        return self._get(f"/api/webhooks/{seg(webhook_id)}")

    def update_webhook(self, webhook_id: str, *, url: str | Unset = UNSET,
                       events: Iterable[str] | Unset = UNSET,
                       enabled: bool | Unset = UNSET) -> Webhook:
        return self._call(Call("PUT", f"/api/webhooks/{seg(webhook_id)}", json=body(
            url=url, events=events if events is UNSET else list(events), enabled=enabled)))

    def delete_webhook(self, webhook_id: str) -> None:
        self._call(Call("DELETE", f"/api/webhooks/{seg(webhook_id)}"))

    def webhook_deliveries(self, webhook_id: str, *, limit: int | None = None,
                           cursor: str | None = None) -> Page[Delivery]:
        return self._get(f"/api/webhooks/{seg(webhook_id)}/deliveries", limit=limit, cursor=cursor)

    def iter_webhook_deliveries(self, webhook_id: str, *,
                                page_size: int | None = None) -> Iterator[Delivery]:
        return self._pages(f"/api/webhooks/{seg(webhook_id)}/deliveries", page_size)

    def redeliver(self, webhook_id: str, delivery_id: str) -> Delivery:
        return self._call(Call(
            "POST", f"/api/webhooks/{seg(webhook_id)}/deliveries/{seg(delivery_id)}/redeliver"))

    # episodes, labels and reports

    def conversation_history(self, visitor_id: str, *, limit: int | None = None,
                             cursor: str | None = None) -> Page[Episode]:
        """The visitor's conversations (episodes), newest first."""
        return self._get(f"/api/conversations/{seg(visitor_id)}/history", limit=limit, cursor=cursor)

    def list_labels(self) -> list[Label]:
        return self._all("/api/labels")

    def create_label(self, name: str, color: str) -> Label:
        return self._post("/api/labels", {"name": name, "color": color})

    def edit_label(self, label_id: str, *, name: str | Unset = UNSET,
                   color: str | Unset = UNSET) -> Label:
        return self._call(Call("PUT", f"/api/labels/{seg(label_id)}", json=body(name=name, color=color)))

    def delete_label(self, label_id: str) -> None:
        self._call(Call("DELETE", f"/api/labels/{seg(label_id)}"))

    def add_conversation_label(self, visitor_id: str, label_id: str) -> Episode:
        return self._post(f"/api/conversations/{seg(visitor_id)}/labels", {"labelId": label_id})

    def remove_conversation_label(self, visitor_id: str, label_id: str) -> Episode:
        return self._call(Call("DELETE", f"/api/conversations/{seg(visitor_id)}/labels/{seg(label_id)}"))

    def report_summary(self, *, start: str | None = None, end: str | None = None) -> ReportSummary:
        """`start` and `end` are the API's `from` and `to` (ISO 8601)."""
        return self._get("/api/reports/summary", **{"from": start, "to": end})

    def report_breakdown(self, *, start: str | None = None, end: str | None = None,
                         tz: str | None = None) -> dict[str, Any]:
        return self._get("/api/reports/breakdown", **{"from": start, "to": end, "tz": tz})

    def export_conversations_csv(self, *, start: str | None = None, end: str | None = None) -> bytes:
        return self._call(Call("GET", "/api/reports/conversations.csv",
                               params={"from": start, "to": end}, raw=True))


class VisitorClient(_SyncTransport):
    """The widget's side, as a visitor: create_visitor() first (or pass a visitorToken)."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 10,
                 max_retries: int = 3, max_retry_wait: float = 60) -> None:
        super().__init__(base_url, token, timeout=timeout, max_retries=max_retries,
                         max_retry_wait=max_retry_wait)
        self.visitor_id: str | None = None
        self.site_key: str | None = None

    def create_visitor(self, site_key: str, *, user_agent: str | None = None,
                       app_name: str | None = None, app_version: str | None = None,
                       platform: str | None = None,
                       cookie_enabled: bool | None = None) -> VisitorCreated:
        """Start a visitor of the site; this client then acts as that visitor."""
        created: VisitorCreated = self._post("/widget/v1/visitors", visitor_fields(
            site_key, user_agent, app_name, app_version, platform, cookie_enabled))
        self.token, self.visitor_id, self.site_key = (created["visitorToken"],
                                                      created["visitorId"], site_key)
        return created

    def config(self, site_key: str | None = None) -> WidgetConfig:
        return self._get("/widget/v1/config", siteKey=site_key or self.site_key)

    def me(self) -> Visitor:
        return self._get("/widget/v1/me")

    def send_message(self, text: str) -> Message:
        return self._post("/widget/v1/messages", {"text": text})

    def messages(self, *, after: str | None = None, limit: int | None = None) -> list[Message]:
        """The conversation, oldest first: the latest 500, or those after message `after`."""
        return self._get("/widget/v1/messages", after=after, limit=limit)

    def preform(self, *, name: str | None | Unset = UNSET, email: str | None | Unset = UNSET,
                phone: str | None | Unset = UNSET) -> Visitor:
        return self._post("/widget/v1/preform", body(name=name, email=email, phone=phone))

    def seen(self, message_id: str) -> SeenResult:
        """Mark agents' messages up to and including `message_id` as seen."""
        return self._post("/widget/v1/seen", {"messageId": message_id})

    def search_help(self, q: str | None = None, *, locale: str | None = None,
                    site_key: str | None = None) -> dict[str, Any]:
        """The help centre's articles matching `q` (all published ones without it)."""
        return self._get("/widget/v1/articles", siteKey=site_key or self.site_key, q=q,
                         locale=locale)

    def help_article(self, article_id: str, *, site_key: str | None = None) -> dict[str, Any]:
        """One published article, its body rendered to sanitized HTML."""
        return self._get(f"/widget/v1/articles/{seg(article_id)}",
                         siteKey=site_key or self.site_key)

    def leave_email(self, email: str, *, locale: str | Unset = UNSET) -> Visitor:
        """The widget's offline form: the address replies are emailed to."""
        return self._post("/widget/v1/email", body(email=email, locale=locale))

    def request_transcript(self, *, email: str | Unset = UNSET,
                           locale: str | Unset = UNSET) -> dict[str, Any]:
        """Emails the conversation to `email` (or the visitor's own address)."""
        return self._post("/widget/v1/transcript", body(email=email, locale=locale))

    def identify(self, user_id: str, hash: str, *, name: str | None = None,
                 email: str | None = None, site_key: str | None = None) -> VisitorCreated:
        """Become the site's known user `user_id` (hash: hex HMAC-SHA256 of it with the identity
        secret); this client's current visitor, if any, is merged into the user's."""
        created: VisitorCreated = self._post("/widget/v1/identify", {
            k: v for k, v in {"siteKey": site_key or self.site_key, "id": user_id, "hash": hash,
                              "name": name, "email": email}.items() if v is not None})
        self.token, self.visitor_id = created["visitorToken"], created["visitorId"]
        self.site_key = site_key or self.site_key
        return created

    def fire_proactive(self, rule_id: str) -> Message | None:
        """Say a proactive rule's message to this visitor; None if it was already said."""
        return self._post("/widget/v1/proactive", {"ruleId": rule_id})

    def set_attributes(self, **attributes: Any) -> dict[str, Any]:
        """Merge custom attributes into the visitor's; None removes a key."""
        return self._post("/widget/v1/attributes", {"attributes": attributes})

    def report_page(self, url: str, *, title: str | None = None,
                    referrer: str | None = None) -> PageVisit:
        return self._post("/widget/v1/pages", {"url": url, "title": title, "referrer": referrer})

    def upload_attachment(self, data: bytes, filename: str, content_type: str) -> Message:
        return self._call(Call("POST", "/widget/v1/attachments", content=data,
                               headers=upload_headers(filename, content_type)))

    def download_attachment(self, attachment_id: str) -> bytes:
        return self._call(Call("GET", f"/attachments/{seg(attachment_id)}", raw=True))

    def rating(self) -> VisitorRating:
        """Whether to ask for a rating now, and the rating given."""
        return self._get("/widget/v1/rating")

    def rate(self, score: int, comment: str | None = None) -> VisitorRating:
        return self._post("/widget/v1/rating", {"score": score, "comment": comment})
