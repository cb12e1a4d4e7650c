"""A conversation link in real browsers: the visitor writes on a website, then opens the emailed
link in a second browser context (another device) and keeps chatting; the website's widget takes
the link over too. SQLite only, like the other browser tests."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from playwright.sync_api import expect

from test_conversation_link import forged, link_token
from test_widget_browser import (  # noqa: F401  (fixtures)
    agent_socket, browser, database_url, eventually, host_site, new_account, widget)


def off_thread(fn: Any, *args: Any) -> Any:
    """asyncio.run() cannot nest inside sync Playwright's loop: run it on a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def next_message(ws: Any, timeout: float = 10.0) -> dict:
    while True:
        frame = json.loads(ws.recv(timeout=timeout))
        if frame["event"] == "message.created":
            return frame["data"]


def test_the_link_opens_the_conversation_on_another_device_and_on_the_website(
        botaz, widget, host_site) -> None:
    acme = new_account(botaz, "Acme Shop")
    laptop = widget(acme)
    shop_url = host_site.embed(botaz, acme)
    laptop.page.goto(shop_url)
    laptop.wait_ready()
    laptop.open()
    laptop.say("Hello from the laptop")
    visitor_id = laptop.visitor_id
    botaz.send(acme, visitor_id, "Thanks! We will email you the answer.")
    expect(laptop.log.get_by_text("Thanks! We will email you the answer.")).to_be_visible()
    token = off_thread(link_token, botaz, visitor_id)

    phone = widget(acme, viewport={"width": 390, "height": 760})  # a second browser context
    phone.page.goto(f"{botaz.url}/c/{token}")
    expect(phone.page.get_by_role("heading", name="Acme Shop", level=1)).to_be_visible()
    expect(phone.log.get_by_text("Hello from the laptop")).to_be_visible()
    expect(phone.log.get_by_text("Thanks! We will email you the answer.")).to_be_visible()
    expect(phone.page.get_by_role("button", name="Open chat")).to_be_hidden()
    box = phone.dialog.bounding_box()
    assert box is not None and box["height"] > 600  # the panel is the page, below the header
    agent = agent_socket(botaz, acme)
    try:
        phone.say("Hello from the phone")
        got = next_message(agent)
        assert got["text"] == "Hello from the phone" and got["visitorId"] == visitor_id
        assert got["userId"] is None
        expect(laptop.log.get_by_text("Hello from the phone")).to_be_visible()  # live, both ways
        botaz.send(acme, visitor_id, "Seen on every device")
        expect(phone.log.get_by_text("Seen on every device")).to_be_visible()
    finally:
        agent.close()
    assert phone.saved["visitorId"] == visitor_id and phone.saved["visitorToken"] != laptop.saved["visitorToken"]

    # The page offers the website, where the widget takes the link over and opens by itself.
    go = phone.page.get_by_role("link", name="Continue on localhost")
    href = go.get_attribute("href")
    assert href == f"{shop_url}#botaz-link={token}"
    desktop = widget(acme)
    desktop.page.goto(href)
    desktop.wait_ready()
    expect(desktop.dialog).to_be_visible()
    expect(desktop.log.get_by_text("Hello from the phone")).to_be_visible()
    assert "botaz-link" not in desktop.page.url
    assert desktop.visitor_id == visitor_id
    desktop.say("And from the desktop")
    expect(phone.log.get_by_text("And from the desktop")).to_be_visible()


def test_refused_links_show_a_kind_page_and_no_conversation(botaz, widget) -> None:
    acme = new_account(botaz, "Hidden Name Ltd")
    v = botaz.visitor(acme)
    token = off_thread(link_token, botaz, v["visitorId"])
    expired = off_thread(link_token, botaz, v["visitorId"], -60)
    page = widget(acme).page
    for url, heading, status in ((f"/c/{forged(token)}", "This link does not work", 404),
                                 (f"/c/{expired}", "This link has expired", 410)):
        response = page.goto(botaz.url + url)
        assert response is not None and response.status == status
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        assert "Hidden Name Ltd" not in page.content()
        assert page.locator("botaz-widget").count() == 0
    assert botaz.client.post(f"/api/visitors/{v['visitorId']}/ban", headers=acme.headers).status_code == 200
    response = page.goto(f"{botaz.url}/c/{token}")
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
