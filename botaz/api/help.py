"""The public help centre: /help/<siteKey> (articles by category, search) and /help/<siteKey>/<slug>.

Plain server-rendered HTML with no script at all: it loads fast, works without JavaScript, and
fits the pages' Content-Security-Policy. The UI speaks az, en or ru (?lang=, else the browser's
Accept-Language, else English).
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..chat import articles
from ..chat.settings import settings_of
from ..store.db import Row
from .deps import chat_of
from .registry import page

UI: dict[str, dict[str, str]] = {
    "en": {"help": "Help centre", "search": "Search articles", "button": "Search",
           "results": "Results for “{q}”", "none": "No articles match “{q}”.",
           "empty": "There are no articles yet.", "general": "General", "all": "All articles",
           "missing": "Page not found", "missing_text": "There is no such help page.",
           "skip": "Skip to content", "language": "Language", "updated": "Updated",
           "back": "Back to the help centre", "categories": "Categories"},
    "az": {"help": "Kömək mərkəzi", "search": "Məqalələrdə axtar", "button": "Axtar",
           "results": "“{q}” üçün nəticələr", "none": "“{q}” üzrə məqalə tapılmadı.",
           "empty": "Hələ məqalə yoxdur.", "general": "Ümumi", "all": "Bütün məqalələr",
           "missing": "Səhifə tapılmadı", "missing_text": "Belə kömək səhifəsi yoxdur.",
           "skip": "Məzmuna keç", "language": "Dil", "updated": "Yeniləndi",
           "back": "Kömək mərkəzinə qayıt", "categories": "Bölmələr"},
    "ru": {"help": "Центр помощи", "search": "Поиск по статьям", "button": "Найти",
           "results": "Результаты по запросу «{q}»", "none": "По запросу «{q}» статей нет.",
           "empty": "Статей пока нет.", "general": "Общее", "all": "Все статьи",
           "missing": "Страница не найдена", "missing_text": "Такой страницы помощи нет.",
           "skip": "Перейти к содержимому", "language": "Язык", "updated": "Обновлено",
           "back": "Вернуться в центр помощи", "categories": "Разделы"},
}
LANG_NAMES = {"az": "Azərbaycanca", "en": "English", "ru": "Русский"}
HEADING = re.compile(r"<(/?)h([1-6])>")


def pick_lang(request: Request) -> str:
    wanted = (request.query_params.get("lang") or "").lower()
    if wanted in UI:
        return wanted
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in UI:
            return code
    return "en"


def _text_colour(colour: str) -> str:
    """Black or white, whichever reads better on the account's colour (WCAG contrast)."""
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    try:
        r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    except ValueError:
        return "#ffffff"
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111111" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "#ffffff"


STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
.wrap{max-width:46rem;margin:0 auto;padding:0 1rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;color:#0b57d0;padding:.5rem;z-index:9}
header{background:var(--brand);color:var(--on-brand);padding:1rem 0}
header a{color:var(--on-brand);text-decoration:none;font-weight:600;font-size:1.15rem}
header .wrap{display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:.5rem}
header nav ul{list-style:none;margin:0;padding:0;display:flex;gap:.75rem}
header nav a{font-weight:400;font-size:.95rem;text-decoration:underline}
main{background:#fff;padding:1.5rem 0 2.5rem;min-height:60vh}
h1{font-size:1.8rem;line-height:1.25;margin:.5rem 0 1rem}h2{font-size:1.3rem;margin:1.75rem 0 .5rem}
a{color:#0b57d0}form{display:flex;gap:.5rem;margin:0 0 1.5rem;flex-wrap:wrap}
label.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
input[type=search]{flex:1;min-width:12rem;font:inherit;padding:.55rem .75rem;border:1px solid #6e7781;border-radius:6px}
button{font:inherit;padding:.55rem 1rem;border:0;border-radius:6px;background:#0b57d0;color:#fff;cursor:pointer}
ul.list{list-style:none;padding:0;margin:0}ul.list li{padding:.6rem 0;border-bottom:1px solid #d0d7de}
ul.list p{margin:.2rem 0 0;color:#57606a;font-size:.95rem}
article img{max-width:100%}article pre{background:#f6f8fa;padding:.75rem;overflow:auto}
article blockquote{margin:0;padding-left:1rem;border-left:4px solid #d0d7de;color:#57606a}
.meta{color:#57606a;font-size:.9rem}footer{padding:1rem 0;color:#57606a;font-size:.85rem}
"""


def _page(account: Row, lang: str, title: str, description: str, body: str, status: int = 200,
          canonical: str | None = None) -> Response:
    s = settings_of(account)
    colour = s.get("widget", {}).get("color") or "#2563eb"
    t = UI[lang]
    home = f"/help/{escape(account['site_key'])}"
    langs = "".join(
        f'<li><a href="{home}?lang={code}" lang="{code}" hreflang="{code}"'
        + (' aria-current="true"' if code == lang else "") + f">{escape(name)}</a></li>"
        for code, name in LANG_NAMES.items())
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<meta name="description" content="{escape(description[:300])}">'
        + (f'<link rel="canonical" href="{escape(canonical)}">' if canonical else "")
        + f"<style>:root{{--brand:{colour};--on-brand:{_text_colour(colour)}}}{STYLE}</style></head><body>"
        f'<a class="skip" href="#main">{escape(t["skip"])}</a>'
        f'<header><div class="wrap"><a href="{home}?lang={lang}">{escape(account["name"])} · '
        f'{escape(t["help"])}</a><nav aria-label="{escape(t["language"])}"><ul>{langs}</ul></nav>'
        f'</div></header><main id="main"><div class="wrap">{body}</div></main>'
        f'<footer><div class="wrap">{escape(account["name"])}</div></footer></body></html>')
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "public, max-age=60"})


def _search_form(site_key: str, lang: str, q: str) -> str:
    t = UI[lang]
    return (f'<form role="search" method="get" action="/help/{escape(site_key)}">'
            f'<label class="sr" for="q">{escape(t["search"])}</label>'
            f'<input type="search" id="q" name="q" value="{escape(q)}" '
            f'placeholder="{escape(t["search"])}" maxlength="200">'
            f'<input type="hidden" name="lang" value="{lang}">'
            f'<button type="submit">{escape(t["button"])}</button></form>')


def _item(site_key: str, lang: str, row: Row, snippet: str) -> str:
    href = f"/help/{escape(site_key)}/{escape(row['slug'])}?{urlencode({'lang': lang})}"
    return (f'<li><a href="{href}" lang="{row["locale"]}">{escape(row["title"])}</a>'
            + (f"<p>{escape(snippet)}</p>" if snippet else "") + "</li>")


def not_found(account: Row | None, lang: str) -> Response:
    t = UI[lang]
    if account is None:
        html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>{escape(t["missing"])}</title>'
                f'</head><body><main><h1>{escape(t["missing"])}</h1><p>{escape(t["missing_text"])}</p>'
                "</main></body></html>")
        return HTMLResponse(html, status_code=404)
    body = (f'<h1>{escape(t["missing"])}</h1><p>{escape(t["missing_text"])}</p>'
            f'<p><a href="/help/{escape(account["site_key"])}?lang={lang}">{escape(t["back"])}</a></p>')
    return _page(account, lang, t["missing"], t["missing_text"], body, status=404)


async def _account(request: Request) -> Row | None:
    return await chat_of(request).store.get_account_by_site_key(request.path_params["siteKey"])


@page("/help/{siteKey}", limit=("visitor", "help:"))
async def home(request: Request) -> Response:
    lang = pick_lang(request)
    account = await _account(request)
    if account is None:
        return not_found(None, lang)
    chat = chat_of(request)
    t = UI[lang]
    site_key = account["site_key"]
    q = (request.query_params.get("q") or "").strip()[:200]
    parts = [_search_form(site_key, lang, q)]
    if q:
        hits = await articles.search(chat, account["id"], q, limit=30)
        title = t["results"].format(q=q)
        parts.insert(0, f"<h1>{escape(title)}</h1>")
        if hits:
            parts.append('<ul class="list">' + "".join(_item(site_key, lang, h.row, h.snippet)
                                                       for h in hits) + "</ul>")
        else:
            parts.append(f'<p>{escape(t["none"].format(q=q))}</p>')
        parts.append(f'<p><a href="/help/{escape(site_key)}?lang={lang}">{escape(t["all"])}</a></p>')
        return _page(account, lang, f"{title} · {account['name']}", title, "".join(parts))
    rows = await chat.store.list_articles(account["id"], None, 500, lang, published_only=True)
    if not rows:  # nothing in the reader's language: show every language rather than nothing
        rows = await chat.store.list_articles(account["id"], None, 500, published_only=True)
    title = f"{t['help']} · {account['name']}"
    parts.insert(0, f"<h1>{escape(t['help'])}</h1>")
    if not rows:
        parts.append(f"<p>{escape(t['empty'])}</p>")
    groups: dict[str, list[Row]] = {}
    for row in sorted(rows, key=lambda r: r["title"].casefold()):
        groups.setdefault(row["category"] or "", []).append(row)
    for n, (category, items) in enumerate(sorted(groups.items(), key=lambda kv: (kv[0] == "", kv[0].casefold()))):
        parts.append(f'<section aria-labelledby="cat-{n}"><h2 id="cat-{n}">'
                     f"{escape(category or t['general'])}</h2><ul class=\"list\">"
                     + "".join(_item(site_key, lang, r, "") for r in items) + "</ul></section>")
    description = f"{t['help']}: {account['name']}. " + ", ".join(r["title"] for r in rows[:8])
    return _page(account, lang, title, description, "".join(parts))


@page("/help/{siteKey}/{slug}", limit=("visitor", "help:"))
async def article(request: Request) -> Response:
    lang = pick_lang(request)
    account = await _account(request)
    if account is None:
        return not_found(None, lang)
    chat = chat_of(request)
    row = await chat.store.get_article_by_slug(account["id"], request.path_params["slug"])
    if row is None or not row["published"]:
        return not_found(account, lang)
    t = UI[lang]
    site_key = account["site_key"]
    html = HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}>",
                       articles.render_markdown(row["body"]))
    crumbs = (f'<nav aria-label="{escape(t["categories"])}" class="meta"><a href="/help/{escape(site_key)}'
              f'?lang={lang}">{escape(t["help"])}</a>'
              + (f" › {escape(row['category'])}" if row["category"] else "") + "</nav>")
    updated = (articles.iso_ms(row["updated_at"]) or "")[:10]
    body = (crumbs + f'<article lang="{row["locale"]}"><h1>{escape(row["title"])}</h1>'
            f'<p class="meta">{escape(t["updated"])}: <time datetime="{updated}">{updated}</time></p>'
            f"{html}</article>" + _search_form(site_key, lang, ""))
    description = articles.plain_text(row["body"]).replace("\n", " ")
    if len(description) > 160:
        description = description[:157].rsplit(" ", 1)[0] + "…"
    return _page(account, lang, f"{row['title']} · {account['name']}", description, body,
                 canonical=articles.article_url(chat, site_key, row["slug"]))

