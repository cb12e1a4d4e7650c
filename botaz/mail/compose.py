"""Emails as botaz writes them: plain text plus simple HTML, in Azerbaijani or English.

Everything written by people (messages, names, the account's name) is escaped in the HTML part
and kept on one line in headers. Nothing here touches the database or the network.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid

LOCALES = ("en", "az")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "reply.subject": "New reply from {account}",
        "reply.intro": "Hello{name},\n\n{account} answered you in the chat:",
        "reply.open": "Open the conversation",
        "reply.hint": "You can also answer by replying to this email.",
        "transcript.subject": "Your conversation with {account}",
        "transcript.intro": "Hello{name},\n\nhere is your conversation with {account}.",
        "transcript.empty": "(The conversation has no messages yet.)",
        "alert.subject": "Visitor waiting: {snippet}",
        "alert.intro": "{visitor} wrote in the chat of {account} and nobody has answered yet:",
        "alert.open": "Answer in the dashboard",
        "alert.footer": "You get these emails because email alerts are on in your preferences "
                        "(Settings, My preferences).",
        "reset.subject": "Choose a new password for {account}",
        "reset.intro": "Someone, hopefully you, asked to reset the password of {email} in "
                       "{account}. Open this link within an hour to choose a new one:",
        "reset.open": "Choose a new password",
        "reset.footer": "If you did not ask for this, ignore this email: your password stays as "
                        "it is, and the link works once only.",
        "you": "You",
        "file": "File (open the conversation to download it)",
        "visitor": "A visitor",
        "footer": "Sent by {account}.",
    },
    "az": {
        "reply.subject": "{account} sizə cavab yazdı",
        "reply.intro": "Salam{name},\n\n{account} çatda sizə cavab yazdı:",
        "reply.open": "Söhbəti açın",
        "reply.hint": "Bu məktuba cavab yazaraq da cavablaya bilərsiniz.",
        "transcript.subject": "{account} ilə söhbətiniz",
        "transcript.intro": "Salam{name},\n\n{account} ilə söhbətinizin mətni aşağıdadır.",
        "transcript.empty": "(Söhbətdə hələ mesaj yoxdur.)",
        "alert.subject": "Ziyarətçi cavab gözləyir: {snippet}",
        "alert.intro": "{visitor} {account} çatında yazıb və hələ heç kim cavab verməyib:",
        "alert.open": "Paneldə cavab verin",
        "alert.footer": "Bu məktubları e-poçt bildirişləri parametrlərinizdə açıq olduğu üçün "
                        "alırsınız (Parametrlər, Mənim seçimlərim).",
        "reset.subject": "{account}: yeni şifrə seçin",
        "reset.intro": "Kimsə, ümid edirik ki, siz, {account} hesabında {email} üçün şifrənin "
                       "bərpasını istəyib. Yeni şifrə seçmək üçün bu linki bir saat ərzində açın:",
        "reset.open": "Yeni şifrə seçin",
        "reset.footer": "Bunu siz istəməmisinizsə, bu məktubu nəzərə almayın: şifrəniz dəyişmir, "
                        "link isə yalnız bir dəfə işləyir.",
        "you": "Siz",
        "file": "Fayl (yükləmək üçün söhbəti açın)",
        "visitor": "Ziyarətçi",
        "footer": "{account} tərəfindən göndərilib.",
    },
}

_SPACES = re.compile(r"\s+")


def pick_locale(*candidates: str | None) -> str:
    """The first of the candidates that botaz writes in ("az-AZ" counts as az); else English."""
    for candidate in candidates:
        if candidate:
            code = candidate.strip().lower()[:2]
            if code in LOCALES:
                return code
    return "en"


def t(locale: str, key: str, **values: str) -> str:
    return STRINGS[locale][key].format(**values)


def one_line(text: str, limit: int = 200) -> str:
    """Header-safe: no line breaks, bounded length."""
    text = _SPACES.sub(" ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _ink_on(color: str) -> str:
    """Black or white text, whichever reads better on the account's colour."""
    try:
        r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#ffffff"

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#111827" if luminance > 0.4 else "#ffffff"


@dataclass
class Entry:
    """One message as an email shows it."""
    author: str
    at: int
    text: str


@dataclass
class Email:
    """The parts of one email before it becomes MIME."""
    locale: str
    account: str
    color: str
    subject: str
    paragraphs: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    link: str | None = None
    link_label: str = ""
    after: list[str] = field(default_factory=list)

    def text(self) -> str:
        parts = list(self.paragraphs)
        for entry in self.entries:
            parts.append(f"{entry.author} ({when(entry.at)}):\n{entry.text}")
        if self.link:
            parts.append(f"{self.link_label}: {self.link}")
        parts.extend(self.after)
        parts.append("-- \n" + t(self.locale, "footer", account=self.account))
        return "\n\n".join(parts) + "\n"

    def html(self) -> str:
        e = html.escape
        color = self.color if re.fullmatch(r"#[0-9a-fA-F]{6}", self.color or "") else "#2563eb"
        blocks = [f'<p style="margin:0 0 12px;white-space:pre-line">{e(p)}</p>'
                  for p in self.paragraphs]
        for entry in self.entries:
            blocks.append(
                f'<div style="margin:12px 0;padding:10px 12px;background:#f9fafb;'
                f'border-left:3px solid {color};border-radius:4px">'
                f'<div style="font-size:12px;color:#4b5563;margin-bottom:4px">'
                f'{e(entry.author)} · {e(when(entry.at))}</div>'
                f'<div style="white-space:pre-wrap">{e(entry.text)}</div></div>')
        if self.link:
            blocks.append(
                f'<p style="margin:20px 0"><a href="{e(self.link, quote=True)}" '
                f'style="display:inline-block;background:{color};color:{_ink_on(color)};'
                f'padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:600">'
                f'{e(self.link_label)}</a></p>'
                f'<p style="margin:0 0 12px;font-size:12px;color:#4b5563;word-break:break-all">'
                f'{e(self.link)}</p>')
        blocks.extend(f'<p style="margin:12px 0 0;font-size:13px;color:#4b5563">{e(p)}</p>'
                      for p in self.after)
        return (
            f'<!doctype html><html lang="{self.locale}"><head><meta charset="utf-8">'
            f'<title>{e(self.subject)}</title></head>'
            '<body style="margin:0;padding:0;background:#f3f4f6;color:#111827;'
            'font-family:-apple-system,\'Segoe UI\',Roboto,Arial,sans-serif;font-size:15px;'
            'line-height:1.5"><div style="max-width:560px;margin:0 auto;padding:24px">'
            f'<div style="background:#ffffff;border-radius:8px;border-top:4px solid {color};'
            f'padding:24px"><h1 style="font-size:18px;margin:0 0 16px">{e(self.account)}</h1>'
            + "".join(blocks) +
            f'</div><p style="font-size:12px;color:#4b5563;text-align:center">'
            f'{e(t(self.locale, "footer", account=self.account))}</p></div></body></html>')


def mime(email: Email, *, sender: str, recipient: str, reply_to: str | None,
         domain: str, thread: str | None = None) -> str:
    """The whole message, ready for SMTP, as text (stored in the outbox as it will be sent)."""
    msg = EmailMessage(policy=SMTP)
    address = Address(addr_spec=sender)
    msg["From"] = formataddr((one_line(email.account, 80), address.addr_spec))
    msg["To"] = recipient
    msg["Subject"] = one_line(email.subject)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=domain)
    if thread:
        # Every email about one conversation names the same root, so mail clients thread them.
        msg["References"] = f"<{thread}@{domain}>"
    # Tells vacation responders not to answer (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(email.text())
    msg.add_alternative(email.html(), subtype="html")
    return msg.as_string()
