"""/auth: dashboard sign-in, sign-out, the signed-in agent, password change."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..chat import prefs, sessions
from ..chat.views import agent_json
from .deps import SESSION_COOKIE, agent, chat_of
from .http import json_response, read_body
from .registry import endpoint, schema

schema(prefs.PREFERENCES)


async def _me(request: Request, agent_id: str, account_id: str, csrf: str | None) -> dict[str, Any]:
    chat = chat_of(request)
    row = await chat.store.get_agent(account_id, agent_id)
    account = await chat.store.get_account(account_id)
    return {"agent": agent_json(row) | {"online": chat.presence.agent_online(agent_id)},
            "account": {"_id": account["id"], "name": account["name"], "siteKey": account["site_key"]},
            "csrfToken": csrf}


@endpoint("POST", "/auth/login", summary="Sign in to the dashboard", tag="auth", auth=None,
          body=sessions.LOGIN, response="Me", errors=(400, 401, 415, 429),
          description="Sets the HttpOnly session cookie. Send `csrfToken` back as `X-CSRF-Token` "
                      "on every state-changing call. Failed attempts are throttled per email "
                      "(10 in 15 minutes) and per client address (50).")
async def login(request: Request) -> Response:
    body = await read_body(request, sessions.LOGIN)
    client = request.client.host if request.client else "unknown"
    token, session = await sessions.do_login(chat_of(request), body, client)
    row = session["agent"]
    response = json_response(await _me(request, row["id"], row["account_id"], session["csrf"]))
    response.set_cookie(SESSION_COOKIE, token, max_age=sessions.SESSION_MS // 1000, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


@endpoint("GET", "/auth/me", summary="The signed-in agent", tag="auth", auth="agent",
          response="Me", errors=(401,))
async def me(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await _me(request, principal.agent_id, principal.account_id, principal.csrf))


@endpoint("POST", "/auth/logout", summary="Sign out", tag="auth", auth="agent", status=204,
          errors=(401, 403))
async def logout(request: Request) -> Response:
    principal = await agent(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await sessions.do_logout(chat_of(request), principal, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@endpoint("POST", "/auth/password", summary="Change your password", tag="auth", auth="agent",
          body=sessions.PASSWORD_CHANGE, status=204, errors=(400, 401, 403, 415),
          description="Other sessions of the agent are signed out.")
async def change_password(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, sessions.PASSWORD_CHANGE)
    await sessions.do_change_password(chat_of(request), principal, body,
                                      request.cookies.get(SESSION_COOKIE))
    return Response(status_code=204)


@endpoint("GET", "/auth/me/preferences", summary="Your preferences", tag="auth", auth="agent",
          response="Preferences", errors=(401,))
async def get_preferences(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await prefs.get_prefs(chat_of(request), principal.agent_id))


@endpoint("PUT", "/auth/me/preferences", summary="Change your preferences", tag="auth",
          auth="agent", body=prefs.PREFERENCES_EDIT, response="Preferences",
          errors=(400, 401, 403, 415), description="Keys left out stay unchanged.")
async def put_preferences(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, prefs.PREFERENCES_EDIT)
    return json_response(await prefs.do_update_prefs(chat_of(request), principal.agent_id, body))
