"""What a person wrote in a reply email: its own text, without quoted history or signature.

Mail clients quote the message they answer in many ways; these rules cover the common ones
(Gmail, Outlook, Apple Mail, Thunderbird, phones) in English, Azerbaijani and Russian, in plain
text and in HTML. What they miss stays in the message, which is the safe side: an agent reads a
little too much rather than losing what the visitor wrote.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from typing import cast

# A line that opens the quoted message, and everything after it goes.
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|forwarded message|orijinal (mesaj|məktub)|"
    r"yönləndirilmiş (mesaj|məktub)|исходное сообщение|пересылаемое сообщение|"
    r"переадресованное сообщение)\s*-{2,}\s*$", re.I)
_OUTLOOK_RULE = re.compile(r"^\s*_{20,}\s*$")
_HEADER_FROM = re.compile(r"^\s*\*?(from|kimdən|göndərən|от|de|von)\s*:\*?\s*\S", re.I)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(sent|date|to|cc|subject|göndərildi|tarix|kimə|mövzu|отправлено|дата|кому|копия|"
    r"тема)\s*:", re.I)
# "On <date>, <name> wrote:" in any of its wrappings over up to three lines.
_WROTE = re.compile(
    r"(wrote|writes|yazdı|yazıb|yazmışdır|пишет|написал|написала|написал\(а\)|schrieb|"
    r"a écrit|escribió)\s*:\s*$", re.I)
_WROTE_START = re.compile(r"^\s*(on|am|le|el|\S.*(tarixində|\d{1,2}[:.]\d{2}))\b|\d|@", re.I)
_SIGNATURE = re.compile(r"^(-- ?|—)$")
_DEVICE = r"(iphone|ipad|android|samsung|galaxy|outlook|mail|yahoo|gmail|blackberry)"
_MOBILE = re.compile(
    r"^\s*(sent from my \S.{0,40}|sent from " + _DEVICE + r".{0,40}|get outlook for \S.{0,30}|"
    r"отправлено (с|из) .{0,40}" + _DEVICE + r".{0,20}|"
    r"(\S+\s+){0,2}" + _DEVICE + r"\S*(\s+\S+){0,3}\s+göndərildi\.?)\s*$", re.I)


def strip_reply(text: str) -> str:
    """The text above the quoted history, without quoted lines or a signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[:_cut_at(lines)]
    kept = [line.rstrip() for line in lines if not line.lstrip().startswith(">")]
    text = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _cut_at(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _SIGNATURE.match(line.rstrip("\n")) or _ORIGINAL.match(line):
            return i
        if _MOBILE.match(stripped) and len(stripped) < 80 and i > 0:
            return i
        if _OUTLOOK_RULE.match(line) and _header_block(lines, i + 1):
            return i
        if _HEADER_FROM.match(line) and _header_block(lines, i):
            return i
        if stripped and not stripped.startswith(">"):
            joined = stripped
            for extra in range(3):
                if _WROTE.search(joined) and _WROTE_START.search(stripped):
                    return i
                if i + extra + 1 >= len(lines):
                    break
                joined += " " + lines[i + extra + 1].strip()
    return len(lines)


def _header_block(lines: list[str], start: int) -> bool:
    """A "From:" line followed closely by other header lines: the top of a quoted message."""
    window = [line for line in lines[start:start + 7] if line.strip()]
    return bool(window) and bool(_HEADER_FROM.match(window[0])) and any(
        _HEADER_OTHER.match(line) for line in window[1:])


# HTML: elements that mail clients wrap quoted history in; each goes with everything after it
# (Outlook's markers), or alone (blockquotes, which may sit between parts of the reply).
_QUOTE_ALONE = ("//head", "//title", "//blockquote", "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]",
                "//*[contains(concat(' ', normalize-space(@class), ' '), ' yahoo_quoted ')]",
                "//*[contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')]",
                "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')]")
_QUOTE_REST = ("//*[@id='appendonsend']", "//*[@id='divRplyFwdMsg']",
               "//*[@id='mail-editor-reference-message-container']",
               "//*[contains(concat(' ', normalize-space(@class), ' '), ' OutlookMessageHeader ')]")


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, quoted parts removed; scripts, styles and markup never pass."""
    import html_text
    import lxml.html
    from lxml import etree

    if not html.strip():
        return ""
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    for xpath in _QUOTE_REST:
        for element in tree.xpath(xpath):
            node = element
            while node is not None and node.getparent() is not None:
                for sibling in list(node.itersiblings()):
                    sibling.getparent().remove(sibling)
                node = node.getparent()
                if node is tree:
                    break
            if element.getparent() is not None:
                element.getparent().remove(element)
    for xpath in _QUOTE_ALONE:
        for element in tree.xpath(xpath):
            if element.getparent() is not None:
                element.getparent().remove(element)
    return html_text.extract_text(tree, guess_layout=True)


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, KeyError, UnicodeError, AttributeError):
        pass
    raw = part.get_payload(decode=True) or b""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def body_text(message: EmailMessage) -> str:
    """The message's own text: text/plain preferred, else its HTML turned into text."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    if body.get_content_type() == "text/html":
        return strip_reply(html_to_text(_content(body)))
    return strip_reply(_content(body))


@dataclass
class File:
    name: str
    content_type: str
    data: bytes


# Images that the HTML body shows inline (cid:) and that are this small are logos and signature
# pictures, not something the sender attached; a photo pasted into the text is larger.
INLINE_IMAGE_MAX = 32 * 1024


def attached_files(message: EmailMessage) -> list[File]:
    """Files attached to the message, in order; forwarded emails (message/rfc822) are not opened."""
    body = message.get_body(preferencelist=("plain", "html"))
    html = message.get_body(preferencelist=("html",))
    shown = _content(html) if html is not None else ""
    files: list[File] = []
    for part in _leaves(message):
        if part is body or part is html:
            continue
        name = part.get_filename()
        disposition = (part.get_content_disposition() or "").lower()
        content_type = part.get_content_type()
        if not name and disposition != "attachment" and part.get_content_maintype() in ("text", "multipart"):
            continue  # another alternative of the body
        data = part.get_payload(decode=True) or b""
        if not isinstance(data, bytes):
            continue
        cid = (part.get("Content-ID") or "").strip().strip("<>")
        if cid and disposition != "attachment" and f"cid:{cid}" in shown and len(data) <= INLINE_IMAGE_MAX:
            continue
        if content_type == "application/octet-stream" and name:
            content_type = mimetypes.guess_type(name)[0] or content_type
        files.append(File(name or "file", content_type, data))
    return files


def _leaves(part: Message) -> list[Message]:
    if part.get_content_type() == "message/rfc822":
        return [part]
    if part.is_multipart():
        payload = cast("list[Message]", part.get_payload())  # a multipart's payload is its parts
        return [leaf for sub in payload for leaf in _leaves(sub)]
    return [part]


def is_automatic(message: Message) -> bool:
    """Out-of-office answers, bounces and list mail (RFC 3834): never a visitor's reply."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    return (auto != "no" or precedence in ("bulk", "junk", "list", "auto_reply")
            or message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None
            or message.get_content_type() == "multipart/report")
