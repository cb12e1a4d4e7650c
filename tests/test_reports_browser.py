"""The reports page, ratings and labels in the dashboard, in Chromium (SQLite only).

Uses the fixtures of test_dashboard_browser; axe-core (axe-playwright-python) checks the pages."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.conftest import _run
from tests.test_dashboard_browser import (  # noqa: F401  (fixtures)
    browser, dashboard, database_url, eventually, expect, new_account, new_visitor, owner_email,
    vheaders)

try:
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # pragma: no cover - the test extra installs it
    Axe = None


def serious_violations(page: Any, context: Any = None) -> list[str]:
    """Serious and critical axe-core violations (in `context`, a selector: other screens' parts
    belong to other work)."""
    if Axe is None:
        return []
    page.emulate_media(reduced_motion="reduce")  # final colours, nothing caught mid-animation
    results = Axe().run(page, context=context)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
            f"{[n['target'] for n in v['nodes']][:3]})"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _scripted(botaz, account, days_ago: int, answer_s: int, score: int | None) -> str:
    """A visitor conversation opened `days_ago` days ago at 10:00 UTC, answered after answer_s."""
    visitor = new_visitor(botaz, account)
    opened = datetime.now(timezone.utc).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    at = int(opened.timestamp() * 1000)

    async def insert(chat) -> None:
        from botaz.ids import new_id

        episode_id = new_id()
        await chat.store.insert_episode({
            "id": episode_id, "account_id": account.id, "visitor_id": visitor["visitorId"],
            "opened_at": at, "opened_by": None, "first_response_at": at + answer_s * 1000,
            "first_responder_id": account.agent_id, "first_bot_at": None, "assignee_id": None})
        await chat.store.resolve_episode(visitor["visitorId"], account.agent_id, at + 600_000)
        if score:
            await chat.store.rate_episode(episode_id, score, "fine", at + 700_000)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _run(account.database_url, insert)).result()
    return visitor["visitorId"]


def test_reports_page_shows_the_figures_with_tables(botaz, dashboard) -> None:
    acme = new_account(botaz)
    for days_ago, answer, score in ((1, 60, 5), (2, 120, 4), (3, 180, None), (40, 30, 1)):
        _scripted(botaz, acme, days_ago, answer, score)
    board = dashboard()
    board.sign_in(owner_email(botaz, acme))
    board.page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    board.page.wait_for_url(f"{botaz.url}/reports*")
    page = board.page
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    totals = page.get_by_role("list", name="Totals for the range")

    def kpi(name: str):
        return totals.get_by_role("listitem").filter(has=page.get_by_text(name, exact=True))

    expect(kpi("Conversations")).to_contain_text("3")
    expect(kpi("First response (median)")).to_contain_text("2 min")
    expect(kpi("Satisfaction")).to_contain_text("4.50 / 5")
    expect(kpi("Answered within target")).to_contain_text("100%")
    for title in ("Conversations per day", "When conversations start", "First response time",
                  "Resolution time", "Ratings"):
        region = page.get_by_role("region", name=title)
        expect(region.get_by_role("img")).to_be_visible()
        region.get_by_text("Show the numbers").click()
        expect(region.get_by_role("table")).to_be_visible()
    ratings = page.get_by_role("region", name="Ratings").get_by_role("table")
    expect(ratings.get_by_role("row", name="5 stars 1")).to_be_visible()
    agents = page.get_by_role("region", name="Agents").get_by_role("table")
    expect(agents.get_by_role("row").filter(has_text="Anar")).to_contain_text("3")
    href = page.get_by_role("link", name="Export CSV").get_attribute("href")
    r = botaz.client.get(href, headers=acme.headers)
    assert r.status_code == 200 and len(r.text.strip().splitlines()) == 4  # header + 3
    # the range: the last 90 days take in the old conversation too
    page.get_by_label("Range", exact=True).select_option("90")
    expect(kpi("Conversations")).to_contain_text("4")
    assert "/reports?from=" in page.url
    assert not serious_violations(page), serious_violations(page)
    page.evaluate("window.scrollTo(0, 0); document.getElementById('main').scrollTo(0, 0)")
    board.shot("reports")


def test_rating_and_labels_in_the_conversation_view(botaz, dashboard) -> None:
    acme = new_account(botaz)
    for name, color in (("billing", "#d97706"), ("vip", "#7c3aed")):
        assert botaz.client.post("/api/labels", headers=acme.headers, json={"name": name, "color": color}).status_code == 201
    visitor = new_visitor(botaz, acme, "Where is my refund?", name="Aysel")
    other = new_visitor(botaz, acme, "Hello there", name="Kamran")
    vid = visitor["visitorId"]
    board = dashboard()
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{vid}")
    panel = board.panel()
    section = panel.get_by_role("region", name="This conversation")
    expect(section).to_contain_text("Not answered yet")
    board.message_box.fill("Sent today!")
    board.send.click()
    expect(section).to_contain_text("Anar", timeout=10_000)
    section.get_by_label("Label to add").select_option(label="vip")
    section.get_by_role("button", name="Add label").click()
    expect(section.get_by_role("list", name="Labels")).to_contain_text("vip")
    r = botaz.client.post(f"/api/conversations/{vid}/status", headers=acme.headers, json={"status": "resolved"})
    assert r.status_code == 200
    assert botaz.client.post("/widget/v1/rating", headers=vheaders(visitor),
                             json={"score": 5, "comment": "Great help"}).status_code == 200
    expect(section.get_by_role("img", name="5 of 5 stars")).to_be_visible()  # live, over the socket
    expect(section).to_contain_text("Great help")
    assert not serious_violations(board.page, ".episode"), serious_violations(board.page, ".episode")
    # the inbox filter by label (Aysel's conversation is resolved: show all)
    board.page.get_by_role("group", name="Status").get_by_role("button", name="All").click()
    board.page.get_by_label("Filter by label").select_option(label="vip")
    conversations = board.page.get_by_role("list", name="Conversations")
    expect(conversations.get_by_role("link").filter(has_text="Aysel")).to_be_visible()
    expect(conversations.get_by_role("link").filter(has_text="Kamran")).to_have_count(0)
    board.page.get_by_label("Filter by label").select_option(label="Any label")
    expect(conversations.get_by_role("link").filter(has_text="Kamran")).to_be_visible()
    # removing the label
    section.get_by_role("button", name="Remove label vip").click()
    expect(section.get_by_role("list", name="Labels")).to_contain_text("None")
    assert other  # the second visitor only had to exist


def test_owner_manages_labels_and_the_rating_switch_in_settings(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    board.sign_in(owner_email(botaz, acme), path="/settings")
    page = board.page
    labels = page.get_by_role("region", name="Labels")
    labels.get_by_label("Name").fill("urgent")
    labels.get_by_role("button", name="Add label").click()
    expect(labels.get_by_role("list", name="Labels")).to_contain_text("urgent")
    assert [x["name"] for x in botaz.client.get("/api/labels", headers=acme.headers).json()["items"]] == ["urgent"]
    ratings = page.get_by_role("region", name="Ratings and targets")
    switch = ratings.get_by_role("switch", name="Ask visitors to rate the conversation when it is resolved")
    expect(switch).to_be_checked()
    switch.uncheck()
    ratings.get_by_label("First-response target (minutes)").fill("3")
    ratings.get_by_role("button", name="Save").click()
    expect(ratings.get_by_role("status")).to_have_text("Saved")
    settings = botaz.client.get("/api/settings", headers=acme.headers).json()
    assert settings["satisfaction"] == {"enabled": False} and settings["targets"]["firstResponseSeconds"] == 180
    labels.get_by_role("button", name="Delete label urgent").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete label").click()
    expect(labels).to_contain_text("No labels yet.")
    mine = {"include": [["#labels"], ["#satisfaction"]]}
    assert not serious_violations(page, mine), serious_violations(page, mine)
