"""The widget's rating after a resolved conversation, in Chromium (SQLite only).

Uses the fixtures of test_widget_browser (browser, widget pages, accounts on a thread)."""

from __future__ import annotations

from tests.test_widget_browser import (  # noqa: F401  (fixtures)
    browser, database_url, eventually, expect, new_account, put_settings, widget)


def test_widget_asks_for_a_rating_when_resolved(botaz, widget) -> None:
    acme = new_account(botaz)
    wp = widget(acme)
    wp.goto()
    wp.open()
    wp.wait_connected()
    wp.say("My order is late")
    botaz.send(acme, wp.visitor_id, "It ships today, sorry!")
    form = wp.page.get_by_role("group", name="How was this conversation?")
    expect(form).to_be_hidden()
    r = botaz.client.post(f"/api/conversations/{wp.visitor_id}/status", headers=acme.headers,
                          json={"status": "resolved"})
    assert r.status_code == 200
    expect(form).to_be_visible()  # live, over the visitor's socket
    send = wp.page.get_by_role("button", name="Send rating")
    send.click()
    expect(wp.page.get_by_role("alert").filter(has_text="Choose from 1 to 5")).to_be_visible()
    wp.page.locator("label[for=botaz-star-2]").click()  # the mouse clicks a star
    expect(wp.page.get_by_role("radio", name="2 of 5: poor")).to_be_checked()
    wp.page.keyboard.press("ArrowRight")  # the keyboard moves along the group
    wp.page.keyboard.press("ArrowRight")
    expect(wp.page.get_by_role("radio", name="4 of 5: good")).to_be_checked()
    assert wp.page.locator(".stars label.lit").count() == 4
    wp.shot("rating")
    wp.page.get_by_role("textbox", name="Anything to add? (optional)").fill("Kind and quick")
    send.click()
    expect(wp.page.get_by_role("status").filter(has_text="Thank you for your feedback!")).to_be_visible()
    episode = botaz.client.get(f"/api/conversations/{wp.visitor_id}", headers=acme.headers).json()["episode"]
    assert episode["rating"]["score"] == 4 and episode["rating"]["comment"] == "Kind and quick"
    # rated: a reload does not ask again; a new conversation resolved asks again, after a reload too
    wp.reload()
    wp.open()
    expect(form).to_be_hidden()
    wp.say("One more question")
    botaz.client.post(f"/api/conversations/{wp.visitor_id}/status", headers=acme.headers,
                      json={"status": "resolved"})
    expect(form).to_be_visible()
    wp.reload()
    wp.open()
    expect(form).to_be_visible()
    # writing again puts the question away
    wp.say("Actually, wait")
    expect(form).to_be_hidden()


def test_no_rating_when_the_account_turned_it_off(botaz, widget) -> None:
    acme = new_account(botaz)
    put_settings(botaz, acme, {"satisfaction": {"enabled": False}})
    wp = widget(acme)
    wp.goto()
    wp.open()
    wp.wait_connected()
    wp.say("Hello")
    botaz.client.post(f"/api/conversations/{wp.visitor_id}/status", headers=acme.headers,
                      json={"status": "resolved"})
    wp.page.wait_for_timeout(500)
    wp.reload()
    wp.open()
    eventually(wp.page, lambda: wp.page.get_by_role("log").is_visible(), "the panel")
    expect(wp.page.get_by_role("group", name="How was this conversation?")).to_be_hidden()
