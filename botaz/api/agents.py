"""/api/agents: the account's agents, whose IDs are the `userId` of messages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import accounts
from .deps import agent, chat_of
from .http import json_response
from .registry import CURSOR, LIMIT, endpoint


@endpoint("GET", "/api/agents", summary="List agents", tag="agents", auth="agent",
          response="AgentPage", params=(LIMIT, CURSOR), errors=(400, 401),
          description="Newest first, cursor-paginated. `_id` is what `userId` takes.")
async def list_agents(request: Request) -> Response:
    principal = await agent(request)
    q = request.query_params
    page = await accounts.list_agents(chat_of(request), principal, q.get("cursor"), q.get("limit"))
    return json_response(page.json())
