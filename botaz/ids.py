"""Meteor-style IDs, opaque tokens and the seed's timestamp format."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timezone

ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
ID_LENGTH = 17
_ID_SET = frozenset(ID_ALPHABET)


def new_id() -> str:
    choice = secrets.choice
    return "".join(choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def is_id(value: object) -> bool:
    return isinstance(value, str) and len(value) == ID_LENGTH and _ID_SET.issuperset(value)


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(30)


def hash_token(token: str) -> str:
    # Tokens carry 240 bits of randomness, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def parse_iso_ms(text: str) -> int:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)
