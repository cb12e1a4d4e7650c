"""The SMTP receiver: `botaz serve --smtp-port N` takes replies to conversations (docs/email.md).

aiosmtpd's protocol runs on the app's own event loop (not in aiosmtpd's Controller thread), so a
received email goes through the domain exactly like an HTTP call does: the same store
connection, the same bus, the same limiter. Every refusal happens during the SMTP conversation,
never as a bounce sent later: an unknown address at RCPT, a message too large at MAIL (SIZE) or
DATA, a flood with a temporary 451 (at RCPT per conversation, at DATA per sender).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections import OrderedDict
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from ..chat import inbound
from ..chat.errors import DomainError

log = logging.getLogger("botaz.mail")

MAX_RECIPIENTS = 10
# A sending server that lost the connection after DATA, before our 250, sends the message again;
# the same Message-ID for the same address within this long is acknowledged and not delivered twice.
DUPLICATE_WINDOW_S = 3600
DUPLICATES_KEPT = 10_000
IDLE_TIMEOUT_S = 120
# `botaz serve --workers N` sets this so that every worker can bind the same port (SO_REUSEPORT)
# and the kernel spreads connections between them, as uvicorn's shared socket does for HTTP.
REUSE_PORT_ENV = "BOTAZ_SMTP_REUSE_PORT"


class ReplyHandler:
    """aiosmtpd hooks: refuse early, deliver through the domain."""

    def __init__(self, state: Any) -> None:
        self.state = state
        self.delivered: OrderedDict[tuple[str, str], float] = OrderedDict()

    def _seen(self, key: tuple[str, str]) -> bool:
        now = time.monotonic()
        while self.delivered and (len(self.delivered) > DUPLICATES_KEPT or
                                  next(iter(self.delivered.values())) < now - DUPLICATE_WINDOW_S):
            self.delivered.popitem(last=False)
        return key in self.delivered

    async def _allowed(self, kind: str, key: str) -> bool:
        limiter = self.state.limiter
        if limiter is None:
            return True
        count, window = self.state.settings.rate(kind)
        return (await limiter.hit(f"{kind}:{key}", count, window)).allowed

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        chat = self.state.chat
        try:
            visitor = await inbound.recipient(chat, address)
        except inbound.Refused as exc:
            return exc.reply
        if not await self._allowed("mail_conversation", visitor["id"]):
            return "451 4.7.1 Too many messages for this conversation; try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Counted here, not at MAIL FROM: an MTA in front verifying addresses (RCPT, then QUIT)
        # sends every probe from one sender, and probes deliver nothing.
        sender = (envelope.mail_from or "").strip().lower() or \
            f"<>@{session.peer[0] if session.peer else '?'}"
        if not await self._allowed("mail_sender", sender):
            return "451 4.7.1 Too many messages from this sender; try again later"
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        try:
            message = inbound.parse(raw)
        except Exception:
            log.warning("received mail could not be parsed", exc_info=True)
            return "550 5.6.0 The message could not be read"
        failures: list[str] = []
        message_id = str(message.get("Message-ID") or "").strip()
        for address in envelope.rcpt_tos:
            key = (address.lower(), message_id)
            if message_id and self._seen(key):
                continue
            try:
                await inbound.do_receive_email(self.state.chat, address, message, envelope.mail_from)
                if message_id:
                    self.delivered[key] = time.monotonic()
            except inbound.Refused as exc:
                failures.append(exc.reply)
            except DomainError as exc:
                failures.append(f"550 5.6.0 {exc.message}")
            except Exception:
                log.exception("received mail for %s could not be delivered", address)
                failures.append("451 4.3.0 The message could not be stored; try again later")
        if failures and len(failures) == len(envelope.rcpt_tos):
            return failures[0]
        return "250 OK: delivered to the conversation"


class SmtpReceiver:
    """The listening socket and its sessions, started and stopped with the app."""

    def __init__(self, state: Any, host: str, port: int) -> None:
        self.state = state
        self.host = host
        self.port = port
        self.server: asyncio.base_events.Server | None = None
        self.sessions: set[SMTP] = set()
        self.handler = ReplyHandler(state)  # one for all sessions: it remembers what it delivered

    def _protocol(self) -> SMTP:
        settings = self.state.settings
        receiver = self

        class Protocol(SMTP):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                receiver.sessions.add(self)
                super().connection_made(transport)

            def connection_lost(self, exc: Exception | None) -> None:
                receiver.sessions.discard(self)
                super().connection_lost(exc)

        return Protocol(self.handler, data_size_limit=settings.smtp_max_bytes,
                        enable_SMTPUTF8=True, hostname=settings.mail_domain(), ident="botaz",
                        timeout=IDLE_TIMEOUT_S, loop=asyncio.get_running_loop())

    async def start(self) -> None:
        # aiosmtpd logs every command at INFO, RCPT TO with its reply token among them: the
        # token is the conversation's only secret, and must not end up in log files.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        loop = asyncio.get_running_loop()
        reuse = os.environ.get(REUSE_PORT_ENV) == "1" and hasattr(socket, "SO_REUSEPORT")
        try:
            self.server = await loop.create_server(self._protocol, self.host, self.port,
                                                   reuse_port=reuse or None)
        except OSError as exc:
            log.error("cannot receive mail on %s:%s (--smtp-port): %s", self.host, self.port,
                      exc.strerror or exc)
            raise
        log.info("receiving mail on %s:%s for *@%s", self.host, self.port,
                 self.state.settings.mail_domain())

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop listening; let a message being delivered finish, then close every session."""
        if self.server is None:
            return
        self.server.close()
        deadline = asyncio.get_running_loop().time() + grace_s
        while any(_delivering(s) for s in self.sessions) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        for session in list(self.sessions):
            if session.transport is not None:
                session.transport.close()
        await self.server.wait_closed()
        for _ in range(20):  # each session's handler task ends once its transport is closed
            if not self.sessions:
                break
            await asyncio.sleep(0.01)
        self.server = None


def _delivering(session: SMTP) -> bool:
    # Between DATA and its answer the envelope holds the content.
    envelope = getattr(session, "envelope", None)
    return envelope is not None and envelope.content is not None
