"""The dashboard's later features in a real browser (Debian's chromium driven by Playwright): the
bot (settings, the widget conversation it answers, the per-visitor switch), bot agents, webhooks
and their delivery logs, allowed websites, the audit log, and exporting and erasing a visitor.

Every dashboard action here is also a REST call; the tests check the server's side through the
API. Same rules as tests/test_dashboard_browser.py, whose fixtures and helpers this module uses:
SQLite only, each test with its own account, BOTAZ_SCREENSHOTS=1 writes docs/screenshots.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.conftest import _run
from tests.test_dashboard_browser import (  # noqa: F401  (fixtures are used by name)
    PASSWORD, XSS, Dashboard, browser, dashboard, database_url, eventually, expect, messages,
    new_account, new_visitor, owner_email, visitor_says,
)


# -------------------------------------------------------------------------------------------------
# Helpers
# -------------------------------------------------------------------------------------------------

def api(botaz, account, method: str, path: str, **kwargs: Any) -> Any:
    r = botaz.client.request(method, path, headers=account.headers, **kwargs)
    assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.content else None


def add_agent(botaz, account, name: str, password: str = "agent-pass-1", **extra: Any) -> dict[str, Any]:
    email = f"{name.lower()}-{secrets.token_hex(3)}@example.com"
    body = {"name": name, "email": email, "password": password, **extra}
    r = botaz.client.post("/api/agents", headers=account.headers, json=body)
    assert r.status_code == 201, r.text
    return {"email": email, "password": password, **r.json()["agent"]}


def signed_by(secret: str, request: dict[str, Any]) -> bool:
    """X-Botaz-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    header = request["headers"].get("X-Botaz-Signature") or request["headers"].get("x-botaz-signature")
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def store_call(botaz, action) -> Any:
    """Run action(chat) against the test server's database, on a thread of its own (asyncio.run
    cannot nest inside sync Playwright's event loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(_run(botaz.database_url, action))).result()


def open_demo(site: Dashboard, botaz, account) -> None:
    site.page.goto(f"{botaz.url}/demo?siteKey={account.site_key}")
    site.page.get_by_role("button", name="Open chat").click()


def widget_says(site: Dashboard, text: str) -> None:
    site.page.get_by_role("textbox", name="Message").fill(text)
    site.page.get_by_role("button", name="Send", exact=True).click()
    expect(site.page.get_by_role("log").get_by_text(text, exact=True)).to_be_visible()


# -------------------------------------------------------------------------------------------------
# The bot
# -------------------------------------------------------------------------------------------------

def test_rule_bot_answers_on_the_widget_hands_off_and_the_agent_takes_over(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path="/settings")

    # Settings → Bot: switch it on with one FAQ answer. A bad pattern is refused, next to the form.
    bot = page.get_by_role("region", name="Bot", exact=True)
    expect(bot.get_by_label("Greeting")).to_have_value(re.compile("assistant"))
    bot.get_by_role("switch", name="Bot answers visitors").check()
    bot.get_by_role("button", name="Add question").click()
    question = bot.get_by_role("group", name="Question 1")
    question.get_by_label("Keywords").fill("delivery, shipping")
    question.get_by_label("Pattern").fill("ship(ping")
    question.get_by_label("Answer", exact=True).fill("We deliver anywhere in Baku within 2 days.")
    bot.get_by_role("button", name="Save bot").click()
    alert = bot.get_by_role("alert")
    expect(alert).to_contain_text("Question 1")
    expect(alert).to_contain_text("not a valid regular expression")
    expect(question.get_by_label("Pattern")).to_have_attribute("aria-invalid", "true")
    assert api(botaz, acme, "GET", "/api/bot")["enabled"] is False
    question.get_by_label("Pattern").fill("")
    bot.get_by_role("button", name="Save bot").click()
    expect(bot.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(alert).to_be_hidden()
    config = api(botaz, acme, "GET", "/api/bot")
    assert config["enabled"] is True and config["agentId"]
    assert config["faq"] == [{"keywords": ["delivery", "shipping"], "pattern": None,
                              "answer": "We deliver anywhere in Baku within 2 days."}]
    # The bot agent made for it is named in the form, and listed as a bot.
    expect(bot.get_by_label("Answers come from")).to_have_value(config["agentId"])
    expect(bot.get_by_label("Answers come from").locator("option:checked")).to_have_text("Assistant")
    page.locator("#main").evaluate("(m) => m.scrollBy(0, document.getElementById('bot').getBoundingClientRect().top - m.getBoundingClientRect().top - 12)")
    board.shot("bot")

    # A visitor asks on the demo page: the bot greets and answers the FAQ.
    site = dashboard()
    open_demo(site, botaz, acme)
    widget_says(site, "How long does delivery take?")
    log = site.page.get_by_role("log")
    expect(log.get_by_text(config["greeting"], exact=True)).to_be_visible()
    expect(log.get_by_text("We deliver anywhere in Baku within 2 days.", exact=True)).to_be_visible()

    # The agent opens the conversation: bot messages carry a Bot badge and the bot's name.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conversations").click()
    link = board.conversation_link("We deliver anywhere")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(re.compile(r"/chat/[23456789A-Za-z]{17}$"))
    vid = page.url.rsplit("/", 1)[1]
    answer = board.timeline.locator(".tl-item.msg").filter(has_text="We deliver anywhere in Baku")
    expect(answer.locator(".tag-bot")).to_have_text("Bot")
    expect(board.timeline.locator(".tl-item.from-bot .msg-author").first).to_contain_text("Assistant")
    expect(board.timeline.locator(".tl-item.from-visitor .tag-bot")).to_have_count(0)

    # The visitor asks for a human: with the agent online, the hand-off reply; then the bot is quiet.
    widget_says(site, "Can I talk to a human please?")
    expect(log.get_by_text(config["handoffReply"], exact=True)).to_be_visible()
    expect(board.timeline.get_by_text(config["handoffReply"], exact=True)).to_be_visible()
    board.message_box.fill("Hi, this is Anar from Acme. How can I help?")
    board.send.click()
    expect(log.get_by_text("Hi, this is Anar from Acme. How can I help?", exact=True)).to_be_visible()
    texts = [(m["text"], m.get("bot", False)) for m in messages(botaz, acme, vid)]
    assert texts == [
        ("How long does delivery take?", False), (config["greeting"], True),
        ("We deliver anywhere in Baku within 2 days.", True), ("Can I talk to a human please?", False),
        (config["handoffReply"], True), ("Hi, this is Anar from Acme. How can I help?", False)]

    # The visitor panel's switch: the bot no longer answers this visitor.
    switch = board.panel().get_by_role("switch", name="Bot answers this visitor")
    expect(switch).to_be_checked()
    switch.uncheck()
    eventually(page, lambda: api(botaz, acme, "GET", f"/api/visitors/{vid}")["showBotMessages"] is False,
               "showBotMessages to be false")
    expect(switch).not_to_be_checked()
    switch.check()
    eventually(page, lambda: api(botaz, acme, "GET", f"/api/visitors/{vid}")["showBotMessages"] is True,
               "showBotMessages to be true again")
    # A change made through the API shows in the panel, live.
    api(botaz, acme, "PUT", f"/api/visitors/{vid}/bot", json={"showBotMessages": False})
    expect(switch).not_to_be_checked()


def test_bot_hours_validation_external_bot_and_read_only_for_agents(botaz, dashboard, receiver) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path="/settings")
    bot = page.get_by_role("region", name="Bot", exact=True)
    expect(bot.get_by_label("Greeting")).not_to_have_value("")

    # Business hours (Settings → Availability, the account's one definition that the bot uses
    # too): a wrong time zone is refused with the server's message.
    hours = page.get_by_role("region", name="Availability", exact=True)
    hours.get_by_label("Open at set hours").check()
    hours.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    hours.get_by_label("Friday closes").fill("17:00")
    hours.get_by_label("Saturday", exact=True).check()
    hours.get_by_label("Saturday opens").fill("10:00")
    hours.get_by_label("Saturday closes").fill("14:00")
    hours.get_by_role("button", name="Save availability").click()
    expect(hours.get_by_role("alert")).to_contain_text("businessHours.timezone")
    expect(hours.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")
    hours.get_by_label("Time zone").fill("Asia/Baku")
    hours.get_by_role("button", name="Save availability").click()
    expect(hours.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    # Idle minutes out of range: the server says which field.
    bot.get_by_label("Quiet after a human replied (minutes)").fill("99999")
    bot.get_by_role("button", name="Save bot").click()
    expect(bot.get_by_role("alert")).to_contain_text("idleMinutes")
    bot.get_by_label("Quiet after a human replied (minutes)").fill("15")
    bot.get_by_label("Hand-off keywords").fill("human, real person , manager")
    bot.get_by_label("Ask for contact details").uncheck()
    bot.get_by_label("Offline reply").fill("")
    bot.get_by_role("button", name="Save bot").click()
    expect(bot.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    config = api(botaz, acme, "GET", "/api/bot")
    weekday = [["09:00", "18:00"]]
    assert config["businessHours"] == {"timezone": "Asia/Baku", "days": {
        "mon": weekday, "tue": weekday, "wed": weekday, "thu": weekday, "fri": [["09:00", "17:00"]],
        "sat": [["10:00", "14:00"]]}}
    assert config["idleMinutes"] == 15 and config["askContact"] is False
    assert config["handoffKeywords"] == ["human", "real person", "manager"]
    assert config["offlineReply"] is None and config["enabled"] is False

    # "Always open" again: the bot sees businessHours null.
    hours.get_by_label("Always open").check()
    hours.get_by_role("button", name="Save availability").click()
    expect(hours.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert api(botaz, acme, "GET", "/api/bot")["businessHours"] is None
    assert api(botaz, acme, "GET", "/api/settings")["businessHours"]["enabled"] is False

    # An external bot: the signing secret is shown once, and it signs what the bot receives.
    bot.get_by_role("switch", name="Bot answers visitors").check()
    bot.get_by_label("External bot URL").fill(receiver.url + "/bot")
    bot.get_by_role("button", name="Save bot").click()
    secret = bot.locator("code.secret")
    expect(secret).to_have_text(re.compile(r"^botsec_\w+$"))
    secret_text = secret.inner_text()
    expect(bot.locator(".bot-status")).to_contain_text("No message sent to your bot yet")
    assert api(botaz, acme, "GET", "/api/bot")["externalUrl"] == receiver.url + "/bot"
    visitor = new_visitor(botaz, acme, "Anyone there?")
    [request] = receiver.wait_for(1)
    assert signed_by(secret_text, request)
    assert json.loads(request["body"])["data"]["text"] == "Anyone there?"
    # Then the bot's endpoint fails: the status shows the error after a reload; no secret any more.
    receiver.status = 503
    visitor_says(botaz, visitor, "Hello?")
    receiver.wait_for(2)
    eventually(page, lambda: api(botaz, acme, "GET", "/api/bot")["status"]["lastError"], "the bot's error")
    page.reload()
    bot = page.get_by_role("region", name="Bot", exact=True)
    expect(bot.locator(".bot-status")).to_contain_text("answered 503")
    expect(bot.locator(".bot-status")).to_contain_text("Last answer taken")
    expect(bot.locator("code.secret")).to_have_count(0)
    expect(bot.get_by_label("External bot URL")).to_have_value(receiver.url + "/bot")

    # A non-owner sees the bot read-only, and neither webhooks nor the audit log.
    bea = add_agent(botaz, acme, "Bea")
    other = dashboard()
    other.sign_in(bea["email"], password=bea["password"], path="/settings")
    bot = other.page.get_by_role("region", name="Bot", exact=True)
    expect(bot.get_by_text("Only owners can change these settings.")).to_be_visible()
    expect(bot.get_by_label("External bot URL")).to_have_value(receiver.url + "/bot")
    expect(bot.get_by_role("switch", name="Bot answers visitors")).to_be_disabled()
    expect(bot.get_by_role("button", name="Save bot")).to_have_count(0)
    expect(bot.get_by_role("button", name="Add question")).to_be_disabled()
    expect(other.page.get_by_role("region", name="Webhooks", exact=True)).to_have_count(0)
    expect(other.page.get_by_role("region", name="Audit log", exact=True)).to_have_count(0)
    expect(other.page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")).to_have_count(0)
    expect(other.page.get_by_role("region", name="Allowed websites", exact=True).get_by_label("Allowed websites")).to_be_disabled()


def test_owner_adds_a_bot_agent(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path="/agents")
    form = page.get_by_role("region", name="Add an agent", exact=True)
    email = f"helper-{secrets.token_hex(3)}@example.com"
    form.get_by_label("Name").fill("Helper Bot")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Bot", exact=True).check()
    form.get_by_role("button", name="Add agent").click()
    expect(form.locator("code.secret")).to_have_text(re.compile(r"\S{20,}"))
    agent = next(a for a in api(botaz, acme, "GET", "/api/agents")["items"] if a["email"] == email)
    assert agent["bot"] is True and agent["role"] == "agent"
    row = page.get_by_role("table").get_by_role("row").filter(has_text="Helper Bot")
    expect(row.locator(".tag-bot")).to_have_text("Bot")
    expect(form.get_by_label("Bot", exact=True)).not_to_be_checked()


# -------------------------------------------------------------------------------------------------
# Webhooks
# -------------------------------------------------------------------------------------------------

def test_webhooks_create_deliver_redeliver_disable_edit_delete(botaz, dashboard, receiver) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path="/settings")
    hooks = page.get_by_role("region", name="Webhooks", exact=True)
    expect(hooks.get_by_role("status").filter(has_text="No webhooks yet.")).to_be_visible()

    # A refused URL: the server's message next to the form.
    hooks.get_by_label("Endpoint URL").fill("ftp://example.com/x")
    hooks.get_by_role("button", name="Create webhook").click()
    expect(hooks.get_by_role("alert")).to_contain_text(re.compile("url", re.I))
    # Create: message.created is preselected; add visitor.created. The secret is shown once.
    url = receiver.url + "/hook"
    hooks.get_by_label("Endpoint URL").fill(url)
    hooks.get_by_label("visitor.created").check()
    hooks.get_by_role("button", name="Create webhook").click()
    secret = hooks.locator("code.secret")
    expect(secret).to_have_text(re.compile(r"^whsec_\w+$"))
    secret_text = secret.inner_text()
    [hook] = api(botaz, acme, "GET", "/api/webhooks")["items"]
    assert hook["url"] == url and sorted(hook["events"]) == ["message.created", "visitor.created"]
    assert hook["enabled"] is True and "secret" not in hook
    item = hooks.get_by_role("listitem").filter(has_text=url)
    expect(item.get_by_role("switch", name="Enabled")).to_be_checked()

    # Events are delivered, signed with that secret; the delivery log lists them.
    new_visitor(botaz, acme, "Hello webhooks")
    delivered = receiver.wait_for(2)
    assert all(signed_by(secret_text, r) for r in delivered)
    assert {json.loads(r["body"])["event"] for r in delivered} == {"visitor.created", "message.created"}
    item.get_by_role("button", name="Delivery log").click()
    table = item.get_by_role("table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="message.created")).to_contain_text("delivered")
    expect(rows.filter(has_text="message.created").locator("td").nth(4)).to_contain_text("200")
    expect(rows.filter(has_text="visitor.created").locator("td").nth(2)).to_have_text("1")

    # Redeliver: the same event id goes out again, and the new delivery shows up as delivered.
    first_event = json.loads(delivered[0]["body"])
    rows.filter(has_text=first_event["event"]).get_by_role("button", name=re.compile("^Redeliver")).click()
    again = receiver.wait_for(3)[2]
    assert json.loads(again["body"])["id"] == first_event["id"] and signed_by(secret_text, again)
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(first_event["event"])
    expect(rows.first).to_contain_text("delivered")

    # A failing endpoint: the log shows the response code and the error, while retries go on.
    receiver.status = 500
    new_visitor(botaz, acme, "Second visitor")
    receiver.wait_for(5)
    item.get_by_role("button", name="Refresh").click()
    expect(rows.filter(has_text="answered 500").first).to_be_visible()
    expect(rows.filter(has_text="answered 500").first).to_contain_text("pending")
    receiver.status = 200
    expect(rows.filter(has_text="pending")).to_have_count(0, timeout=15_000)  # the log polls
    board.shot("webhooks")

    # Switch off, and on: PUT enabled.
    item.get_by_role("switch", name="Enabled").uncheck()
    eventually(page, lambda: api(botaz, acme, "GET", f"/api/webhooks/{hook['_id']}")["enabled"] is False,
               "the webhook to be off")
    expect(hooks.get_by_role("listitem").filter(has_text=url).get_by_role("switch", name="Enabled")).not_to_be_checked()
    hooks.get_by_role("listitem").filter(has_text=url).get_by_role("switch", name="Enabled").check()
    eventually(page, lambda: api(botaz, acme, "GET", f"/api/webhooks/{hook['_id']}")["enabled"] is True,
               "the webhook to be on")

    # When botaz switched a webhook off by itself, the reason is shown prominently.
    reason = "Switched off at 2026-01-01T00:00:00.000Z: every delivery has failed (last: answered 500)."
    store_call(botaz, lambda chat: chat.store.update_webhook(hook["_id"], {"enabled": 0, "disabled_reason": reason}))
    page.reload()
    hooks = page.get_by_role("region", name="Webhooks", exact=True)
    item = hooks.get_by_role("listitem").filter(has_text=url)
    expect(item.locator(".hook-disabled")).to_contain_text(reason)
    expect(item.locator(".hook-disabled")).to_contain_text("botaz switched this webhook off")
    item.get_by_role("switch", name="Enabled").check()
    expect(item.locator(".hook-disabled")).to_have_count(0)
    assert api(botaz, acme, "GET", f"/api/webhooks/{hook['_id']}")["disabledReason"] is None

    # Edit the URL and the events.
    item.get_by_role("button", name=f"Edit webhook {url}").click()
    editor = hooks.get_by_role("form", name=f"Edit webhook {url}")
    editor.get_by_label("Endpoint URL").fill(url + "2")
    editor.get_by_label("message.deleted").check()
    editor.get_by_label("visitor.created").uncheck()
    editor.get_by_role("button", name="Save webhook").click()
    expect(hooks.get_by_role("listitem").filter(has_text=url + "2")).to_be_visible()
    changed = api(botaz, acme, "GET", f"/api/webhooks/{hook['_id']}")
    assert changed["url"] == url + "2" and sorted(changed["events"]) == ["message.created", "message.deleted"]

    # Delete, after confirming.
    hooks.get_by_role("button", name=f"Delete webhook {url}2").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    assert len(api(botaz, acme, "GET", "/api/webhooks")["items"]) == 1
    hooks.get_by_role("button", name=f"Delete webhook {url}2").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete webhook").click()
    expect(hooks.get_by_role("listitem")).to_have_count(0)
    assert api(botaz, acme, "GET", "/api/webhooks")["items"] == []


def test_delivery_log_loads_more(botaz, dashboard, receiver) -> None:
    acme = new_account(botaz)
    hook = api(botaz, acme, "POST", "/api/webhooks", json={"url": receiver.url, "events": ["message.created"]})
    visitor = new_visitor(botaz, acme)
    for i in range(25):
        visitor_says(botaz, visitor, f"Message {i}")
    receiver.wait_for(25)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path="/settings")
    item = page.get_by_role("region", name="Webhooks", exact=True).get_by_role("listitem").filter(has_text=receiver.url)
    item.get_by_role("button", name="Delivery log").click()
    rows = item.locator("tbody tr")
    expect(rows).to_have_count(20)
    item.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(25)
    expect(item.get_by_role("button", name="Load more")).to_be_hidden()
    ids = [d["_id"] for d in api(botaz, acme, "GET", f"/api/webhooks/{hook['_id']}/deliveries",
                                 params={"limit": 100})["items"]]
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.id)") == ids


def test_settings_forms_wait_for_the_stored_values(botaz, dashboard) -> None:
    """Typed or saved before GET /api/settings answered, a form lost the typing to the stored
    values, or stored its blanks over them: the forms stay closed until the values are in."""
    acme = new_account(botaz, "Acme Held")
    api(botaz, acme, "PUT", "/api/settings", json={"widget": {"title": "Acme help", "color": "#123456"},
                                                     "allowedOrigins": ["https://acme.example"]})
    board = dashboard()
    board.sign_in(owner_email(botaz, acme))
    held: list[Any] = []
    holding = [True]

    def hold(route) -> None:
        if holding[0] and route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()

    board.page.route(re.compile(r".*/api/settings$"), hold)
    board.page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    widget_card = board.page.locator("#widget")
    expect(widget_card.get_by_label("Title")).to_be_disabled()
    expect(widget_card.get_by_role("button", name="Save widget")).to_be_disabled()
    websites = board.page.get_by_role("region", name="Allowed websites", exact=True)
    expect(websites.get_by_role("button", name="Save allowed websites")).to_be_disabled()
    expect(board.page.locator("#satisfaction").get_by_role("button", name="Save")).to_be_disabled()
    proactive = board.page.locator("#proactive")
    expect(proactive.get_by_role("button", name="Save proactive messages")).to_be_disabled()
    expect(proactive.get_by_role("button", name="Add a rule")).to_be_disabled()
    eventually(board.page, lambda: bool(held), "GET /api/settings to be held")
    holding[0] = False
    for route in held:
        route.continue_()
    expect(widget_card.get_by_label("Title")).to_be_enabled()
    expect(proactive.get_by_role("button", name="Save proactive messages")).to_be_enabled()
    expect(widget_card.get_by_label("Title")).to_have_value("Acme help")
    expect(widget_card.get_by_label("Colour")).to_have_value("#123456")
    expect(websites.get_by_label("Allowed websites")).to_have_value("https://acme.example")
    widget_card.get_by_label("Title").fill("Acme support")
    widget_card.get_by_role("button", name="Save widget").click()
    expect(widget_card.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    saved = api(botaz, acme, "GET", "/api/settings")
    assert saved["widget"]["title"] == "Acme support"
    assert saved["widget"]["color"] == "#123456"
    assert saved["allowedOrigins"] == ["https://acme.example"]


# -------------------------------------------------------------------------------------------------
# Allowed websites and the audit log
# -------------------------------------------------------------------------------------------------

def test_allowed_websites_and_the_audit_log(botaz, dashboard) -> None:
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, "Please ban me", name=XSS)
    vid = visitor["visitorId"]
    # Enough history for two pages of the audit log (50 a page): tokens made and revoked.
    for i in range(26):
        token = api(botaz, acme, "POST", "/api/tokens", json={"label": f"t{i}"})
        api(botaz, acme, "DELETE", f"/api/tokens/{token['_id']}")
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path="/settings")
    toc = page.get_by_role("navigation", name="Settings sections")
    for name in ("Install", "Widget", "Pre-chat form", "Allowed websites", "Bot", "Canned responses",
                 "API tokens", "Webhooks", "Password", "Audit log"):
        expect(toc.get_by_role("link", name=name, exact=True)).to_be_visible()

    # Allowed websites: one per line; the server refuses a wrong one and says so.
    websites = page.get_by_role("region", name="Allowed websites", exact=True)
    box = websites.get_by_label("Allowed websites")
    expect(box).to_have_value("")
    box.fill("https://shop.example.com\nnot a website")
    websites.get_by_role("button", name="Save allowed websites").click()
    expect(websites.get_by_role("alert")).to_contain_text("allowedOrigins")
    box.fill("https://Shop.Example.com/\n\n  http://localhost:8080  \n")
    websites.get_by_role("button", name="Save allowed websites").click()
    expect(websites.get_by_role("status")).to_have_text("Saved")
    assert api(botaz, acme, "GET", "/api/settings")["allowedOrigins"] == [
        "https://shop.example.com", "http://localhost:8080"]
    expect(box).to_have_value("https://shop.example.com\nhttp://localhost:8080")
    # A page of another website may no longer start a chat; an allowed one may.
    r = botaz.client.post("/widget/v1/visitors", json={"siteKey": acme.site_key},
                          headers={"Origin": "https://evil.example.net"})
    assert r.status_code == 403, r.text
    r = botaz.client.post("/widget/v1/visitors", json={"siteKey": acme.site_key},
                          headers={"Origin": "https://shop.example.com"})
    assert r.status_code == 201, r.text
    box.fill("")
    websites.get_by_role("button", name="Save allowed websites").click()
    expect(websites.get_by_role("status")).to_have_text("Saved")
    assert api(botaz, acme, "GET", "/api/settings")["allowedOrigins"] == []

    # Ban a visitor in the conversation, then open the audit log from the header.
    board.goto(f"/chat/{vid}")
    page.get_by_role("button", name="Ban", exact=True).click()
    expect(page.get_by_role("button", name="Unban", exact=True)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Audit log").click()
    page.wait_for_url(f"{botaz.url}/settings#audit")
    expect(nav.get_by_role("link", name="Audit log")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Settings")).not_to_have_attribute("aria-current", "page")
    audit = page.get_by_role("region", name="Audit log", exact=True)
    expect(audit).to_be_in_viewport()
    rows = audit.locator("tbody tr")
    ban = rows.first
    expect(ban).to_contain_text("Banned a visitor")
    expect(ban).to_contain_text("visitor.ban")
    expect(ban).to_contain_text("Anar (you)")
    expect(ban).to_contain_text(vid)
    expect(ban.get_by_role("link", name="Open conversation")).to_have_attribute("href", f"/chat/{vid}")
    expect(rows.filter(has_text="Changed settings").first).to_contain_text("allowedOrigins")
    expect(rows).to_have_count(50)
    page.locator("#main").evaluate("m => m.scrollTo(0, m.scrollHeight)")
    audit.get_by_role("button", name="Load more").click()
    entries = 26 * 2 + 3  # tokens, two settings changes... and the ban (a failed save records nothing)
    total = len(api(botaz, acme, "GET", "/api/audit", params={"limit": 100})["items"])
    assert total >= entries
    expect(rows).to_have_count(total)
    expect(audit.get_by_role("button", name="Load more")).to_be_hidden()
    expect(rows.filter(has_text="Revoked an API token")).to_have_count(26)
    entry = api(botaz, acme, "GET", "/api/audit", params={"limit": 1})["items"][0]
    assert (entry["action"], entry["targetId"], entry["agentId"]) == ("visitor.ban", vid, acme.agent_id)
    # Settings' own table of contents links there too.
    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Widget").click()
    page.wait_for_url(f"{botaz.url}/settings#widget")
    expect(nav.get_by_role("link", name="Settings")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("region", name="Widget", exact=True)).to_be_in_viewport()


# -------------------------------------------------------------------------------------------------
# A visitor's data: export and erase
# -------------------------------------------------------------------------------------------------

def test_export_and_delete_a_visitor(botaz, dashboard, tmp_path: Path) -> None:
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, "My order number is 1234", name="Rauf Aliyev", email="rauf@example.com")
    vid = visitor["visitorId"]
    botaz.send(acme, vid, "Thanks Rauf, we are on it.")
    keep = new_visitor(botaz, acme, "I stay", name="Other Visitor")
    colleague = add_agent(botaz, acme, "Kamala")

    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{vid}")
    expect(board.timeline.get_by_text("Thanks Rauf, we are on it.")).to_be_visible()
    other = dashboard()
    other.sign_in(colleague["email"], password=colleague["password"], path=f"/chat/{vid}")
    expect(other.timeline.get_by_text("My order number is 1234")).to_be_visible()
    expect(other.conversation_link("Rauf Aliyev")).to_be_visible()

    # Export: a JSON file download with the visitor and the conversation.
    panel = board.panel()
    with page.expect_download() as download_info:
        panel.get_by_role("button", name="Export data").click()
    download = download_info.value
    assert download.suggested_filename == f"visitor-{vid}.json"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = json.loads(path.read_text())
    assert data["visitor"]["_id"] == vid and data["visitor"]["email"] == "rauf@example.com"
    assert [m["text"] for m in data["messages"]] == ["My order number is 1234", "Thanks Rauf, we are on it."]

    # Delete: a confirmation that says what is erased; cancelling keeps everything.
    panel.get_by_role("button", name="Delete visitor").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("erases")
    expect(dialog).to_contain_text("cannot be undone")
    dialog.get_by_role("button", name="Cancel").click()
    assert botaz.client.get(f"/api/visitors/{vid}", headers=acme.headers).status_code == 200
    panel.get_by_role("button", name="Delete visitor").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete visitor").click()
    page.wait_for_url(f"{botaz.url}/")
    expect(board.conversation_link("Rauf Aliyev")).to_have_count(0)
    expect(board.conversation_link("Other Visitor")).to_be_visible()
    assert botaz.client.get(f"/api/visitors/{vid}", headers=acme.headers).status_code == 404
    assert botaz.client.get(f"/api/visitors/{keep['visitorId']}", headers=acme.headers).status_code == 200
    # The colleague, who had it open, sees it go: out of the list, and an empty conversation.
    expect(other.conversation_link("Rauf Aliyev")).to_have_count(0)
    expect(other.page.get_by_role("heading", name="This visitor was deleted")).to_be_visible()
    expect(other.message_box).to_have_count(0)
    expect(other.conversation_link("Other Visitor")).to_be_visible()
    # And the audit log has both.
    actions = [e["action"] for e in api(botaz, acme, "GET", "/api/audit")["items"]]
    assert actions[:2] == ["visitor.delete", "visitor.export"]
