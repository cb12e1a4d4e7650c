"""/widget/v1: the visitor's side, called by widget.js from any website."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import messages, visitors
from ..chat.schemas import WIDGET_MESSAGE_CREATE, WIDGET_VISITOR_CREATE
from .deps import chat_of, visitor
from .http import json_response, read_json
from .registry import Param, endpoint


@endpoint("POST", "/widget/v1/visitors", summary="Start a visitor", tag="widget", auth=None,
          body=WIDGET_VISITOR_CREATE, response="WidgetVisitorCreated", status=201,
          errors=(400, 404, 413, 415),
          description="Creates a visitor of the account that owns `siteKey` and returns its "
                      "token, which authorises the visitor's other calls.")
async def create_visitor(request: Request) -> Response:
    body = await read_json(request)
    return json_response(await visitors.do_create_visitor(chat_of(request), body), 201)


@endpoint("POST", "/widget/v1/messages", summary="Send a message as the visitor", tag="widget",
          auth="visitor", body=WIDGET_MESSAGE_CREATE, response="Message", status=201,
          errors=(400, 401, 403, 413, 415))
async def send_message(request: Request) -> Response:
    me = await visitor(request)
    body = await read_json(request)
    return json_response(await messages.do_send_visitor_message(chat_of(request), me, body), 201)


@endpoint("GET", "/widget/v1/messages", summary="The visitor's conversation", tag="widget",
          auth="visitor", response="MessageList", errors=(400, 401, 403, 404),
          params=(Param("after", "Only messages after this message ID", {"type": "string"}),
                  Param("limit", "At most this many (1 to 500, default 500)", {"type": "integer"})),
          description="A JSON array of messages, oldest first: the latest 500, or those after "
                      "`after`.")
async def list_messages(request: Request) -> Response:
    me = await visitor(request)
    q = request.query_params
    return json_response(await messages.conversation(chat_of(request), me, q.get("after"),
                                                     q.get("limit")))
