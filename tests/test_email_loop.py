"""Issue 12's whole loop, as a visitor and an agent live it, over real HTTP, WebSockets and SMTP:

a visitor writes while no agent has the dashboard open, leaves an email address and goes away;
the agent is alerted by email and answers later; the unseen answer is emailed to the visitor with
a reply address and a link; the visitor answers by email, and the agent sees that answer live.
"""

from __future__ import annotations

import re
import smtplib
from email import policy
from email.message import EmailMessage
from typing import Iterator

import httpx
import pytest

from botaz.config import Settings

from conftest import Botaz, ServerThread, free_port
from mailtools import Inbox, SmtpServer, bodies
from test_sockets import Socket

DELAY = 0.6
DOMAIN = "reply.botaz.test"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), Inbox()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def loop_botaz(database_url: str, smtp: SmtpServer, tmp_path_factory) -> Iterator[Botaz]:
    port = free_port()
    settings = Settings(database_url=database_url, rate_limits=False,
                        data_dir=str(tmp_path_factory.mktemp("data")), webhook_poll_interval=0.05,
                        webhook_backoff_scale=0.001, smtp_url=smtp.url, smtp_port=free_port(),
                        reply_domain=DOMAIN, public_url=f"http://127.0.0.1:{port}",
                        mail_from="chat@botaz.test", email_delay_s=DELAY, alert_delay_s=DELAY)
    with ServerThread(settings, port=port) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        b = Botaz(server.url, database_url, client, server)
        b.smtp_port = settings.smtp_port  # type: ignore[attr-defined]
        yield b


def test_a_visitor_nobody_watched_is_answered_by_email_and_answers_back(loop_botaz, smtp) -> None:
    b, inbox = loop_botaz, smtp.inbox
    inbox.clear()  # the SMTP server serves both databases' runs of this module
    acme = b.account("Acme Shop")
    owner_email = b.client.get("/auth/me", headers=acme.headers).json()["agent"]["email"]

    # Nobody has the dashboard open: the widget says so and offers the offline form.
    config = b.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert config["online"] is False and config["email"]["enabled"] is True
    v = b.visitor(acme)
    vh = {"Authorization": f"Bearer {v['visitorToken']}"}
    widget = Socket(b, "/widget/v1/ws", v["visitorToken"])
    r = b.client.post("/widget/v1/messages", headers=vh, json={"text": "Do you deliver to Ganja?"})
    assert r.status_code == 201
    r = b.client.post("/widget/v1/email", headers=vh, json={"email": "vusal@example.org"})
    assert r.status_code == 200, r.text
    widget.close()  # the visitor leaves the site

    # The owner, the only agent, is alerted by email with the visitor's words and a link.
    alert = inbox.wait_for(1, to=owner_email)[0]
    text, html = bodies(alert)
    assert "Do you deliver to Ganja?" in text and f"/chat/{v['visitorId']}" in text
    assert "Do you deliver to Ganja?" in html

    # The agent answers later, through the API; the visitor is gone, so it is emailed.
    answer = b.send(acme, v["visitorId"], "Yes: Ganja in two days, free over 50 AZN.")
    mailed = inbox.wait_for(1, to="vusal@example.org")[0]
    text, _ = bodies(mailed)
    assert "Yes: Ganja in two days, free over 50 AZN." in text
    reply_to = str(mailed["Reply-To"])
    assert re.fullmatch(rf"[a-z0-9]{{24}}@{re.escape(DOMAIN)}", reply_to.strip("<>"))
    link = next(url for url in re.findall(r"https?://\S+", text) if "/c/" in url)
    assert link.startswith(b.url + "/c/")
    page = b.client.get(link.removeprefix(b.url))
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]

    # The visitor answers from their mail client; the agent, now watching, sees it live.
    agent = Socket(b, "/api/ws", acme.token, resume=answer["_id"])
    try:
        msg = EmailMessage()
        msg["From"] = "Vusal <vusal@example.org>"
        msg["To"] = reply_to
        msg["Subject"] = "Re: " + str(mailed["Subject"])
        msg["In-Reply-To"] = str(mailed["Message-ID"])
        msg.set_content("Great, please send it to my office.\n\n"
                        "On Thu, 3 Dec 2026 at 14:00, Acme Shop <chat@botaz.test> wrote:\n"
                        "> Yes: Ganja in two days, free over 50 AZN.\n")
        with smtplib.SMTP("127.0.0.1", b.smtp_port, timeout=10) as client:
            assert client.sendmail("vusal@example.org", [reply_to],
                                   msg.as_bytes(policy=policy.SMTP)) == {}
        frame = agent.next("message.created")["data"]
        assert frame["text"] == "Great, please send it to my office."
        assert frame["userId"] is None and frame["visitorId"] == v["visitorId"]
    finally:
        agent.close()
    history = b.client.get(f"/api/visitors/{v['visitorId']}/messages", headers=acme.headers).json()
    assert [m["text"] for m in reversed(history["items"])] == [
        "Do you deliver to Ganja?", "Yes: Ganja in two days, free over 50 AZN.",
        "Great, please send it to my office."]
    # One email to the visitor for the one answer: never one per poll, never twice.
    assert len(inbox.matching(to="vusal@example.org")) == 1
