"""/api/visitors: the seed's visitor endpoints and the lists beyond the seed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import messages, visitors
from ..chat.schemas import VISITOR_EDIT
from .deps import agent, chat_of
from .http import json_response, read_json
from .registry import CURSOR, LIMIT, Param, endpoint

VISITOR_ID = Param("id", "Visitor's ID, as in the dashboard's address bar (/chat/:id)",
                   {"type": "string"}, where="path", required=True)


@endpoint("GET", "/api/visitors", summary="List visitors", tag="visitors", auth="agent",
          response="VisitorPage", params=(LIMIT, CURSOR), errors=(400, 401),
          description="Newest first, cursor-paginated.")
async def list_visitors(request: Request) -> Response:
    principal = await agent(request)
    q = request.query_params
    page = await visitors.list_visitors(chat_of(request), principal, q.get("cursor"), q.get("limit"))
    return json_response(page.json())


@endpoint("GET", "/api/visitors/{id}", summary="Receive a visitor's information", tag="visitors",
          auth="agent", response="Visitor", params=(VISITOR_ID,), errors=(401, 404))
async def get_visitor(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await visitors.get_visitor(chat_of(request), principal,
                                                    request.path_params["id"]))


@endpoint("PUT", "/api/visitors/{id}", summary="Edit a visitor's basic information",
          tag="visitors", auth="agent", body=VISITOR_EDIT, response="Visitor",
          params=(VISITOR_ID,), errors=(400, 401, 404, 413, 415),
          description="Accepts only name, email, phone and notes; null removes a value. "
                      "The full updated visitor is returned.")
async def edit_visitor(request: Request) -> Response:
    principal = await agent(request)
    body = await read_json(request)
    return json_response(await visitors.do_update_visitor(chat_of(request), principal,
                                                          request.path_params["id"], body))


@endpoint("GET", "/api/visitors/{id}/messages", summary="List a visitor's messages",
          tag="visitors", auth="agent", response="MessagePage",
          params=(VISITOR_ID, LIMIT, CURSOR), errors=(400, 401, 404),
          description="The conversation, newest first, cursor-paginated.")
async def list_messages(request: Request) -> Response:
    principal = await agent(request)
    q = request.query_params
    page = await messages.list_visitor_messages(chat_of(request), principal,
                                                request.path_params["id"], q.get("cursor"),
                                                q.get("limit"))
    return json_response(page.json())
