"""Email features in Chromium: the widget's offline form and transcript button, "Forgot
password?" through the reset page, and the settings page's email sections. SQLite only."""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from botaz.config import Settings
from tests.conftest import Botaz, ServerThread, free_port
from tests.mailtools import Inbox, SmtpServer, bodies, links

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ON_CI = os.environ.get("CI") == "true"

if not CHROMIUM.exists():
    if ON_CI:
        pytest.fail(f"{CHROMIUM} is missing: the browser tests must run on CI", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

try:
    from playwright.sync_api import Browser, expect, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    if ON_CI:
        raise
    pytest.skip("playwright is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def database_url(tmp_root) -> Iterator[str]:
    yield f"sqlite:///{tmp_root}/email-browser-{secrets.token_hex(6)}.db"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), Inbox()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(database_url: str, smtp: SmtpServer, tmp_path_factory) -> Iterator[Botaz]:
    settings = Settings(database_url=database_url, rate_limits=False,
                        data_dir=str(tmp_path_factory.mktemp("data")), smtp_url=smtp.url,
                        webhook_poll_interval=0.05, email_delay_s=0.5, alert_delay_s=60)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield Botaz(server.url, database_url, client, server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_account(b: Botaz, name: str) -> Any:
    with ThreadPoolExecutor(1) as pool:  # asyncio.run cannot nest in Playwright's loop
        return pool.submit(b.account, name).result()


def test_widget_offline_form_and_transcript(site: Botaz, smtp: SmtpServer, browser: Browser) -> None:
    acct = new_account(site, "Offline Shop")
    r = site.client.put("/api/settings", headers=acct.headers, json={"email": {
        "offlineMessage": {"en": "We're closed. Leave your email: we answer within 2 hours."}}})
    assert r.status_code == 200
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site.url}/demo?siteKey={acct.site_key}")
    page.locator("botaz-widget[data-botaz-ready='1']").wait_for(state="attached")
    page.get_by_role("button", name="Open chat").click()
    notice = page.get_by_role("note")
    expect(notice).to_contain_text("We're closed. Leave your email: we answer within 2 hours.")
    email_box = notice.get_by_role("textbox", name="Your email")
    email_box.fill("not an email")
    notice.get_by_role("button", name="Save").click()
    expect(notice.get_by_role("status")).to_have_text("Please enter a valid email address.")
    address = f"away-{secrets.token_hex(3)}@example.com"
    email_box.fill(address)
    notice.get_by_role("button", name="Save").click()
    expect(notice.get_by_role("status")).to_have_text(f"Thanks! We'll reply to {address}.")
    # Saved on the visitor: an agent's unseen reply reaches it by email once the page is gone.
    visitors = site.client.get("/api/visitors", headers=acct.headers).json()["items"]
    visitor = next(v for v in visitors if v["email"] == address)

    # "Email me this conversation", prefilled with the saved address.
    page.get_by_role("textbox", name="Message").fill("Where is my parcel?")
    page.get_by_role("button", name="Send").click()
    opener = page.get_by_role("button", name="Email me this conversation")
    opener.click()
    expect(page.locator(".mailbar").get_by_role("textbox", name="Your email")).to_have_value(address)
    page.locator(".mailbar").get_by_role("button", name="Send").click()
    expect(page.locator(".mailbar").get_by_role("status")).to_have_text(
        f"We've sent this conversation to {address}.")
    [msg] = smtp.inbox.wait_for(1, to=address, subject="Your conversation with Offline Shop")
    assert "Where is my parcel?" in bodies(msg)[0]
    context.close()
    site.send(acct, visitor["_id"], "It left the warehouse today")
    [reply] = smtp.inbox.wait_for(1, to=address, subject="New reply from Offline Shop")
    assert "It left the warehouse today" in bodies(reply)[0]
    assert errors == []


def test_widget_speaks_azerbaijani(site: Botaz, browser: Browser) -> None:
    acct = new_account(site, "Az Shop")
    context = browser.new_context(locale="az-AZ")
    page = context.new_page()
    page.goto(f"{site.url}/demo?siteKey={acct.site_key}")
    page.locator("botaz-widget[data-botaz-ready='1']").wait_for(state="attached")
    page.get_by_role("button", name="Söhbəti aç").click()
    expect(page.get_by_role("note")).to_contain_text("E-poçtunuzu qoyun")
    expect(page.get_by_role("button", name="Bu söhbəti e-poçtuma göndər")).to_be_visible()
    context.close()


def test_forgot_password_and_reset_page(site: Botaz, smtp: SmtpServer, browser: Browser) -> None:
    acct = new_account(site, "Forgetful")
    email = site.client.get("/auth/me", headers=acct.headers).json()["agent"]["email"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.url}/login")
    page.get_by_label("Email").first.fill(email)
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    expect(page.locator("#forgot-email")).to_have_value(email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If an agent signs in with this email")
    [msg] = smtp.inbox.wait_for(1, to=email)
    link = next(u for u in links(bodies(msg)[0]) if "/reset-password#token=" in u)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert "token" not in page.url  # taken out of the address bar
    page.get_by_label("New password").fill("fresh-password-1")
    page.get_by_label("Repeat it").fill("fresh-password-2")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_have_text("The two passwords differ.")
    page.get_by_label("Repeat it").fill("fresh-password-1")
    page.get_by_role("button", name="Save the new password").click()
    page.wait_for_url("**/login?reset=done")
    expect(page.get_by_role("status").first).to_have_text("Your password was changed. Sign in with the new one.")
    page.locator("#email").fill(email)
    page.locator("#password").fill("fresh-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/")
    # Settings → Email: the server's mail status, the email alerts switch, the delivery log.
    page.goto(f"{site.url}/settings#email")
    expect(page.locator(".email-status")).to_contain_text("Email is on")
    alerts = page.get_by_role("switch", name="Email me about visitor messages nobody answered")
    expect(alerts).to_be_checked()
    alerts.click()
    expect(page.get_by_text("Email alerts off")).to_be_visible()
    prefs = site.client.get("/auth/me/preferences", headers=acct.headers).json()
    assert prefs["emailAlerts"] is False
    log = page.locator("#email-log")
    expect(log.get_by_role("cell", name=email)).to_be_visible()
    expect(log.get_by_role("cell", name="Password reset")).to_be_visible()
    page.get_by_role("switch", name="Email the transcript to the visitor when a conversation is resolved").check()
    page.get_by_role("button", name="Save email settings").click()
    expect(page.locator("#email").get_by_text("Saved")).to_be_visible()
    settings = site.client.get("/api/settings", headers=acct.headers).json()
    assert settings["email"]["transcriptOnResolve"] is True
    context.close()
