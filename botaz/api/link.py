"""Conversation links: the page /c/<token> and the exchange the widget makes (docs/email.md)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..chat import resume
from ..chat.errors import DomainError
from .deps import chat_of, limit, widget_origin
from .http import json_response, read_body
from .registry import endpoint

PAGE = Path(__file__).resolve().parent.parent / "web" / "conversation.html"
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

TEXT = {
    "en": {"title": "Your conversation with {name}", "continue": "Continue on {host}",
           "invalid_title": "This link does not work",
           "invalid": "The link is not complete or not valid. Open it again from the email, "
                      "or write to us from the website.",
           "gone_title": "This link has expired",
           "gone": "For your privacy, conversation links work for a limited time, and not at all "
                   "once a conversation is closed for good. Reply to the email, or write to us "
                   "from the website."},
    "az": {"title": "{name} ilə söhbətiniz", "continue": "{host} saytında davam edin",
           "invalid_title": "Bu keçid işləmir",
           "invalid": "Keçid natamamdır və ya etibarsızdır. Onu e-poçtdan yenidən açın və ya "
                      "saytdan bizə yazın.",
           "gone_title": "Bu keçidin vaxtı bitib",
           "gone": "Məxfiliyiniz üçün söhbət keçidləri məhdud müddət işləyir, söhbət birdəfəlik "
                   "bağlandıqda isə heç işləmir. E-poçta cavab yazın və ya saytdan bizə yazın."},
}


@endpoint("POST", "/widget/v1/link", summary="Continue a conversation from a link", tag="widget",
          auth=None, body=resume.LINK_OPEN, response="WidgetVisitorCreated",
          errors=(400, 403, 404, 410, 413, 415, 429),
          description="Exchanges a conversation link's token (from `/c/<token>` in an email) "
                      "for a new visitor token of that link's visitor, so this browser continues "
                      "the same conversation; tokens held by other browsers stay valid. The link "
                      "must belong to the account of `siteKey`. 404: not a valid link; 410: "
                      "expired, or the visitor was banned or erased.")
async def open_link(request: Request) -> Response:
    await limit(request, "visitor_create", request.client.host if request.client else "unknown")
    body = await read_body(request, resume.LINK_OPEN)
    return json_response(await resume.do_open_link(chat_of(request), body, widget_origin(request)))


def _lang(request: Request) -> str:
    first = (request.headers.get("accept-language") or "").split(",")[0].strip().lower()
    return "az" if first.startswith("az") else "en"


def _page(lang: str, title: str, body: str, color: str | None, status: int) -> Response:
    page = (PAGE.read_text().replace("{{LANG}}", lang).replace("{{TITLE}}", html.escape(title))
            .replace("{{COLOR}}", color if color and COLOR_RE.match(color) else "#2563eb")
            .replace("{{BODY}}", body))
    return HTMLResponse(page, status, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})


async def conversation_page(request: Request) -> Response:
    """The whole conversation in a page of botaz, live, on any device; a kind page if the link
    does not open (404: not a link; 410: expired, banned or erased), which tells nothing more."""
    lang = _lang(request)
    t = TEXT[lang]
    token = request.path_params["token"]
    try:
        page = await resume.link_page(chat_of(request), token)
    except DomainError as exc:
        gone = exc.kind == "gone"
        title = t["gone_title"] if gone else t["invalid_title"]
        body = (f'<div class="notice" role="alert"><h1>{html.escape(title)}</h1>'
                f'<p>{html.escape(t["gone"] if gone else t["invalid"])}</p></div>')
        return _page(lang, title, body, None, 410 if gone else 404)
    title = t["title"].format(name=page["accountName"])
    link = ""
    if page["website"]:
        host = urlsplit(page["website"]).hostname or page["website"]
        href = f'{page["website"]}#botaz-link={token}'
        link = (f'<a href="{html.escape(href)}" rel="noreferrer">'
                f'{html.escape(t["continue"].format(host=host))}</a>')
    body = (f'<header class="top"><h1>{html.escape(page["accountName"])}</h1>{link}</header>'
            '<main><div id="botaz-conversation"></div></main>'
            f'<script src="/widget.js" data-site-key="{html.escape(page["siteKey"])}" '
            f'data-mode="page" data-link="{html.escape(token)}" '
            f'data-container="botaz-conversation" data-lang="{lang}"></script>')
    return _page(lang, title, body, page["color"], 200)
