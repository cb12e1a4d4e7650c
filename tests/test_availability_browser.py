"""The Online/Away switch, automatic assignment and capacity in a real browser: the header's
switch, the widget on the demo page following it live, the agents page and the settings page.
Same rules as tests/test_dashboard_browser.py, whose fixtures and helpers this module uses."""

from __future__ import annotations

from tests.test_dashboard_browser import (  # noqa: F401  (fixtures are used by name)
    PASSWORD, Dashboard, browser, dashboard, database_url, eventually, expect, new_account,
    owner_email, new_visitor,
)
from tests.test_dashboard_more_browser import add_agent, api


def test_online_away_switch_drives_the_widget(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme))
    switch = page.get_by_role("switch", name="Availability")
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(switch).to_have_text("Online")

    # The demo page, as a visitor sees it: online while the agent's dashboard is open.
    site = dashboard()
    site.page.goto(f"{botaz.url}/demo?siteKey={acme.site_key}")
    site.page.get_by_role("button", name="Open chat").click()
    widget = site.page
    expect(widget.get_by_text("We're online", exact=True)).to_be_visible()

    # Away: the widget says so without a reload, and the API agrees.
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(switch).to_have_text("Away")
    expect(widget.get_by_text("Away", exact=True)).to_be_visible()
    expect(widget.get_by_role("note")).to_contain_text("We're away right now")
    assert botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()["online"] is False
    assert api(botaz, acme, "GET", "/auth/me/availability")["status"] == "away"
    # A reload keeps the choice: it is stored on the server.
    page.reload()
    expect(page.get_by_role("switch", name="Availability")).to_have_attribute("aria-checked", "false")
    page.get_by_role("switch", name="Availability").click()
    expect(page.get_by_role("switch", name="Availability")).to_have_attribute("aria-checked", "true")
    expect(widget.get_by_text("We're online", exact=True)).to_be_visible()

    # Signing out (the last tab gone) makes the site offline too.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{botaz.url}/login")
    expect(widget.get_by_text("Away", exact=True)).to_be_visible()


def test_agents_page_shows_availability_and_owner_sets_capacity_and_auto_assign(botaz, dashboard) -> None:
    acme = new_account(botaz)
    leyla = add_agent(botaz, acme, "Leyla")
    owner = dashboard()
    owner.sign_in(owner_email(botaz, acme), path="/agents")
    row = owner.page.get_by_role("row").filter(has_text="Leyla")
    expect(row).to_contain_text("Away")
    # Leyla signs in elsewhere: the owner's page shows her available, live.
    other = dashboard()
    other.sign_in(leyla["email"], leyla["password"])
    expect(row).to_contain_text("Available")
    other.page.get_by_role("switch", name="Availability").click()
    expect(other.page.get_by_role("switch", name="Availability")).to_have_attribute("aria-checked", "false")
    expect(row).to_contain_text("Away")
    other.page.get_by_role("switch", name="Availability").click()
    expect(row).to_contain_text("Available")

    capacity = owner.page.get_by_label("Most open chats for Leyla")
    capacity.fill("2")
    capacity.press("Tab")
    eventually(owner.page, lambda: next(a for a in api(botaz, acme, "GET", "/api/agents")["items"]
                                        if a["_id"] == leyla["_id"])["maxConversations"] == 2,
               "Leyla's capacity to be 2")

    # Settings → Availability: automatic assignment on; a new conversation goes to an agent.
    owner.goto("/settings#availability")
    section = owner.page.get_by_role("region", name="Availability", exact=True)
    section.get_by_role("switch", name="Assign new conversations automatically").check()
    section.get_by_role("button", name="Save availability").click()
    expect(section.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert api(botaz, acme, "GET", "/api/settings")["autoAssign"] is True
    visitor = new_visitor(botaz, acme, "Hello, anyone?")
    eventually(owner.page, lambda: api(botaz, acme, "GET", f"/api/conversations/{visitor['visitorId']}")["assigneeId"]
               in (leyla["_id"], acme.agent_id), "the conversation to be assigned")

    # The agent's own idle time.
    section.get_by_label("Set me Away after this many idle minutes").fill("25")
    section.get_by_role("button", name="Save idle time").click()
    expect(section.get_by_role("status").last).to_have_text("Saved")
    assert api(botaz, acme, "GET", "/auth/me/preferences")["idleAwayMinutes"] == 25


def test_idle_dashboard_goes_away_and_comes_back(botaz, dashboard) -> None:
    """The idle timer with the page's clock fast-forwarded: no input for the agent's idle time
    sets Away (auto), the next input sets Online; Away chosen by hand is never undone."""
    acme = new_account(botaz)
    api(botaz, acme, "PUT", "/auth/me/preferences", json={"idleAwayMinutes": 1})
    board = dashboard()
    page = board.page
    page.clock.install()
    board.sign_in(owner_email(botaz, acme))
    switch = page.get_by_role("switch", name="Availability")
    expect(switch).to_have_attribute("aria-checked", "true")
    page.clock.fast_forward("02:00")
    expect(switch).to_have_attribute("aria-checked", "false")
    assert api(botaz, acme, "GET", "/auth/me/availability") == {"status": "away", "auto": True, "available": False}
    assert botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()["online"] is False
    page.mouse.move(200, 200)
    page.mouse.move(220, 240)
    expect(switch).to_have_attribute("aria-checked", "true")
    assert api(botaz, acme, "GET", "/auth/me/availability") == {"status": "online", "auto": False, "available": True}
    # Away by hand: input does not bring the agent back.
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    page.mouse.move(300, 300)
    page.keyboard.press("Shift")
    page.wait_for_timeout(500)
    expect(switch).to_have_attribute("aria-checked", "false")
    assert api(botaz, acme, "GET", "/auth/me/availability")["status"] == "away"
