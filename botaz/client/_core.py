"""What the sync and async clients share: request descriptions, retry policy, answer decoding."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import quote

import httpx

from .. import __version__
from .errors import error_for
from .types import UNSET

USER_AGENT = f"botaz-client/{__version__} httpx/{httpx.__version__}"

# A GET that failed this way never reached a handler, or reading it twice is harmless.
RECONNECT_ERRORS = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError,
                    httpx.WriteError)

_NO_BODY: Any = object()


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = _NO_BODY
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bool = False

    def request_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.params:
            kwargs["params"] = {k: v for k, v in self.params.items()
                                if v is not None and v is not UNSET}
        if self.json is not _NO_BODY:
            kwargs["json"] = self.json
        elif self.content is not None:
            kwargs["content"] = self.content
        return kwargs


def seg(value: str) -> str:
    """One path segment: an ID such as "../agents" must not reach another endpoint."""
    return quote(str(value), safe="")


def body(**fields: Any) -> dict[str, Any]:
    """A JSON body without the keys left UNSET (None stays: it sends null)."""
    return {k: v for k, v in fields.items() if v is not UNSET}


def parse_retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Base:
    """Configuration and the decisions that do not depend on sync or async I/O."""

    def __init__(self, base_url: str, token: str | None, *, timeout: float, max_retries: int,
                 max_retry_wait: float) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait

    def _client_options(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "timeout": self.timeout,
                "headers": {"User-Agent": USER_AGENT, "Accept": "application/json"}}

    def _headers(self, call: Call) -> dict[str, str]:
        # Read per request: VisitorClient.create_visitor sets the token after construction.
        headers = dict(call.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _retry_delay(self, response: httpx.Response, retries_done: int) -> float | None:
        """Seconds to wait before trying again, or None to stop and report the answer."""
        if response.status_code != 429 or retries_done >= self.max_retries:
            return None
        delay = parse_retry_after(response)
        if delay is None:
            delay = min(0.5 * 2 ** retries_done, 8.0)
        # Waiting longer than the caller allows would only block; say so at once instead.
        return delay if delay <= self.max_retry_wait else None

    @staticmethod
    def _decode(call: Call, response: httpx.Response) -> Any:
        if not response.is_success:
            raise error_for(response, parse_retry_after(response))
        if call.raw:
            return response.content
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


def conversation_params(status: str | None, assignee: str | None, q: str | None) -> dict[str, Any]:
    return {"status": status, "assignee": assignee, "q": q}


def visitor_fields(site_key: str, user_agent: str | None, app_name: str | None,
                   app_version: str | None, platform: str | None,
                   cookie_enabled: bool | None) -> dict[str, Any]:
    fields = {"userAgent": user_agent, "appName": app_name, "appVersion": app_version,
              "platform": platform, "cookieEnabled": cookie_enabled}
    return {"siteKey": site_key, **{k: v for k, v in fields.items() if v is not None}}


def upload_headers(filename: str, content_type: str) -> dict[str, str]:
    return {"Content-Type": content_type, "X-Filename": quote(filename, safe="")}
