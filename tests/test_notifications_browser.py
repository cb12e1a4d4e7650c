"""Agents' alerts in a real browser: desktop notifications (permission granted), the chime, the
per-agent choices in Settings → My notifications, and the service worker at scope /.

The page's Notification constructor is wrapped (not replaced) by an init script that records
each notification the dashboard shows; the real one still runs with the granted permission."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from playwright.sync_api import expect

from tests.test_dashboard_browser import (  # noqa: F401 - fixtures used by name
    browser, dashboard, database_url, eventually, new_account, new_visitor, owner_email, visitor_says,
)

RECORD = """
window.__notes = [];
window.__chimes = 0;
const RealNotification = window.Notification;
class RecordingNotification extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.__notes.push({ title, body: options?.body, tag: options?.tag, note: this });
  }
}
window.Notification = RecordingNotification;
const Ctx = window.AudioContext;
const realOscillator = Ctx.prototype.createOscillator;
Ctx.prototype.createOscillator = function () { window.__chimes += 1; return realOscillator.call(this); };
"""


def notes(page) -> list[dict[str, Any]]:
    return page.evaluate("window.__notes.map(({title, body, tag}) => ({title, body, tag}))")


def chimes(page) -> int:
    return page.evaluate("window.__chimes")


def prefs(botaz, account) -> dict[str, Any]:
    return botaz.client.get("/auth/me/preferences", headers=account.headers).json()


def test_desktop_notifications_follow_the_agents_choices(botaz, dashboard) -> None:
    acme = new_account(botaz)
    first = new_visitor(botaz, acme, "First question", name="First Visitor")
    second = new_visitor(botaz, acme, "Second question", name="Second Visitor")
    with ThreadPoolExecutor(1) as pool:  # asyncio.run() cannot nest in Playwright's loop
        mina = pool.submit(acme.add_agent, "Mina").result()
    board = dashboard(permissions=["notifications"])
    page = board.page
    page.context.add_init_script(RECORD)
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{first['visitorId']}")
    expect(board.timeline.get_by_text("First question")).to_be_visible()
    assert page.evaluate("Notification.permission") == "granted"
    # The socket may connect before the inbox knows the newest message and resume from an older
    # one (on a loaded machine it does): what it replays was written before the page opened and
    # must not alert.
    page.wait_for_timeout(500)
    assert notes(page) == []

    # A visitor writes in another conversation: a notification and a chime (default: mine and
    # unassigned conversations).
    visitor_says(botaz, second, "Hello from the second visitor")
    eventually(page, lambda: notes(page), "a desktop notification")
    assert notes(page) == [{"title": "Second Visitor", "body": "Hello from the second visitor",
                            "tag": f"botaz-{second['visitorId']}"}]
    assert chimes(page) > 0
    # The conversation on screen, in the focused tab, does not alert.
    visitor_says(botaz, first, "I am in the open conversation")
    expect(board.timeline.get_by_text("I am in the open conversation")).to_be_visible()
    page.wait_for_timeout(400)
    assert len(notes(page)) == 1

    # Clicking the notification opens its conversation.
    page.evaluate("window.__notes[0].note.onclick()")
    page.wait_for_url(f"{botaz.url}/chat/{second['visitorId']}")

    # Settings → My notifications: only conversations assigned to me, no sound.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    section = page.get_by_role("region", name="My notifications")
    expect(section.get_by_text("This browser shows botaz's notifications.")).to_be_visible()
    section.get_by_label("Conversations assigned to me").check()
    eventually(page, lambda: prefs(botaz, acme)["alertsFor"] == "mine", "alertsFor=mine saved")
    section.get_by_role("switch", name="Sound").uncheck()
    eventually(page, lambda: prefs(botaz, acme)["alertSound"] is False, "alertSound=false saved")
    # The header's bell follows.
    expect(page.get_by_role("button", name="Notification sound")).to_have_attribute("aria-pressed", "false")
    expect(section.get_by_text("This browser does not receive push notifications.")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conversations").click()
    expect(board.conversation_link("Second Visitor")).to_be_visible()
    visitor_says(botaz, second, "Unassigned, so no alert now")
    expect(board.conversation_link("Unassigned, so no alert now")).to_be_visible()
    page.wait_for_timeout(400)
    assert len(notes(page)) == 1

    # Mina assigns the conversation to the owner: that alerts, whatever the choice.
    before = chimes(page)
    r = botaz.client.post(f"/api/conversations/{second['visitorId']}/assign",
                          headers={"Authorization": f"Bearer {mina['apiToken']}"},
                          json={"agentId": acme.agent_id})
    assert r.status_code == 200, r.text
    eventually(page, lambda: len(notes(page)) == 2, "the assignment notification")
    assert notes(page)[1] == {"title": "Conversation assigned to you",
                              "body": "Mina assigned Second Visitor to you.",
                              "tag": f"botaz-{second['visitorId']}"}
    # Now it is mine: its messages alert again, silently.
    visitor_says(botaz, second, "Now it is yours")
    eventually(page, lambda: len(notes(page)) == 3, "a notification for my conversation")
    assert notes(page)[2]["body"] == "Now it is yours"
    assert chimes(page) == before

    # Desktop notifications off: the title badge still counts, nothing pops up.
    botaz.client.put("/auth/me/preferences", headers=acme.headers, json={"alertDesktop": False})
    page.reload()
    expect(board.conversation_link("Second Visitor")).to_be_visible()
    page.wait_for_timeout(300)
    visitor_says(botaz, second, "Quietly")
    eventually(page, lambda: page.title() == "(1) botaz", "the title badge")
    assert notes(page) == []


def test_service_worker_controls_the_dashboard(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard(permissions=["notifications"])
    page = board.page
    board.sign_in(owner_email(botaz, acme))
    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{botaz.url}/"
    assert page.evaluate("'PushManager' in window && Boolean(navigator.serviceWorker.controller || true)")
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then((r) => r.json())")
    assert manifest["name"] == "botaz" and manifest["icons"]
    # Chromium's own verdict: the manifest parses and the dashboard can be installed.
    cdp = page.context.new_cdp_session(page)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["url"] == f"{botaz.url}/manifest.webmanifest" and not parsed["errors"], parsed["errors"]
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito, where nothing installs; that is the only complaint.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []


FAKE_PUSH = """
// Chromium's real push service is on the internet; this browser "subscribes" to the test's
// local push service instead, with keys the test holds. Everything else is the dashboard's code.
let fakeSubscription = null;
PushManager.prototype.subscribe = async function (options) {
  window.__subscribedWithKey = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  fakeSubscription = {
    endpoint: %(endpoint)s,
    options: { applicationServerKey: options.applicationServerKey },
    toJSON() { return { endpoint: this.endpoint, expirationTime: null, keys: %(keys)s }; },
    async unsubscribe() { fakeSubscription = null; return true; },
  };
  return fakeSubscription;
};
PushManager.prototype.getSubscription = async function () { return fakeSubscription; };
"""


def test_web_push_from_settings_to_the_service_worker(botaz, dashboard) -> None:
    from tests.test_push import Browser as PushBrowser, PushService

    service = PushService()
    try:
        acme = new_account(botaz)
        visitor = new_visitor(botaz, acme, "Hi", name="Leyla")
        device = PushBrowser(service, "laptop")
        keys = device.subscription()["keys"]
        board = dashboard(permissions=["notifications"])
        page = board.page
        page.context.add_init_script(FAKE_PUSH % {"endpoint": json.dumps(device.endpoint),
                                                  "keys": json.dumps(keys)})
        board.sign_in(owner_email(botaz, acme), path="/settings")
        service.vapid_key = botaz.client.get("/api/push/key", headers=acme.headers).json()["publicKey"]
        section = page.get_by_role("region", name="My notifications")
        expect(section.get_by_text("This browser does not receive push notifications.")).to_be_visible()
        section.get_by_role("button", name="Send them to this browser").click()
        expect(section.get_by_text("This browser receives push notifications.")).to_be_visible()
        assert page.evaluate("window.__subscribedWithKey") == service.vapid_key
        items = botaz.client.get("/api/push/subscriptions", headers=acme.headers).json()["items"]
        assert [i["endpoint"] for i in items] == [device.endpoint]

        section.get_by_role("button", name="Send a test notification").click()
        test_push = device.decrypt(service.wait_for(1)[0]["body"])
        assert test_push["kind"] == "test"
        # While the dashboard is open, a visitor's message alerts in the page, not by push.
        visitor_says(botaz, visitor, "Dashboard is open")
        page.wait_for_timeout(500)
        assert len(service.pushes) == 1

        # The service worker shows what a push carries (delivered here through DevTools).
        cdp = page.context.new_cdp_session(page)
        registrations: list[dict[str, Any]] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        eventually(page, lambda: registrations, "the service worker's registration")
        registration = next(r for r in registrations if r["scopeURL"] == f"{botaz.url}/")
        payload = {"title": "Leyla", "body": "Pushed text", "url": f"/chat/{visitor['visitorId']}",
                   "tag": f"botaz-{visitor['visitorId']}"}
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": botaz.url,
                                                      "registrationId": registration["registrationId"],
                                                      "data": json.dumps(payload)})
        shown = eventually(page, lambda: page.evaluate(
            "navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((ns) => ns.map("
            "(n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"),
            "the service worker's notification")
        assert shown == [payload]

        # The dashboard closed: the next message comes by push, to this browser's keys.
        page.goto("about:blank")
        eventually(page, lambda: not botaz.client.get("/auth/me", headers=acme.headers).json()["agent"]["online"],
                   "the agent to be offline")
        visitor_says(botaz, visitor, "Nobody is watching")
        pushed = device.decrypt(service.wait_for(2)[1]["body"])
        assert pushed["title"] == "Leyla" and pushed["body"] == "Nobody is watching"
        assert pushed["url"] == f"/chat/{visitor['visitorId']}"

        # Signing out unsubscribes this browser.
        board.goto("/")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(re.compile(r"/login"))
        assert botaz.client.get("/api/push/subscriptions", headers=acme.headers).json()["items"] == []
    finally:
        service.close()
