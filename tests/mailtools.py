"""A real SMTP server on 127.0.0.1 for the email tests (aiosmtpd), and helpers to read what it got."""

from __future__ import annotations

import email
import re
import threading
import time
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """Collects every message the SMTP server accepts; `refuse` makes it answer 451 instead."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse:
            return self.refuse
        msg = email.message_from_bytes(envelope.original_content, policy=default)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()

    def matching(self, **headers: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages
                    if all(v.lower() in str(m.get(k.replace("_", "-"), "")).lower()
                           for k, v in headers.items())]

    def wait_for(self, count: int = 1, timeout: float = 15.0, **headers: str) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(**headers)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} emails matching {headers}, got "
                             f"{[(m['To'], m['Subject']) for m in self.messages]}")


class SmtpServer:
    def __init__(self, port: int, inbox: Inbox) -> None:
        self.port = port
        self.inbox = inbox
        self.controller: Controller | None = None

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def bodies(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "an email has a text and an HTML part"
    return text.get_content(), html.get_content()


def links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)
