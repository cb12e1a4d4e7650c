"""Who is calling: resolve the bearer token of an agent or a visitor through the domain."""

from __future__ import annotations

from starlette.requests import Request

from ..chat.accounts import Principal, authenticate_token
from ..chat.context import Chat
from ..chat.visitors import authenticate_visitor
from ..store.db import Row
from .http import bearer_token


def chat_of(request: Request) -> Chat:
    return request.app.state.chat


async def agent(request: Request) -> Principal:
    return await authenticate_token(request.app.state.chat, bearer_token(request))


async def visitor(request: Request) -> Row:
    return await authenticate_visitor(request.app.state.chat, bearer_token(request))
