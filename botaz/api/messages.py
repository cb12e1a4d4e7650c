"""/api/messages: the seed's message endpoints."""

from __future__ import annotations

from typing import Any


from ..chat import messages
from ..chat.schemas import MessageCreate, MessageEdit
from .registry import Call, Param, endpoint

MESSAGE_ID = Param("id", "ID of the message", {"type": "string"}, where="path", required=True)


@endpoint("POST", "/api/messages/", "/api/messages", summary="Send a message as an agent",
          tag="messages", auth="agent", body=MessageCreate, response="Message", status=201,
          errors=(400, 401, 403, 404, 413, 415),
          description="The newly created message is returned. `userId` must be an agent of the "
                      "token's account; the visitor must exist in that account and not be banned.")
async def send_message(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await messages.do_send_agent_message(call.chat, principal, body)


@endpoint("GET", "/api/messages/{id}", summary="Get an existing message", tag="messages",
          auth="agent", response="Message", params=(MESSAGE_ID,), errors=(401, 404))
async def get_message(call: Call) -> Any:
    principal = call.principal
    return await messages.get_message(call.chat, principal,
                                      call.path_params["id"])


@endpoint("PUT", "/api/messages/{id}", summary="Edit an agent's message", tag="messages",
          auth="agent", body=MessageEdit, response="Message", params=(MESSAGE_ID,),
          errors=(400, 401, 403, 404, 413, 415),
          description="Only agents' messages can be edited (403 for a visitor's message). "
                      "The updated message is returned.")
async def edit_message(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await messages.do_edit_message(call.chat, principal,
                                          call.path_params["id"], body)


@endpoint("DELETE", "/api/messages/{id}", summary="Delete an agent's message", tag="messages",
          auth="agent", response="Message", params=(MESSAGE_ID,), errors=(401, 403, 404),
          description="Only agents' messages can be deleted. The deleted message is returned; "
                      "afterwards GET answers 404.")
async def delete_message(call: Call) -> Any:
    principal = call.principal
    return await messages.do_delete_message(call.chat, principal,
                                            call.path_params["id"])
