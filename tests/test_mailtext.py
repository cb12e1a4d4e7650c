"""The rules that find a reply's own text: what they remove, and what they must leave alone."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from botaz.chat.mailtext import attached_files, body_text, html_to_text, is_automatic, strip_reply


@pytest.mark.parametrize("text, own", [
    ("Thanks!\n\nOn Thu, Dec 3, 2026 at 1:00 PM Acme <a@b.example> wrote:\n> Hi", "Thanks!"),
    ("Thanks!\n\nOn Thu, Dec 3, 2026 at 1:00 PM Acme Support\n<a@b.example>\nwrote:\n> Hi", "Thanks!"),
    ("Thanks!\r\n\r\n-- \r\nJohn\r\n", "Thanks!"),
    ("Ok\n\nSent from my iPhone", "Ok"),
    ("Ok\n\nGet Outlook for Android", "Ok"),
    ("Ok\n\nОтправлено с iPhone", "Ok"),
    ("Oldu\n\nSamsung Galaxy cihazımdan göndərildi", "Oldu"),
    ("Salam\n\nÇ.a., 3 dek 2026, 13:00 tarixində Acme <a@b.az> yazdı:\n> Salam", "Salam"),
    ("A\n-----Original Message-----\nFrom: x", "A"),
    ("A\n\nKimdən: Acme <a@b.az>\nGöndərildi: 3 dekabr 2026\nKimə: me\nMövzu: Re: söhbət\n\nold", "A"),
    ("> quoted\nmine\n> more quoted\nalso mine", "mine\nalso mine"),
])
def test_quoted_parts_and_signatures_go(text, own) -> None:
    assert strip_reply(text) == own


@pytest.mark.parametrize("text", [
    "I was on the site at 12:30 and it said: error\nThanks",
    "Sənəd göndərildi\nsonra nə edim?",
    "Sent from the office, not from home.\nIs that fine?",
    "From: the first day it was broken.\nPlease help",
    "My brother wrote: nothing works\nCan you check?",
    "Price -- 20 AZN -- is fine",
])
def test_ordinary_text_is_left_alone(text) -> None:
    assert strip_reply(text) == text


def test_html_is_turned_into_text_without_markup_or_quotes() -> None:
    html = ('<html><head><style>p{color:red}</style><title>t</title></head><body>'
            '<p>First &amp; <a href="https://x.example">link</a></p><p>Second<br>line</p>'
            '<script>alert(1)</script><img src=x onerror="alert(2)">'
            '<blockquote type="cite">Old</blockquote>'
            '<div class="gmail_signature">Vusal | Acme</div></body></html>')
    assert html_to_text(html) == "First & link\n\nSecond\nline"
    assert html_to_text("") == "" and html_to_text("   ") == ""


def _parse(msg: EmailMessage) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(msg.as_bytes(policy=policy.SMTP))


def test_inline_logos_are_not_attachments_but_photos_are() -> None:
    msg = EmailMessage()
    msg.set_content("See the photo")
    msg.add_alternative('<p>See the photo</p><img src="cid:logo@x"><img src="cid:photo@x">', subtype="html")
    html = msg.get_payload()[1]
    html.add_related(b"\x89PNG" + b"0" * 100, maintype="image", subtype="png", cid="<logo@x>")
    html.add_related(b"\xff\xd8" + b"1" * 40_000, maintype="image", subtype="jpeg", cid="<photo@x>",
                     filename="IMG_0001.jpg")
    msg.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="octet-stream", filename="a.pdf")
    parsed = _parse(msg)
    assert body_text(parsed) == "See the photo"
    files = attached_files(parsed)
    assert [(f.name, f.content_type) for f in files] == [("IMG_0001.jpg", "image/jpeg"),
                                                         ("a.pdf", "application/pdf")]


def test_automatic_mail_is_recognised() -> None:
    msg = EmailMessage()
    msg.set_content("Out of office")
    assert not is_automatic(msg)
    msg["Auto-Submitted"] = "auto-replied"
    assert is_automatic(msg)
