"""/api/agents: the account's agents, whose IDs are the `userId` of messages."""

from __future__ import annotations

from typing import Any


from ..chat import accounts
from .registry import Call, CURSOR, LIMIT, endpoint


@endpoint("GET", "/api/agents", summary="List agents", tag="agents", auth="agent",
          response="AgentPage", params=(LIMIT, CURSOR), errors=(400, 401),
          description="Newest first, cursor-paginated. `_id` is what `userId` takes.")
async def list_agents(call: Call) -> Any:
    principal = call.principal
    q = call.query_params
    page = await accounts.list_agents(call.chat, principal, q.get("cursor"), q.get("limit"))
    return page.json()
