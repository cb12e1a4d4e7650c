"""The agents' dashboard in a real browser: Debian's chromium driven by Playwright.

Every test signs in through /login with its own account, so accounts never mix. Runs on SQLite
only. Skipped when /usr/bin/chromium is missing, except on CI (CI=true), where a missing browser
is a failure. BOTAZ_SCREENSHOTS=1 also writes docs/screenshots/dashboard-*.png.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

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
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    if ON_CI:
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)

SCREENSHOTS = os.environ.get("BOTAZ_SCREENSHOTS") == "1"
SHOTS_DIR = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "secret-pass"  # conftest's owner password
XSS = "<img src=x onerror=window.__xss=1>"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


# -------------------------------------------------------------------------------------------------
# Fixtures and helpers
# -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def database_url(tmp_root) -> Iterator[str]:
    """Browser tests run on SQLite only (this overrides conftest's sqlite+postgresql param)."""
    yield f"sqlite:///{tmp_root}/dashboard-{secrets.token_hex(6)}.db"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_account(botaz, name: str = "Acme") -> Any:
    """botaz.account() runs asyncio.run(), which cannot nest inside sync Playwright's event loop
    on this thread: run it on a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(botaz.account, name).result()


def owner_email(botaz, account) -> str:
    r = botaz.client.get("/api/agents", headers=account.headers)
    assert r.status_code == 200, r.text
    return next(a["email"] for a in r.json()["items"] if a["_id"] == account.agent_id)


def vheaders(visitor: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {visitor['visitorToken']}"}


def visitor_says(botaz, visitor: dict[str, Any], text: str) -> dict[str, Any]:
    r = botaz.client.post("/widget/v1/messages", headers=vheaders(visitor), json={"text": text})
    assert r.status_code == 201, r.text
    return r.json()


def new_visitor(botaz, account, text: str | None = None, **fields: Any) -> dict[str, Any]:
    visitor = botaz.visitor(account)
    if fields:
        r = botaz.client.put(f"/api/visitors/{visitor['visitorId']}", headers=account.headers, json=fields)
        assert r.status_code == 200, r.text
    if text is not None:
        visitor_says(botaz, visitor, text)
    return visitor


def messages(botaz, account, visitor_id: str) -> list[dict[str, Any]]:
    r = botaz.client.get(f"/api/visitors/{visitor_id}/messages", headers=account.headers,
                         params={"limit": 100})
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["items"]))  # oldest first


def eventually(page: Page, check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Poll check() until truthy, waiting through the page so Playwright keeps dispatching."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


class Dashboard:
    """One browser context signed in (or about to be) as one agent."""

    def __init__(self, page: Page, botaz: Any) -> None:
        self.page = page
        self.botaz = botaz
        self.errors: list[str] = []
        self.foreign: list[str] = []
        origin = urlsplit(botaz.url).netloc
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                and "Failed to load resource" not in m.text else None)
        page.on("request", lambda r: self.foreign.append(r.url)
                if urlsplit(r.url).scheme in ("http", "https", "ws", "wss")
                and urlsplit(r.url).netloc != origin else None)

    def goto(self, path: str) -> None:
        self.page.goto(self.botaz.url + path)

    def sign_in(self, email: str, password: str = PASSWORD, path: str = "/") -> None:
        self.goto(f"/login?next={path}" if path != "/" else "/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(re.escape(self.botaz.url + path) + r"$"))
        expect(self.page.get_by_role("button", name="Log out")).to_be_visible()

    def conversation_link(self, text: str):
        return self.page.get_by_role("list", name="Conversations").get_by_role("link").filter(has_text=text)

    @property
    def message_box(self):
        return self.page.get_by_role("textbox", name="Message", exact=True)

    @property
    def send(self):
        return self.page.get_by_role("button", name="Send", exact=True)

    @property
    def timeline(self):
        return self.page.get_by_role("log")

    def panel(self):
        return self.page.get_by_role("complementary", name="Visitor details")

    def shot(self, name: str) -> None:
        if SCREENSHOTS:
            SHOTS_DIR.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SHOTS_DIR / f"dashboard-{name}.png"))


@pytest.fixture
def dashboard(botaz, browser: Browser) -> Iterator[Callable[..., Dashboard]]:
    """dashboard(**context_options) -> a Dashboard in a fresh browser context."""
    contexts = []
    boards: list[Dashboard] = []

    def make(**options: Any) -> Dashboard:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        board = Dashboard(context.new_page(), botaz)
        boards.append(board)
        return board

    yield make
    for context in contexts:
        context.close()
    for board in boards:
        assert not board.errors, f"JavaScript errors on the page: {board.errors}"
        assert not board.foreign, f"requests outside the botaz server: {board.foreign}"


# -------------------------------------------------------------------------------------------------
# Tests
# -------------------------------------------------------------------------------------------------

def test_sign_in_goes_back_where_the_agent_was_going(botaz, dashboard) -> None:
    acme = new_account(botaz)
    email = owner_email(botaz, acme)
    visitor = new_visitor(botaz, acme, "Hello?")
    board = dashboard()
    page = board.page
    board.goto(f"/chat/{visitor['visitorId']}")
    page.wait_for_url(re.compile(r"/login\?next="))
    board.shot("login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.url.startswith(board.botaz.url + "/login")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{botaz.url}/chat/{visitor['visitorId']}")
    expect(board.timeline.get_by_text("Hello?", exact=True)).to_be_visible()
    # The header: navigation, who is signed in, and signing out.
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Conversations", "Agents", "Settings"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("banner").get_by_text("Anar", exact=True)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))
    board.goto("/agents")
    page.wait_for_url(re.compile(r"/login\?next=/agents$"))


def test_widget_conversation_reply_edit_visitor_and_ban(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme))
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()

    # A visitor opens the widget on the demo page and writes: it shows up in the list, live.
    site = dashboard()
    created: list[dict[str, Any]] = []
    site.page.on("response", lambda r: created.append(r.json())
                 if r.url.endswith("/widget/v1/visitors") and r.request.method == "POST" else None)

    def on_frame(payload: str | bytes) -> None:  # the widget made its visitor on its socket
        frame = json.loads(payload)
        if frame.get("event") == "widget.ready" and frame["data"].get("visitorToken"):
            created.append(frame["data"])

    site.page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    site.page.goto(f"{botaz.url}/demo?siteKey={acme.site_key}")
    site.page.get_by_role("button", name="Open chat").click()
    site.page.get_by_role("textbox", name="Message").fill("Do you ship to Baku?")
    site.page.get_by_role("button", name="Send", exact=True).click()
    link = board.conversation_link("Do you ship to Baku?")
    expect(link).to_be_visible()
    expect(link.locator(".pill")).to_have_text("1")
    assert page.title() == "(1) botaz"

    # Open it: /chat/:visitorId, the seed's URL.
    link.click()
    page.wait_for_url(re.compile(r"/chat/[23456789A-Za-z]{17}$"))
    visitor_id = page.url.rsplit("/", 1)[1]
    visitor = eventually(page, lambda: created and created[0], "the widget's visitor")
    assert visitor["visitorId"] == visitor_id
    expect(board.timeline.get_by_text("Do you ship to Baku?", exact=True)).to_be_visible()
    expect(link.locator(".pill")).to_have_count(0)
    eventually(page, lambda: page.title() == "botaz", "the title badge to clear")

    # Reply with Message + Send: the REST API has it, and so does the widget.
    board.message_box.fill("Yes, we do! Delivery takes 2 days.")
    board.send.click()
    expect(board.timeline.get_by_text("Yes, we do! Delivery takes 2 days.", exact=True)).to_be_visible()
    expect(board.message_box).to_have_value("")
    last = messages(botaz, acme, visitor_id)[-1]
    assert last["text"] == "Yes, we do! Delivery takes 2 days." and last["userId"] == acme.agent_id
    expect(site.page.get_by_role("log").get_by_text("Yes, we do! Delivery takes 2 days.")).to_be_visible()
    # The visitor's message was marked seen once the agent looked at it.
    eventually(page, lambda: messages(botaz, acme, visitor_id)[0]["seen"], "the seen receipt")

    # Visitor typing shows in the conversation.
    site.page.get_by_role("textbox", name="Message").press_sequentially("Grea", delay=30)
    expect(page.get_by_text("Visitor is typing…")).to_be_visible()

    # Edit the visitor's details in the panel.
    panel = board.panel()
    panel.get_by_label("Email", exact=True).fill("not-an-email")
    panel.get_by_role("button", name="Save details").click()
    expect(panel.get_by_role("alert")).to_contain_text(re.compile("email", re.I))
    panel.get_by_label("Name", exact=True).fill("Anar Hasanzade")
    panel.get_by_label("Email", exact=True).fill("anar@example.com")
    panel.get_by_label("Phone", exact=True).fill("+994124801574")
    panel.get_by_label("Notes", exact=True).fill("Asked about shipping")
    panel.get_by_role("button", name="Save details").click()
    expect(panel.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    v = botaz.client.get(f"/api/visitors/{visitor_id}", headers=acme.headers).json()
    assert (v["name"], v["email"], v["phone"], v["notes"]) == (
        "Anar Hasanzade", "anar@example.com", "+994124801574", "Asked about shipping")
    expect(page.get_by_role("heading", name="Anar Hasanzade", exact=True).first).to_be_visible()
    expect(board.conversation_link("Anar Hasanzade")).to_be_visible()
    expect(board.timeline.locator(".msg-author").filter(has_text="Anar Hasanzade")).to_be_visible()
    expect(panel.get_by_role("heading", name="Pages visited")).to_be_visible()
    board.shot("conversation")

    # Ban: the widget API refuses the visitor from then on; Unban lets them back.
    page.get_by_role("button", name="Ban", exact=True).click()
    expect(page.get_by_role("button", name="Unban", exact=True)).to_be_visible()
    r = botaz.client.post("/widget/v1/messages", headers=vheaders(visitor), json={"text": "let me in"})
    assert r.status_code == 403, r.text
    assert botaz.client.get(f"/api/visitors/{visitor_id}", headers=acme.headers).json()["banned"] is True
    expect(board.message_box).to_be_disabled()
    page.get_by_role("button", name="Unban", exact=True).click()
    expect(page.get_by_role("button", name="Ban", exact=True)).to_be_visible()
    assert botaz.client.get(f"/api/visitors/{visitor_id}", headers=acme.headers).json()["banned"] is False
    expect(board.message_box).to_be_enabled()


def test_hostile_text_is_shown_as_text(botaz, dashboard) -> None:
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, XSS, name=XSS, notes=XSS)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme))
    link = board.conversation_link(XSS)
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{botaz.url}/chat/{visitor['visitorId']}")
    expect(board.timeline.locator(".bubble").get_by_text(XSS, exact=True)).to_be_visible()
    expect(board.timeline.locator(".msg-author").get_by_text(XSS, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=XSS).first).to_be_visible()
    expect(board.panel().get_by_label("Name", exact=True)).to_have_value(XSS)
    expect(board.panel().get_by_label("Notes", exact=True)).to_have_value(XSS)
    # A reply and a private note with markup stay text too.
    board.message_box.fill(XSS + " (agent)")
    board.send.click()
    expect(board.timeline.get_by_text(XSS + " (agent)", exact=True)).to_be_visible()
    page.get_by_text("Private note", exact=True).click()
    board.message_box.fill(XSS + " (note)")
    page.get_by_role("button", name="Add note").click()
    expect(board.timeline.get_by_text(XSS + " (note)", exact=True)).to_be_visible()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0


def test_notes_canned_responses_assignment_and_status(botaz, dashboard) -> None:
    acme = new_account(botaz)
    r = botaz.client.post("/api/canned", headers=acme.headers,
                          json={"shortcut": "ship", "text": "We ship worldwide within 3 days."})
    assert r.status_code == 201, r.text
    visitor = new_visitor(botaz, acme, "How long is shipping?", name="Leyla")
    vid = visitor["visitorId"]
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{vid}")
    expect(board.timeline.get_by_text("How long is shipping?")).to_be_visible()

    # "/" + letters opens the canned responses; Enter inserts, a second Enter sends.
    board.message_box.press_sequentially("/sh")
    listbox = page.get_by_role("listbox", name="Canned responses")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option").first).to_contain_text("We ship worldwide")
    board.message_box.press("Enter")
    expect(board.message_box).to_have_value("We ship worldwide within 3 days.")
    expect(listbox).to_be_hidden()
    board.message_box.press("Enter")
    expect(board.timeline.get_by_text("We ship worldwide within 3 days.", exact=True)).to_be_visible()
    assert messages(botaz, acme, vid)[-1]["text"] == "We ship worldwide within 3 days."

    # A private note: inline in the timeline, stored for agents, never in the visitor's view.
    page.get_by_text("Private note", exact=True).click()
    board.message_box.fill("VIP customer, be nice")
    page.get_by_role("button", name="Add note").click()
    note = board.timeline.locator(".note-card").filter(has_text="VIP customer, be nice")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Private note")
    notes = botaz.client.get(f"/api/conversations/{vid}/notes", headers=acme.headers).json()["items"]
    assert [n["text"] for n in notes] == ["VIP customer, be nice"]
    widget_view = botaz.client.get("/widget/v1/messages", headers=vheaders(visitor)).text
    assert "VIP customer" not in widget_view
    page.get_by_text("Reply", exact=True).click()
    expect(board.send).to_be_visible()

    # My own message can be edited and deleted.
    mine = board.timeline.locator(".tl-item.mine").filter(has_text="We ship worldwide")
    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    edit = page.get_by_role("textbox", name="Edit message")
    edit.fill("We ship worldwide within 2 days.")
    edit.press("Enter")
    expect(board.timeline.get_by_text("We ship worldwide within 2 days.", exact=True)).to_be_visible()
    assert messages(botaz, acme, vid)[-1]["text"] == "We ship worldwide within 2 days."
    mine = board.timeline.locator(".tl-item.mine").filter(has_text="within 2 days")
    mine.hover()
    mine.get_by_role("button", name="Delete message").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(board.timeline.get_by_text("We ship worldwide within 2 days.")).to_have_count(0)
    assert all("within 2 days" not in m["text"] for m in messages(botaz, acme, vid))
    expect(board.timeline.locator(".tl-item.from-visitor .msg-tools")).to_have_count(0)

    # Assign to me, transfer to a colleague, resolve and reopen.
    page.get_by_role("button", name="Assign to me").click()
    conv = lambda: botaz.client.get(f"/api/conversations/{vid}", headers=acme.headers).json()  # noqa: E731
    eventually(page, lambda: conv()["assigneeId"] == acme.agent_id, "the assignment")
    expect(page.get_by_role("combobox", name="Assignee")).to_have_value(acme.agent_id)
    with ThreadPoolExecutor(1) as pool:
        colleague = pool.submit(acme.add_agent, "Rashad").result()
    colleague_id = colleague["agentId"]
    page.reload()  # the team changed: the assignee list is loaded with the page
    page.get_by_role("combobox", name="Assignee").select_option(colleague_id)
    eventually(page, lambda: conv()["assigneeId"] == colleague_id, "the transfer")
    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.get_by_role("button", name="Reopen", exact=True)).to_be_visible()
    assert conv()["status"] == "resolved"
    page.get_by_role("group", name="Status").get_by_role("button", name="Resolved").click()
    expect(board.conversation_link("Leyla")).to_be_visible()
    page.get_by_role("group", name="Status").get_by_role("button", name="Open").click()
    expect(board.conversation_link("Leyla")).to_have_count(0)
    page.get_by_role("button", name="Reopen", exact=True).click()
    expect(page.get_by_role("button", name="Resolve", exact=True)).to_be_visible()
    expect(board.conversation_link("Leyla")).to_be_visible()
    assert conv()["status"] == "open"


def test_attachments(botaz, dashboard) -> None:
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, "Can you send the invoice?")
    vid = visitor["visitorId"]
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{vid}")
    expect(page.get_by_role("button", name="Attach file")).to_be_visible()
    files = page.locator("form.composer input[type=file]")
    files.set_input_files({"name": "dot.png", "mimeType": "image/png", "buffer": PNG})
    image = board.timeline.get_by_role("img", name="dot.png")
    expect(image).to_be_visible()
    files.set_input_files({"name": "invoice <1>.txt", "mimeType": "text/plain", "buffer": b"total: 42"})
    link = board.timeline.get_by_role("link", name=re.compile(r"invoice <1>\.txt"))
    expect(link).to_be_visible()
    sent = [m for m in messages(botaz, acme, vid) if m.get("attachment")]
    assert [(m["attachment"]["name"], m["userId"]) for m in sent] == [
        ("dot.png", acme.agent_id), ("invoice <1>.txt", acme.agent_id)]
    assert image.get_attribute("src") == sent[0]["attachment"]["url"]
    assert link.get_attribute("href") == sent[1]["attachment"]["url"]

    # The session cookie authorises the downloads: the image really loads, the file downloads.
    loaded = lambda: image.evaluate("img => img.complete && img.naturalWidth > 0")  # noqa: E731
    status = page.evaluate("async url => (await fetch(url)).status", sent[1]["attachment"]["url"])
    assert status == 200
    eventually(page, loaded, "the image to load with the session cookie")
    body = page.evaluate("async url => (await fetch(url)).text()", sent[1]["attachment"]["url"])
    assert body == "total: 42"


def test_long_conversation_loads_older_messages_and_throttles_typing(botaz, dashboard) -> None:
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, "Message 0")
    vid = visitor["visitorId"]
    for i in range(1, 60):
        if i % 2:
            botaz.send(acme, vid, f"Message {i}")
        else:
            visitor_says(botaz, visitor, f"Message {i}")
    board = dashboard()
    page = board.page
    typing: list[bool] = []
    page.on("request", lambda r: typing.append(r.post_data_json["typing"])
            if r.url.endswith(f"/api/visitors/{vid}/typing") else None)
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{vid}")
    expect(board.timeline.get_by_text("Message 59", exact=True)).to_be_visible()
    expect(board.timeline.get_by_text("Message 0", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Load older messages").click()
    expect(board.timeline.get_by_text("Message 0", exact=True)).to_be_attached()
    expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()
    assert board.timeline.locator(".tl-item.msg").count() == 60

    # Typing notifications: at most one every 2 s while typing, then false after 3 s idle.
    board.message_box.press_sequentially("I am typing slowly", delay=150)  # ~2.7 s
    assert 1 <= typing.count(True) <= 2, typing
    eventually(page, lambda: typing[-1] is False, "typing false after 3 s idle", timeout=5)
    board.message_box.press_sequentially("!")
    eventually(page, lambda: typing[-1] is True, "typing again")
    board.send.click()
    eventually(page, lambda: typing[-1] is False, "typing false on send")


def test_live_list_unread_and_title_badge(botaz, dashboard) -> None:
    acme = new_account(botaz)
    first = new_visitor(botaz, acme, "First question", name="First Visitor")
    second = new_visitor(botaz, acme, "Second question", name="Second Visitor")
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{first['visitorId']}")
    expect(board.timeline.get_by_text("First question")).to_be_visible()
    second_link = board.conversation_link("Second Visitor")
    expect(second_link.locator(".pill")).to_have_text("1")
    assert page.title() == "botaz"

    # A message to another conversation: unread pill grows, the title shows a badge.
    visitor_says(botaz, second, "Hello again")
    expect(second_link.locator(".pill")).to_have_text("2")
    expect(second_link).to_contain_text("Hello again")
    eventually(page, lambda: page.title() == "(1) botaz", "the title badge")
    # A message to the open conversation: shown at once, no badge, marked seen.
    visitor_says(botaz, first, "Are you there?")
    expect(board.timeline.get_by_text("Are you there?")).to_be_visible()
    assert page.title() == "(1) botaz"
    eventually(page, lambda: all(m["seen"] for m in messages(botaz, acme, first["visitorId"])),
               "the open conversation's messages to be seen")
    # Searching filters the list.
    page.get_by_role("searchbox", name="Search conversations").fill("again")
    expect(board.conversation_link("First Visitor")).to_have_count(0)
    expect(second_link).to_be_visible()
    page.get_by_role("searchbox", name="Search conversations").fill("")
    expect(board.conversation_link("First Visitor")).to_be_visible()
    # Opening the other conversation clears its pill and the badge.
    second_link.click()
    page.wait_for_url(f"{botaz.url}/chat/{second['visitorId']}")
    expect(second_link.locator(".pill")).to_have_count(0)
    assert page.title() == "botaz"
    eventually(page, lambda: botaz.client.get(f"/api/conversations/{second['visitorId']}",
                                              headers=acme.headers).json()["unread"] == 0,
               "the server's unread count to clear")
    # A brand-new visitor appears without a reload.
    new_visitor(botaz, acme, "I am new here")
    expect(board.conversation_link("I am new here")).to_be_visible()
    # Back and forward keep working with client-side routing.
    page.go_back()
    page.wait_for_url(f"{botaz.url}/chat/{first['visitorId']}")
    expect(board.timeline.get_by_text("Are you there?")).to_be_visible()


def test_dropped_socket_reconnects_and_resumes(botaz, dashboard) -> None:
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, "Before the drop", name="Rafael")
    vid = visitor["visitorId"]
    board = dashboard()
    page = board.page
    sockets: list[Any] = []
    resumes: list[str] = []

    def route(ws) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda m: (resumes.append(m) if '"resume"' in str(m) else None, server.send(m)))
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/api/ws$"), route)
    board.sign_in(owner_email(botaz, acme), path=f"/chat/{vid}")
    expect(board.timeline.get_by_text("Before the drop")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    eventually(page, lambda: resumes, "the first resume")
    last_known = messages(botaz, acme, vid)[-1]["_id"]

    sockets[-1].close(code=1011, reason="network trouble")
    expect(page.get_by_role("status").filter(has_text="Reconnecting")).to_be_visible()
    while_away = visitor_says(botaz, visitor, "Sent while you were away")
    eventually(page, lambda: len(sockets) >= 2, "a new socket", timeout=15)
    expect(board.timeline.get_by_text("Sent while you were away")).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    assert f'"after":"{last_known}"' in resumes[-1].replace(" ", "")
    # Live events flow again on the new socket, each message once.
    visitor_says(botaz, visitor, "And now live")
    expect(board.timeline.get_by_text("And now live")).to_have_count(1)
    expect(board.timeline.locator(f"[data-id='{while_away['_id']}']")).to_have_count(1)


def test_agents_page_lists_ids_and_owner_manages_the_team(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme), path="/agents")
    table = page.get_by_role("table")
    expect(table.get_by_role("cell", name=acme.agent_id)).to_be_visible()
    expect(table.locator("code", has_text=acme.agent_id)).to_be_visible()
    form = page.get_by_role("region", name="Add an agent", exact=True)
    email = f"rashad-{secrets.token_hex(3)}@example.com"
    form.get_by_label("Name").fill("Rashad")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill("agent-pass-1")
    form.get_by_role("button", name="Add agent").click()
    token = form.locator("code.secret")
    expect(token).to_have_text(re.compile(r"\S{20,}"))
    r = botaz.client.get("/api/agents", headers={"Authorization": f"Bearer {token.inner_text()}"})
    assert r.status_code == 200
    rashad = next(a for a in r.json()["items"] if a["email"] == email)
    expect(table.get_by_role("row").filter(has_text="Rashad")).to_contain_text(rashad["_id"])
    board.shot("agents")
    page.get_by_role("button", name="Remove Rashad").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove agent").click()
    expect(table.get_by_role("row").filter(has_text="Rashad")).to_have_count(0)
    ids = [a["_id"] for a in botaz.client.get("/api/agents", headers=acme.headers).json()["items"]]
    assert rashad["_id"] not in ids


def test_owner_settings(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    email = owner_email(botaz, acme)
    board.sign_in(email, path="/settings")
    snippet = f'<script src="{botaz.url}/widget.js" data-site-key="{acme.site_key}" async></script>'
    expect(page.locator("pre.snippet")).to_have_text(snippet)

    # Widget look and the pre-chat form.
    widget = page.get_by_role("region", name="Widget", exact=True)
    expect(widget.get_by_label("Title")).to_have_value("Chat with us")
    widget.get_by_label("Title").fill("Talk to Acme")
    widget.get_by_label("Greeting").fill("Salam! How can we help?")
    widget.get_by_label("Colour").fill("#16a34a")
    widget.get_by_role("button", name="Save widget").click()
    expect(widget.get_by_role("status")).to_have_text("Saved")
    preform = page.get_by_role("region", name="Pre-chat form", exact=True)
    preform.get_by_label("Ask visitors to introduce themselves before chatting").check()
    preform.get_by_label("Phone").check()
    preform.get_by_role("button", name="Save pre-chat form").click()
    expect(preform.get_by_role("status")).to_have_text("Saved")
    page.locator("#main").evaluate("main => main.scrollTo(0, 0)")
    board.shot("settings")
    s = botaz.client.get("/api/settings", headers=acme.headers).json()
    assert s["widget"] == {"greeting": "Salam! How can we help?", "color": "#16a34a", "title": "Talk to Acme"}
    assert s["preform"]["enabled"] is True and set(s["preform"]["fields"]) == {"name", "email", "phone"}

    # Canned responses: add, edit, delete.
    canned = page.get_by_role("region", name="Canned responses", exact=True)
    canned.get_by_label("Shortcut").fill("hello")
    canned.get_by_label("Text").fill("Hello! How can I help?")
    canned.get_by_role("button", name="Add response").click()
    expect(canned.get_by_text("/hello", exact=True)).to_be_visible()
    canned.get_by_role("button", name="Edit /hello").click()
    canned.get_by_label("Text").first.fill("Hi there! How can I help?")
    canned.get_by_role("button", name="Save", exact=True).click()
    expect(canned.get_by_text("Hi there! How can I help?")).to_be_visible()
    items = botaz.client.get("/api/canned", headers=acme.headers).json()["items"]
    assert [(c["shortcut"], c["text"]) for c in items] == [("hello", "Hi there! How can I help?")]
    canned.get_by_role("button", name="Delete /hello").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(canned.get_by_text("/hello", exact=True)).to_have_count(0)
    assert botaz.client.get("/api/canned", headers=acme.headers).json()["items"] == []

    # API tokens: shown once, usable, revocable.
    tokens = page.get_by_role("region", name="API tokens", exact=True)
    tokens.get_by_label("Token label").fill("CRM")
    tokens.get_by_role("button", name="Create token").click()
    token = tokens.locator("code.secret").inner_text()
    auth = {"Authorization": f"Bearer {token}"}
    assert botaz.client.get("/api/agents", headers=auth).status_code == 200
    expect(tokens.get_by_role("row").filter(has_text="CRM")).to_be_visible()
    tokens.get_by_role("button", name="Revoke CRM").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(tokens.get_by_role("row").filter(has_text="CRM")).to_have_count(0)
    assert botaz.client.get("/api/agents", headers=auth).status_code == 401

    # Change password: a wrong current password is refused, then it works.
    pw = page.get_by_role("region", name="Change password", exact=True)
    pw.get_by_label("Current password").fill("not-my-password")
    pw.get_by_label("New password", exact=True).fill("new-secret-pass")
    pw.get_by_label("Confirm new password").fill("new-secret-pass")
    pw.get_by_role("button", name="Change password").click()
    expect(pw.get_by_role("alert")).to_contain_text("wrong")
    pw.get_by_label("Current password").fill(PASSWORD)
    pw.get_by_role("button", name="Change password").click()
    expect(pw.get_by_role("status")).to_have_text("Password changed")
    r = botaz.client.post("/auth/login", json={"email": email, "password": "new-secret-pass"})
    assert r.status_code == 200, r.text


def test_non_owner_sees_no_owner_controls(botaz, dashboard) -> None:
    acme = new_account(botaz)
    email = f"bea-{secrets.token_hex(3)}@example.com"
    r = botaz.client.post("/api/agents", headers=acme.headers,
                          json={"name": "Bea", "email": email, "password": "agent-pass-1"})
    assert r.status_code == 201, r.text
    bea_id = r.json()["agent"]["_id"]
    board = dashboard()
    page = board.page
    board.sign_in(email, password="agent-pass-1", path="/agents")
    expect(page.get_by_role("banner").get_by_text("Bea", exact=True)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.locator("code", has_text=acme.agent_id)).to_be_visible()
    expect(table.locator("code", has_text=bea_id)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)
    expect(page.get_by_role("region", name="Add an agent", exact=True)).to_have_count(0)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{botaz.url}/settings")
    widget = page.get_by_role("region", name="Widget", exact=True)
    expect(widget.get_by_text("Only owners can change these settings.")).to_be_visible()
    expect(widget.get_by_label("Title")).to_be_disabled()
    expect(page.get_by_role("button", name="Save widget")).to_have_count(0)
    expect(page.get_by_role("button", name="Create token")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Revoke"))).to_have_count(0)
    # The snippet is not secret: every agent can copy it.
    expect(page.locator("pre.snippet")).to_contain_text(acme.site_key)

    # The server refuses too, with the session's own CSRF token.
    statuses = page.evaluate("""async () => {
        const me = await (await fetch('/auth/me')).json();
        const call = (method, path, body) => fetch(path, {method, headers: {
            'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken}, body: JSON.stringify(body)});
        return [
            (await call('PUT', '/api/settings', {widget: {title: 'Hacked'}})).status,
            (await call('POST', '/api/tokens', {label: 'mine'})).status,
            (await call('POST', '/api/agents', {name: 'X', email: 'x@example.com'})).status,
            (await fetch('/api/tokens')).status,
        ];
    }""")
    assert statuses == [403, 403, 403, 403]
    # Without the CSRF header, even an allowed call is refused.
    assert page.evaluate("""async () => (await fetch('/api/canned', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{"shortcut":"a","text":"b"}'})).status""") == 403


def test_narrow_screen(botaz, dashboard) -> None:
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, "Hi from my phone", name="Mobile Visitor")
    board = dashboard(viewport={"width": 390, "height": 760}, is_mobile=True, has_touch=True)
    page = board.page
    board.sign_in(owner_email(botaz, acme))
    link = board.conversation_link("Mobile Visitor")
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{botaz.url}/chat/{visitor['visitorId']}")
    expect(board.conversation_link("Mobile Visitor")).to_be_hidden()
    expect(board.message_box).to_be_visible()
    expect(board.send).to_be_visible()
    expect(board.panel().get_by_label("Name", exact=True)).to_be_hidden()
    page.get_by_role("button", name="Details").click()
    expect(board.panel().get_by_label("Name", exact=True)).to_be_visible()
    page.wait_for_timeout(400)  # the drawer slides in
    board.shot("narrow")
    page.get_by_role("button", name="Close visitor details").click()
    page.get_by_role("link", name="Back to conversations").click()
    page.wait_for_url(f"{botaz.url}/")
    expect(board.conversation_link("Mobile Visitor")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    nav = page.get_by_role("navigation", name="Main")
    assert nav.evaluate("n => n.scrollWidth <= n.clientWidth"), "the main navigation is cut off"


def test_links_in_messages_and_notes_are_clickable_and_safe(botaz, dashboard) -> None:
    text = ("Docs: https://example.com/wiki/Baku_(city). Mail help@example.com, "
            "not javascript:alert(1); see (http://example.org/a?b=1).")
    acme = new_account(botaz)
    visitor = new_visitor(botaz, acme, text, name="Linker")
    board = dashboard()
    page = board.page
    board.sign_in(owner_email(botaz, acme))
    page.goto(f"{botaz.url}/chat/{visitor['visitorId']}")
    bubble = board.timeline.locator(".bubble-text").filter(has_text="Docs:")
    expect(bubble).to_have_count(1)
    links = bubble.locator("a")
    expect(links).to_have_count(3)
    assert [links.nth(i).get_attribute("href") for i in range(3)] == [
        "https://example.com/wiki/Baku_(city)", "mailto:help@example.com", "http://example.org/a?b=1"]
    assert bubble.inner_text() == text
    assert page.locator("a[href^='javascript']").count() == 0
