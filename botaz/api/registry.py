"""Endpoints declared once: the router and the OpenAPI document are both built from this list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from starlette.requests import Request, empty_send

from ..chat.errors import Invalid
from ..chat.pagination import decode_cursor


if TYPE_CHECKING:
    from ..chat.accounts import Principal
    from ..chat.context import Chat
    from ..store.db import Row


class Call(Request):
    """What a handler gets: the request (it is a Starlette Request: headers, cookies,
    query_params, path_params, client) with what the dispatcher resolved before calling it.

    `principal` for auth="agent" (or an agent's "either"), `visitor` for auth="visitor" (or a
    visitor's "either"), `body` the parsed body of an endpoint that declares `body=` (it replaces
    Request.body(); `stream()` still gives the raw bytes). None where not resolved."""

    principal: Principal = None  # type: ignore[assignment]
    visitor: Row | None = None
    body: Any = None
    chat: Chat
    path_params: dict[str, Any] = None  # type: ignore[assignment]  # set by the dispatcher

    def __init__(self, scope: Any, receive: Any) -> None:
        # Request.__init__, in one frame: this runs on every call.
        self.scope = scope
        self._receive = receive
        self._send = empty_send
        self._stream_consumed = False
        self._is_disconnected = False
        self._form = None


# A handler returns plain data (serialised with orjson under the endpoint's declared `status`;
# nothing at all for 204) or a Response of its own (files, pages, CSV, redirects, other statuses).
Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any]
    where: str = "query"
    required: bool = False
    # Parses the value further (a cursor's decoder): raises Invalid with a sentence naming it.
    check: Callable[[str], Any] | None = None

    def validate(self, value: str | None) -> None:
        """The one check of a query or path parameter, from its declaration, before any handler."""
        name, schema = self.name, self.schema
        if value is None or value == "":
            if self.required:
                raise Invalid(f"{name} is required.")
            return
        if "\x00" in value:
            raise Invalid(f"{name} must not contain NUL characters.")
        kind = schema.get("type")
        if kind == "integer":
            low, high = schema.get("minimum"), schema.get("maximum")
            words = f" from {low} to {high}" if low is not None and high is not None else ""
            if not INTEGER.fullmatch(value):
                raise Invalid(f"{name} must be an integer{words}.")
            number = int(value)
            if (low is not None and number < low) or (high is not None and number > high):
                raise Invalid(f"{name} must be an integer{words}.")
        elif kind == "string":
            most = schema.get("maxLength")
            if most is not None and len(value) > most:
                raise Invalid(f"{name} must be at most {most} characters.")
            allowed = schema.get("enum")
            if allowed and value not in allowed:
                raise Invalid(f"{name} must be {', '.join(allowed[:-1])} or {allowed[-1]}.")
        if self.check is not None:
            self.check(value)


INTEGER = re.compile(r"-?[0-9]{1,18}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    paths: tuple[str, ...]
    handler: Handler
    summary: str
    tag: str
    auth: str | None  # "agent", "visitor", "either" (a visitor token, else an agent) or None
    body: Any = None  # a Body Struct type (botaz/schema.py)
    response: str | None = None
    status: int = 200
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    description: str = ""
    # Counted against this rate limit, keyed by the client's address after `prefix`, before
    # the body is read: (kind, prefix). For calls without a principal to key them by.
    limit: tuple[str, str] | None = None
    # Pages, assets and operations' routes: dispatched like any endpoint, not in the OpenAPI
    # document.
    hidden: bool = False


ENDPOINTS: list[Endpoint] = []
# Response and nested schemas named by `response=` or `ref=`; request bodies (`body=`) reach the
# OpenAPI document from ENDPOINTS without being listed here.
SCHEMAS: list[Any] = []


def schema(obj: Any) -> Any:
    """Declares a schema for the OpenAPI document: `NAME = schema(Obj("Name", {...}))`."""
    SCHEMAS.append(obj)
    return obj

LIMIT = Param("limit", "Page size, 1 to 100 (default 50).", {"type": "integer", "minimum": 1, "maximum": 100})
CURSOR = Param("cursor", "The `next` value of the previous page.", {"type": "string", "maxLength": 200},
               check=decode_cursor)


def endpoint(method: str, *paths: str, **meta: Any) -> Callable[[Handler], Handler]:
    """Declares an endpoint; the dispatcher (api/dispatch.py) serves it, the OpenAPI document
    describes it. Only modules listed in api/__init__.py's ENDPOINT_MODULES are served."""
    def register(handler: Handler) -> Handler:
        params: tuple[Param, ...] = meta.get("params", ())
        if params and 400 not in meta.get("errors", ()):
            meta["errors"] = (400, *meta.get("errors", ()))  # bad parameters are 400s
        ENDPOINTS.append(Endpoint(method, paths, handler, **meta))
        return handler

    return register


def page(*paths: str, method: str = "GET", **meta: Any) -> Callable[[Handler], Handler]:
    """A page, asset or operations route: dispatched like an endpoint, left out of OpenAPI."""
    return endpoint(method, *paths, **{"summary": "", "tag": "", "auth": None, **meta,
                                       "hidden": True})


@dataclass
class Websocket:
    path: str
    summary: str
    description: str = ""


WEBSOCKETS: list[Websocket] = []
