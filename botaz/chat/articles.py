"""The knowledge base: help articles written in Markdown, rendered safely, searched in az/en/ru.

Any human agent of the account may write, change and delete articles (help content is usually
written by the people who answer the chats); bot agents' tokens may only read them.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar, Literal

import nh3
from markdown_it import MarkdownIt

from ..ids import is_id, iso_ms, new_id, now_ms
from ..schema import UNSET, Body, D, Str, UnsetType, present
from ..store.db import Row
from . import audit, textsearch
from .accounts import Principal
from .context import Chat
from .errors import Forbidden, Invalid, NotFound
from .pagination import Page, check_limit, decode_cursor, make_page

LOCALES = ("az", "en", "ru")
DEFAULT_LOCALE = "en"
MAX_BODY = 100_000
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

Title = Str("Title", min_length=1, max_length=200)
Markdown = Str("Body in Markdown (raw HTML is not allowed: it shows as text)", max_length=MAX_BODY)
Locale = D(Literal[LOCALES], "Language: az, en or ru (default en)")
Category = Str("Category shown in the help centre; null for none", max_length=80, nullable=True)
Slug = Str("URL name, lower-case letters, digits and hyphens (default: from the title)",
           max_length=120)
Published = D(bool, "Whether the help centre, the widget and the answer bot use it (default true)")


class ArticleCreate(Body):
    title: Title
    body: Markdown
    locale: Locale | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    slug: Slug | UnsetType = UNSET
    published: Published | UnsetType = UNSET
    __example__: ClassVar = {"title": "Çatdırılma nə qədər çəkir?", "body": "Bakıda **1-2 gün**.",
                             "locale": "az", "category": "Çatdırılma"}


class ArticleEdit(Body):
    """Keys left out stay unchanged."""
    title: Title | UnsetType = UNSET
    body: Markdown | UnsetType = UNSET
    locale: Locale | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    slug: Slug | UnsetType = UNSET
    published: Published | UnsetType = UNSET


class ArticlePreview(Body):
    body: Str("Markdown to render", max_length=MAX_BODY)


ARTICLE_CREATE, ARTICLE_EDIT, ARTICLE_PREVIEW = ArticleCreate, ArticleEdit, ArticlePreview

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
ALLOWED_TAGS = {"a", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del",
                "code", "pre", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr",
                "th", "td", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"},
                      "ol": {"start"}, "th": {"style"}, "td": {"style"}}

# Letters that NFKD does not spell in ASCII, and the Cyrillic alphabet (az and ru usage).
_TRANSLIT = str.maketrans({
    "ə": "e", "ı": "i", "ş": "sh", "ç": "ch", "ğ": "g", "ö": "o", "ü": "u", "ß": "ss", "ø": "o",
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ә": "e", "ғ": "g",
    "ҝ": "g", "ү": "u", "ө": "o", "һ": "h", "ј": "y",
})


def render_markdown(body: str) -> str:
    """Markdown to HTML that is safe to show on any page: raw HTML in the source is escaped by
    the parser, and the sanitizer keeps only formatting tags and http(s)/mailto links."""
    html = _md.render(body)
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer",
                     strip_comments=True, filter_style_properties={"text-align"})


def plain_text(body: str) -> str:
    """The words of a Markdown body, for snippets, meta descriptions and quotes."""
    text = re.sub(r"<[^>]+>", " ", render_markdown(body))
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    text = text.replace("&#39;", "'")
    return re.sub(r"[ \t]+", " ", text).strip()


def paragraphs(body: str) -> list[str]:
    blocks = re.split(r"\n\s*\n", body)
    out = []
    for block in blocks:
        text = re.sub(r"\s+", " ", plain_text(block)).strip()
        if text:
            out.append(text)
    return out


def slugify(title: str) -> str:
    text = title.replace("İ", "i").replace("I", "i").lower().translate(_TRANSLIT)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].strip("-")
    return slug or "article"


def article_url(chat: Chat, site_key: str, slug: str) -> str:
    return f"{chat.settings.base_url()}/help/{site_key}/{slug}"


def article_json(chat: Chat, row: Row, site_key: str) -> dict[str, Any]:
    return {"_id": row["id"], "title": row["title"], "body": row["body"], "locale": row["locale"],
            "slug": row["slug"], "url": article_url(chat, site_key, row["slug"]),
            "category": row["category"], "published": bool(row["published"]),
            "createdAt": iso_ms(row["created_at"]), "updatedAt": iso_ms(row["updated_at"])}


def _search_fields(title: str, body: str) -> dict[str, Any]:
    search_title = textsearch.index_text(title)
    search_body = textsearch.index_text(plain_text(body))
    length = textsearch.TITLE_WEIGHT * len(search_title.split()) + len(search_body.split())
    return {"search_title": search_title, "search_body": search_body, "search_len": length}


def _require_writer(principal: Principal) -> None:
    if principal.is_bot:
        raise Forbidden("Bot agents can read articles but not change them.")


async def _site_key(chat: Chat, account_id: str) -> str:
    account = await chat.store.get_account(account_id)
    if account is None:
        raise NotFound("Account not found.")
    return account["site_key"]


async def _unique_slug(chat: Chat, account_id: str, wanted: str, own_id: str | None = None) -> str:
    taken = await chat.store.article_slugs_like(account_id, wanted)
    if own_id is not None:
        mine = await chat.store.get_article(account_id, own_id)
        taken.discard(mine["slug"] if mine else "")
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


def check_article(data: dict[str, Any]) -> dict[str, Any]:
    """An article's fields trimmed and checked: for the API's create and edit, and the import."""
    if "title" in data:
        data["title"] = data["title"].strip()
        if not data["title"]:
            raise Invalid("title must not be empty.")
    if "category" in data and data["category"] is not None:
        data["category"] = data["category"].strip() or None
    if "slug" in data and not SLUG_RE.match(data["slug"]):
        raise Invalid("slug must be lower-case letters, digits and single hyphens, like "
                      "how-to-pay.")
    if "body" in data and not data["body"].strip():
        raise Invalid("body must not be empty.")
    return data


async def _get(chat: Chat, account_id: str, article_id: str) -> Row:
    row = await chat.store.get_article(account_id, article_id) if is_id(article_id) else None
    if row is None:
        raise NotFound("Article not found.")
    return row


async def do_create_article(chat: Chat, principal: Principal, body: ArticleCreate) -> dict[str, Any]:
    _require_writer(principal)
    data = check_article(present(body))
    return await create_article(chat, principal.account_id, data, principal)


async def create_article(chat: Chat, account_id: str, data: dict[str, Any],
                         principal: Principal | None = None) -> dict[str, Any]:
    """Also used by `botaz import-articles`, which has no principal."""
    site_key = await _site_key(chat, account_id)
    now = now_ms()
    slug = await _unique_slug(chat, account_id, data.get("slug") or slugify(data["title"]))
    row = {"id": new_id(), "account_id": account_id, "title": data["title"], "body": data["body"],
           "locale": data.get("locale") or DEFAULT_LOCALE, "slug": slug,
           "category": data.get("category"), "published": data.get("published", True),
           "created_at": now, "updated_at": now, **_search_fields(data["title"], data["body"])}
    row["seq"] = await chat.store.insert_article(row)
    if principal is not None:
        await audit.record(chat, principal, "article.create", "article", row["id"], {"slug": slug})
    return article_json(chat, row, site_key)


async def get_article(chat: Chat, principal: Principal, article_id: str) -> dict[str, Any]:
    row = await _get(chat, principal.account_id, article_id)
    return article_json(chat, row, await _site_key(chat, principal.account_id))


async def do_update_article(chat: Chat, principal: Principal, article_id: str,
                            body: ArticleEdit) -> dict[str, Any]:
    _require_writer(principal)
    data = check_article(present(body))
    row = await _get(chat, principal.account_id, article_id)
    if await update_article_row(chat, row, data):
        await audit.record(chat, principal, "article.update", "article", row["id"],
                           {"fields": sorted(data)})
    return await get_article(chat, principal, article_id)


async def update_article_row(chat: Chat, row: Row, data: dict[str, Any]) -> bool:
    """Applies checked changes; also used by `botaz import-articles`. False when nothing changed."""
    changes: dict[str, Any] = {k: data[k] for k in ("title", "body", "locale", "category")
                               if k in data and data[k] != row[k]}
    if "published" in data and int(data["published"]) != row["published"]:
        changes["published"] = int(data["published"])
    if "slug" in data and data["slug"] != row["slug"]:
        changes["slug"] = await _unique_slug(chat, row["account_id"], data["slug"], row["id"])
    if "title" in changes or "body" in changes:
        changes |= _search_fields(changes.get("title", row["title"]), changes.get("body", row["body"]))
    if not changes:
        return False
    changes["updated_at"] = max(now_ms(), row["updated_at"] + 1)
    await chat.store.update_article(row["seq"], changes)
    return True


async def do_delete_article(chat: Chat, principal: Principal, article_id: str) -> None:
    _require_writer(principal)
    row = await _get(chat, principal.account_id, article_id)
    await chat.store.delete_article(row["seq"])
    await audit.record(chat, principal, "article.delete", "article", row["id"], {"slug": row["slug"]})


def _check_locale(locale: str | None) -> str | None:
    if locale in (None, ""):
        return None
    if locale not in LOCALES:
        raise Invalid("locale must be one of: az, en, ru.")
    return locale


async def list_articles(chat: Chat, principal: Principal, cursor: str | None, limit: Any,
                        locale: str | None = None, category: str | None = None,
                        q: str | None = None) -> Page:
    size = check_limit(limit)
    locale = _check_locale(locale)
    site_key = await _site_key(chat, principal.account_id)
    if q and q.strip():
        hits = await search(chat, principal.account_id, q, locale=locale, category=category,
                            published_only=False, limit=size)
        return Page([article_json(chat, h.row, site_key) | {"snippet": h.snippet} for h in hits], None)
    rows = await chat.store.list_articles(principal.account_id, decode_cursor(cursor), size + 1,
                                          locale, category)
    return make_page(rows, size, lambda r: article_json(chat, r, site_key))


class Hit:
    __slots__ = ("row", "score", "coverage", "terms", "snippet")

    def __init__(self, row: Row, score: float, coverage: float,
                 terms: list[textsearch.Term]) -> None:
        self.row, self.score, self.coverage, self.terms = row, score, coverage, terms
        self.snippet = best_passage(row["body"], terms, 200)


def best_passage(body: str, terms: list[textsearch.Term], size: int = 400) -> str:
    """The paragraph that holds most of the query's words (the first on a tie), cut to `size`."""
    best, best_score = "", -1
    for para in paragraphs(body):
        found = textsearch.words(para)
        score = sum(1 for t in terms if any(t.matches(w) for w in found))
        if score > best_score:
            best, best_score = para, score
    if len(best) > size:
        cut = best[:size].rsplit(" ", 1)[0]
        best = cut + "…"
    return best


async def search(chat: Chat, account_id: str, q: str, locale: str | None = None,
                 category: str | None = None, published_only: bool = True, limit: int = 10,
                 drop_stopwords: bool = True) -> list[Hit]:
    terms = textsearch.query_terms(q, drop_stopwords)
    if not terms:
        return []
    match = (textsearch.fts5_query(terms) if chat.store.dialect == "sqlite"
             else textsearch.tsquery(terms))
    rows = await chat.store.search_articles(account_id, match, locale, category, published_only)
    if not rows:
        return []
    stats = await chat.store.article_stats(account_id, locale, category, published_only)
    total = int(stats["n"])
    avg = int(stats["total_len"]) / total if total else 1.0
    by_id = {r["id"]: r for r in rows}
    ranked = textsearch.rank(terms, [(r["id"], r["search_title"], r["search_body"]) for r in rows],
                             total, avg)
    return [Hit(by_id[s.key], s.score, s.coverage, s.matched) for s in ranked[:limit]]


async def do_preview(principal: Principal, body: ArticlePreview) -> dict[str, Any]:
    _require_writer(principal)
    return {"html": render_markdown(body.body)}


async def public_search(chat: Chat, account_id: str, site_key: str, q: str,
                        locale: str | None, limit: int = 8) -> list[dict[str, Any]]:
    hits = await search(chat, account_id, q, locale=_check_locale(locale), limit=limit)
    return [_public_article_json(chat, h.row, site_key) | {"snippet": h.snippet} for h in hits]


def _public_article_json(chat: Chat, row: Row, site_key: str) -> dict[str, Any]:
    return {"_id": row["id"], "title": row["title"], "url": article_url(chat, site_key, row["slug"]),
            "locale": row["locale"], "category": row["category"]}


async def public_latest(chat: Chat, account_id: str, site_key: str, locale: str | None,
                        limit: int = 8) -> list[dict[str, Any]]:
    rows = await chat.store.list_articles(account_id, None, limit, _check_locale(locale),
                                          published_only=True)
    return [_public_article_json(chat, r, site_key) | {"snippet": best_passage(r["body"], [], 200)}
            for r in rows]


async def public_article(chat: Chat, account: Row, article_id: str) -> dict[str, Any]:
    row = await chat.store.get_article(account["id"], article_id) if is_id(article_id) else None
    if row is None or not row["published"]:
        raise NotFound("Article not found.")
    return _public_article_json(chat, row, account["site_key"]) | {"html": render_markdown(row["body"])}
