""""Visitors now" in a real browser: a visitor browses the demo site in one context, the agent sees
it live in another, starts a chat, and the first message makes the conversation.

Same rules as tests/test_dashboard_browser.py, whose fixtures and helpers this module uses.
"""

from __future__ import annotations

import re
from typing import Any

from tests.test_dashboard_browser import (  # noqa: F401  (fixtures are used by name)
    Dashboard, browser, dashboard, database_url, eventually, expect, messages, new_account,
    new_visitor, owner_email, vheaders,
)
from tests.test_sockets import Socket


def visitors_table(board: Dashboard):
    return board.page.get_by_role("table", name="Visitors on your website now")


def test_agent_sees_a_browsing_visitor_and_starts_the_conversation(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Visitors now").click()
    page.wait_for_url(f"{botaz.url}/visitors")
    expect(page.get_by_role("heading", name="Visitors now")).to_be_visible()
    expect(page.get_by_text("Nobody is on your website right now.")).to_be_visible()

    # A visitor opens the demo site and the chat, closes it without writing: the row appears,
    # live. (A page view alone makes no visitor: the widget's first load costs one request.)
    site = dashboard()
    created: list[dict[str, Any]] = []
    site.page.on("response", lambda r: created.append(r.json())
                 if r.url.endswith("/widget/v1/visitors") and r.request.method == "POST" else None)
    site.page.goto(f"{botaz.url}/demo?siteKey={acme.site_key}")
    site.page.get_by_role("button", name="Open chat").click()
    site.page.keyboard.press("Escape")
    visitor = eventually(page, lambda: created and created[0], "the widget's visitor")
    vid = visitor["visitorId"]
    row = visitors_table(board).locator(f'tr[data-visitor-id="{vid}"]')
    expect(row).to_be_visible()
    expect(row.get_by_role("link", name="Caspian Coffee Roasters — botaz demo")).to_be_visible()
    expect(row.get_by_text("Browsing", exact=True)).to_be_visible()
    expect(row.get_by_text(re.compile(r"^\d+ s$")).first).to_be_visible()  # on page, on site
    expect(page.get_by_text("1 visitor on your website.")).to_be_visible()

    # The visitor moves to another page of the site (a single-page app's pushState): live too.
    site.page.evaluate("document.title = 'Our beans'; history.pushState({}, '', '/demo?siteKey="
                       + acme.site_key + "#beans')")
    expect(row.get_by_role("link", name="Our beans")).to_be_visible()
    expect(row.get_by_text(re.compile(r"#beans$"))).to_be_visible()

    # Browsing is not a conversation: the inbox does not list the visitor.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conversations").click()
    expect(page.get_by_text("No conversations yet.", exact=False)).to_be_visible()
    page.go_back()
    page.wait_for_url(f"{botaz.url}/visitors")

    # Start a chat: /chat/:visitorId, where the first message makes the conversation.
    name = f"Visitor {vid[-5:].upper()}"
    visitors_table(board).get_by_role("button", name=f"Start chat with {name}").click()
    page.wait_for_url(f"{botaz.url}/chat/{vid}")
    expect(board.timeline.get_by_text("your first message starts it", exact=False)).to_be_visible()
    expect(board.conversation_link(name)).to_have_count(0)
    board.message_box.fill("Hello! Looking for a coffee to start the day?")
    board.send.click()
    expect(board.timeline.get_by_text("Hello! Looking for a coffee to start the day?", exact=True)).to_be_visible()
    assert [m["text"] for m in messages(botaz, acme, vid)] == ["Hello! Looking for a coffee to start the day?"]

    # The inbox now has the conversation, live; the visitor's widget has the message.
    expect(board.conversation_link("Hello! Looking for a coffee")).to_be_visible()
    site.page.get_by_role("button", name=re.compile("^Open chat")).click()
    expect(site.page.get_by_role("log").get_by_text(
        "Hello! Looking for a coffee to start the day?", exact=True)).to_be_visible()

    # Back in Visitors now the row says so; and it goes when the visitor leaves.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Visitors now").click()
    expect(row.get_by_text("In a conversation", exact=True)).to_be_visible()
    expect(row.get_by_role("button", name=f"Open chat with {name}")).to_be_visible()
    # Two more visitors, reported through the API as a widget would: three rows, newest first.
    others = []
    for url, title, referrer in (("https://caspian.example/beans/ethiopia", "Ethiopia Yirgacheffe — whole beans", None),
                                 ("https://caspian.example/cart", "Your cart (2)", "https://www.instagram.com/")):
        other = new_visitor(botaz, acme)
        others.append(Socket(botaz, "/widget/v1/ws", other["visitorToken"], resume=None))
        assert botaz.client.post("/widget/v1/pages", headers=vheaders(other), json={
            "url": url, "title": title, "referrer": referrer}).status_code == 201
    expect(page.get_by_text("3 visitors on your website.")).to_be_visible()
    expect(visitors_table(board).get_by_role("link", name="Your cart (2)")).to_be_visible()
    assert visitors_table(board).locator("tbody tr").first.get_by_text("Your cart (2)").count() == 1
    board.shot("visitors-now")
    # On a phone each visitor is a card, its button on screen without scrolling sideways.
    page.set_viewport_size({"width": 390, "height": 800})
    button = visitors_table(board).get_by_role("button", name=re.compile("^Start chat with")).first
    box = button.bounding_box()
    assert box and box["x"] + box["width"] <= 390, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})
    for other in others:
        other.close()
    site.page.close()
    expect(row).to_have_count(0)
    expect(page.get_by_text("Nobody is on your website right now.")).to_be_visible()
