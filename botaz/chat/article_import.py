"""`botaz import-articles`: a folder of Markdown files into an account's knowledge base.

Each `*.md` file (subfolders included, in name order) is one article. Optional front matter
between `---` lines sets `title`, `locale`, `category`, `slug` and `published` (`key: value`
lines); without a title the first `# heading` is the title (and leaves the body); without either,
the file name. An article whose slug already exists in the account is updated, so importing the
same folder again refreshes it rather than duplicating it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..schema import convert, present
from . import articles
from .context import Chat
from .errors import DomainError, Invalid, NotFound

FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
HEADING = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|\Z)")


def parse(text: str, fallback_title: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    match = FRONT.match(text)
    if match:
        for line in match.group(1).splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition(":")
            if not sep:
                raise Invalid(f"front matter line {line.strip()!r} is not key: value.")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            key = key.strip()
            if key == "published":
                data[key] = value.lower() not in ("false", "no", "0")
            elif key in ("title", "locale", "category", "slug"):
                data[key] = value
            else:
                raise Invalid(f"front matter key {key!r} is not one of title, locale, category, "
                              "slug, published.")
        text = text[match.end():]
    if "title" not in data:
        heading = HEADING.match(text)
        if heading:
            data["title"] = heading.group(1).strip()
            text = text[heading.end():]
        else:
            data["title"] = fallback_title
    data["body"] = text.strip() + "\n"
    return data


async def import_folder(chat: Chat, account_id: str, folder: str) -> dict[str, Any]:
    root = Path(folder)
    if not root.is_dir():
        raise Invalid(f"{folder} is not a folder.")
    account = await chat.store.get_account(account_id)
    if account is None:
        raise NotFound("Account not found.")
    created: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    unchanged: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    site_key = account["site_key"]
    for path in sorted(root.rglob("*.md")):
        name = str(path.relative_to(root))
        try:
            data = articles.check_article(present(convert(articles.ArticleCreate, parse(
                path.read_text(encoding="utf-8"), path.stem.replace("-", " ").replace("_", " ")))))
            slug = data.get("slug") or articles.slugify(data["title"])
            existing = await chat.store.get_article_by_slug(account_id, slug)
            if existing is None:
                made = await articles.create_article(chat, account_id, data)
                created.append({"file": name, "_id": made["_id"], "url": made["url"]})
            else:
                changed = await articles.update_article_row(chat, existing, data)
                (updated if changed else unchanged).append({
                    "file": name, "_id": existing["id"],
                    "url": articles.article_url(chat, site_key, existing["slug"])})
        except (DomainError, UnicodeDecodeError, OSError) as exc:
            failed.append({"file": name, "message": getattr(exc, "message", str(exc))})
    return {"created": created, "updated": updated, "unchanged": unchanged, "failed": failed}
