"""The embeddable widget in a real browser: Debian's chromium driven by Playwright.

Each test serves the demo page with its own account (/demo?siteKey=...), so accounts, visitors
and their localStorage never mix. Runs on SQLite only. Skipped when /usr/bin/chromium is missing,
except on CI (CI=true), where a missing browser is a failure.

BOTAZ_SCREENSHOTS=1 also writes docs/screenshots/widget-*.png.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ON_CI = os.environ.get("CI") == "true"

if not CHROMIUM.exists():
    if ON_CI:
        pytest.fail(f"{CHROMIUM} is missing: the browser tests must run on CI", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

try:
    from playwright.sync_api import Browser, Page, WebSocketRoute, expect, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    if ON_CI:
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

SCREENSHOTS = os.environ.get("BOTAZ_SCREENSHOTS") == "1"
SHOTS_DIR = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
XSS = "<img src=x onerror=window.__xss=1>"


# -------------------------------------------------------------------------------------------------
# Fixtures and helpers
# -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def database_url(tmp_root) -> Iterator[str]:
    """Browser tests run on SQLite only (this overrides conftest's sqlite+postgresql param)."""
    yield f"sqlite:///{tmp_root}/widget-{secrets.token_hex(6)}.db"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class HostSite:
    """Another origin (http://localhost:PORT, while botaz is on 127.0.0.1) serving website pages
    that embed the widget with the contract's tag: the widget's calls are all cross-origin."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                html = site.pages.get(self.path.split("?")[0])
                body = (html or "not found").encode()
                self.send_response(200 if html else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def embed(self, botaz: Any, account: Any) -> str:
        path = f"/shop-{secrets.token_hex(4)}"
        self.pages[path] = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Shop</title>"
            "<style>body{font:16px serif;color:#300} div{display:none} button{color:red}</style>"
            "</head><body><h1>A shop elsewhere</h1>"
            f'<script src="{botaz.url}/widget.js" data-site-key="{account.site_key}" async></script>'
            "</body></html>")
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.close()


class WidgetPage:
    """One browser context showing the demo page of one account."""

    def __init__(self, page: Page, botaz: Any, account: Any) -> None:
        self.page = page
        self.botaz = botaz
        self.account = account
        self.url = f"{botaz.url}/demo?siteKey={account.site_key}"
        self.errors: list[str] = []
        self.frames_sent: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("websocket", lambda ws: ws.on("framesent", self._sent))

    def _sent(self, payload: Any) -> None:
        self.frames_sent.append(payload if isinstance(payload, str) else str(payload))

    def goto(self) -> "WidgetPage":
        self.page.goto(self.url)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        self.page.locator("botaz-widget[data-botaz-ready='1']").wait_for(state="attached")

    def reload(self) -> None:
        self.page.reload()
        self.wait_ready()

    # Controls, found by role and accessible name (Playwright pierces the open shadow root).
    def launcher(self, name: str = "Open chat"):
        return self.page.get_by_role("button", name=name)

    @property
    def dialog(self):
        return self.page.get_by_role("dialog")

    @property
    def log(self):
        return self.page.get_by_role("log")

    @property
    def textbox(self):
        return self.page.get_by_role("textbox", name="Message")

    @property
    def send_button(self):
        return self.page.get_by_role("button", name="Send", exact=True)

    def open(self) -> None:
        self.launcher().click()
        expect(self.dialog).to_be_visible()

    def say(self, text: str) -> None:
        self.textbox.fill(text)
        self.send_button.click()
        expect(self.log.get_by_text(text, exact=True)).to_be_visible()

    @property
    def saved(self) -> dict[str, str]:
        raw = self.page.evaluate(
            f"localStorage.getItem({json.dumps('botaz:' + self.account.site_key + ':visitor')})")
        assert raw, "the widget stored no visitor"
        return json.loads(raw)

    @property
    def visitor_id(self) -> str:
        return self.saved["visitorId"]

    def wait_connected(self, resumes: int = 1) -> None:
        eventually(self.page, lambda: sum('"resume"' in f for f in self.frames_sent) >= resumes,
                   "the widget's socket to connect")

    def shot(self, name: str) -> None:
        if SCREENSHOTS:
            SHOTS_DIR.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SHOTS_DIR / f"widget-{name}.png"))


@pytest.fixture
def widget(botaz, browser: Browser) -> Iterator[Callable[..., WidgetPage]]:
    """widget(account, **context_options) -> a WidgetPage (not yet navigated)."""
    contexts = []
    pages: list[WidgetPage] = []

    def make(account: Any, **options: Any) -> WidgetPage:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        wp = WidgetPage(context.new_page(), botaz, account)
        pages.append(wp)
        return wp

    yield make
    for context in contexts:
        context.close()
    for wp in pages:
        assert not wp.errors, f"JavaScript errors on the page: {wp.errors}"


def eventually(page: Page, check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll check() until truthy. Waits through the page, so that Playwright keeps dispatching
    its events (WebSocket frames, routes) meanwhile: time.sleep() would stall them."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


def new_account(botaz, name: str = "Acme") -> Any:
    """new_account(botaz) runs asyncio.run(), which cannot nest inside sync Playwright's event
    loop on this thread: run it on a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(botaz.account, name).result()


def agent_messages(botaz, account, visitor_id: str) -> list[dict[str, Any]]:
    r = botaz.client.get(f"/api/visitors/{visitor_id}/messages", headers=account.headers,
                         params={"limit": 100})
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["items"]))  # oldest first


def agent_socket(botaz, account) -> Any:
    """The owner signed in to the dashboard: a socket opened with a dashboard session, which
    (unlike an API token's) makes the site online."""
    from websockets.sync.client import connect

    agents = botaz.client.get("/api/agents", headers=account.headers).json()["items"]
    email = next(a["email"] for a in agents if a["_id"] == account.agent_id)
    with httpx.Client(base_url=botaz.url, timeout=10) as browser:
        r = browser.post("/auth/login", json={"email": email, "password": "secret-pass"})
        assert r.status_code == 200, r.text
        cookie = f"botaz_session={browser.cookies.get('botaz_session')}"
    return connect(botaz.url.replace("http://", "ws://") + "/api/ws", additional_headers={"Cookie": cookie},
                   open_timeout=5, close_timeout=2, max_queue=None)


def put_settings(botaz, account, settings: dict[str, Any]) -> None:
    r = botaz.client.put("/api/settings", headers=account.headers, json=settings)
    assert r.status_code == 200, r.text


# -------------------------------------------------------------------------------------------------
# Tests
# -------------------------------------------------------------------------------------------------

def test_conversation_with_preform_survives_reload(botaz, widget, request) -> None:
    shop = new_account(botaz, "Caspian Coffee Roasters")
    put_settings(botaz, shop, {
        "preform": {"enabled": True, "fields": ["name", "email"]},
        "widget": {"greeting": "Salam! Ask us anything about our coffee.", "color": "#8a4b2a",
                   "title": "Caspian Coffee"}})
    # An agent is signed in (its socket is open), so the widget says someone is online.
    agent = agent_socket(botaz, shop)
    request.addfinalizer(agent.close)
    w = widget(shop).goto()
    page = w.page
    w.shot("closed")

    launcher = w.launcher()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    dialog = page.get_by_role("dialog", name="Caspian Coffee")
    expect(dialog).to_be_visible()
    expect(w.launcher("Close chat")).to_have_attribute("aria-expanded", "true")
    expect(w.log.get_by_text("Salam! Ask us anything about our coffee.")).to_be_visible()
    expect(dialog.get_by_text("Online")).to_be_visible()
    expect(dialog.get_by_text("We're away right now")).to_be_hidden()

    # The pre-chat form comes first; focus moves into it.
    name, email = page.get_by_label("Name"), page.get_by_label("Email")
    expect(name).to_be_focused()
    expect(w.textbox).to_be_hidden()
    expect(email).to_have_attribute("type", "email")
    name.fill("Anar")
    email.fill("anar@localhost")  # the browser accepts it, the server does not
    page.get_by_role("button", name="Start chat").click()
    expect(page.get_by_role("alert")).to_contain_text("email must be a valid email address")
    email.fill("anar@example.com")
    page.get_by_role("button", name="Start chat").click()
    expect(w.textbox).to_be_visible()
    expect(w.textbox).to_be_focused()
    visitor_id = w.visitor_id
    v = botaz.client.get(f"/api/visitors/{visitor_id}", headers=shop.headers).json()
    assert (v["name"], v["email"], v["preformFilled"]) == ("Anar", "anar@example.com", True)

    # Enter sends; Shift+Enter is a new line; the Send button sends too.
    page.keyboard.type("Do you ship to Ganja?")
    page.keyboard.press("Enter")
    expect(w.log.get_by_text("Do you ship to Ganja?")).to_be_visible()
    expect(w.textbox).to_have_value("")
    w.textbox.press_sequentially("Whole beans, please.")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Two bags.")
    expect(w.textbox).to_have_value("Whole beans, please.\nTwo bags.")
    w.send_button.click()
    expect(w.log.get_by_text("Two bags.")).to_be_visible()

    # The agent's REST API sees both, in order.
    mine = eventually(page, lambda: [m for m in agent_messages(botaz, shop, visitor_id)
                               if m["userId"] is None], "the visitor's messages")
    assert [m["text"] for m in mine] == ["Do you ship to Ganja?", "Whole beans, please.\nTwo bags."]

    # The agent answers; the widget shows it at once and marks it seen (the panel is open).
    reply = botaz.send(shop, visitor_id, "Yes! Delivery to Ganja takes two days.")
    expect(w.log.get_by_text("Yes! Delivery to Ganja takes two days.")).to_be_visible()
    eventually(page, lambda: botaz.client.get(f"/api/messages/{reply['_id']}",
                                        headers=shop.headers).json()["seen"],
               "the agent's message to be marked seen")

    # The agent reads the visitor's messages: the ticks turn into "Seen".
    expect(page.get_by_role("img", name="Sent")).to_have_count(2)
    r = botaz.client.post(f"/api/visitors/{visitor_id}/seen", headers=shop.headers,
                          json={"messageId": mine[-1]["_id"]})
    assert r.status_code == 200, r.text
    expect(page.get_by_role("img", name="Seen")).to_have_count(2)
    botaz.send(shop, visitor_id, "Anything else I can help with?")
    expect(w.log.get_by_text("Anything else I can help with?")).to_be_visible()
    page.wait_for_timeout(300)  # let the smooth scroll settle
    w.shot("open")

    # Escape closes and gives focus back to the launcher.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(w.launcher()).to_be_focused()

    # A reload keeps the visitor and the whole conversation, once each, and no form again.
    w.reload()
    assert w.visitor_id == visitor_id
    w.open()
    expect(w.textbox).to_be_visible()
    for text in ("Do you ship to Ganja?", "Two bags.", "Yes! Delivery to Ganja takes two days.",
                 "Anything else I can help with?"):
        expect(w.log.get_by_text(text)).to_have_count(1)
    expect(w.log.locator("[data-id]")).to_have_count(4)
    assert len(agent_messages(botaz, shop, visitor_id)) == 4


def test_dropped_connection_resumes_without_loss(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme)
    routes: list[WebSocketRoute] = []
    servers: list[WebSocketRoute] = []
    state = {"blocked": False, "attempts": 0}

    def route(ws: WebSocketRoute) -> None:
        state["attempts"] += 1
        if state["blocked"]:
            ws.close(code=1001, reason="test: network down")
            return
        routes.append(ws)
        servers.append(ws.connect_to_server())

    w.page.route_web_socket(re.compile(r"/widget/v1/ws"), route)
    w.goto()
    w.open()
    w.say("Hello before the drop")
    visitor_id = w.visitor_id
    botaz.send(acme, visitor_id, "First answer")
    expect(w.log.get_by_text("First answer")).to_be_visible()
    status = w.page.get_by_role("status").filter(has_text="Reconnecting")
    expect(status).to_be_hidden()

    # The network goes away: both ends of the socket close, reconnects fail for a while.
    state["blocked"] = True
    for ws, server in zip(routes, servers):
        server.close()
        ws.close(code=1001, reason="test: dropped")
    expect(status).to_be_visible()
    botaz.send(acme, visitor_id, "Sent while you were away")
    botaz.send(acme, visitor_id, "And another one")
    eventually(w.page, lambda: state["attempts"] >= 3, "the widget to try to reconnect", timeout=15)
    expect(w.log.get_by_text("Sent while you were away")).to_have_count(0)

    # Back online: the widget reconnects, resumes after its last message and misses nothing.
    state["blocked"] = False
    expect(w.log.get_by_text("Sent while you were away")).to_be_visible(timeout=20_000)
    expect(w.log.get_by_text("And another one")).to_be_visible()
    expect(status).to_be_hidden()
    rows = w.log.locator("[data-id] .text")
    expect(rows).to_have_text(["Hello before the drop", "First answer",
                               "Sent while you were away", "And another one"])
    # A live message after the resume arrives once.
    botaz.send(acme, visitor_id, "Live again")
    expect(w.log.get_by_text("Live again")).to_have_count(1)
    expect(w.log.locator("[data-id]")).to_have_count(5)


def test_messages_are_text_never_html(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme).goto()
    w.open()
    w.say(XSS)
    botaz.send(acme, w.visitor_id, XSS)
    expect(w.log.get_by_text(XSS, exact=True)).to_have_count(2)
    assert w.page.evaluate("window.__xss") is None
    assert w.page.locator("botaz-widget img").count() == 0
    # Edits and deletions arrive live and are rendered the same way.
    last = botaz.send(acme, w.visitor_id, "typo")
    expect(w.log.get_by_text("typo", exact=True)).to_be_visible()
    r = botaz.client.put(f"/api/messages/{last['_id']}", headers=acme.headers,
                         json={"text": "<b>fixed</b>"})
    assert r.status_code == 200
    expect(w.log.get_by_text("<b>fixed</b>", exact=True)).to_be_visible()
    assert botaz.client.delete(f"/api/messages/{last['_id']}", headers=acme.headers).status_code == 200
    expect(w.log.get_by_text("<b>fixed</b>", exact=True)).to_have_count(0)
    assert w.page.evaluate("window.__xss") is None


def test_unread_badge_and_seen(botaz, widget) -> None:
    """A returning visitor (one who opened the chat on an earlier page) is connected on every
    page, panel closed: replies arrive live and count as unread."""
    acme = new_account(botaz)
    w = widget(acme).goto()
    w.open()
    w.wait_connected()
    visitor_id = w.visitor_id
    w.reload()
    w.wait_connected(resumes=2)
    expect(w.dialog).to_be_hidden()
    first = botaz.send(acme, visitor_id, "Hi there, can I help?")
    second = botaz.send(acme, visitor_id, "We have a sale today.")
    expect(w.launcher("Open chat (2 unread messages)")).to_be_visible()
    expect(w.page.locator("botaz-widget .badge")).to_have_text("2")
    # Closed panel: nothing is marked seen.
    w.page.wait_for_timeout(300)
    assert botaz.client.get(f"/api/messages/{second['_id']}", headers=acme.headers).json()["seen"] is False
    w.launcher().click()
    expect(w.launcher("Close chat")).to_be_visible()
    expect(w.page.locator("botaz-widget .badge")).to_be_hidden()
    for m in (first, second):
        eventually(w.page, lambda m=m: botaz.client.get(f"/api/messages/{m['_id']}",
                                                headers=acme.headers).json()["seen"],
                   "messages to be seen once the panel opens")
    w.page.keyboard.press("Escape")
    expect(w.page.get_by_role("button", name="Open chat", exact=True)).to_be_visible()


def test_typing_both_ways_and_offline_note(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme).goto()
    w.open()
    expect(w.dialog.get_by_text("We're away right now")).to_be_visible()
    w.wait_connected()
    visitor_id = w.visitor_id

    agent = agent_socket(botaz, acme)
    try:
        # With a human agent online the offline note goes away (config is refreshed on open).
        w.page.keyboard.press("Escape")
        w.open()
        expect(w.dialog.get_by_text("We're away right now")).to_be_hidden()

        r = botaz.client.post(f"/api/visitors/{visitor_id}/typing", headers=acme.headers,
                              json={"typing": True})
        assert r.status_code == 204, r.text
        typing = w.page.get_by_text("Agent is typing…")
        expect(typing).to_be_visible()
        botaz.client.post(f"/api/visitors/{visitor_id}/typing", headers=acme.headers,
                          json={"typing": False})
        expect(typing).to_be_hidden()

        # The visitor types: the agent hears typing true, then false once the message is sent.
        w.textbox.press_sequentially("Hel")
        seen: list[dict[str, Any]] = []

        def typing_frame(value: bool) -> bool:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    frame = json.loads(agent.recv(timeout=0.5))
                except TimeoutError:
                    continue
                seen.append(frame)
                data = frame["data"]
                if frame["event"] == "typing" and data["userId"] is None and data["typing"] is value:
                    assert data == {"visitorId": visitor_id, "userId": None, "typing": value}
                    return True
            return False

        assert typing_frame(True), seen
        w.textbox.press_sequentially("lo")
        w.send_button.click()
        assert typing_frame(False), seen
    finally:
        agent.close()


def test_attachments(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme).goto()
    w.open()
    attach = w.page.get_by_role("button", name="Attach file")
    expect(attach).to_be_visible()
    file_input = w.page.locator("botaz-widget input[type=file]")

    file_input.set_input_files(files=[{"name": "beans.png", "mimeType": "image/png", "buffer": PNG}])
    image = w.log.get_by_role("img", name="beans.png")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    assert w.page.evaluate(
        "document.querySelector('botaz-widget').shadowRoot.querySelector('img.att-img')"
        ".naturalWidth") == 1

    file_input.set_input_files(files=[{"name": "menu (v2).txt", "mimeType": "text/plain",
                                       "buffer": b"Espresso 3 AZN\n"}])
    link = w.log.get_by_role("link", name=re.compile(r"menu \(v2\)\.txt"))
    expect(link).to_be_visible()

    file_input.set_input_files(files=[{"name": "setup.exe", "mimeType": "application/x-msdownload",
                                       "buffer": b"MZ..."}])
    expect(w.page.get_by_role("alert")).to_contain_text("This type of file cannot be sent")
    expect(w.log.get_by_text("setup.exe")).to_have_count(0)

    items = agent_messages(botaz, acme, w.visitor_id)
    assert [(m["attachment"]["name"], m["attachment"]["type"]) for m in items] == [
        ("beans.png", "image/png"), ("menu (v2).txt", "text/plain")]

    # A download goes through the visitor's token.
    with w.page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "menu (v2).txt"
    assert Path(download.path()).read_bytes() == b"Espresso 3 AZN\n"


def test_banned_visitor(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme).goto()
    w.open()
    w.say("I am about to be banned")
    w.wait_connected()
    r = botaz.client.post(f"/api/visitors/{w.visitor_id}/ban", headers=acme.headers)
    assert r.status_code == 200, r.text
    banned = w.dialog.get_by_text("You can't send messages in this chat")
    expect(banned).to_be_visible()
    expect(w.textbox).to_be_hidden()
    # After a reload the widget learns it from /widget/v1/me and does not open a socket.
    w.frames_sent.clear()
    w.reload()
    w.open()
    expect(banned).to_be_visible()
    expect(w.textbox).to_be_hidden()
    w.page.wait_for_timeout(500)
    assert not any('"resume"' in f for f in w.frames_sent)


def test_unknown_token_starts_a_new_visitor(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme)
    key = f"botaz:{acme.site_key}:visitor"
    w.page.add_init_script(
        f"localStorage.setItem({json.dumps(key)}, "
        f"JSON.stringify({{visitorId: 'AAAAAAAAAAAAAAAAA', visitorToken: 'btzv_nope'}}))")
    w.page.goto(w.url)
    w.wait_ready()
    eventually(w.page, lambda: w.saved["visitorId"] != "AAAAAAAAAAAAAAAAA", "a new visitor")
    w.open()
    w.say("Fresh start")
    assert [m["text"] for m in agent_messages(botaz, acme, w.visitor_id)] == ["Fresh start"]


def test_page_tracking_and_host_api(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme).goto()
    w.open()  # the first open makes the visitor, which then reports its pages
    w.page.keyboard.press("Escape")

    def pages() -> list[str]:
        r = botaz.client.get(f"/api/visitors/{w.visitor_id}/pages", headers=acme.headers)
        assert r.status_code == 200, r.text
        return [p["url"] for p in r.json()["items"]]

    eventually(w.page, lambda: w.url in pages(), "the first page visit")
    w.page.evaluate("history.pushState({}, '', location.pathname + location.search + '&p=shop')")
    eventually(w.page, lambda: w.url + "&p=shop" in pages(), "the pushState page visit")
    w.page.evaluate("location.hash = 'visit'")
    eventually(w.page, lambda: w.url + "&p=shop#visit" in pages(), "the hashchange page visit")
    first = pages()[-1]
    assert first == w.url

    # window.Botaz for the host page.
    w.page.evaluate("Botaz.open()")
    expect(w.dialog).to_be_visible()
    w.page.evaluate("Botaz.toggle()")
    expect(w.dialog).to_be_hidden()
    w.page.evaluate("Botaz.toggle()")
    expect(w.dialog).to_be_visible()
    w.page.evaluate("Botaz.close()")
    expect(w.dialog).to_be_hidden()
    # The UI lives in an open shadow root and leaves the page's own styles alone.
    assert w.page.evaluate("document.querySelector('botaz-widget').shadowRoot !== null")
    assert w.page.evaluate("document.head.querySelectorAll('style').length") == 1


def test_phone_layout(botaz, widget, request) -> None:
    acme = new_account(botaz)
    put_settings(botaz, acme, {"widget": {"title": "Caspian Coffee", "color": "#8a4b2a",
                                          "greeting": "Salam! Ask us anything about our coffee."}})
    request.addfinalizer(agent_socket(botaz, acme).close)
    w = widget(acme, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True,
               device_scale_factor=2).goto()
    w.open()
    box = w.dialog.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 740}
    w.say("Is the Old City Blend good for a moka pot?")
    botaz.send(acme, w.visitor_id, "It is lovely in a moka pot: use a medium-fine grind.")
    expect(w.log.get_by_text("medium-fine grind")).to_be_visible()
    w.textbox.fill("Great, thanks!")
    w.page.wait_for_timeout(300)
    w.shot("phone")
    # The minimize button closes the full-screen panel; the launcher is back.
    w.page.get_by_role("button", name="Minimize chat").click()
    expect(w.dialog).to_be_hidden()
    expect(w.launcher()).to_be_focused()


def test_azerbaijani(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme, locale="az-AZ").goto()
    w.page.get_by_role("button", name="Söhbəti aç").click()
    expect(w.dialog).to_be_visible()
    textbox = w.page.get_by_role("textbox", name="Mesaj")
    expect(textbox).to_be_focused()
    textbox.fill("Salam")
    w.page.get_by_role("button", name="Göndər").click()
    expect(w.log.get_by_text("Salam", exact=True)).to_be_visible()
    expect(w.page.get_by_role("img", name="Göndərildi")).to_be_visible()
    expect(w.page.get_by_role("button", name="Söhbəti bağla")).to_be_visible()
    expect(w.page.get_by_role("button", name="Open chat")).to_have_count(0)


def test_embedded_on_another_origin(botaz, widget, host_site) -> None:
    """The contract's tag on someone else's website: CORS for every call, the socket, styles
    that do not leak in either direction."""
    acme = new_account(botaz)
    w = widget(acme)
    w.url = host_site.embed(botaz, acme)
    w.goto()
    assert w.page.evaluate("location.origin") == host_site.origin != botaz.url
    # The page's `div{display:none}` and `button{color:red}` do not reach into the widget.
    expect(w.launcher()).to_be_visible()
    assert w.launcher().evaluate("b => getComputedStyle(b).color") != "rgb(255, 0, 0)"
    w.open()
    w.say("Hello from another origin")
    assert [m["text"] for m in agent_messages(botaz, acme, w.visitor_id)] == [
        "Hello from another origin"]
    botaz.send(acme, w.visitor_id, "Hello back over the socket")
    expect(w.log.get_by_text("Hello back over the socket")).to_be_visible()
    # ...and the widget's styles stay out of the page.
    assert w.page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily") == "serif"
    w.reload()
    w.open()
    expect(w.log.locator("[data-id]")).to_have_count(2)


def test_attachments_on_another_origin(botaz, widget, host_site) -> None:
    acme = new_account(botaz)
    w = widget(acme)
    w.url = host_site.embed(botaz, acme)
    w.goto()
    w.open()
    w.page.locator("botaz-widget input[type=file]").set_input_files(
        files=[{"name": "beans.png", "mimeType": "image/png", "buffer": PNG}])
    image = w.log.get_by_role("img", name="beans.png")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"), timeout=3000)


LINKS_TEXT = ("Docs: https://example.com/wiki/Baku_(city). Mail help@example.com, "
              "not javascript:alert(1) or data:text/html,x; see (http://example.org/a?b=1).")
LINKS_HREFS = ["https://example.com/wiki/Baku_(city)", "mailto:help@example.com",
               "http://example.org/a?b=1"]


def test_links_in_messages_are_clickable_and_safe(botaz, widget) -> None:
    acme = new_account(botaz)
    w = widget(acme).goto()
    w.open()
    botaz.send(acme, w.visitor_id, LINKS_TEXT)
    bubble = w.log.locator(".bubble").filter(has_text="Docs:")
    expect(bubble).to_have_count(1)
    links = bubble.locator("a")
    expect(links).to_have_count(3)
    assert [links.nth(i).get_attribute("href") for i in range(3)] == LINKS_HREFS
    assert all(links.nth(i).get_attribute("rel") == "noopener noreferrer nofollow" for i in range(3))
    assert all(links.nth(i).get_attribute("target") == "_blank" for i in range(3))
    # The text reads exactly as written: nothing dropped around the links.
    assert bubble.locator(".text").inner_text() == LINKS_TEXT
