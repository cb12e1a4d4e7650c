"""Shared pieces of every handler: JSON in and out, the error envelope, bearer tokens."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..chat.errors import DomainError
from ..schema import convert, decoder, is_struct

STATUS_BY_KIND = {"invalid": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404,
                  "conflict": 409, "gone": 410, "too_large": 413, "unsupported_type": 415, "throttled": 429,
                  "unavailable": 503}
JSON_TYPE = "application/json"


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


class JSONResponse(Response):
    media_type = JSON_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"status": "error", "message": message}, status_code=status,
                        headers=headers)


def domain_error_response(exc: DomainError) -> Response:
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(STATUS_BY_KIND.get(exc.kind, 400), exc.message, headers)


def bearer_token(request: Request) -> str | None:
    return parse_bearer(request.headers.get("authorization"))


def parse_bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for anything else."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _strip_trailing_commas(text: str) -> str:
    """The seed's own example body ends an object with `,}`; accept what its readers paste."""
    out: list[str] = []
    in_string = escaped = False
    pending_comma = -1
    for ch in text:
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch in "}]" and pending_comma >= 0:
            out[pending_comma] = ""
        if ch == '"':
            in_string = True
            pending_comma = -1
        elif ch == ",":
            pending_comma = len(out)
        elif not ch.isspace():
            pending_comma = -1
        out.append(ch)
    return "".join(out)


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return True


async def read_json_body(receive: Any, settings: Any, content_type: str | None,
                         length: str | None) -> bytes:
    """The raw body of a POST/PUT that declares a JSON body: 415 without a JSON content type,
    413 when too big (from Content-Length, or as soon as the bytes pass the limit), 400 when
    Content-Length is not a number or the client goes away (or the body timeout of
    api/http_guard.py closes it) before the whole body is in."""
    check_json_type(content_type or "")
    limit = settings.max_body_bytes
    if length is not None:
        if not length.isdigit():
            raise ApiError(400, "Content-Length is not a number.")
        if int(length) > limit:
            raise ApiError(413, too_large(limit))
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ApiError(400, "The client went away before sending the whole body.")
    body = message.get("body", b"")
    if not message.get("more_body"):  # the usual case: the whole body in one message
        if len(body) > limit:
            raise ApiError(413, too_large(limit))
        return body
    chunks = [body]
    size = len(body)
    while True:
        if size > limit:
            raise ApiError(413, too_large(limit))
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "The client went away before sending the whole body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    if size > limit:
        raise ApiError(413, too_large(limit))
    return b"".join(chunks)


def parse_body(spec: Any, raw: bytes, settings: Any) -> Any:
    """A request body from its bytes: with a Struct type as `spec`, that Struct, decoded in one
    step when its type bounds its nesting; otherwise (no spec) the JSON object as a dict.

    Any failure of the fast step takes the slow one, so every error reads the same whichever
    path found it: parse_json's sentences (empty, not JSON, trailing commas forgiven, too
    deep, not an object), then convert()'s sentence naming the field."""
    if is_struct(spec):
        fast = decoder(spec)
        if fast is not None:
            try:
                return fast.decode(raw)
            except msgspec.DecodeError:  # ValidationError included
                pass
        return convert(spec, parse_json(raw, settings))
    return parse_json(raw, settings)


def check_json_type(content_type: str) -> None:
    if content_type.split(";", 1)[0].strip().lower() != JSON_TYPE:
        raise ApiError(415, "Content-Type must be application/json.")


def too_large(limit: int) -> str:
    return f"The request body must be at most {limit} bytes."


def parse_json(raw: bytes, settings: Any) -> dict[str, Any]:
    if not raw.strip():
        raise ApiError(400, "The request body is empty; send a JSON object.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            data = orjson.loads(_strip_trailing_commas(raw.decode("utf-8")))
        except (orjson.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "The request body is not valid JSON.") from None
    if isinstance(data, (dict, list)) and not _depth_ok(data, settings.max_json_depth):
        raise ApiError(400, f"The JSON body is nested deeper than {settings.max_json_depth} levels.")
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return data


async def read_raw(request: Request, limit: int, too_large: str | None = None) -> bytes:
    """A raw upload body; `too_large` is the 413's sentence (by default, in whole megabytes)."""
    return await _read_body(request, limit,
                            too_large or f"Files can be at most {limit // (1024 * 1024)} MB.")


async def _read_body(request: Request, limit: int, too_large: str) -> bytes:
    """The body, refused with 413 as soon as it is known to pass `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "Content-Length is not a number.")
        if int(declared) > limit:
            raise ApiError(413, too_large)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, too_large)
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or closed by the body timeout (api/http_guard.py)
        raise ApiError(400, "The client went away before sending the whole body.") from None
    return b"".join(chunks)


def upload_name(request: Request) -> str | None:
    from urllib.parse import unquote

    raw = request.headers.get("x-filename") or request.query_params.get("name")
    name = unquote(raw) if raw else None
    if name is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ApiError(400, "The file name (X-Filename or name) must not contain NUL or other "
                            "control characters.")
    return name
