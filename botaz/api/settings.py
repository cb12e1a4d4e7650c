"""/api/settings: the account's pre-chat form and widget look."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import settings
from ..chat.accounts import Principal
from ..chat.identity import identity_secret
from .deps import agent, chat_of
from .http import json_response, read_body
from .registry import endpoint, schema

schema(settings.BUSINESS_HOURS)


@endpoint("GET", "/api/settings", summary="The account's settings", tag="settings", auth="agent",
          response="Settings", errors=(401,))
async def get_settings(request: Request) -> Response:
    principal = await agent(request)
    current = await settings.get_settings(chat_of(request), principal.account_id)
    return json_response(await _with_secret(request, principal, current))


async def _with_secret(request: Request, principal: Principal, current: dict) -> dict:
    """Owners see the identity secret (botaz/chat/identity.py); it is not a stored setting."""
    if principal.role == "owner":
        current["identitySecret"] = await identity_secret(chat_of(request), principal.account_id)
    return current


@endpoint("PUT", "/api/settings", summary="Change the account's settings", tag="settings",
          auth="agent", body=settings.SETTINGS_EDIT, response="Settings",
          errors=(400, 401, 403, 415), description="Owners only.")
async def put_settings(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, settings.SETTINGS_EDIT)
    changed = await settings.do_update_settings(chat_of(request), principal, body)
    return json_response(await _with_secret(request, principal, changed))
