"""The answer bot: answers a visitor from the account's published articles, or stays silent.

Retrieval only: the visitor's message is searched like the help centre's search box, and the
best article answers when its confidence (the idf-weighted share of the message's words that the
article holds, stopwords left out) reaches the account's threshold. The reply quotes the article's
best-matching paragraph and links its help-centre page; nothing is ever written that an article
does not say. Below the threshold the message falls through to the rule bot or a human.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from ..events import Event
from ..ids import now_ms
from ..store.db import Row
from . import llm, textsearch
from .articles import article_url, best_passage, plain_text, search
from .context import Chat
from .messages import store_message

if TYPE_CHECKING:
    from .bots import BotRunner

DEFAULT_THRESHOLD = 50  # percent; bench/answers.py measures the choice
MIN_TERMS = 1

# The widget's quick replies under an answer, in the three languages it speaks.
HELPED = {"en": "That helped", "az": "Bu kömək etdi", "ru": "Это помогло"}
PERSON = {"en": "Talk to a person", "az": "İnsanla danışmaq", "ru": "Позвать человека"}
THANKS = {"en": "Glad it helped!", "az": "Kömək etdiyinə şadıq!", "ru": "Рады, что помогло!"}
READ_MORE = {"en": "Read more", "az": "Ətraflı", "ru": "Подробнее"}
_HELPED = {textsearch.index_text(t) for t in HELPED.values()}
_PERSON = {textsearch.index_text(t) for t in PERSON.values()}


def _quick(text: str) -> str | None:
    folded = textsearch.index_text(text)
    if folded in _HELPED:
        return "helped"
    if folded in _PERSON:
        return "person"
    return None


def _lang_of(text: str) -> str:
    folded = textsearch.index_text(text)
    for table in (HELPED, PERSON):
        for lang, label in table.items():
            if textsearch.index_text(label) == folded:
                return lang
    return "en"


async def find_answer(chat: Chat, account_id: str, site_key: str, text: str,
                      threshold: int) -> dict[str, Any] | None:
    """The answer to `text` from the account's articles, or None when none is confident enough.
    `sources` are the confident articles, best first (at most 3), for the optional LLM."""
    hits = await search(chat, account_id, text, published_only=True, limit=10)
    if not hits:
        return None
    # The same answer often exists in several languages: answer in the visitor's when it is clear.
    locale = textsearch.guess_locale(text)
    top = next((h for h in hits if h.row["locale"] == locale), hits[0])
    if len(top.terms) < MIN_TERMS or top.coverage * 100 < threshold:
        return None
    row: Row = top.row
    url = article_url(chat, site_key, row["slug"])
    passage = best_passage(row["body"], top.terms, 400)
    words = READ_MORE.get(row["locale"], READ_MORE["en"])
    others = [h for h in hits if h is not top and h.coverage * 100 >= threshold][:2]
    sources = [{"title": h.row["title"], "url": article_url(chat, site_key, h.row["slug"]),
                "text": plain_text(h.row["body"])} for h in [top, *others]]
    return {"articleId": row["id"], "title": row["title"], "url": url, "passage": passage,
            "confidence": round(top.coverage, 3), "sources": sources,
            "text": f"{passage}\n\n{words}: {row['title']} {url}"}


async def answer_bot(runner: "BotRunner", config: dict[str, Any], visitor: Row, text: str,
                     facts: Row, now: int) -> bool:
    """Called by the bot runner for each visitor message while `answerBot` is on; True when this
    message was dealt with (answered, thanked, or handed off), False to let the rule bot or a
    human have it."""
    chat = runner.chat
    quick = _quick(text)
    replies: list[str] = []
    if quick == "helped":
        replies = [THANKS[_lang_of(text)]]
    elif quick == "person" or _asks_for_human(config, text):
        # The rule bot's own hand-off: the label counts as one of the hand-off words.
        handoff = config | {"handoffKeywords": [*config["handoffKeywords"],
                                                text.strip().lower()]}
        replies = await runner.replies(handoff, visitor, text, facts, now)
    else:
        account = await chat.store.get_account(visitor["account_id"])
        if account is None:
            return False
        found = await find_answer(chat, visitor["account_id"], account["site_key"], text,
                                  int(config.get("answerThreshold") or DEFAULT_THRESHOLD))
        if found is None:
            return False
        if chat.settings.llm_url:
            await _written_answer(chat, config, visitor, account, text, found)
            return True
        replies = [found["text"]]
    for reply in replies:
        fresh = await chat.store.get_visitor(visitor["account_id"], visitor["id"])
        if fresh is None or fresh["banned"]:
            return True
        await store_message(chat, fresh, config["agentId"], reply, by_bot=True)
    return True


async def _written_answer(chat: Chat, config: dict[str, Any], visitor: Row, account: Row,
                          text: str, found: dict[str, Any]) -> None:
    """The LLM writes the answer from the found articles, streamed into one bot message; the
    retrieval answer replaces it if the LLM fails or declines."""
    message: dict[str, Any] | None = None

    async def show(body: str, final: bool) -> None:
        nonlocal message
        fresh = await chat.store.get_visitor(visitor["account_id"], visitor["id"])
        if fresh is None or fresh["banned"]:
            return
        if message is None:
            message = await store_message(chat, fresh, config["agentId"], body, by_bot=True)
        elif body != message["text"]:
            message = await _update_bot_message(chat, visitor["account_id"], message, body)

    body = llm.request_body(chat.settings, account["name"], found["sources"], text)
    async with httpx.AsyncClient(timeout=chat.settings.llm_timeout_s, follow_redirects=False,
                                 headers={"User-Agent": "botaz-answers/1"}) as client:
        written = await llm.Writer(chat.settings, client).write(body, show)
    if written is None:
        final = found["text"]
    else:
        final = written
        if not any(s["url"] in written for s in found["sources"]):
            final += f"\n\n{_read_more(found)}: {found['title']} {found['url']}"
    await show(final, True)


def _read_more(found: dict[str, Any]) -> str:
    """"Read more" in the article's language, as the retrieval answer says it."""
    return found["text"].rsplit("\n\n", 1)[-1].split(":", 1)[0]


async def _update_bot_message(chat: Chat, account_id: str, message: dict[str, Any],
                              text: str) -> dict[str, Any]:
    """The streamed answer grew: the same event as an agent's edit, so every client updates it."""
    updated = message | {"text": text}
    async with chat.change() as change:
        await chat.store.edit_message(message["_id"], text, textsearch.index_text(text), now_ms(),
                                      conn=change.tx)
        change.emit(Event("message.updated", account_id, message["visitorId"], updated))
    return updated


def _asks_for_human(config: dict[str, Any], text: str) -> bool:
    lowered = text.lower()
    found = set(textsearch.WORD.findall(lowered))
    return any((" " in k and k in lowered) or k in found for k in config.get("handoffKeywords") or [])
