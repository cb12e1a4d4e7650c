"""The knowledge base in a real browser: the dashboard's articles editor with its preview, the
answer-bot switch in the bot settings, and the public help centre (no script, axe-core clean).

SQLite only, like tests/test_dashboard_browser.py, whose fixtures this module uses.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from tests.test_dashboard_browser import (  # noqa: F401  (fixtures are used by name)
    Dashboard, browser, dashboard, database_url, eventually, expect, new_account, owner_email,
)


def serious(page) -> list[str]:
    # Final colours only: with reduced motion no toast or panel is caught half faded in.
    page.emulate_media(reduced_motion="reduce")
    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} at {n['target']}: {n.get('failureSummary', '')}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")
            for n in v["nodes"]]


def test_articles_editor_preview_and_answer_bot_switch(botaz, dashboard) -> None:
    account = new_account(botaz)
    site: Dashboard = dashboard()
    site.sign_in(owner_email(botaz, account), path="/articles")
    page = site.page
    expect(page.get_by_role("heading", name="Articles", level=1)).to_be_visible()
    expect(page.get_by_text("No articles yet.")).to_be_visible()
    page.get_by_role("button", name="New article").click()
    page.get_by_label("Title", exact=True).fill("Ödəniş üsulları")
    page.get_by_label("Language", exact=True).select_option("az")
    page.get_by_label("Category").fill("Ödəniş")
    page.get_by_label("Body", exact=True).fill("Kartla və **nağd** ödəyin.\n\n<script>alert(1)</script>")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".kb-preview")
    expect(preview.locator("strong")).to_have_text("nağd")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text
    page.get_by_role("button", name="Save article").click()
    link = page.get_by_role("link", name=f"{botaz.url}/help/{account.site_key}/odenish-usullari")
    expect(link).to_be_visible()
    items = botaz.client.get("/api/articles", headers=account.headers).json()["items"]
    assert [(a["title"], a["locale"], a["category"]) for a in items] == [("Ödəniş üsulları", "az", "Ödəniş")]

    page.get_by_role("searchbox", name="Search articles").fill("ODENIS")
    expect(page.get_by_role("button", name="Ödəniş üsulları")).to_be_visible()
    page.get_by_role("button", name="Ödəniş üsulları").click()
    page.get_by_label("Title", exact=True).fill("Ödəniş")
    page.get_by_role("button", name="Save article").click()
    eventually(page, lambda: botaz.client.get("/api/articles", headers=account.headers)
               .json()["items"][0]["title"] == "Ödəniş", "the title saved")
    assert not serious(page), serious(page)
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete article").click()
    eventually(page, lambda: botaz.client.get("/api/articles", headers=account.headers)
               .json()["items"] == [], "the article deleted")

    site.goto("/settings#bot")
    switch = page.get_by_role("switch", name="Answer from the knowledge base")
    switch.check()
    page.get_by_label("Confidence needed (1-100)").fill("70")
    page.get_by_role("button", name="Save bot").click()
    eventually(page, lambda: botaz.client.get("/api/bot", headers=account.headers).json()
               .get("answerThreshold") == 70, "the answer bot saved")
    assert botaz.client.get("/api/bot", headers=account.headers).json()["answerBot"] is True


def test_help_centre_is_accessible_without_script(botaz, browser) -> None:
    account = new_account(botaz)
    for title, body, category in [("Çatdırılma", "## Bakı\n\nBakıda 1-2 gün.", "Sifariş"),
                                  ("Qaytarma", "14 gün ərzində.", None)]:
        botaz.client.post("/api/articles", headers=account.headers,
                          json={"title": title, "body": body, "locale": "az", "category": category})
    context = browser.new_context(java_script_enabled=False, locale="az-AZ")
    try:
        page = context.new_page()
        page.goto(f"{botaz.url}/help/{account.site_key}")
        expect(page.get_by_role("heading", name="Kömək mərkəzi", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="Sifariş", level=2)).to_be_visible()
        page.get_by_role("searchbox").fill("catdirilma")
        page.get_by_role("button", name="Axtar").click()  # a plain GET form: works with no script
        page.get_by_role("link", name="Çatdırılma").click()
        expect(page.get_by_role("heading", name="Çatdırılma", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="Bakı", level=3)).to_be_visible()
        assert page.evaluate("document.scripts.length") == 0
    finally:
        context.close()
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        for path in ("", "/chatdirilma", "?q=nothing-matches", "/no-such-page"):
            page.goto(f"{botaz.url}/help/{account.site_key}{path}")
            assert not serious(page), (path, serious(page))
    finally:
        context.close()


def test_widget_searches_help_and_offers_quick_replies(botaz, dashboard) -> None:
    account = new_account(botaz)
    botaz.client.post("/api/articles", headers=account.headers, json={
        "title": "Returning an item", "locale": "en",
        "body": "You can return any **unused** item within 14 days.\n\n<img src=x onerror=alert(1)>"})
    botaz.client.put("/api/bot", headers=account.headers, json={"answerBot": True})
    site: Dashboard = dashboard()
    page = site.page
    page.goto(f"{botaz.url}/demo?siteKey={account.site_key}")
    page.get_by_role("button", name="Open chat").click()
    page.get_by_role("searchbox", name="Search help").fill("RETURN")
    result = page.get_by_role("list", name="Help articles").get_by_role("button")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Returning an item")
    result.click()
    expect(page.get_by_role("heading", name="Returning an item")).to_be_visible()
    expect(page.locator("botaz-widget .article strong")).to_have_text("unused")
    assert page.locator("botaz-widget .article img").count() == 0  # shown as text, never an <img>
    page.get_by_role("button", name="Back to the chat").click()
    expect(page.get_by_role("log")).to_be_visible()

    page.get_by_role("textbox", name="Message").fill("how do I return an unused item?")
    page.get_by_role("button", name="Send", exact=True).click()
    quick = page.get_by_role("group", name="Quick replies")
    expect(quick.get_by_role("button", name="That helped")).to_be_visible()
    expect(page.get_by_role("log")).to_contain_text(f"/help/{account.site_key}/returning-an-item")
    quick.get_by_role("button", name="Talk to a person").click()
    expect(page.get_by_role("log")).to_contain_text("Nobody from our team is available")
    expect(quick).to_be_hidden()


def test_main_navigation_fits_with_articles(botaz, dashboard) -> None:
    """Where the Articles link shows, the navigation still fits; where it would not, it gives way
    (narrow screens are tests/test_dashboard_browser.py's test_narrow_screen)."""
    account = new_account(botaz)
    for width in (390, 1000, 1181, 1440):
        site: Dashboard = dashboard(viewport={"width": width, "height": 760})
        site.sign_in(owner_email(botaz, account))
        nav = site.page.get_by_role("navigation", name="Main")
        articles = nav.get_by_role("link", name="Articles")
        if width > 1180:
            assert nav.evaluate("n => n.scrollWidth <= n.clientWidth"), (width, nav.evaluate(
                "n => [n.scrollWidth, n.clientWidth]"))
            articles.click()
            expect(site.page.get_by_role("heading", name="Articles", level=1)).to_be_visible()
        else:
            expect(articles).to_be_hidden()
