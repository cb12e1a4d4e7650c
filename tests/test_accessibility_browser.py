"""axe-core in Chromium on every dashboard page and on the widget: no serious or critical violation.

axe-core comes from npm as a devDependency of the repository's package.json; `./dev test` installs
it (node_modules/axe-core). Without it the test is skipped, except on CI (CI=true), where it fails.
Same browser rules as tests/test_dashboard_browser.py, whose fixtures and helpers this uses.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.test_dashboard_browser import (  # noqa: F401  (fixtures are used by name)
    CHROMIUM, CHROMIUM_ARGS, Dashboard, browser, dashboard, database_url, eventually, expect,
    new_account, new_visitor, owner_email, visitor_says,
)
from tests.test_sockets import Socket

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
ON_CI = os.environ.get("CI") == "true"
FAILING_IMPACTS = {"serious", "critical"}

if not AXE.exists():
    if ON_CI:
        pytest.fail(f"{AXE} is missing: ./dev test installs it with npm (package.json)", pytrace=False)
    pytest.skip(f"{AXE} is missing: run ./dev test, or npm ci, to install axe-core",
                allow_module_level=True)

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}"""


def serious(board: Dashboard, what: str) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line per element."""
    page = board.page
    # Colours are judged as they end up: a panel still fading in (the widget's open animation)
    # has text at partial opacity, which axe would measure as it is at that instant. With reduced
    # motion the widget and the dashboard run no animation, so what axe sees is the final state.
    page.emulate_media(reduced_motion="reduce")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate(RUN_AXE)
    return [f"{what}: {v['id']} ({v['impact']}) {v['help']} at {n['target']}: {n['summary']}"
            for v in found if v["impact"] in FAILING_IMPACTS for n in v["nodes"]]


def api(botaz, account, method: str, path: str, **kwargs: Any) -> Any:
    r = botaz.client.request(method, path, headers=account.headers, **kwargs)
    assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.content else None


def test_no_serious_violations_on_any_dashboard_page_or_the_widget(botaz, dashboard, receiver) -> None:
    acme = new_account(botaz)
    # Something on every page: conversations (one resolved, one assigned), messages by both
    # sides and a bot, a note, visitor details, pages, canned responses, a token, a webhook with
    # deliveries, the bot, and the audit log.
    anar = new_visitor(botaz, acme, "Hello, do you deliver to Ganja?", name="Anar Mammadov",
                       email="anar@example.com", phone="+994 50 123 45 67", notes="Prefers email")
    vid = anar["visitorId"]
    assert botaz.client.post("/widget/v1/pages", json={"url": "https://shop.example/beans", "title": "Beans"},
                             headers={"Authorization": f"Bearer {anar['visitorToken']}"}).status_code == 201
    botaz.send(acme, vid, "Yes, in two days. Which beans would you like?")
    visitor_says(botaz, anar, "The Ethiopian ones, please.")
    api(botaz, acme, "POST", f"/api/conversations/{vid}/notes", json={"text": "Regular customer"})
    api(botaz, acme, "POST", f"/api/conversations/{vid}/assign", json={"agentId": acme.agent_id})
    done = new_visitor(botaz, acme, "Thanks, that was all.")
    api(botaz, acme, "POST", f"/api/conversations/{done['visitorId']}/status", json={"status": "resolved"})
    new_visitor(botaz, acme, "Is the shop open on Sunday?")
    api(botaz, acme, "POST", "/api/canned", json={"shortcut": "hello", "text": "Hello! How can I help?"})
    api(botaz, acme, "POST", "/api/tokens", json={"label": "CRM sync"})
    api(botaz, acme, "PUT", "/api/bot", json={"enabled": True})
    hook = api(botaz, acme, "POST", "/api/webhooks", json={"url": receiver.url + "/hook",
                                                          "events": ["message.created"]})
    botaz.send(acme, vid, "They are roasted fresh every week.")
    receiver.wait_for(1)

    problems: list[str] = []
    board = dashboard()
    page = board.page

    board.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    problems += serious(board, "/login")
    page.get_by_label("Email").fill(owner_email(botaz, acme))
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    problems += serious(board, "/login with an error")

    board.sign_in(owner_email(botaz, acme))
    expect(board.conversation_link("They are roasted fresh")).to_be_visible()
    problems += serious(board, "/ (inbox)")

    # /chat/:id: the selected row, messages, a note, the visitor panel.
    board.conversation_link("They are roasted fresh").click()
    page.wait_for_url(f"{botaz.url}/chat/{vid}")
    expect(board.timeline.get_by_text("Regular customer")).to_be_visible()
    expect(board.panel().get_by_role("textbox", name="Email")).to_have_value("anar@example.com")
    problems += serious(board, "/chat/:id")
    page.get_by_role("group", name="Status").get_by_role("button", name="All").click()
    expect(board.conversation_link("Thanks, that was all.")).to_be_visible()
    problems += serious(board, "/chat/:id with every status listed")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agents").click()
    expect(page.get_by_role("heading", name="Agents")).to_be_visible()
    expect(page.get_by_text(acme.agent_id)).to_be_visible()
    problems += serious(board, "/agents")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Install the chat widget")).to_be_visible()
    expect(page.get_by_role("cell", name="CRM sync", exact=True)).to_be_visible()
    expect(page.get_by_text(hook["url"]).first).to_be_visible()
    problems += serious(board, "/settings")
    page.get_by_role("button", name="Delivery log").click()
    expect(page.get_by_role("button", name=re.compile("^Redeliver")).first).to_be_visible()
    problems += serious(board, "/settings with the delivery log open")
    page.get_by_role("radio", name="Open at set hours").check()
    problems += serious(board, "/settings with business hours")
    page.get_by_role("button", name=f"Edit webhook {hook['url']}").click()
    expect(page.get_by_role("button", name="Save webhook")).to_be_visible()
    problems += serious(board, "/settings editing a webhook")
    board.goto("/settings#audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    problems += serious(board, "/settings#audit")

    socket = Socket(botaz, "/widget/v1/ws", anar["visitorToken"], resume=None)
    try:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Visitors now").click()
        expect(page.get_by_role("button", name="Open chat with Anar Mammadov")).to_be_visible()
        problems += serious(board, "/visitors")
    finally:
        socket.close()

    # The widget on the demo page, closed and open (with the conversation in it).
    site = dashboard()
    site.page.goto(f"{botaz.url}/demo?siteKey={acme.site_key}")
    launcher = site.page.get_by_role("button", name=re.compile("^Open chat"))
    expect(launcher).to_be_visible()
    problems += serious(site, "/demo, widget closed")
    launcher.click()
    site.page.get_by_role("textbox", name="Message").fill("Hello from the demo page")
    site.page.get_by_role("button", name="Send", exact=True).click()
    expect(site.page.get_by_role("log").get_by_text("Hello from the demo page", exact=True)).to_be_visible()
    problems += serious(site, "/demo, widget open")
    # Nobody at the dashboard: the widget says so.
    board.page.close()
    site.page.reload()
    site.page.get_by_role("button", name=re.compile("^Open chat")).click()
    expect(site.page.get_by_role("log").get_by_text("Hello from the demo page", exact=True)).to_be_visible()
    problems += serious(site, "/demo, widget open, nobody online")

    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_no_serious_violations_in_the_sites_own_widget(botaz, dashboard) -> None:
    """Custom pre-chat fields (a consent box with its policy link), the emoji picker, the sound
    toggle, a light accent colour with dark text; and the settings that edit them."""
    acme = new_account(botaz, "Acme Own")
    api(botaz, acme, "PUT", "/api/settings", json={
        "widget": {"color": "#ffd60a"},
        "preform": {"enabled": True, "fields": ["name"], "customFields": [
            {"key": "topic", "label": "Topic", "type": "select", "options": ["Billing", "Other"]},
            {"key": "consent", "label": "I agree", "type": "checkbox", "required": True,
             "privacyUrl": "https://acme.example/privacy"}]}})
    site = dashboard()
    site.page.goto(f"{botaz.url}/demo?siteKey={acme.site_key}")
    site.page.get_by_role("button", name=re.compile("^Open chat")).click()
    expect(site.page.get_by_role("checkbox", name="I agree")).to_be_visible()
    problems = serious(site, "/demo, custom pre-chat form")
    site.page.get_by_label("Name").fill("Anar")
    site.page.get_by_role("checkbox", name="I agree").check()
    site.page.get_by_role("button", name="Start chat").click()
    site.page.get_by_role("button", name="Insert emoji").click()
    expect(site.page.get_by_role("group", name="Insert emoji")).to_be_visible()
    problems += serious(site, "/demo, emoji picker open")
    board = dashboard()
    board.sign_in(owner_email(botaz, acme), path="/settings")
    expect(board.page.locator("#preform fieldset.custom-field")).to_have_count(2)
    problems += serious(board, "/settings with custom fields")
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)
