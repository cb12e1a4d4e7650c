"""The answer bot's optional writer: an OpenAI-compatible chat-completions endpoint.

Only when BOTAZ_LLM_URL is set, and only after retrieval found articles confident enough: the
model is sent those articles of this account (title, url, text) and the visitor's message,
nothing else, and asked to answer from them alone with their links. The answer streams into the
conversation: the bot's message is created after the first words and edited as more arrive
(at most once a second). httpx streams without blocking the event loop; each answer has a time
limit and a size limit. Any failure, or the model saying it cannot answer, falls back to the
retrieval answer (a quote of the article), in the same message when one was already shown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

import httpx
import orjson

from ..config import Settings

log = logging.getLogger("botaz.llm")

NO_ANSWER = "NO_ANSWER"
ARTICLE_CHARS = 4000
FIRST_CHARS = 40
EDIT_EVERY_S = 1.0

SYSTEM = (
    "You are the support assistant of {account}. Answer the visitor's message using ONLY the "
    "help articles below. Do not add facts that are not in them. Answer briefly, in the language "
    "of the visitor's message, and end with the link (url) of each article you used. If the "
    "articles do not answer the message, reply exactly " + NO_ANSWER + ".\n\n{articles}"
)


def endpoint(settings: Settings) -> str:
    url = (settings.llm_url or "").rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def request_body(settings: Settings, account_name: str, articles: list[dict[str, str]],
                 question: str) -> dict[str, Any]:
    text = "\n\n".join(f"Article: {a['title']}\nurl: {a['url']}\n{a['text'][:ARTICLE_CHARS]}"
                       for a in articles)
    return {"model": settings.llm_model or "default", "stream": True, "temperature": 0,
            "max_tokens": max(64, settings.llm_max_chars // 2),
            "messages": [{"role": "system", "content": SYSTEM.format(account=account_name,
                                                                   articles=text)},
                         {"role": "user", "content": question[:2000]}]}


class Writer:
    """Streams one answer; `show(text, final)` creates or updates the bot's message as it grows
    (the caller shows the final text itself)."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    async def write(self, body: dict[str, Any],
                    show: Callable[[str, bool], Awaitable[None]]) -> str | None:
        """The model's whole answer (also shown), or None when there is none to use: the caller
        then shows the retrieval answer."""
        text = ""
        shown_at = 0.0
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.settings.llm_api_key:
            headers["Authorization"] = f"Bearer {self.settings.llm_api_key}"
        try:
            async with asyncio.timeout(self.settings.llm_timeout_s):
                async with self.client.stream("POST", endpoint(self.settings), headers=headers,
                                              content=orjson.dumps(body)) as response:
                    if response.status_code != 200:
                        log.warning("LLM answered %s", response.status_code)
                        return None
                    async for line in response.aiter_lines():
                        if not line.startswith("data:"):
                            continue
                        data = line[5:].strip()
                        if data == "[DONE]":
                            break
                        try:
                            chunk = orjson.loads(data)
                            piece = chunk["choices"][0].get("delta", {}).get("content") or ""
                        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
                            continue
                        text += piece
                        if len(text) >= self.settings.llm_max_chars:
                            text = text[:self.settings.llm_max_chars].rsplit(" ", 1)[0] + "…"
                            break
                        if text.strip().startswith(NO_ANSWER[:len(text.strip())]):
                            continue  # maybe the refusal: show nothing yet
                        now = time.monotonic()
                        if len(text) >= FIRST_CHARS and now - shown_at >= EDIT_EVERY_S:
                            await show(text, False)
                            shown_at = now
        except (httpx.HTTPError, TimeoutError) as exc:
            log.warning("LLM failed: %s", f"{type(exc).__name__}: {exc}"[:300])
            return None
        text = text.strip()
        if not text or text.startswith(NO_ANSWER):
            return None
        return text
