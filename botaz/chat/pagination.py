"""Opaque cursors for newest-first lists: a cursor names the last row of the previous page."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Callable

from ..store.db import Row
from .errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_SEQ = 2 ** 63 - 1  # both databases' BIGINT


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next: str | None

    def json(self) -> dict[str, Any]:
        return {"items": self.items, "next": self.next}


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        if len(cursor) > 200:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("s"):
            raise ValueError
        seq = int(raw[1:])
        if not 0 <= seq <= MAX_SEQ:
            raise ValueError
        return seq
    except (ValueError, UnicodeDecodeError):
        raise Invalid("cursor is not a cursor this server gave out.") from None


def check_limit(limit: Any) -> int:
    if limit is None or limit == "":
        return DEFAULT_LIMIT
    try:
        value = int(limit)
    except (TypeError, ValueError):
        raise Invalid(f"limit must be an integer from 1 to {MAX_LIMIT}.") from None
    if not 1 <= value <= MAX_LIMIT:
        raise Invalid(f"limit must be an integer from 1 to {MAX_LIMIT}.")
    return value


def make_page(rows: list[Row], limit: int, shape: Callable[[Row], dict[str, Any]]) -> Page:
    """`rows` were fetched with limit + 1, so an extra row means another page exists."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([shape(r) for r in rows], encode_cursor(int(rows[-1]["seq"])) if more else None)
