"""Replies by email: real SMTP (smtplib) into `botaz serve`'s receiver, seen live on sockets."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import smtplib
import subprocess
import sys
import time
from email import policy
from email.message import EmailMessage
from typing import Any, Iterator

import httpx
import pytest

from botaz.chat import replies
from botaz.config import Settings

from conftest import REDIS_ENV, Botaz, ServerThread, _run, free_port
from test_sockets import Socket, vheaders

DOMAIN = "reply.test"


class MailBotaz(Botaz):
    smtp_port: int

    def reply_address(self, visitor_id: str) -> str:
        token = asyncio.run(_run(self.database_url, lambda chat: replies.reply_token(chat, visitor_id)))
        return f"{token}@{DOMAIN}"

    def mail(self, to: str | list[str], message: EmailMessage | bytes, sender: str | None = None,
             **options: Any) -> dict:
        sender = sender or f"visitor-{secrets.token_hex(4)}@example.org"  # its own rate limit
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as smtp:
            return smtp.sendmail(sender, to, message.as_bytes(policy=policy.SMTP)
                                 if isinstance(message, EmailMessage)
                                 else message, **options)

    def messages_of(self, visitor: dict) -> list[dict]:
        r = self.client.get("/widget/v1/messages", headers=vheaders(visitor))
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
def mail(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailBotaz]:
    settings = Settings(database_url=database_url, data_dir=str(tmp_path_factory.mktemp("data")),
                        smtp_port=free_port(), reply_domain=DOMAIN, smtp_max_bytes=300_000,
                        rate_limit_mail_sender="6/600", rate_limit_mail_conversation="3/600",
                        webhooks_allow_private=True, webhook_poll_interval=0.05)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        m = MailBotaz(server.url, database_url, client, server)
        m.smtp_port = settings.smtp_port
        yield m


def reply(text: str, subject: str = "Re: Your conversation with Acme") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Vusal <visitor@example.org>"
    msg["To"] = "support"
    msg["Subject"] = subject
    msg.set_content(text)
    return msg


def test_a_plain_reply_arrives_live_without_history_or_signature(mail) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    mail.send(acme, v["visitorId"], "We have shipped your order.")
    agent = Socket(mail, "/api/ws", acme.token, resume=None)
    widget = Socket(mail, "/widget/v1/ws", v["visitorToken"])
    try:
        refused = mail.mail(mail.reply_address(v["visitorId"]), reply(
            "Thank you, it arrived today.\n\nOne more question: is there a warranty?\n\n"
            "On Thu, Dec 3, 2026 at 1:00 PM Acme <noreply@acme.example>\nwrote:\n"
            "> We have shipped your order.\n>\n\n-- \nVusal Aliyev\n+994 50 000 00 00\n"))
        assert refused == {}
        frame = agent.next("message.created")["data"]
        assert frame["text"] == "Thank you, it arrived today.\n\nOne more question: is there a warranty?"
        assert frame["userId"] is None and frame["visitorId"] == v["visitorId"]
        assert widget.next("message.created")["data"] == frame
        assert mail.messages_of(v)[-1] == frame
    finally:
        agent.close()
        widget.close()


def test_multipart_prefers_plain_text_and_html_only_is_converted_safely(mail) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    address = mail.reply_address(v["visitorId"])
    both = reply("The plain part.\n\nSent from my iPhone")
    both.add_alternative("<p>The <b>HTML</b> part.</p>", subtype="html")
    mail.mail(address, both)
    html_only = EmailMessage()
    html_only["Subject"] = "Re: chat"
    html_only.set_content(
        '<div dir="ltr">Salam, <b>sifariş</b> gəlmədi.<br>Nə vaxt olacaq?'
        "<script>alert(1)</script><style>p{color:red}</style><img src=x onerror=alert(2)></div>"
        '<div class="gmail_quote"><div dir="ltr">Ç.a., 3 dek 2026 tarixində Acme yazdı:</div>'
        "<blockquote>Old text the agent wrote</blockquote></div>", subtype="html")
    mail.mail(address, html_only)
    texts = [m["text"] for m in mail.messages_of(v)]
    assert texts == ["The plain part.", "Salam, sifariş gəlmədi.\nNə vaxt olacaq?"]


@pytest.mark.parametrize("quoted", [
    "Yes, please.\n\n-----Original Message-----\nFrom: Acme\nSent: Thursday\nTo: Vusal\n\nOld",
    "Yes, please.\n________________________________\nFrom: Acme <a@acme.example>\n"
    "Sent: Thursday, December 3, 2026 1:00 PM\nTo: Vusal\nSubject: Re: chat\n\nOld",
    "Yes, please.\n\nBəli, 3 dek 2026, 13:00 tarixində Acme <a@acme.example> yazdı:\n> Old",
    "Yes, please.\n\n3 дек. 2026 г., в 13:00, Acme <a@acme.example> написал(а):\n> Old",
    "> Old question?\nYes, please.\n\niPhone'dan göndərildi",
])
def test_quoted_history_of_common_clients_is_removed(mail, quoted) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    mail.mail(mail.reply_address(v["visitorId"]), reply(quoted))
    assert [m["text"] for m in mail.messages_of(v)] == ["Yes, please."]


def test_attachments_are_stored_as_the_widget_stores_them(mail) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    msg = reply("Here is the invoice.")
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 20
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(b"MZ\x90\x00binary", maintype="application", subtype="x-msdownload",
                       filename="tool.exe")
    agent = Socket(mail, "/api/ws", acme.token, resume=None)
    try:
        mail.mail(mail.reply_address(v["visitorId"]), msg)
        text = agent.next("message.created")["data"]
        file = agent.next("message.created")["data"]
    finally:
        agent.close()
    assert text["text"].startswith("Here is the invoice.\n\n(tool.exe: not delivered.")
    assert file["text"] == "invoice.pdf"
    att = file["attachment"]
    assert att["name"] == "invoice.pdf" and att["type"] == "application/pdf" and att["size"] == len(pdf)
    r = mail.client.get(att["url"], headers=vheaders(v))
    assert r.status_code == 200 and r.content == pdf
    assert [m["_id"] for m in mail.messages_of(v)] == [text["_id"], file["_id"]]


@pytest.mark.parametrize("address", [
    "aaaaaaaaaaaaaaaaaaaaaaaa@" + DOMAIN,  # well-formed token that no conversation has
    "postmaster@" + DOMAIN,
    "someone@example.org",  # not our domain: no relaying
])
def test_any_other_address_is_refused_and_creates_nothing(mail, address) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    before = mail.client.get("/api/visitors", headers=acme.headers).json()
    agent = Socket(mail, "/api/ws", acme.token, resume=None)
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
            mail.mail(address, reply("Hello?"))
        code, text = info.value.recipients[address]
        assert code == 550 and b"No such mailbox" in text
        assert agent.quiet("message.created")
    finally:
        agent.close()
    assert mail.client.get("/api/visitors", headers=acme.headers).json() == before
    assert mail.messages_of(v) == []


def test_wrong_domain_with_a_real_token_is_refused(mail) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    token = mail.reply_address(v["visitorId"]).split("@")[0]
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail.mail(f"{token}@elsewhere.example", reply("Hello?"))
    assert mail.messages_of(v) == []


def test_banned_visitor_is_refused(mail) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    address = mail.reply_address(v["visitorId"])
    assert mail.client.post(f"/api/visitors/{v['visitorId']}/ban", headers=acme.headers).status_code == 200
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        mail.mail(address, reply("Let me in"))
    assert info.value.recipients[address][0] == 550
    r = mail.client.get(f"/api/visitors/{v['visitorId']}/messages", headers=acme.headers)
    assert r.status_code == 200 and r.json()["items"] == []


def test_oversize_mail_is_refused_with_552(mail) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    address = mail.reply_address(v["visitorId"])
    big = reply("Big file attached")
    big.add_attachment(b"x" * 400_000, maintype="text", subtype="plain", filename="big.txt")
    with pytest.raises(smtplib.SMTPSenderRefused) as info:  # SIZE= at MAIL FROM
        mail.mail(address, big)
    assert info.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", mail.smtp_port, timeout=10) as smtp:  # no SIZE: at DATA
        smtp.ehlo()
        smtp.esmtp_features.pop("size", None)
        with pytest.raises(smtplib.SMTPDataError) as data_info:
            smtp.sendmail("visitor@example.org", address, big.as_bytes(policy=policy.SMTP))
        assert data_info.value.smtp_code == 552
    assert mail.messages_of(v) == []


def test_a_message_sent_again_is_delivered_once(mail) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    address = mail.reply_address(v["visitorId"])
    msg = reply("Only once, please")
    msg["Message-ID"] = f"<{secrets.token_hex(8)}@example.org>"
    mail.mail(address, msg)
    mail.mail(address, msg)  # the sender did not get our 250 the first time, and retries
    other = reply("Only once, please")
    other["Message-ID"] = f"<{secrets.token_hex(8)}@example.org>"
    mail.mail(address, other)  # the same words in another email are another message
    assert [m["text"] for m in mail.messages_of(v)] == ["Only once, please"] * 2


def test_one_message_reaches_at_most_ten_conversations(mail) -> None:
    acme = mail.account()
    visitors = [mail.visitor(acme) for _ in range(11)]
    addresses = [mail.reply_address(v["visitorId"]) for v in visitors]
    refused = mail.mail(addresses, reply("To everyone"))
    assert list(refused) == [addresses[-1]] and refused[addresses[-1]][0] == 452
    assert all(mail.messages_of(v)[0]["text"] == "To everyone" for v in visitors[:10])
    assert mail.messages_of(visitors[-1]) == []


def test_rate_limits_per_conversation_and_per_sender_are_temporary(mail) -> None:
    acme = mail.account()
    v1, v2, v3 = (mail.visitor(acme) for _ in range(3))
    a1 = mail.reply_address(v1["visitorId"])
    for i in range(3):
        mail.mail(a1, reply(f"number {i}"), sender="one@example.org")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        mail.mail(a1, reply("number 3"), sender="two@example.org")
    assert info.value.recipients[a1][0] == 451
    assert [m["text"] for m in mail.messages_of(v1)] == ["number 0", "number 1", "number 2"]
    # "one@" has 3 of its 6 (the refused 4th was from "two@"); three more pass, the next waits.
    for visitor in (v2, v2, v3):
        mail.mail(mail.reply_address(visitor["visitorId"]), reply("hi"), sender="one@example.org")
    with pytest.raises(smtplib.SMTPDataError) as sender_info:
        mail.mail(mail.reply_address(v3["visitorId"]), reply("hi again"), sender="one@example.org")
    assert sender_info.value.smtp_code == 451
    assert len(mail.messages_of(v3)) == 1


def test_nothing_of_its_own_is_refused_and_automatic_replies_are_dropped(mail) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    address = mail.reply_address(v["visitorId"])
    with pytest.raises(smtplib.SMTPDataError) as info:
        mail.mail(address, reply("On Thu, Dec 3, 2026 at 1:00 PM Acme wrote:\n> Hello\n\n-- \nVusal"))
    assert info.value.smtp_code == 550 and b"Nothing to deliver" in info.value.smtp_error
    away = reply("I am out of the office until Monday.", subject="Automatic reply: chat")
    away["Auto-Submitted"] = "auto-replied"
    assert mail.mail(address, away) == {}
    assert mail.messages_of(v) == []


def test_a_reply_reopens_a_resolved_conversation_and_wakes_webhooks_like_the_widget(mail, receiver) -> None:
    acme = mail.account()
    v = mail.visitor(acme)
    assert mail.client.post("/api/webhooks", headers=acme.headers, json={
        "url": receiver.url + "/hook", "events": ["message.created"]}).status_code == 201
    mail.send(acme, v["visitorId"], "Anything else?")
    r = mail.client.post(f"/api/conversations/{v['visitorId']}/status", headers=acme.headers,
                         json={"status": "resolved"})
    assert r.status_code == 200, r.text
    mail.mail(mail.reply_address(v["visitorId"]), reply("Yes, one more thing."))
    r = mail.client.get(f"/api/conversations/{v['visitorId']}", headers=acme.headers)
    assert r.json()["status"] == "open"
    bodies = [req["body"] for req in receiver.wait_for(2, timeout=15)]
    assert any(b"Yes, one more thing." in body for body in bodies)


def _serve(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "botaz", "serve", *args], env=os.environ | env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_ready(base: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("botaz serve did not start")


@pytest.mark.parametrize("workers", [1, 2])
def test_botaz_serve_smtp_port_receives_and_stops_gracefully(tmp_path, workers) -> None:
    redis = os.environ.get(REDIS_ENV)
    if workers > 1 and not redis:
        pytest.skip(f"{REDIS_ENV} is not set")
    db = f"sqlite:///{tmp_path}/serve.db"
    account = json.loads(subprocess.run(
        [sys.executable, "-m", "botaz", "create-account", "--name", "S", "--agent-name", "A",
         "--agent-email", "s@example.com", "--json"], env=os.environ | {"BOTAZ_DATABASE_URL": db},
        capture_output=True, text=True, check=True).stdout)
    port, smtp_port = free_port(), free_port()
    env = {"BOTAZ_DATABASE_URL": db, "BOTAZ_REPLY_DOMAIN": DOMAIN, "BOTAZ_REDIS_URL": redis or "",
           "BOTAZ_DATA_DIR": str(tmp_path / "data")}
    proc = _serve(["--port", str(port), "--smtp-port", str(smtp_port), "--workers", str(workers)], env)
    base = f"http://127.0.0.1:{port}"
    idle = None
    try:
        _wait_ready(base)
        v = httpx.post(f"{base}/widget/v1/visitors", json={"siteKey": account["siteKey"]}).json()
        token = asyncio.run(_run(db, lambda chat: replies.reply_token(chat, v["visitorId"])))
        for i in range(4):  # new connections: with two workers, spread over both
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
                smtp.sendmail(f"s{i}@example.org", f"{token}@{DOMAIN}",
                              reply(f"by mail {i}").as_bytes(policy=policy.SMTP))
        texts = [m["text"] for m in httpx.get(f"{base}/widget/v1/messages", headers=vheaders(v)).json()]
        assert texts == [f"by mail {i}" for i in range(4)]
        idle = smtplib.SMTP("127.0.0.1", smtp_port, timeout=10)
        idle.ehlo()  # a session left open must not hold the shutdown up
    finally:
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 15
    assert f"mail in:    smtp://127.0.0.1:{smtp_port}" in out
    assert "mail for visitor" in err and token not in err + out  # logged, without the secret
    with pytest.raises((smtplib.SMTPServerDisconnected, OSError)):
        idle.noop()


def test_reply_addresses_of_a_merged_visitor_lead_to_the_known_user(mail) -> None:
    """Botaz.identify merges an anonymous visitor into the user: emails it was sent before keep
    working, and what it told us (its email) is not lost."""
    import hashlib
    import hmac

    acme = mail.account()
    secret = mail.client.get("/api/settings", headers=acme.headers).json()["identitySecret"]

    def identify(visitor: dict) -> dict:
        r = mail.client.post("/widget/v1/identify", headers=vheaders(visitor), json={
            "siteKey": acme.site_key, "id": "user-9",
            "hash": hmac.new(secret.encode(), b"user-9", hashlib.sha256).hexdigest()})
        assert r.status_code == 200, r.text
        return r.json()

    laptop, phone, tablet = mail.visitor(acme), mail.visitor(acme), mail.visitor(acme)
    laptop_address = mail.reply_address(laptop["visitorId"])
    phone_address = mail.reply_address(phone["visitorId"])
    assert mail.client.post("/widget/v1/preform", headers=vheaders(phone), json={
        "name": "Vusal", "email": "vusal@example.org", "phone": ""}).status_code == 200
    user = identify(laptop)  # the user's visitor is the laptop's, with its own reply address
    assert user["visitorId"] == laptop["visitorId"]
    merged = identify(phone)
    assert merged["visitorId"] == laptop["visitorId"]
    assert merged["visitor"]["name"] == "Vusal" and merged["visitor"]["email"] == "vusal@example.org"
    tablet_address = mail.reply_address(tablet["visitorId"])
    identify(tablet)  # an alias moves along too when its visitor is merged again
    for address, text in [(phone_address, "From the phone's email"),
                          (laptop_address, "From the laptop's email"),
                          (tablet_address, "From the tablet's email")]:
        assert mail.mail(address, reply(text)) == {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        texts = [m["text"] for m in mail.messages_of(merged)]
        if len(texts) == 3:
            break
        time.sleep(0.05)
    assert texts == ["From the phone's email", "From the laptop's email", "From the tablet's email"]
