"""Endpoints declared once: the router and the OpenAPI document are both built from this list."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..chat.errors import Invalid
from ..chat.pagination import decode_cursor


Handler = Callable[[Request], Awaitable[Response]]


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
    auth: str | None  # "agent", "visitor" or None
    body: Any = None  # a Body Struct type (botaz/schema.py)
    response: str | None = None
    status: int = 200
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    description: str = ""


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
    def register(handler: Handler) -> Handler:
        params: tuple[Param, ...] = meta.get("params", ())
        if params and 400 not in meta.get("errors", ()):
            meta["errors"] = (400, *meta.get("errors", ()))  # bad parameters are 400s
        ENDPOINTS.append(Endpoint(method, paths, checked(handler, params), **meta))
        return handler

    return register


def checked(handler: Handler, params: tuple[Param, ...]) -> Handler:
    """The handler behind one validation of its parameters: those declared (types, bounds,
    cursors) and, for every parameter, no NUL (PostgreSQL cannot store one)."""
    query = tuple(p for p in params if p.where == "query")
    path = tuple(p for p in params if p.where == "path")

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        scope = request.scope
        if query or b"%00" in scope["query_string"]:
            values = request.query_params
            for param in query:
                param.validate(values.get(param.name))
            if b"%00" in scope["query_string"]:
                for key, value in values.multi_items():
                    if "\x00" in key or "\x00" in value:
                        raise Invalid(f"The query parameter {key.replace(chr(0), '')!r} must not "
                                      "contain NUL characters.")
        if path or "\x00" in scope["path"]:
            for param in path:
                param.validate(request.path_params.get(param.name))
            if "\x00" in scope["path"]:
                raise Invalid("The path must not contain NUL characters.")
        return await handler(request)

    return run


@dataclass
class Websocket:
    path: str
    summary: str
    description: str = ""


WEBSOCKETS: list[Websocket] = []
