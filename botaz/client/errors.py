"""Exceptions for the server's error answers: {"status": "error", "message": ...}."""

from __future__ import annotations

from typing import Any

import httpx


class BotazError(Exception):
    """The server answered with an error status; `message` is its sentence, unchanged."""

    def __init__(self, status: int, message: str, *,
                 response: httpx.Response | None = None) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.response = response

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status!r}, {self.message!r})"


class BadRequest(BotazError):
    """400: the message names the field at fault."""


class Unauthorized(BotazError):
    """401: no token, or a token the server does not know (or has revoked)."""


class Forbidden(BotazError):
    """403: e.g. editing a visitor's message, a banned visitor, an owners-only call."""


class NotFound(BotazError):
    """404: also for objects of another account."""


class MethodNotAllowed(BotazError):
    """405."""


class Conflict(BotazError):
    """409: e.g. a canned shortcut or an agent email already taken."""


class PayloadTooLarge(BotazError):
    """413."""


class UnsupportedMediaType(BotazError):
    """415: e.g. an attachment of a type the server refuses."""


class RateLimited(BotazError):
    """429, after the client's retries ran out; `retry_after` is in seconds, if the server said."""

    def __init__(self, status: int, message: str, *, response: httpx.Response | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(status, message, response=response)
        self.retry_after = retry_after


class ServerError(BotazError):
    """5xx."""


_BY_STATUS: dict[int, type[BotazError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 405: MethodNotAllowed,
    409: Conflict, 413: PayloadTooLarge, 415: UnsupportedMediaType,
}


def error_message(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    # A proxy in front of botaz may answer with HTML or nothing; keep something readable.
    text = response.text.strip()
    return text[:500] if text and not text.startswith("<") else response.reason_phrase


def error_for(response: httpx.Response, retry_after: float | None = None) -> BotazError:
    status = response.status_code
    message = error_message(response)
    if status == 429:
        return RateLimited(status, message, response=response, retry_after=retry_after)
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else BotazError)
    return cls(status, message, response=response)
