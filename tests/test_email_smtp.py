"""How botaz talks SMTP: the URL's forms, authentication, STARTTLS when offered, TLS from the
start, and refusing a server whose certificate it cannot trust. Real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from botaz.chat.context import Chat
from botaz.config import Settings
from botaz.events import EventBus
from botaz.mail.sender import Mailer, PermanentFailure
from botaz.mail.smtp import SmtpServer
from tests.conftest import free_port
from tests.mailtools import Inbox


def test_smtp_urls() -> None:
    s = SmtpServer.parse("smtp://mail.example.com:587")
    assert (s.host, s.port, s.tls, s.username, s.password) == ("mail.example.com", 587, False, None, None)
    s = SmtpServer.parse("smtps://u%40x.az:p%3Ass@mail.example.com")
    assert (s.port, s.tls, s.username, s.password) == (465, True, "u@x.az", "p:ss")
    assert SmtpServer.parse("smtp://mail.example.com").port == 25
    for bad in ("http://mail.example.com", "smtp://", "mail.example.com:25", "smtp://h:notaport"):
        with pytest.raises(ValueError, match="BOTAZ_SMTP_URL"):
            SmtpServer.parse(bad)
    with pytest.raises(ValueError, match="BOTAZ_SMTP_URL"):
        Settings(smtp_url="ftp://x")


def make_cert(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Authenticator:
    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        self.logins.append((user, password))
        return AuthResult(success=(user, password) == ("bot@x.az", "p:ss w"))


def send_one(url: str, tmp_path: Path) -> str | None:
    """Queue nothing: hand one raw message to the sender as the outbox would, and say how it went."""
    async def run() -> str | None:
        settings = Settings(database_url=f"sqlite:///{tmp_path}/unused.db", smtp_url=url,
                            mail_from="chat@botaz.test")
        mailer = Mailer(Chat(None, EventBus(), settings))  # type: ignore[arg-type]
        row = {"recipient": "visitor@example.com",
               "message": "From: chat@botaz.test\r\nTo: visitor@example.com\r\nSubject: Hi\r\n\r\nHello\r\n"}
        try:
            await mailer._send(row)
        except PermanentFailure as exc:
            return f"permanent: {exc}"
        except Exception as exc:  # what the sender records as a temporary failure
            return f"{type(exc).__name__}: {exc}"
        return None

    return asyncio.run(run())


def test_starttls_and_login_when_the_server_offers_them(tmp_path: Path, monkeypatch) -> None:
    cert, key = make_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, auth = Inbox(), Authenticator()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=auth, auth_required=True)
    controller.start()
    try:
        url = f"smtp://bot%40x.az:p%3Ass%20w@127.0.0.1:{port}"
        # A certificate botaz cannot trust: nothing is sent (and it is retried later).
        error = send_one(url, tmp_path)
        assert error is not None and "certificate" in error.lower()
        assert inbox.messages == [] and auth.logins == []
        # Trusted (as a real CA-signed certificate would be): STARTTLS, then AUTH, then the mail.
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        assert send_one(url, tmp_path) is None
        assert auth.logins == [("bot@x.az", "p:ss w")]
        assert [m["Subject"] for m in inbox.messages] == ["Hi"]
    finally:
        controller.stop()


def test_smtps_speaks_tls_from_the_start(tmp_path: Path, monkeypatch) -> None:
    cert, key = make_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        assert send_one(f"smtps://127.0.0.1:{port}", tmp_path) is None
        assert [m["Subject"] for m in inbox.messages] == ["Hi"]
        # Plain smtp:// against a TLS-only port fails rather than sending in the clear.
        monkeypatch.setattr("botaz.mail.sender.TIMEOUT", 2.0)
        assert send_one(f"smtp://127.0.0.1:{port}", tmp_path) is not None
    finally:
        controller.stop()
