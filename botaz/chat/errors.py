"""Domain errors. The API layer maps each kind to an HTTP status; the domain knows no HTTP."""

from __future__ import annotations


class DomainError(Exception):
    kind = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(DomainError):
    kind = "invalid"


class Unauthenticated(DomainError):
    kind = "unauthenticated"

    def __init__(self, message: str = "You must be logged in to do this.") -> None:
        super().__init__(message)


class Forbidden(DomainError):
    kind = "forbidden"


class NotFound(DomainError):
    kind = "not_found"


class Conflict(DomainError):
    kind = "conflict"


class Unavailable(DomainError):
    """The database (or another service botaz needs) cannot serve now: retry later."""

    kind = "unavailable"

    def __init__(self, message: str = "The service is temporarily unavailable; retry shortly.",
                 retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
