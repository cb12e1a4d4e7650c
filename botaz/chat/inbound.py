"""Email replies: mail to a conversation's reply address becomes the visitor's message.

The SMTP transport (botaz/api/smtp.py) asks `recipient` whether an address may receive mail and
hands the accepted message to `do_receive_email`, which writes through the very functions the
widget's POST /widget/v1/messages and /widget/v1/attachments use, so sockets, bots and webhooks
see a reply by email exactly as they see one typed in the widget (docs/email.md).
"""

from __future__ import annotations

import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from ..store.db import Row
from . import attachments, messages
from .context import Chat
from .errors import Invalid
from .mailtext import File, attached_files, body_text, is_automatic
from .replies import visitor_for_reply
from .schemas import WidgetMessageCreate

log = logging.getLogger("botaz.mail")

MAX_FILES = 10  # files delivered from one email; each becomes its own message, as in the widget


class Refused(Invalid):
    """An address or a message that the receiver refuses; `reply` is the SMTP answer."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply.split(" ", 2)[-1])
        self.reply = reply


async def recipient(chat: Chat, address: str) -> Row:
    """The visitor whose reply address this is; Refused (5xx) for any other address."""
    local, _, domain = address.strip().rpartition("@")
    if not local or domain.lower().rstrip(".") != chat.settings.mail_domain().lower():
        raise Refused("550 5.1.1 No such mailbox here")
    visitor = await visitor_for_reply(chat, local)
    if visitor is None:
        raise Refused("550 5.1.1 No such mailbox here")
    if visitor["banned"]:
        raise Refused("550 5.7.1 This conversation does not accept messages")
    return visitor


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


async def do_receive_email(chat: Chat, address: str, message: EmailMessage,
                           sender: str | None = None) -> list[dict[str, Any]]:
    """Delivers one received email to the conversation of `address`; returns the new messages.

    An automatic message (out-of-office, bounce, list mail) is dropped: answering it would only
    start a loop. One with nothing of its own (only quoted history or a signature, no file that
    can be delivered) is Refused, so the sender's mail server tells the person.
    """
    visitor = await recipient(chat, address)  # again: a ban may have come since RCPT
    if is_automatic(message):
        log.info("mail for visitor %s dropped: automatic message", visitor["id"])
        return []
    text = body_text(message)
    files: list[File] = []
    skipped: list[str] = []
    for file in attached_files(message):
        try:
            attachments.check_upload(chat, file.name, file.content_type, len(file.data))
        except Invalid as exc:
            skipped.append(f"({file.name}: not delivered. {exc.message})")
            continue
        if len(files) == MAX_FILES:
            skipped.append(f"({file.name}: not delivered. At most {MAX_FILES} files per email.)")
            continue
        files.append(file)
    if skipped:
        text = "\n\n".join([text, *skipped]) if text else "\n".join(skipped)
    if not text and not files:
        raise Refused("550 5.6.0 Nothing to deliver: the message has no text of its own above "
                      "the quoted part, and no file")
    limit = chat.settings.max_message_chars
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    delivered = []
    if text:
        delivered.append(await messages.do_send_visitor_message(chat, visitor, WidgetMessageCreate(text=text)))
    for file in files:
        delivered.append(await attachments.do_visitor_upload(chat, visitor, file.name,
                                                             file.content_type, file.data))
    log.info("mail for visitor %s delivered as %d message(s) (envelope sender domain %s)",
             visitor["id"], len(delivered), (sender or "").rpartition("@")[2] or "-")
    return delivered
