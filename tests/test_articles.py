"""The knowledge base over HTTP on both databases: articles, sanitized Markdown, Azerbaijani-aware
search, the public help centre and the widget's help search."""

from __future__ import annotations

import pytest

from botaz.chat import textsearch
from botaz.chat.articles import render_markdown, slugify


def write(botaz, acme, **body) -> dict:
    r = botaz.client.post("/api/articles", headers=acme.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_articles_crud_slug_and_validation(botaz) -> None:
    acme = botaz.account()
    a = write(botaz, acme, title="Çatdırılma nə qədər çəkir?", body="Bakıda **1-2 gün**.", locale="az",
              category="Çatdırılma")
    assert set(a) >= {"_id", "title", "body", "locale", "slug", "url", "createdAt", "updatedAt"}
    assert a["slug"] == "chatdirilma-ne-qeder-chekir"
    assert a["url"] == f"{botaz.url}/help/{acme.site_key}/{a['slug']}"
    assert a["locale"] == "az" and a["category"] == "Çatdırılma" and a["published"] is True
    # Same title again: a unique slug; default locale en.
    b = write(botaz, acme, title="Çatdırılma nə qədər çəkir?", body="Again")
    assert b["slug"] == a["slug"] + "-2" and b["locale"] == "en"
    ru = write(botaz, acme, title="Как вернуть деньги?", body="Напишите нам.", locale="ru")
    assert ru["slug"] == "kak-vernut-dengi"

    got = botaz.client.get(f"/api/articles/{a['_id']}", headers=acme.headers).json()
    assert got == a
    r = botaz.client.put(f"/api/articles/{a['_id']}", headers=acme.headers,
                         json={"title": "Çatdırılma", "category": None})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["title"] == "Çatdırılma" and changed["slug"] == a["slug"]  # slug kept
    assert changed["category"] is None and changed["updatedAt"] > a["updatedAt"]
    r = botaz.client.put(f"/api/articles/{a['_id']}", headers=acme.headers, json={"slug": ru["slug"]})
    assert r.json()["slug"] == ru["slug"] + "-2"

    page = botaz.client.get("/api/articles", headers=acme.headers, params={"limit": 2}).json()
    assert [x["_id"] for x in page["items"]] == [ru["_id"], b["_id"]] and page["next"]
    rest = botaz.client.get("/api/articles", headers=acme.headers,
                            params={"limit": 2, "cursor": page["next"]}).json()
    assert [x["_id"] for x in rest["items"]] == [a["_id"]] and rest["next"] is None
    only_ru = botaz.client.get("/api/articles", headers=acme.headers, params={"locale": "ru"}).json()
    assert [x["_id"] for x in only_ru["items"]] == [ru["_id"]]

    for body, field in [({"body": "x"}, "title"), ({"title": "x"}, "body"),
                        ({"title": "x", "body": "y", "locale": "de"}, "locale"),
                        ({"title": "x", "body": "y", "slug": "Bad Slug"}, "slug"),
                        ({"title": "x", "body": "y", "extra": 1}, "extra"),
                        ({"title": "  ", "body": "y"}, "title")]:
        r = botaz.client.post("/api/articles", headers=acme.headers, json=body)
        assert r.status_code == 400 and field in r.json()["message"], (body, r.text)
    assert botaz.client.get("/api/articles", headers=acme.headers,
                            params={"locale": "xx"}).status_code == 400

    # Another account sees none of it; a bot agent may read but not write.
    other = botaz.account()
    assert botaz.client.get(f"/api/articles/{a['_id']}", headers=other.headers).status_code == 404
    bot = acme.add_agent("Helper", bot=True)
    bot_headers = {"Authorization": f"Bearer {bot['apiToken']}"}
    assert botaz.client.get(f"/api/articles/{a['_id']}", headers=bot_headers).status_code == 200
    r = botaz.client.post("/api/articles", headers=bot_headers, json={"title": "x", "body": "y"})
    assert r.status_code == 403

    assert botaz.client.delete(f"/api/articles/{b['_id']}", headers=acme.headers).status_code == 204
    assert botaz.client.get(f"/api/articles/{b['_id']}", headers=acme.headers).status_code == 404
    assert botaz.client.delete(f"/api/articles/{b['_id']}", headers=acme.headers).status_code == 404


def test_markdown_is_rendered_safely(botaz) -> None:
    acme = botaz.account()
    nasty = ("# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
             "[click](javascript:alert(1)) [ok](https://example.com) [mail](mailto:a@b.az)\n\n"
             "![pic](https://example.com/a.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    html = botaz.client.post("/api/articles/preview", headers=acme.headers,
                             json={"body": nasty}).json()["html"]
    assert "<h1>Title</h1>" in html and "<table>" in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, never run
    assert "<img src=\"x\"" not in html and " onerror=" not in html.replace("&lt;img src=x onerror", "")
    assert 'href="javascript' not in html and "<a href" not in html.split("[click]")[0]
    assert 'href="https://example.com"' in html and 'href="mailto:a@b.az"' in html
    assert 'rel="nofollow noopener noreferrer"' in html
    assert render_markdown("<a href='javascript:x'>a</a>").count("<a") == 0


def test_slugify_transliterates() -> None:
    assert slugify("Şəki, Gəncə və İsmayıllı!") == "sheki-gence-ve-ismayilli"
    assert slugify("Öyrənmə üçün ĞÜÇ") == "oyrenme-uchun-guch"
    assert slugify("Доставка и оплата") == "dostavka-i-oplata"
    assert slugify("???") == "article"


PAIRS = [("Ə", "ə"), ("Ş", "ş"), ("Ç", "ç"), ("Ğ", "ğ"), ("Ö", "ö"), ("Ü", "ü"), ("I", "ı"), ("İ", "i")]


def test_folding_handles_azerbaijani_letters() -> None:
    for upper, lower in PAIRS:
        assert textsearch.fold(upper) == textsearch.fold(lower)
    assert textsearch.fold("İSMAYILLI") == textsearch.fold("ismayıllı") == "ismayilli"
    assert textsearch.words("Şəkiyə ÇATDIRILMA!") == ["sekiye", "catdirilma"]


SEARCH_ARTICLES = [
    ("Şəkiyə çatdırılma", "Şəki şəhərinə sifarişlər 3 gündə çatdırılır.", "az"),
    ("Ödəniş üsulları", "Kartla və nağd ödəniş qəbul edirik. Ümumi məbləğ çekdə göstərilir.", "az"),
    ("Ğ hərfi və İstanbul", "İstanbul filialımız bağlıdır; IĞDIR şəhərinə göndərmirik.", "az"),
    ("Returns and refunds", "You can return an item within 14 days for a full refund.", "en"),
    ("Доставка по Баку", "Курьер доставляет заказы за один день. Ёлочные игрушки тоже.", "ru"),
]
QUERIES = {
    "ŞƏKİ": ["Şəkiyə çatdırılma"], "şəki": ["Şəkiyə çatdırılma"], "seki": ["Şəkiyə çatdırılma"],
    "ÇATDIRILMA": ["Şəkiyə çatdırılma"], "çatdırılır": ["Şəkiyə çatdırılma"],
    "ÖDƏNİŞ": ["Ödəniş üsulları"], "odenis kartla": ["Ödəniş üsulları"],
    "ümumi": ["Ödəniş üsulları"], "UMUMI": ["Ödəniş üsulları"],
    "ığdır": ["Ğ hərfi və İstanbul"], "IGDIR": ["Ğ hərfi və İstanbul"],
    "istanbul": ["Ğ hərfi və İstanbul"], "ISTANBUL": ["Ğ hərfi və İstanbul"],
    "ıstanbul": ["Ğ hərfi və İstanbul"], "bağlı": ["Ğ hərfi və İstanbul"],
    "refunds": ["Returns and refunds"], "REFUND": ["Returns and refunds"],
    "доставка": ["Доставка по Баку"], "ЁЛОЧНЫЕ": ["Доставка по Баку"], "елочные": ["Доставка по Баку"],
    "nothing-like-this zzz": [],
}


@pytest.fixture(scope="module")
def searchable(botaz):
    acme = botaz.account()
    for title, body, locale in SEARCH_ARTICLES:
        write(botaz, acme, title=title, body=body, locale=locale)
    return acme


def test_search_with_azerbaijani_letters(botaz, searchable) -> None:
    results = {}
    for q, want in QUERIES.items():
        r = botaz.client.get("/api/articles", headers=searchable.headers, params={"q": q})
        assert r.status_code == 200, r.text
        titles = [x["title"] for x in r.json()["items"]]
        results[q] = titles
        assert titles[:len(want)] == want and (want or titles == []), (q, titles)
    # The expected lists above are the same for both databases: this test runs on each.
    hit = botaz.client.get("/api/articles", headers=searchable.headers,
                           params={"q": "nağd kartla"}).json()["items"][0]
    assert "nağd" in hit["snippet"]


def test_search_index_follows_changes(botaz) -> None:
    acme = botaz.account()
    a = write(botaz, acme, title="Zəmanət", body="Zəmanət müddəti iki ildir.", locale="az")

    def titles(q: str) -> list[str]:
        return [x["title"] for x in botaz.client.get("/api/articles", headers=acme.headers,
                                                     params={"q": q}).json()["items"]]

    assert titles("zemanet") == ["Zəmanət"]
    botaz.client.put(f"/api/articles/{a['_id']}", headers=acme.headers,
                     json={"title": "Qarantiya", "body": "Qarantiya bir ildir."})
    assert titles("zemanet") == [] and titles("qarantiya") == ["Qarantiya"]
    botaz.client.delete(f"/api/articles/{a['_id']}", headers=acme.headers)
    assert titles("qarantiya") == []


def test_help_centre_pages(botaz, searchable) -> None:
    sk = searchable.site_key
    r = botaz.client.put("/api/settings", headers=searchable.headers,
                         json={"widget": {"color": "#fde047"}})  # light: dark text on it
    assert r.status_code == 200, r.text
    r = botaz.client.get(f"/help/{sk}", params={"lang": "az"})
    assert "--brand:#fde047;--on-brand:#111111" in r.text
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="az">' in html and "Kömək mərkəzi" in html and "Acme" in html
    assert "Şəkiyə çatdırılma" in html and "Returns and refunds" not in html  # az articles only
    assert '<meta name="description"' in html and "<script" not in html
    assert "content-security-policy" in r.headers
    r = botaz.client.get(f"/help/{sk}", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in r.text and "Доставка по Баку" in r.text
    r = botaz.client.get(f"/help/{sk}", params={"q": "ŞƏKİ", "lang": "en"})
    assert "Results for" in r.text and "Şəkiyə çatdırılma" in r.text
    slug = slugify("Şəkiyə çatdırılma")
    r = botaz.client.get(f"/help/{sk}/{slug}")
    assert r.status_code == 200 and "<h1>Şəkiyə çatdırılma</h1>" in r.text
    assert '<meta name="description" content="Şəki şəhərinə sifarişlər 3 gündə çatdırılır.">' in r.text
    assert f'<link rel="canonical" href="{botaz.url}/help/{sk}/{slug}">' in r.text
    assert botaz.client.get(f"/help/{sk}/no-such-article").status_code == 404
    r = botaz.client.get("/help/nosuchsite")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


def test_widget_help_search(botaz, searchable) -> None:
    sk = searchable.site_key
    r = botaz.client.get("/widget/v1/articles", params={"siteKey": sk, "q": "refund"},
                         headers={"Origin": "https://shop.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    items = r.json()["items"]
    assert [i["title"] for i in items] == ["Returns and refunds"]
    assert items[0]["url"].endswith("/help/" + sk + "/returns-and-refunds") and items[0]["snippet"]
    one = botaz.client.get(f"/widget/v1/articles/{items[0]['_id']}", params={"siteKey": sk}).json()
    assert one["html"].startswith("<p>You can return")
    latest = botaz.client.get("/widget/v1/articles", params={"siteKey": sk}).json()["items"]
    assert len(latest) == len(SEARCH_ARTICLES)
    assert botaz.client.get("/widget/v1/articles", params={"siteKey": "nope"}).status_code == 404
    assert botaz.client.get("/widget/v1/articles").status_code == 400
    other = botaz.account()
    assert botaz.client.get(f"/widget/v1/articles/{items[0]['_id']}",
                            params={"siteKey": other.site_key}).status_code == 404
