"""Meteor-style IDs, opaque tokens and the seed's timestamp format."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from datetime import datetime, timezone

ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
ID_LENGTH = 17
_ID_SET = frozenset(ID_ALPHABET)


# 55 symbols: keep random bytes below 220 (= 4 * 55) and map each to byte % 55, which is unbiased.
_ID_TABLE = bytes(ord(ID_ALPHABET[i % len(ID_ALPHABET)]) for i in range(220)) + bytes(36)
_ID_REJECT = bytes(range(220, 256))


_pool = bytearray()
_pool_pid = 0


def _random_bytes(n: int) -> bytes:
    """CSPRNG bytes, read from the kernel 4 KiB at a time: a getrandom call per ID costs more
    than everything else in making one. A forked child starts with an empty pool."""
    global _pool, _pool_pid
    if len(_pool) < n or _pool_pid != os.getpid():
        _pool = bytearray(os.urandom(4096))
        _pool_pid = os.getpid()
    out = bytes(_pool[-n:])
    del _pool[-n:]
    return out


def new_id() -> str:
    """17 characters from a cryptographic random source."""
    out = b""
    while len(out) < ID_LENGTH:
        out += _random_bytes(24).translate(_ID_TABLE, _ID_REJECT)
    return out[:ID_LENGTH].decode()


def is_id(value: object) -> bool:
    return isinstance(value, str) and len(value) == ID_LENGTH and _ID_SET.issuperset(value)


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(30)


def hash_token(token: str) -> str:
    # Tokens carry 240 bits of randomness, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


_last_second: list = [None, ""]


def iso_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    seconds, millis = divmod(ms, 1000)
    if _last_second[0] != seconds:  # most timestamps formatted close together share a second
        _last_second[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        _last_second[0] = seconds
    return f"{_last_second[1]}.{millis:03d}Z"


def parse_iso_ms(text: str) -> int:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)
