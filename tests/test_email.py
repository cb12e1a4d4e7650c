"""Outgoing email against a real SMTP server on 127.0.0.1: unseen replies, alerts, transcripts,
the delivery log, retries, and password resets (docs/email.md)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from typing import Any, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.sync.client import connect

from botaz.chat.links import visitor_from_link
from botaz.chat.replies import visitor_for_reply
from botaz.config import Settings
from tests.conftest import Botaz, ServerThread, _run, free_port
from tests.mailtools import Inbox, SmtpServer, bodies, links

DELAY = 0.6


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), Inbox()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mailbotaz(database_url: str, smtp: SmtpServer, tmp_path_factory) -> Iterator[Botaz]:
    settings = Settings(database_url=database_url, rate_limits=False,
                        data_dir=str(tmp_path_factory.mktemp("data")), webhook_poll_interval=0.05,
                        webhook_backoff_scale=0.001, smtp_url=smtp.url,
                        mail_from="chat@botaz.test", email_delay_s=DELAY, alert_delay_s=DELAY)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield Botaz(server.url, database_url, client, server)


@pytest.fixture
def inbox(smtp: SmtpServer) -> Inbox:
    smtp.inbox.clear()
    smtp.inbox.refuse = None
    return smtp.inbox


def vh(v: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {v['visitorToken']}"}


def unique_email(tag: str) -> str:
    return f"{tag}-{secrets.token_hex(4)}@example.com"


def chat_call(b: Botaz, action: Any) -> Any:
    return asyncio.run(_run(b.database_url, action))


def test_unseen_replies_are_batched_into_one_email(mailbotaz: Botaz, inbox: Inbox) -> None:
    b = mailbotaz
    acct = b.account("Çay Evi")
    v = b.visitor(acct)
    address = unique_email("visitor")
    r = b.client.post("/widget/v1/email", headers=vh(v), json={"email": address, "locale": "en"})
    assert r.status_code == 200, r.text
    assert r.json()["email"] == address
    b.client.post("/widget/v1/messages", headers=vh(v), json={"text": "Is the shop open?"})
    b.send(acct, v["visitorId"], "Yes, until <b>8 pm</b> & on Sundays")
    b.send(acct, v["visitorId"], "Anything else?")
    [msg] = inbox.wait_for(1, to=address)
    time.sleep(DELAY * 3)
    assert len(inbox.matching(to=address)) == 1  # one email for both; never the same twice
    assert "chat@botaz.test" in msg["From"] and "Çay Evi" in str(msg["From"])
    assert msg["Subject"] == "New reply from Çay Evi"
    assert msg["Auto-Submitted"] == "auto-generated"
    text, html = bodies(msg)
    assert "Yes, until <b>8 pm</b> & on Sundays" in text and "Anything else?" in text
    assert "Is the shop open?" not in text  # the visitor's own message is not news to them
    assert "Yes, until &lt;b&gt;8 pm&lt;/b&gt; &amp; on Sundays" in html
    assert "<b>8 pm</b>" not in html
    assert "#2563eb" in html  # the account's colour
    # Reply-To: the conversation's reply address, which resolves to this visitor.
    local, domain = str(msg["Reply-To"]).split("@")
    assert domain == "localhost" and len(local) == 24
    found = chat_call(b, lambda chat: visitor_for_reply(chat, local))
    assert found["id"] == v["visitorId"]
    # The link opens this conversation.
    link = next(u for u in links(text) if "/c/" in u)
    assert link.startswith(f"{b.url}/c/")
    token = urlsplit(link).path.rsplit("/", 1)[1]
    opened = chat_call(b, lambda chat: visitor_from_link(chat, token))
    assert opened["id"] == v["visitorId"]
    assert f'href="{link}"' in html
    # A later reply, unseen again, is a new email with only the new message.
    b.send(acct, v["visitorId"], "We also deliver.")
    second = inbox.wait_for(2, to=address)[1]
    text2, _ = bodies(second)
    assert "We also deliver." in text2 and "Anything else?" not in text2
    assert second["Reply-To"] == msg["Reply-To"]


def test_azerbaijani_email_for_an_azerbaijani_widget(mailbotaz: Botaz, inbox: Inbox) -> None:
    b = mailbotaz
    acct = b.account("Bakı Kitab")
    v = b.visitor(acct)
    address = unique_email("az")
    b.client.post("/widget/v1/email", headers=vh(v), json={"email": address, "locale": "az"})
    b.send(acct, v["visitorId"], "Salam!")
    [msg] = inbox.wait_for(1, to=address)
    assert msg["Subject"] == "Bakı Kitab sizə cavab yazdı"
    text, html = bodies(msg)
    assert "Söhbəti açın" in text and 'lang="az"' in html


def test_seen_messages_and_connected_widgets_are_not_emailed(mailbotaz: Botaz, inbox: Inbox) -> None:
    b = mailbotaz
    acct = b.account()
    seen_v = b.visitor(acct)
    seen_addr = unique_email("seen")
    b.client.post("/widget/v1/email", headers=vh(seen_v), json={"email": seen_addr})
    m = b.send(acct, seen_v["visitorId"], "Seen it?")
    r = b.client.post("/widget/v1/seen", headers=vh(seen_v), json={"messageId": m["_id"]})
    assert r.json()["seen"] == [m["_id"]]

    online_v = b.visitor(acct)
    online_addr = unique_email("online")
    b.client.post("/widget/v1/email", headers=vh(online_v), json={"email": online_addr})
    ws_url = b.url.replace("http", "ws") + f"/widget/v1/ws?token={online_v['visitorToken']}"
    with connect(ws_url) as ws:
        time.sleep(0.2)
        b.send(acct, online_v["visitorId"], "Are you there?")
        time.sleep(DELAY * 4)
        assert inbox.matching(to=online_addr) == []  # the widget is open: no email
        ws.close()
    # Once the widget closes with the message still unseen, the email goes.
    [msg] = inbox.wait_for(1, to=online_addr)
    assert "Are you there?" in bodies(msg)[0]
    assert inbox.matching(to=seen_addr) == []

    no_email = b.visitor(acct)
    b.send(acct, no_email["visitorId"], "Nobody to write to")
    bot = acct.add_agent("Helper Bot", bot=True)
    bot_v = b.visitor(acct)
    bot_addr = unique_email("bot")
    b.client.post("/widget/v1/email", headers=vh(bot_v), json={"email": bot_addr})
    b.send(acct, bot_v["visitorId"], "I am a bot", user_id=bot["agentId"])
    time.sleep(DELAY * 4)
    assert inbox.matching(to=bot_addr) == []  # bots' messages are not emailed (docs/email.md)


def test_alerts_reach_the_right_agents(mailbotaz: Botaz, inbox: Inbox) -> None:
    b = mailbotaz
    acct = b.account("Alert Co")
    owner_email = b.client.get("/auth/me", headers=acct.headers).json()["agent"]["email"]
    added = b.client.post("/api/agents", headers=acct.headers, json={
        "name": "Leyla", "email": unique_email("leyla"), "role": "agent"})
    assert added.status_code == 201, added.text
    leyla = added.json()
    leyla_email = leyla["agent"]["email"]
    leyla_h = {"Authorization": f"Bearer {leyla['apiToken']}"}
    acct.add_agent("Bot", bot=True)

    v = b.visitor(acct)
    assert b.client.post("/widget/v1/preform", headers=vh(v), json={"name": "Murad"}).status_code == 200
    b.client.post("/widget/v1/messages", headers=vh(v), json={"text": "Hello? <script>x</script>"})
    b.client.post("/widget/v1/messages", headers=vh(v), json={"text": "Anyone there?"})
    owner_msgs = inbox.wait_for(1, to=owner_email)
    leyla_msgs = inbox.wait_for(1, to=leyla_email)
    time.sleep(DELAY * 3)
    assert len(inbox.matching(to=owner_email)) == 1 and len(inbox.matching(to=leyla_email)) == 1
    msg = owner_msgs[0]
    assert msg["Subject"].startswith("Visitor waiting: Hello?")
    assert msg["Reply-To"] is None  # an agent's answer by email must not become a visitor message
    text, html = bodies(msg)
    assert "Hello? <script>x</script>" in text and "Anyone there?" in text and "Murad" in text
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert f"{b.url}/chat/{v['visitorId']}" in text
    assert bodies(leyla_msgs[0])[0] == text or "Anyone there?" in bodies(leyla_msgs[0])[0]

    # Answered in time: no alert.
    inbox.clear()
    v2 = b.visitor(acct)
    b.client.post("/widget/v1/messages", headers=vh(v2), json={"text": "quick question"})
    b.send(acct, v2["visitorId"], "quick answer")
    # Leyla switches alerts off; only the owner hears of the next unanswered visitor.
    r = b.client.put("/auth/me/preferences", headers=leyla_h, json={"emailAlerts": False})
    assert r.status_code == 200 and r.json()["emailAlerts"] is False
    v3 = b.visitor(acct)
    b.client.post("/widget/v1/messages", headers=vh(v3), json={"text": "third visitor"})
    inbox.wait_for(1, to=owner_email)
    time.sleep(DELAY * 3)
    assert [m["Subject"] for m in inbox.matching(to=owner_email)] == ["Visitor waiting: third visitor"]
    assert inbox.matching(to=leyla_email) == []

    # Assigned: only the assignee is alerted (alerts back on for Leyla).
    b.client.put("/auth/me/preferences", headers=leyla_h, json={"emailAlerts": True})
    inbox.clear()
    v4 = b.visitor(acct)
    b.client.post("/widget/v1/messages", headers=vh(v4), json={"text": "assigned one"})
    r = b.client.post(f"/api/conversations/{v4['visitorId']}/assign", headers=acct.headers,
                      json={"agentId": leyla["agent"]["_id"]})
    assert r.status_code == 200, r.text
    inbox.wait_for(1, to=leyla_email)
    time.sleep(DELAY * 3)
    assert inbox.matching(to=owner_email) == []


def test_transcript_on_request(mailbotaz: Botaz, inbox: Inbox) -> None:
    b = mailbotaz
    acct = b.account("Transcripts")
    v = b.visitor(acct)
    r = b.client.post("/widget/v1/transcript", headers=vh(v), json={})
    assert r.status_code == 400 and "email" in r.json()["message"]
    b.client.post("/widget/v1/messages", headers=vh(v), json={"text": "My order is late"})
    b.send(acct, v["visitorId"], "Sorry, it ships today")
    up = b.client.post("/widget/v1/attachments", content=b"order 42",
                       headers={**vh(v), "Content-Type": "text/plain", "X-Filename": "receipt.txt"})
    assert up.status_code == 201, up.text
    address = unique_email("transcript")
    r = b.client.post("/widget/v1/transcript", headers=vh(v), json={"email": address})
    assert r.status_code == 202, r.text
    assert r.json() == {"email": address, "status": "queued"}
    [msg] = inbox.wait_for(1, to=address, subject="Your conversation with Transcripts")
    text, _ = bodies(msg)
    assert "My order is late" in text and "Sorry, it ships today" in text and "You (" in text
    assert "File (open the conversation to download it): receipt.txt" in text
    assert msg["Reply-To"] and msg["Reply-To"].endswith("@localhost")
    # The address was saved on the visitor, who had none.
    assert b.client.get("/widget/v1/me", headers=vh(v)).json()["email"] == address
    for _ in range(2):
        assert b.client.post("/widget/v1/transcript", headers=vh(v), json={}).status_code == 202
    r = b.client.post("/widget/v1/transcript", headers=vh(v), json={})
    assert r.status_code == 429 and "Retry-After" in r.headers
    r = b.client.post("/widget/v1/transcript", headers=vh(v), json={"email": "not-an-email"})
    assert r.status_code == 400 and "email" in r.json()["message"]


def test_transcript_on_resolve_when_the_account_wants_it(mailbotaz: Botaz, inbox: Inbox) -> None:
    b = mailbotaz
    acct = b.account("Resolver")
    v = b.visitor(acct)
    address = unique_email("resolve")
    b.client.post("/widget/v1/email", headers=vh(v), json={"email": address})
    b.client.post("/widget/v1/messages", headers=vh(v), json={"text": "Thanks, solved"})
    b.send(acct, v["visitorId"], "Glad to help")
    b.client.post("/widget/v1/seen", headers=vh(v), json={"messageId": b.client.get(
        "/widget/v1/messages", headers=vh(v)).json()[-1]["_id"]})
    status = f"/api/conversations/{v['visitorId']}/status"
    assert b.client.post(status, headers=acct.headers, json={"status": "resolved"}).status_code == 200
    time.sleep(DELAY * 3)
    assert inbox.matching(to=address) == []  # off by default
    b.client.post(status, headers=acct.headers, json={"status": "open"})
    r = b.client.put("/api/settings", headers=acct.headers,
                     json={"email": {"transcriptOnResolve": True}})
    assert r.status_code == 200 and r.json()["email"]["transcriptOnResolve"] is True
    assert b.client.post(status, headers=acct.headers, json={"status": "resolved"}).status_code == 200
    [msg] = inbox.wait_for(1, to=address)
    assert msg["Subject"] == "Your conversation with Resolver"
    assert "Glad to help" in bodies(msg)[0]
    # Resolving again while resolved sends nothing more.
    b.client.post(status, headers=acct.headers, json={"status": "resolved"})
    time.sleep(DELAY * 2)
    assert len(inbox.matching(to=address)) == 1


def test_settings_validate_the_email_keys(mailbotaz: Botaz) -> None:
    b = mailbotaz
    acct = b.account()
    r = b.client.put("/api/settings", headers=acct.headers, json={"email": {"locale": "fr"}})
    assert r.status_code == 400 and "locale" in r.json()["message"]
    r = b.client.put("/api/settings", headers=acct.headers,
                     json={"email": {"offlineMessage": {"de": "x"}}})
    assert r.status_code == 400 and "offlineMessage" in r.json()["message"]
    r = b.client.put("/api/settings", headers=acct.headers, json={"email": {
        "offlineMessage": {"az": "Cavabı 2 saata yazırıq"}, "locale": "az"}})
    assert r.status_code == 200
    assert r.json()["email"]["offlineMessage"] == {"en": "", "az": "Cavabı 2 saata yazırıq"}
    config = b.client.get(f"/widget/v1/config?siteKey={acct.site_key}").json()
    assert config["email"] == {"enabled": True,
                               "offlineMessage": {"en": "", "az": "Cavabı 2 saata yazırıq"}}
    status = b.client.get("/api/email/status", headers=acct.headers).json()
    assert status["enabled"] is True and status["from"] == "chat@botaz.test"


def test_delivery_log_and_retry_after_the_smtp_server_comes_back(
        mailbotaz: Botaz, inbox: Inbox, smtp: SmtpServer) -> None:
    b = mailbotaz
    acct = b.account("Log Co")
    smtp.stop()
    try:
        v = b.visitor(acct)
        address = unique_email("retry")
        r = b.client.post("/widget/v1/transcript", headers=vh(v), json={"email": address})
        assert r.status_code == 202
        deadline = time.monotonic() + 15
        entry: dict[str, Any] = {}
        while time.monotonic() < deadline:
            entry = b.client.get("/api/emails", headers=acct.headers).json()["items"][0]
            if entry["attempts"] >= 2:
                break
            time.sleep(0.05)
        assert entry["status"] == "pending" and entry["attempts"] >= 2, entry
        assert entry["lastError"] and entry["sentAt"] is None
    finally:
        smtp.start()
    inbox.wait_for(1, to=address)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        page = b.client.get("/api/emails?limit=1", headers=acct.headers).json()
        if page["items"][0]["status"] == "sent":
            break
        time.sleep(0.05)
    item = page["items"][0]
    assert item["status"] == "sent" and item["kind"] == "transcript"
    assert item["recipient"] == address and item["subject"] == "Your conversation with Log Co"
    assert item["visitorId"] == v["visitorId"] and item["sentAt"] and item["nextAttemptAt"] is None
    assert len(inbox.matching(to=address)) == 1
    metrics = b.client.get("/metrics").text
    assert "botaz_email_queue_depth" in metrics
    assert float(metrics.split("\nbotaz_email_failures_total ")[1].split()[0]) >= 2
    # Paginated like the other lists; owners only.
    b.client.post("/widget/v1/transcript", headers=vh(v), json={})
    inbox.wait_for(2, to=address)
    first = b.client.get("/api/emails?limit=1", headers=acct.headers).json()
    assert first["next"]
    second = b.client.get(f"/api/emails?limit=1&cursor={first['next']}", headers=acct.headers).json()
    assert second["items"][0]["_id"] != first["items"][0]["_id"]
    agent = acct.add_agent("Plain Agent")
    r = b.client.get("/api/emails", headers={"Authorization": f"Bearer {agent['apiToken']}"})
    assert r.status_code == 403


def test_permanent_refusal_is_given_up_at_once(mailbotaz: Botaz, inbox: Inbox) -> None:
    b = mailbotaz
    acct = b.account()
    inbox.refuse = "554 no such mailbox"
    v = b.visitor(acct)
    b.client.post("/widget/v1/transcript", headers=vh(v), json={"email": unique_email("gone")})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        item = b.client.get("/api/emails", headers=acct.headers).json()["items"][0]
        if item["status"] != "pending":
            break
        time.sleep(0.05)
    assert item["status"] == "failed" and item["attempts"] == 1 and "554" in item["lastError"]


def reset_link(inbox: Inbox, address: str, count: int = 1) -> str:
    msg = inbox.wait_for(count, to=address)[count - 1]
    text, html = bodies(msg)
    link = next(u for u in links(text) if "/reset-password#token=" in u)
    assert link in html
    return link


def test_password_reset_end_to_end(mailbotaz: Botaz, inbox: Inbox) -> None:
    b = mailbotaz
    acct = b.account("Reset Co")
    email = b.client.get("/auth/me", headers=acct.headers).json()["agent"]["email"]
    with httpx.Client(base_url=b.url) as old:
        assert old.post("/auth/login", json={"email": email, "password": "secret-pass"}).status_code == 200
        r = b.client.post("/auth/password-reset", json={"email": email.upper()})
        assert r.status_code == 202
        unknown = b.client.post("/auth/password-reset", json={"email": unique_email("nobody")})
        assert unknown.status_code == 202 and unknown.json() == r.json()  # no enumeration
        link = reset_link(inbox, email)
        [msg] = inbox.matching(to=email)
        assert msg["Subject"] == "Choose a new password for Reset Co" and msg["Reply-To"] is None
        assert link.startswith(f"{b.url}/reset-password#token=")
        page = b.client.get("/reset-password")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        token = link.split("#token=", 1)[1]
        r = b.client.post("/auth/password-reset/confirm", json={"token": token, "password": "short"})
        assert r.status_code == 400 and "password" in r.json()["message"]
        r = b.client.post("/auth/password-reset/confirm",
                          json={"token": token, "password": "brand-new-pass"})
        assert r.status_code == 204, r.text
        assert old.get("/auth/me").status_code == 401  # other sessions are signed out
    assert b.client.post("/auth/login", json={"email": email, "password": "secret-pass"}).status_code == 401
    ok = httpx.post(f"{b.url}/auth/login", json={"email": email, "password": "brand-new-pass"})
    assert ok.status_code == 200
    again = b.client.post("/auth/password-reset/confirm",
                          json={"token": token, "password": "another-pass-1"})
    assert again.status_code == 400 and "token" in again.json()["message"]  # one-time

    # Expired after an hour.
    b.client.post("/auth/password-reset", json={"email": email})
    link = reset_link(inbox, email, 2)

    async def expire(chat: Any) -> None:
        await chat.store.db.execute("UPDATE password_resets SET expires_at = 1 WHERE used_at IS NULL")

    chat_call(b, expire)
    r = b.client.post("/auth/password-reset/confirm",
                      json={"token": link.split("#token=", 1)[1], "password": "another-pass-1"})
    assert r.status_code == 400 and "expired" in r.json()["message"]
    # Throttled: three requests an hour per email (two made above).
    assert b.client.post("/auth/password-reset", json={"email": email}).status_code == 202
    r = b.client.post("/auth/password-reset", json={"email": email})
    assert r.status_code == 429 and "Retry-After" in r.headers
    r = b.client.post("/auth/password-reset", json={"email": "nope"})
    assert r.status_code == 400 and "email" in r.json()["message"]


def test_cli_reset_password(mailbotaz: Botaz) -> None:
    b = mailbotaz
    env = os.environ | {"BOTAZ_DATABASE_URL": b.database_url}
    address = unique_email("cli")

    def botaz(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "botaz", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    first = json.loads(botaz("create-account", "--name", "One", "--agent-name", "A",
                             "--agent-email", address, "--json").stdout)
    r = botaz("reset-password", "--email", address, "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["accountId"] == first["accountId"] and len(result["password"]) >= 12
    ok = b.client.post("/auth/login", json={"email": address, "password": result["password"]})
    assert ok.status_code == 200
    second = json.loads(botaz("create-account", "--name", "Two", "--agent-name", "A",
                              "--agent-email", address, "--json").stdout)
    r = botaz("reset-password", "--email", address)
    assert r.returncode == 2
    message = json.loads(r.stderr)["message"]
    assert first["accountId"] in message and second["accountId"] in message and "--account" in message
    r = botaz("reset-password", "--email", address, "--account", second["accountId"])
    assert r.returncode == 0 and "New password for" in r.stdout
    r = botaz("reset-password", "--email", unique_email("missing"))
    assert r.returncode == 2 and "No agent" in json.loads(r.stderr)["message"]


def test_without_smtp_nothing_is_sent_and_the_api_says_so(botaz: Botaz) -> None:
    acct = botaz.account()
    assert botaz.client.get("/api/email/status", headers=acct.headers).json()["enabled"] is False
    v = botaz.visitor(acct)
    r = botaz.client.post("/widget/v1/transcript", headers=vh(v), json={"email": "a@example.com"})
    assert r.status_code == 409 and "BOTAZ_SMTP_URL" in r.json()["message"]
    r = botaz.client.post("/auth/password-reset", json={"email": "a@example.com"})
    assert r.status_code == 409
    config = botaz.client.get(f"/widget/v1/config?siteKey={acct.site_key}").json()
    assert config["email"]["enabled"] is False
    assert botaz.client.get("/api/emails", headers=acct.headers).json() == {"items": [], "next": None}
