"""`botaz import-articles` as users run it, on both databases: front matter, first heading as the
title, re-import updates instead of duplicating, bad files reported without stopping the rest."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from botaz.store import Store
from tests.test_cli import run


async def _articles(url: str, account_id: str) -> list:
    store = await Store.open(url)
    try:
        return await store.list_articles(account_id, None, 100)
    finally:
        await store.close()


def test_import_a_folder_of_markdown(database_url, tmp_path: Path) -> None:
    r = run(["create-account", "--name", "Acme", "--agent-name", "Anar", "--agent-email",
             "kb@example.com", "--json"], database_url)
    account = json.loads(r.stdout)
    docs = tmp_path / "docs"
    (docs / "az").mkdir(parents=True)
    (docs / "az" / "catdirilma.md").write_text(
        "---\ntitle: Çatdırılma\nlocale: az\ncategory: \"Sifariş\"\n---\nBakıda **1-2 gün**.\n",
        encoding="utf-8")
    (docs / "returns.md").write_text("# Returns and refunds\n\nWithin 14 days.\n", encoding="utf-8")
    (docs / "no-title_here.md").write_text("Just text.\n", encoding="utf-8")
    (docs / "broken.md").write_text("---\ncolour: red\n---\nx\n", encoding="utf-8")
    (docs / "notes.txt").write_text("not markdown", encoding="utf-8")

    r = run(["import-articles", "--account", account["accountId"], str(docs), "--json"], database_url)
    assert r.returncode == 1, r.stderr  # one file failed
    result = json.loads(r.stdout)
    assert sorted(i["file"] for i in result["created"]) == ["az/catdirilma.md", "no-title_here.md",
                                                             "returns.md"]
    assert result["failed"] == [{"file": "broken.md", "message": "front matter key 'colour' is not "
                                 "one of title, locale, category, slug, published."}]
    rows = {a["slug"]: a for a in asyncio.run(_articles(database_url, account["accountId"]))}
    assert set(rows) == {"chatdirilma", "returns-and-refunds", "no-title-here"}
    assert (rows["chatdirilma"]["title"], rows["chatdirilma"]["locale"],
            rows["chatdirilma"]["category"]) == ("Çatdırılma", "az", "Sifariş")
    assert rows["returns-and-refunds"]["body"] == "Within 14 days.\n"  # the heading became the title
    assert rows["no-title-here"]["title"] == "no title here" and rows["no-title-here"]["locale"] == "en"

    (docs / "broken.md").unlink()
    (docs / "returns.md").write_text("# Returns and refunds\n\nWithin 30 days.\n", encoding="utf-8")
    r = run(["import-articles", "--account", account["accountId"], str(docs)], database_url)
    assert r.returncode == 0, r.stderr
    assert "updated returns.md" in r.stdout and "created" not in r.stdout
    assert "unchanged az/catdirilma.md" in r.stdout
    rows = {a["slug"]: a for a in asyncio.run(_articles(database_url, account["accountId"]))}
    assert len(rows) == 3 and rows["returns-and-refunds"]["body"] == "Within 30 days.\n"

    r = run(["import-articles", "--account", "nope", str(docs)], database_url)
    assert r.returncode == 2 and "Account not found" in r.stderr
