"""/api/settings: the account's pre-chat form and widget look."""

from __future__ import annotations

from typing import Any


from ..chat import settings
from ..chat.accounts import Principal
from ..chat.identity import identity_secret
from .registry import Call, endpoint, schema

schema(settings.BUSINESS_HOURS)


@endpoint("GET", "/api/settings", summary="The account's settings", tag="settings", auth="agent",
          response="Settings", errors=(401,))
async def get_settings(call: Call) -> Any:
    principal = call.principal
    current = await settings.get_settings(call.chat, principal.account_id)
    return await _with_secret(call, principal, current)


async def _with_secret(call: Call, principal: Principal, current: dict) -> dict:
    """Owners see the identity secret (botaz/chat/identity.py); it is not a stored setting."""
    if principal.role == "owner":
        current["identitySecret"] = await identity_secret(call.chat, principal.account_id)
    return current


@endpoint("PUT", "/api/settings", summary="Change the account's settings", tag="settings",
          auth="agent", body=settings.SETTINGS_EDIT, response="Settings",
          errors=(400, 401, 403, 415), description="Owners only.")
async def put_settings(call: Call) -> Any:
    principal = call.principal
    body = call.body
    changed = await settings.do_update_settings(call.chat, principal, body)
    return await _with_secret(call, principal, changed)
