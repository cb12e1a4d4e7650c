"""Known users in real browsers: a website embeds the widget with the documented snippet and calls
Botaz.identify() before the script has loaded; two browser contexts of the same user share one
conversation; a forged hash leaves the widget anonymous; the page's API fires its events.
SQLite only, like the other browser tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from playwright.sync_api import expect

from test_dashboard_browser import dashboard  # noqa: F401  (fixture)
from test_widget_browser import (  # noqa: F401  (fixtures)
    browser, eventually, host_site, new_account, widget)

import pytest

from conftest import _database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_root):
    """Issue 17's items are checked in Chromium on both databases (unlike most browser tests)."""
    yield from _database(request.param, tmp_root)

# The stub of docs/widget.md: calls made before widget.js arrives wait in Botaz.q.
STUB = ("window.Botaz=window.Botaz||{q:[]};['open','close','toggle','hide','show','send',"
        "'identify','logout','setAttributes','on'].forEach(function(m){Botaz[m]=Botaz[m]||"
        "function(){Botaz.q.push([m,[].slice.call(arguments)])}});")


def page_for(botaz, host_site, account, user: dict | None) -> str:
    calls = ("window.events=[];['message','open','close','unread'].forEach(function(n){"
             "Botaz.on(n,function(v){events.push([n,n==='message'?v.text:v===undefined?null:v])})});")
    if user is not None:
        calls += f"Botaz.identify({json.dumps(user)});"
    path = f"/account-{secrets.token_hex(4)}"
    host_site.pages[path] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>My account</title>"
        f"</head><body><h1>Signed in</h1><script>{STUB}{calls}</script>"
        f'<script src="{botaz.url}/widget.js" data-site-key="{account.site_key}" async></script>'
        "</body></html>")
    return host_site.origin + path


def stored(w) -> dict:
    """What the widget keeps in localStorage; {} until it has stored a visitor."""
    raw = w.page.evaluate(
        f"localStorage.getItem({json.dumps('botaz:' + w.account.site_key + ':visitor')})")
    return json.loads(raw) if raw else {}


def secret_of(botaz, account) -> str:
    return botaz.client.get("/api/settings", headers=account.headers).json()["identitySecret"]


def signed(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def test_one_user_on_two_browsers_and_a_forged_hash(botaz, widget, host_site) -> None:
    acme = new_account(botaz, "Acme Accounts")
    secret = secret_of(botaz, acme)
    user = {"id": "user-42", "name": "Anar", "email": "anar@example.com",
            "hash": signed(secret, "user-42")}
    url = page_for(botaz, host_site, acme, user)

    laptop = widget(acme)
    laptop.page.goto(url)
    laptop.wait_ready()
    eventually(laptop.page, lambda: stored(laptop).get("userId") == "user-42", "the laptop to identify")
    laptop.open()
    laptop.say("Hello from the laptop")
    known = laptop.visitor_id
    profile = botaz.client.get(f"/api/visitors/{known}", headers=acme.headers).json()
    assert profile["name"] == "Anar" and profile["email"] == "anar@example.com"
    botaz.send(acme, known, "Hi Anar, how can we help?")
    expect(laptop.log.get_by_text("Hi Anar, how can we help?")).to_be_visible()

    phone = widget(acme, viewport={"width": 390, "height": 760})  # another device
    phone.page.goto(url)
    phone.wait_ready()
    eventually(phone.page, lambda: stored(phone).get("userId") == "user-42", "the phone to identify")
    assert phone.visitor_id == known
    phone.open()
    expect(phone.log.get_by_text("Hello from the laptop")).to_be_visible()
    expect(phone.log.get_by_text("Hi Anar, how can we help?")).to_be_visible()
    phone.say("And from the phone")
    expect(laptop.log.get_by_text("And from the phone")).to_be_visible()  # live on both

    # Someone who copied the user's ID but not a valid hash stays anonymous and sees nothing.
    forged_url = page_for(botaz, host_site, acme, {"id": "user-42", "hash": signed("guess", "user-42")})
    mallory = widget(acme)
    refused = []
    mallory.page.on("response", lambda r: refused.append(r.status) if r.url.endswith("/widget/v1/identify") else None)
    mallory.page.goto(forged_url)
    mallory.wait_ready()
    eventually(mallory.page, lambda: 403 in refused, "the forged identify to be refused")
    mallory.open()
    assert mallory.visitor_id != known and mallory.saved.get("userId") is None
    mallory.page.wait_for_timeout(300)
    expect(mallory.log.get_by_text("Hello from the laptop")).to_have_count(0)
    expect(mallory.log.get_by_text("Hi Anar, how can we help?")).to_have_count(0)


def test_an_anonymous_chat_moves_into_the_user_on_sign_in(botaz, widget, host_site) -> None:
    acme = new_account(botaz, "Acme Merge")
    secret = secret_of(botaz, acme)
    w = widget(acme)
    w.page.goto(page_for(botaz, host_site, acme, None))
    w.wait_ready()
    w.open()
    w.say("A question before signing in")
    anonymous = w.visitor_id
    ok = w.page.evaluate("u => Botaz.identify(u)", {"id": "user-9", "hash": signed(secret, "user-9")})
    assert ok is True
    assert w.saved.get("userId") == "user-9"
    expect(w.log.get_by_text("A question before signing in")).to_be_visible()
    # The user had no visitor yet: the anonymous one became the user's.
    assert w.visitor_id == anonymous
    # Signing out starts a fresh anonymous visitor that shows nothing of the user.
    w.page.evaluate("Botaz.logout()")
    eventually(w.page, lambda: stored(w).get("visitorId") not in (None, anonymous), "a new anonymous visitor")
    expect(w.log.get_by_text("A question before signing in")).to_have_count(0)


def test_the_page_api_events_attributes_send_hide(botaz, widget, host_site) -> None:
    acme = new_account(botaz, "Acme API")
    w = widget(acme)
    w.page.goto(page_for(botaz, host_site, acme, None))
    w.wait_ready()
    # The first open makes the visitor (a page view alone does not); on the next page the
    # widget resumes it at once, socket included.
    w.open()
    visitor_id = w.visitor_id
    w.reload()
    w.wait_connected(resumes=2)  # the socket of this page is up
    botaz.send(acme, visitor_id, "An answer while closed")
    eventually(w.page, lambda: ["unread", 1] in w.page.evaluate("events"), "the unread event")
    assert ["message", "An answer while closed"] in w.page.evaluate("events")
    w.page.evaluate("Botaz.open()")
    eventually(w.page, lambda: ["open", None] in w.page.evaluate("events"), "the open event")
    assert ["unread", 0] in w.page.evaluate("events")
    w.page.evaluate("Botaz.close()")
    eventually(w.page, lambda: ["close", None] in w.page.evaluate("events"), "the close event")

    w.page.evaluate("Botaz.send('Sent by the page')")
    eventually(w.page, lambda: ["message", "Sent by the page"] in w.page.evaluate("events"),
               "the page's own message")
    texts = [m["text"] for m in botaz.client.get(
        f"/api/visitors/{visitor_id}/messages", headers=acme.headers).json()["items"]]
    assert "Sent by the page" in texts

    attrs = w.page.evaluate("Botaz.setAttributes({plan: 'pro', seats: 3})")
    assert attrs == {"plan": "pro", "seats": 3}
    seen = botaz.client.get(f"/api/visitors/{visitor_id}/attributes", headers=acme.headers).json()
    assert seen == {"externalId": None, "attributes": {"plan": "pro", "seats": 3}}
    bad = w.page.evaluate("Botaz.setAttributes({list: [1]}).then(() => 'ok', e => e.message)")
    assert "attributes" in bad

    w.page.evaluate("Botaz.hide()")
    expect(w.launcher()).to_be_hidden()
    w.page.evaluate("Botaz.show()")
    expect(w.launcher()).to_be_visible()


def test_the_visitor_panel_shows_the_user_and_attributes(botaz, dashboard) -> None:
    from test_dashboard_browser import owner_email

    acme = new_account(botaz, "Acme Panel")
    secret = secret_of(botaz, acme)
    user = botaz.client.post("/widget/v1/identify", json={
        "siteKey": acme.site_key, "id": "user-5", "name": "Leyla", "hash": signed(secret, "user-5")}).json()
    vh = {"Authorization": f"Bearer {user['visitorToken']}"}
    botaz.client.post("/widget/v1/messages", headers=vh, json={"text": "Where is my order?"})
    botaz.client.post("/widget/v1/attributes", headers=vh,
                      json={"attributes": {"plan": "pro", "note": "<b>bold</b>"}})
    board = dashboard()
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{user['visitorId']}")
    panel = board.panel()
    expect(panel.get_by_text("Signed-in user ID")).to_be_visible()
    expect(panel.get_by_text("user-5", exact=True)).to_be_visible()
    expect(panel.locator("dt", has_text="plan")).to_be_visible()
    expect(panel.locator("dd", has_text="pro")).to_be_visible()
    expect(panel.get_by_text("<b>bold</b>", exact=True)).to_be_visible()  # text, never HTML
    botaz.client.post("/widget/v1/attributes", headers=vh, json={"attributes": {"plan": "team"}})
    expect(panel.locator("dd", has_text="team")).to_be_visible()  # live


def test_the_launcher_can_sit_on_the_left(botaz, widget) -> None:
    acme = new_account(botaz, "Acme Left")
    r = botaz.client.put("/api/settings", headers=acme.headers, json={"widget": {"position": "middle"}})
    assert r.status_code == 400 and "position" in r.json()["message"]
    r = botaz.client.put("/api/settings", headers=acme.headers, json={"widget": {"position": "left"}})
    assert r.status_code == 200 and r.json()["widget"]["position"] == "left"
    w = widget(acme).goto()
    box = w.launcher().bounding_box()
    assert box is not None and box["x"] < 100
    w.open()
    panel = w.dialog.bounding_box()
    assert panel is not None and panel["x"] < 100
    phone = widget(acme, viewport={"width": 390, "height": 760}).goto()
    phone.open()
    full = phone.dialog.bounding_box()
    assert full is not None and full["x"] == 0 and full["width"] == 390


def test_owners_see_and_rotate_the_secret_in_settings(botaz, dashboard) -> None:
    from test_dashboard_browser import owner_email

    acme = new_account(botaz, "Acme Secret")
    secret = secret_of(botaz, acme)
    board = dashboard()
    board.sign_in(owner_email(botaz, acme), path="/settings")
    install = board.page.locator("#install")
    expect(install.get_by_text("Identity secret")).to_be_visible()
    expect(install.get_by_text(secret, exact=True)).to_be_visible()
    install.get_by_role("button", name="Rotate").click()
    board.page.get_by_role("button", name="Rotate secret").click()
    eventually(board.page, lambda: secret_of(botaz, acme) != secret, "the secret to change")
    expect(install.get_by_text(secret_of(botaz, acme), exact=True)).to_be_visible()
    # The launcher position is a widget setting like the others.
    board.page.get_by_label("Launcher position").select_option("left")
    board.page.get_by_role("button", name="Save widget").click()
    eventually(board.page, lambda: botaz.client.get("/api/settings", headers=acme.headers)
               .json()["widget"].get("position") == "left", "the position to be saved")


def test_a_proactive_rule_greets_once(botaz, widget) -> None:
    acme = new_account(botaz, "Acme Greets")
    r = botaz.client.put("/api/settings", headers=acme.headers, json={"proactive": [
        {"id": "demo-greeting", "text": "Need a hand with the demo?", "agentId": acme.agent_id,
         "urlContains": "/demo", "afterSeconds": 1},
        {"id": "elsewhere", "text": "Not on this page", "agentId": acme.agent_id,
         "urlContains": "/checkout"}]})
    assert r.status_code == 200, r.text
    w = widget(acme).goto()
    expect(w.dialog).to_be_visible(timeout=5000)  # opened by the rule after a second
    expect(w.log.get_by_text("Need a hand with the demo?")).to_have_count(1)
    expect(w.log.get_by_text("Not on this page")).to_have_count(0)
    w.page.evaluate("Botaz.close()")
    w.reload()
    w.page.wait_for_timeout(1500)
    expect(w.dialog).to_be_hidden()  # fired already for this visitor: not again
    w.page.evaluate("Botaz.open()")
    expect(w.log.get_by_text("Need a hand with the demo?")).to_have_count(1)


def test_owners_manage_proactive_rules_in_settings(botaz, dashboard) -> None:
    from test_dashboard_browser import owner_email

    acme = new_account(botaz, "Acme Rules")
    board = dashboard()
    board.sign_in(owner_email(botaz, acme), path="/settings")
    rules = board.page.locator("#proactive")
    expect(rules.get_by_text("No proactive messages yet.")).to_be_visible()
    rules.get_by_role("button", name="Add a rule").click()
    rules.get_by_label("Message").fill("Hello! Anything we can help with?")
    rules.get_by_label("On pages whose address contains").fill("/pricing")
    rules.get_by_label("After seconds on the page").fill("30")
    rules.get_by_role("button", name="Save proactive messages").click()
    expect(rules.get_by_role("status")).to_have_text("Saved")
    saved = botaz.client.get("/api/settings", headers=acme.headers).json()["proactive"]
    assert saved == [{"id": "rule-1", "text": "Hello! Anything we can help with?",
                      "agentId": acme.agent_id, "enabled": True, "urlContains": "/pricing",
                      "afterSeconds": 30, "minVisits": 1, "attribute": None}]
    rules.get_by_label("Message").fill("")
    rules.get_by_role("button", name="Save proactive messages").click()
    expect(rules.get_by_role("alert")).to_contain_text("text")
    board.page.reload()
    expect(board.page.locator("#proactive").get_by_label("Message")).to_have_value(
        "Hello! Anything we can help with?")


def test_every_widget_locale_has_its_strings(botaz, widget) -> None:
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "botaz" / "web" / "widget.js").read_text()
    blocks = {}
    for lang in ("en", "az", "ru", "tr"):
        block = re.search(rf"\n    {lang}: {{\n(.*?)\n    }}", source, re.S)
        assert block, lang
        blocks[lang] = set(re.findall(r"^      (\w+):", block.group(1), re.M))
    assert blocks["ru"] == blocks["en"] and blocks["tr"] == blocks["en"] and blocks["az"] == blocks["en"]

    acme = new_account(botaz, "Acme Locales")
    expected = {"ru-RU": ("Открыть чат", "Напишите сообщение…", "Отправить"),
                "tr-TR": ("Sohbeti aç", "Bir mesaj yazın…", "Gönder"),
                "az-AZ": ("Söhbəti aç", "Mesajınızı yazın…", "Göndər")}
    for locale, (launcher, placeholder, send) in expected.items():
        w = widget(acme, locale=locale).goto()
        w.launcher(launcher).click()
        expect(w.dialog).to_be_visible()
        expect(w.page.get_by_placeholder(placeholder)).to_be_visible()
        expect(w.page.get_by_role("button", name=send, exact=True)).to_be_visible()
        w.page.get_by_placeholder(placeholder).fill("Salam")
        w.page.get_by_role("button", name=send, exact=True).click()
        expect(w.log.get_by_text("Salam", exact=True)).to_be_visible()
