"""/api/bot: the account's bot; /api/visitors/:id/bot: whether bots answer one visitor."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import bots
from .deps import agent, chat_of
from .http import json_response, read_body
from .registry import Param, endpoint


@endpoint("GET", "/api/bot", summary="The account's bot", tag="bots", auth="agent",
          response="Bot", errors=(401,))
async def get_bot(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await bots.get_bot(chat_of(request), principal))


@endpoint("PUT", "/api/bot", summary="Configure the bot (owners)", tag="bots", auth="agent",
          body=bots.BOT_EDIT, response="Bot", errors=(400, 401, 403, 415),
          description="Switching it on without agentId makes a bot agent named Assistant. With "
                      "externalUrl set, visitors' messages are POSTed there (signed with "
                      "externalSecret, shown when the URL is set) instead of the rule bot "
                      "answering; your bot replies through POST /api/messages/ with its token.")
async def put_bot(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, bots.BOT_EDIT)
    return json_response(await bots.do_update_bot(chat_of(request), principal, body))


@endpoint("PUT", "/api/visitors/{id}/bot", summary="Switch bots on or off for a visitor",
          tag="bots", auth="agent", body=bots.SHOW_BOT, response="Visitor",
          params=(Param("id", "Visitor ID", {"type": "string"}, where="path", required=True),),
          errors=(400, 401, 404, 415),
          description="Sets `showBotMessages`: when false no bot answers the visitor and the "
                      "widget shows no bot messages.")
async def show_bot_messages(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, bots.SHOW_BOT)
    return json_response(await bots.do_show_bot_messages(chat_of(request), principal,
                                                         request.path_params["id"], body))
