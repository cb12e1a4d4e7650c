"""Endpoints declared once: the router and the OpenAPI document are both built from this list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..schema import Obj

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any]
    where: str = "query"
    required: bool = False


@dataclass(frozen=True)
class Endpoint:
    method: str
    paths: tuple[str, ...]
    handler: Handler
    summary: str
    tag: str
    auth: str | None  # "agent", "visitor" or None
    body: Obj | None = None
    response: str | None = None
    status: int = 200
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    description: str = ""


ENDPOINTS: list[Endpoint] = []
# Response and nested schemas named by `response=` or `ref=`; request bodies (`body=`) reach the
# OpenAPI document from ENDPOINTS without being listed here.
SCHEMAS: list[Obj] = []


def schema(obj: Obj) -> Obj:
    """Declares a schema for the OpenAPI document: `NAME = schema(Obj("Name", {...}))`."""
    SCHEMAS.append(obj)
    return obj

LIMIT = Param("limit", "Page size, 1 to 100 (default 50).", {"type": "integer", "minimum": 1, "maximum": 100})
CURSOR = Param("cursor", "The `next` value of the previous page.", {"type": "string"})


def endpoint(method: str, *paths: str, **meta: Any) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ENDPOINTS.append(Endpoint(method, paths, handler, **meta))
        return handler

    return register


@dataclass
class Websocket:
    path: str
    summary: str
    description: str = ""


WEBSOCKETS: list[Websocket] = []
