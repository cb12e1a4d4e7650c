"""Checking the X-Botaz-Signature header of webhook deliveries.

The header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`;
several v1= values may appear while a secret is being rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from .types import WebhookEvent

SIGNATURE_HEADER = "X-Botaz-Signature"
DEFAULT_TOLERANCE = 300


class WebhookSignatureError(ValueError):
    """The delivery is not from botaz, was altered, or is too old to trust (a replay)."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def compute_signature(secret: str | bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(_key(secret), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_webhook(secret: str | bytes, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value botaz would send: handy to test your own receiver."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={compute_signature(secret, body, t)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not (value.isascii() and value.isdigit()) or timestamp is not None:
                raise WebhookSignatureError("The signature header has a malformed timestamp.")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value.strip().lower())
    if timestamp is None:
        raise WebhookSignatureError("The signature header has no timestamp (t=).")
    if not signatures:
        raise WebhookSignatureError("The signature header has no v1= signature.")
    return timestamp, signatures


def check_signature(secret: str | bytes, body: bytes, header: str | None, *,
                    tolerance: float | None = DEFAULT_TOLERANCE, now: float | None = None) -> None:
    """Raise WebhookSignatureError unless `header` signs `body` with `secret`, recently enough.

    `tolerance` is in seconds, both ways (clocks drift); None turns the age check off.
    """
    if not header:
        raise WebhookSignatureError(f"The {SIGNATURE_HEADER} header is missing.")
    if not secret:
        raise WebhookSignatureError("The webhook secret is empty.")
    timestamp, signatures = _parse(header)
    expected = compute_signature(secret, body, timestamp).encode()
    # Compare with every candidate, without stopping early, so timing says nothing about which.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise WebhookSignatureError("No signature matches the body and the secret.")
    current = time.time() if now is None else now
    if tolerance is not None and abs(current - timestamp) > tolerance:
        raise WebhookSignatureError("The signature's timestamp is outside the tolerance.")


def verify_signature(secret: str | bytes, body: bytes, header: str | None, *,
                     tolerance: float | None = DEFAULT_TOLERANCE,
                     now: float | None = None) -> bool:
    """True if `header` (X-Botaz-Signature) signs the raw `body` with `secret`, recently enough."""
    try:
        check_signature(secret, body, header, tolerance=tolerance, now=now)
    except WebhookSignatureError:
        return False
    return True


def verify_webhook(secret: str | bytes, body: bytes, header: str | None, *,
                   tolerance: float | None = DEFAULT_TOLERANCE,
                   now: float | None = None) -> WebhookEvent:
    """The event of a verified delivery; WebhookSignatureError if it does not verify."""
    check_signature(secret, body, header, tolerance=tolerance, now=now)
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookSignatureError("The signed body is not JSON.") from None
    if not isinstance(event, dict) or "event" not in event:
        raise WebhookSignatureError("The signed body is not a botaz event.")
    return event  # type: ignore[return-value]
