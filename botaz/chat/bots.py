"""Bots: the built-in rule bot and external bots, answering visitors when no human does.

A bot is an agent of kind bot; its replies are ordinary messages written through the same
domain path as every other message. The bot runner listens on the event bus for visitors'
messages and decides in a task of its own, so a slow or failing bot never delays a request.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
from typing import Any

import httpx
import orjson
import re2

from ..events import Event
from ..ids import iso_ms, new_id, now_ms
from ..schema import UNSET, Body, D, Reply, Str, UnsetType, present
from ..store.db import Row
from ..webhooks.signing import signature_header
from ..webhooks.targets import TargetRefused, check_target
from . import audit
from .accounts import EMAIL_RE, Principal, do_create_agent, require_owner
from .assignment import assign_available
from .availability import available_agents, business_hours
from .answers import answer_bot
from .context import Chat
from .errors import Invalid
from .hours import check_hours, in_business_hours  # noqa: F401 (in_business_hours: the bot's API)
from .settings import get_settings, settings_changed
from .messages import store_message
from .views import visitor_json
from .visitors import do_set_visitor_state, get_visitor_row

log = logging.getLogger("botaz.bots")

EXTERNAL_TIMEOUT = 10.0

DEFAULT_BOT: dict[str, Any] = {
    "enabled": False,
    "agentId": None,
    "greeting": "Hi! I'm the assistant. Ask me anything, or type \"human\" to talk to a person.",
    "faq": [],
    "offlineReply": "Our team is away right now. Leave your message and we'll get back to you.",
    "businessHours": None,
    "askContact": True,
    "askContactText": "So we can reach you later, could you leave your email or phone number?",
    "handoffKeywords": ["human", "person", "agent", "operator", "insan"],
    "handoffReply": "Sure, I'm connecting you with a member of our team.",
    "handoffOfflineReply": "Nobody from our team is available right now. Write your email address "
                           "here and we'll reply by email as soon as we're back.",
    "idleMinutes": 30,
    "externalUrl": None,
    "answerBot": False,
    "answerThreshold": 50,
}

# The hand-off's own texts in each language the widget speaks; an owner's own wording (a text
# changed from the English default) is used as it is, in every language.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "handoffReply": DEFAULT_BOT["handoffReply"],
        "handoffOfflineReply": DEFAULT_BOT["handoffOfflineReply"],
        "handoffOfflineKnown": "Nobody from our team is available right now. We'll reply to "
                               "{email} as soon as we're back.",
        "emailSaved": "Thank you! We'll reply to {email} as soon as we're back.",
    },
    "az": {
        "handoffReply": "Əlbəttə, sizi komandamızın əməkdaşı ilə əlaqələndirirəm.",
        "handoffOfflineReply": "Hazırda komandamızdan heç kim əlçatan deyil. E-poçt ünvanınızı "
                               "buraya yazın, qayıdan kimi e-poçtla cavab verəcəyik.",
        "handoffOfflineKnown": "Hazırda komandamızdan heç kim əlçatan deyil. Qayıdan kimi "
                               "{email} ünvanına cavab yazacağıq.",
        "emailSaved": "Təşəkkür edirik! Qayıdan kimi {email} ünvanına cavab yazacağıq.",
    },
}
AZ_LETTERS = re.compile(r"[əğıƏĞİ]")
AZ_WORDS = frozenset({"salam", "insan", "insanla", "xahiş", "zəhmət", "edirəm", "istəyirəm",
                      "danışmaq", "operatorla", "əməkdaş", "yoxdur"})
EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}")


def language(text: str) -> str:
    """az or en, from the visitor's own words (visitors have no stored locale)."""
    return "az" if AZ_LETTERS.search(text) or _words(text) & AZ_WORDS else "en"


def bot_text(config: dict[str, Any], key: str, lang: str, **values: str) -> str:
    own = config.get(key)
    if own is not None and own != TEXTS["en"].get(key, own):
        text = own  # the owner's wording
    else:
        text = TEXTS[lang].get(key) or TEXTS["en"][key]
    return text.format(**values) if values else text


def email_in(text: str) -> str | None:
    for found in EMAIL_IN_TEXT.findall(text):
        candidate = found.rstrip(".")
        if EMAIL_RE.match(candidate) and len(candidate) <= 254:
            return candidate
    return None


Greeting = Str("First reply to a visitor's first message; empty for none", max_length=2000,
               nullable=True)
Faq = D(list[dict[str, Any]], "Answers: each {keywords: [words], pattern: regex or null, answer}")
OfflineReply = Str("Reply outside business hours or with no human online", max_length=2000,
                   nullable=True)
Hours = D(dict[str, Any] | None, 'Business hours: {timezone, days: {mon: [["09:00", "18:00"]], '
                                 "...}}; null: always")
AskContactText = Str("How to ask", max_length=2000)
HandoffKeywords = D(list[str], "Words that ask for a human")
HandoffReply = Str("Reply when handing off with a human online", max_length=2000)
HandoffOfflineReply = Str("Reply when handing off with nobody online", max_length=2000)
IdleMinutes = D(int, "Silent this long after a human agent wrote")
ExternalUrl = Str("Your bot's URL: visitors' messages are POSTed there, signed; null for the "
                  "built-in rule bot", nullable=True, max_length=2000)
AnswerBot = D(bool, "Answer visitors from the knowledge base's published articles "
                    "(docs/knowledge-base.md), with or without the rule bot")
AnswerThreshold = D(int, "How sure the answer bot must be, 1 to 100 (default 50): higher answers "
                         "less often and more surely")


class BotEdit(Body):
    enabled: D(bool, "Whether the bot answers visitors") | UnsetType = UNSET
    greeting: Greeting | UnsetType = UNSET
    faq: Faq | UnsetType = UNSET
    offlineReply: OfflineReply | UnsetType = UNSET
    businessHours: Hours | UnsetType = UNSET
    askContact: D(bool, "Ask for an email or phone when the visitor left none") | UnsetType = UNSET
    askContactText: AskContactText | UnsetType = UNSET
    handoffKeywords: HandoffKeywords | UnsetType = UNSET
    handoffReply: HandoffReply | UnsetType = UNSET
    handoffOfflineReply: HandoffOfflineReply | UnsetType = UNSET
    idleMinutes: IdleMinutes | UnsetType = UNSET
    externalUrl: ExternalUrl | UnsetType = UNSET
    agentId: Str("Bot agent that writes the answers (default: one made for you)") | UnsetType = UNSET
    answerBot: AnswerBot | UnsetType = UNSET
    answerThreshold: AnswerThreshold | UnsetType = UNSET


class BotStatus(Reply):
    lastError: Str("The external bot's last error", nullable=True)
    lastErrorAt: Str("When", fmt="date-time", nullable=True)
    lastSuccessAt: Str("The external bot's last answer", fmt="date-time", nullable=True)


class Bot(Reply):
    enabled: D(bool, "Whether the bot answers visitors")
    greeting: Greeting
    faq: Faq
    offlineReply: OfflineReply
    businessHours: Hours
    askContact: D(bool, "Ask for an email or phone when the visitor left none")
    askContactText: AskContactText
    handoffKeywords: HandoffKeywords
    handoffReply: HandoffReply
    handoffOfflineReply: HandoffOfflineReply
    idleMinutes: IdleMinutes
    externalUrl: ExternalUrl
    agentId: Str("Bot agent that writes the answers; null until the bot is first switched on",
                 nullable=True)
    answerBot: AnswerBot
    answerThreshold: AnswerThreshold
    status: BotStatus
    externalSecret: Str("Signing secret for externalUrl: shown when set") | UnsetType = UNSET


class ShowBotMessages(Body):
    showBotMessages: D(bool, "Whether bots answer this visitor")


BOT_EDIT, BOT, SHOW_BOT = BotEdit, Bot, ShowBotMessages


def _config(row: Row | None) -> dict[str, Any]:
    config = dict(DEFAULT_BOT)
    if row is not None:
        config.update(orjson.loads(row["config"]))
    return config


def bot_json(row: Row | None) -> dict[str, Any]:
    config = _config(row)
    config["status"] = {
        "lastError": row["last_error"] if row else None,
        "lastErrorAt": iso_ms(row["last_error_at"]) if row else None,
        "lastSuccessAt": iso_ms(row["last_success_at"]) if row else None,
    }
    return config


async def get_bot(chat: Chat, principal: Principal) -> dict[str, Any]:
    result = bot_json(await chat.store.get_bot(principal.account_id))
    account = await chat.store.get_account(principal.account_id)
    hours = await business_hours(chat, account) if account is not None else None
    result["businessHours"] = ({"timezone": hours["timezone"], "days": hours["days"]}
                               if hours and hours.get("enabled", True) else None)
    return result


def _check_faq(faq: list[Any]) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(faq):
        if not isinstance(item, dict) or not isinstance(item.get("answer"), str) or not item["answer"].strip():
            raise Invalid(f"faq[{i}] needs an answer.")
        keywords = item.get("keywords") or []
        pattern = item.get("pattern")
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise Invalid(f"faq[{i}].keywords must be a list of words.")
        if pattern is not None:
            if not isinstance(pattern, str) or len(pattern) > 500:
                raise Invalid(f"faq[{i}].pattern must be a regular expression.")
            try:
                compile_rule(pattern)
            except re2.error as exc:
                reason = str(exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes)
                             else exc).strip()
                raise Invalid(f"faq[{i}].pattern is not a valid regular expression "
                              f"(RE2 syntax: no backreferences or lookaround): {reason}.") from None
        if not keywords and not pattern:
            raise Invalid(f"faq[{i}] needs keywords or a pattern.")
        out.append({"keywords": [k.strip().lower() for k in keywords], "pattern": pattern,
                    "answer": item["answer"]})
    return out


async def do_update_bot(chat: Chat, principal: Principal, body: BotEdit) -> dict[str, Any]:
    require_owner(principal)
    data = present(body)
    row = await chat.store.get_bot(principal.account_id)
    config = _config(row)
    secret = row["external_secret"] if row else None
    if "faq" in data:
        data["faq"] = _check_faq(data["faq"])
    hours_set = "businessHours" in data
    if hours_set:
        # One definition: the bot's hours are the account's (PUT /api/settings businessHours).
        hours = check_hours(data.pop("businessHours"))
        account = await chat.store.get_account(principal.account_id)
        if hours is None:
            hours = {**(await business_hours(chat, account) or {}), "enabled": False}
            hours = check_hours(hours) or hours
        settings = await get_settings(chat, principal.account_id)
        settings["businessHours"] = hours
        await chat.store.update_account_settings(principal.account_id, orjson.dumps(settings).decode())
        settings_changed(chat, principal.account_id)
    if "handoffKeywords" in data:
        data["handoffKeywords"] = [k.strip().lower() for k in data["handoffKeywords"] if k.strip()]
    if "idleMinutes" in data and not 0 <= data["idleMinutes"] <= 7 * 24 * 60:
        raise Invalid("idleMinutes must be from 0 to 10080.")
    if "agentId" in data:
        kind = await chat.store.agent_kind(principal.account_id, data["agentId"])
        if kind is None or not kind["is_bot"]:
            raise Invalid("agentId must be a bot agent of this account.")
    new_secret = None
    if data.get("externalUrl"):
        try:
            await check_target(data["externalUrl"], chat.settings.webhooks_allow_private)
        except TargetRefused as exc:
            raise Invalid(f"externalUrl: {exc}") from None
        if data["externalUrl"] != config.get("externalUrl") or secret is None:
            secret = new_secret = "botsec_" + secrets.token_hex(24)
    if "answerThreshold" in data and not 1 <= data["answerThreshold"] <= 100:
        raise Invalid("answerThreshold must be from 1 to 100.")
    config.update(data)
    if (config["enabled"] or config["answerBot"]) and not config["agentId"]:
        made = await do_create_agent(chat, account_id=principal.account_id, name="Assistant",
                                     email=f"assistant-{new_id().lower()}@bot.invalid", bot=True)
        config["agentId"] = made["agentId"]
    await chat.store.save_bot(principal.account_id, orjson.dumps(config).decode(), secret)
    await audit.record(chat, principal, "bot.update", "bot", principal.account_id,
                       {"fields": sorted([*data, *(["businessHours"] if hours_set else [])])})
    result = await get_bot(chat, principal)
    if new_secret:
        result["externalSecret"] = new_secret
    return result


async def do_show_bot_messages(chat: Chat, principal: Principal, visitor_id: str,
                               body: ShowBotMessages) -> dict[str, Any]:
    show = body.showBotMessages
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    return await do_set_visitor_state(chat, row, by=principal, show_bot_messages=int(show))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


_RULE_OPTIONS = re2.Options()
_RULE_OPTIONS.case_sensitive = False
_RULE_OPTIONS.log_errors = False
_RULE_OPTIONS.max_mem = 8 << 20  # a pattern whose automaton needs more is refused when saved


@functools.lru_cache(maxsize=1024)
def compile_rule(pattern: str) -> Any:
    """Owners' patterns run in RE2: linear in the text's length whatever the pattern, so no
    pattern can stall the event loop (Python's `re` backtracks: `(a+)+$` on 10,000 characters
    would take longer than the universe has left)."""
    return re2.compile(pattern, _RULE_OPTIONS)


def _rule_matches(pattern: str, text: str) -> bool:
    try:
        return compile_rule(pattern).search(text) is not None
    except re2.error:  # saved before RE2 was used and not valid RE2: it matches nothing
        log.warning("bot pattern %r is not valid RE2; ignored", pattern)
        return False


def faq_answer(faq: list[dict[str, Any]], text: str) -> str | None:
    words = _words(text)
    lowered = text.lower()
    for item in faq:
        if item.get("pattern") and _rule_matches(item["pattern"], text):
            return item["answer"]
        for keyword in item.get("keywords", []):
            if (" " in keyword and keyword in lowered) or keyword in words:
                return item["answer"]
    return None


class BotRunner:
    """Listens for visitors' messages and lets the account's bot answer."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self._tasks: set[asyncio.Task[None]] = set()
        self._client = httpx.AsyncClient(timeout=EXTERNAL_TIMEOUT, follow_redirects=False,
                                         headers={"User-Agent": "botaz-bots/1"})
        # Per-visitor locks keep a burst of messages from being answered out of order.
        self._locks: dict[str, asyncio.Lock] = {}
        self._unsubscribe = chat.bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.name != "message.created" or event.data.get("userId") is not None:
            return
        if getattr(event, "remote", False):
            return  # another node published it and answers it
        task = asyncio.get_running_loop().create_task(self._handle(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        self._unsubscribe()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=EXTERNAL_TIMEOUT + 1)
        await self._client.aclose()

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def _handle(self, event: Event) -> None:
        lock = self._locks.setdefault(event.visitor_id, asyncio.Lock())
        try:
            async with lock:
                await self._answer(event)
        except Exception:
            log.exception("bot failed on message %s", event.data.get("_id"))
        finally:
            if not lock.locked():
                self._locks.pop(event.visitor_id, None)

    async def _answer(self, event: Event) -> None:
        chat = self.chat
        row = await chat.store.get_bot(event.account_id)
        config = _config(row)
        if not (config["enabled"] or config["answerBot"]) or not config["agentId"]:
            return
        visitor = await chat.store.get_visitor(event.account_id, event.visitor_id)
        if visitor is None or visitor["banned"] or not visitor["show_bot_messages"]:
            return
        if not await chat.store.agent_exists(event.account_id, config["agentId"]):
            return
        now = now_ms()
        seq = event.seq or 0
        facts = await chat.store.conversation_facts(visitor["id"], seq)
        if not config.get("externalUrl") and await self._take_email(config, visitor, event, facts):
            return
        if visitor["bot_muted_until"] and visitor["bot_muted_until"] > now:
            return
        idle_ms = int(config["idleMinutes"]) * 60_000
        if facts["last_human_at"] is not None and (facts["previous_at"] or 0) > now - idle_ms:
            return  # a human is in this conversation
        if config["answerBot"] and await answer_bot(self, config, visitor, event.data["text"],
                                                    facts, now):
            return
        if not config["enabled"]:
            return
        if config.get("externalUrl"):
            await self._external(event, config, row, visitor)
            return
        for text in await self.replies(config, visitor, event.data["text"], facts, now):
            fresh = await chat.store.get_visitor(event.account_id, event.visitor_id)
            if fresh is None or fresh["banned"]:
                return
            await store_message(chat, fresh, config["agentId"], text, by_bot=True)

    async def _take_email(self, config: dict[str, Any], visitor: Row, event: Event, facts: Row) -> bool:
        """After the bot asked for an email, an address the visitor writes becomes their email."""
        if visitor["email"]:
            return False
        email = email_in(event.data["text"])
        if email is None:
            return False
        last = await self.chat.store.last_bot_text(visitor["id"])
        if last is None or (facts["last_human_at"] or 0) > last["sent_at"]:
            return False  # the bot did not ask, or a person has taken over since
        asks = {config.get("askContactText"), config.get("handoffOfflineReply"),
                config.get("offlineReply")}
        asks |= {TEXTS[lang]["handoffOfflineReply"] for lang in TEXTS}
        if last["text"] not in asks:
            return False
        lang = "az" if last["text"] == TEXTS["az"]["handoffOfflineReply"] else language(event.data["text"])
        fresh = await do_set_visitor_state(self.chat, visitor, email=email)
        current = await self.chat.store.get_visitor(visitor["account_id"], visitor["id"])
        if current is None or current["banned"] or fresh.get("email") != email:
            return True
        await store_message(self.chat, current, config["agentId"],
                            bot_text(config, "emailSaved", lang, email=email), by_bot=True)
        return True

    async def replies(self, config: dict[str, Any], visitor: Row, text: str, facts: Row,
                      now: int) -> list[str]:
        chat = self.chat
        out: list[str] = []
        account = await chat.store.get_account(visitor["account_id"])
        open_now = in_business_hours(await business_hours(chat, account), now)
        words = _words(text)
        if any((" " in k and k in text.lower()) or k in words for k in config["handoffKeywords"]):
            return await self._hand_off(config, visitor, text, open_now, now)
        humans = bool(await available_agents(chat, visitor["account_id"]))
        said = set(await chat.store.bot_texts(visitor["id"]))
        if facts["earlier"] == 0 and config.get("greeting"):
            out.append(config["greeting"])
        answer = faq_answer(config.get("faq") or [], text)
        if answer:
            out.append(answer)
        elif (not open_now or not humans) and config.get("offlineReply"):
            if config["offlineReply"] not in said:
                out.append(config["offlineReply"])
        if (config.get("askContact") and not visitor["email"] and not visitor["phone"]
                and config.get("askContactText") and config["askContactText"] not in said
                and facts["earlier"] > 0):
            out.append(config["askContactText"])
        return [t for t in out if t]

    async def _hand_off(self, config: dict[str, Any], visitor: Row, text: str, open_now: bool,
                        now: int) -> list[str]:
        """The visitor asked for a person: assign one who is there (and so alert them), or say
        honestly that nobody is and ask for an email address to answer later."""
        chat = self.chat
        lang = language(text)
        assignee = await assign_available(chat, visitor, replace_unavailable=True) if open_now else None
        if assignee is not None:
            reply = bot_text(config, "handoffReply", lang)
        elif visitor["email"]:
            reply = bot_text(config, "handoffOfflineKnown", lang, email=visitor["email"])
        else:
            reply = bot_text(config, "handoffOfflineReply", lang)
        fresh = await chat.store.get_visitor(visitor["account_id"], visitor["id"]) or visitor
        await do_set_visitor_state(chat, fresh, bot_muted_until=now + int(config["idleMinutes"]) * 60_000)
        return [reply] if reply else []

    async def _external(self, event: Event, config: dict[str, Any], row: Row, visitor: Row) -> None:
        chat = self.chat
        body = orjson.dumps({
            "event": "message.created", "botId": config["agentId"], "data": event.data,
            "visitor": visitor_json(visitor, (await chat.store.visitor_agents([visitor["id"]]))[visitor["id"]]),
            "reply": {"method": "POST", "path": "/api/messages/",
                      "body": {"userId": config["agentId"], "visitorId": visitor["id"], "text": "..."}},
        })
        error = None
        try:
            await check_target(config["externalUrl"], chat.settings.webhooks_allow_private)
            response = await self._client.post(config["externalUrl"], content=body, headers={
                "Content-Type": "application/json",
                "X-Botaz-Signature": signature_header(row["external_secret"] or "", body)})
            if not 200 <= response.status_code < 300:
                error = f"answered {response.status_code}"
        except TargetRefused as exc:
            error = str(exc)
        except httpx.TimeoutException:
            error = f"no answer in {EXTERNAL_TIMEOUT:.0f} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        await chat.store.bot_outcome(event.account_id, now_ms(), error)
        if error:
            await self._report(event, config, f"The external bot did not take this message: {error}.")

    async def _report(self, event: Event, config: dict[str, Any], text: str) -> None:
        """A failure shows in the conversation as a private note, seen by agents only."""
        note = {"id": new_id(), "account_id": event.account_id, "visitor_id": event.visitor_id,
                "user_id": config["agentId"], "text": text, "created_at": now_ms()}
        await self.chat.store.insert_note(note)
        self.chat.send_event(Event("note.created", event.account_id, event.visitor_id, {
            "_id": note["id"], "userId": note["user_id"], "visitorId": note["visitor_id"],
            "text": text, "createdAt": iso_ms(note["created_at"])}, agents_only=True))

