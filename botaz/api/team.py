"""/api/conversations, /api/canned, /api/tokens and agent management: the dashboard's team work."""

from __future__ import annotations

from typing import Any

from dataclasses import replace


from ..chat import team
from ..chat.schemas import ID_PATTERN
from .registry import Call, CURSOR, LIMIT, Param, endpoint

ASSIGNEE = Param("assignee", "me, none, all (default) or an agent ID",
                 {"type": "string", "anyOf": [{"enum": list(team.ASSIGNEE_WORDS)},
                                              {"pattern": ID_PATTERN}]},
                 check=team.check_assignee)
VISITOR_ID = Param("visitorId", "The visitor whose conversation it is", {"type": "string"},
                   where="path", required=True)
ID = Param("id", "ID", {"type": "string"}, where="path", required=True)


@endpoint("GET", "/api/conversations", summary="List conversations", tag="conversations",
          auth="agent", response="ConversationPage", errors=(400, 401),
          params=(Param("status", "open, resolved or all (default)",
                        {"type": "string", "enum": ["open", "resolved", "all"]}),
                  ASSIGNEE,
                  Param("q", "Words of the name and email, or of one message: whole words, the last one "
                        "a prefix; case and accents folded; punctuation is never syntax",
                        {"type": "string"}),
                  Param("label", "Only conversations whose current episode has this label ID",
                        {"type": "string"}),
                  LIMIT, replace(CURSOR, check=team.decode_activity_cursor)),
          description="Most recent activity first, with online state, unread count and the "
                      "last message. Only conversations: a visitor is one from its first message "
                      "(its own, or a person's to it; a bot's alone does not count). Visitors "
                      "who are only browsing are in GET /api/visitors and /api/visitors/online.")
async def list_conversations(call: Call) -> Any:
    principal = call.principal
    page = await team.list_conversations(call.chat, principal, call.query_params)
    return page.json()


@endpoint("GET", "/api/conversations/{visitorId}", summary="One conversation", tag="conversations",
          auth="agent", response="Conversation", params=(VISITOR_ID,), errors=(401, 404))
async def get_conversation(call: Call) -> Any:
    principal = call.principal
    return await team.get_conversation(call.chat, principal,
                                       call.path_params["visitorId"])


@endpoint("POST", "/api/conversations/{visitorId}/assign", summary="Assign or transfer",
          tag="conversations", auth="agent", body=team.ASSIGN, response="Conversation",
          params=(VISITOR_ID,), errors=(400, 401, 404, 415))
async def assign(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await team.do_assign(call.chat, principal,
                                call.path_params["visitorId"], body)


@endpoint("POST", "/api/conversations/{visitorId}/status", summary="Open or resolve",
          tag="conversations", auth="agent", body=team.STATUS, response="Conversation",
          params=(VISITOR_ID,), errors=(400, 401, 404, 415),
          description="A visitor writing to a resolved conversation reopens it.")
async def status(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await team.do_change_status(call.chat, principal,
                                       call.path_params["visitorId"], body)


@endpoint("GET", "/api/conversations/{visitorId}/notes", summary="Private notes",
          tag="conversations", auth="agent", response="NoteList", params=(VISITOR_ID,),
          errors=(401, 404), description="Oldest first. Visitors never see notes.")
async def list_notes(call: Call) -> Any:
    principal = call.principal
    return await team.list_notes(call.chat, principal,
                                 call.path_params["visitorId"])


@endpoint("POST", "/api/conversations/{visitorId}/notes", summary="Add a private note",
          tag="conversations", auth="agent", body=team.NOTE_CREATE, response="Note", status=201,
          params=(VISITOR_ID,), errors=(400, 401, 404, 415),
          description="Published to agents' sockets only, as `note.created`.")
async def add_note(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await team.do_add_note(call.chat, principal,
                                  call.path_params["visitorId"], body)


@endpoint("GET", "/api/canned", summary="Canned responses", tag="conversations", auth="agent",
          response="CannedList", errors=(401,))
async def list_canned(call: Call) -> Any:
    principal = call.principal
    return await team.list_canned(call.chat, principal)


@endpoint("POST", "/api/canned", summary="Add a canned response", tag="conversations",
          auth="agent", body=team.CANNED_CREATE, response="Canned", status=201,
          errors=(400, 401, 409, 415))
async def add_canned(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await team.do_add_canned(call.chat, principal, body)


@endpoint("PUT", "/api/canned/{id}", summary="Edit a canned response", tag="conversations",
          auth="agent", body=team.CANNED_EDIT, response="Canned", params=(ID,),
          errors=(400, 401, 404, 409, 415))
async def edit_canned(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await team.do_edit_canned(call.chat, principal,
                                     call.path_params["id"], body)


@endpoint("DELETE", "/api/canned/{id}", summary="Delete a canned response", tag="conversations",
          auth="agent", params=(ID,), status=204, errors=(401, 404))
async def delete_canned(call: Call) -> Any:
    principal = call.principal
    await team.do_delete_canned(call.chat, principal, call.path_params["id"])
    return None


@endpoint("POST", "/api/agents", summary="Add an agent (owners)", tag="agents", auth="agent",
          body=team.AGENT_CREATE, response="AgentCreated", status=201,
          errors=(400, 401, 403, 409, 415),
          description="Returns the agent and its first API token, shown once.")
async def add_agent(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await team.do_add_agent(call.chat, principal, body)


@endpoint("DELETE", "/api/agents/{id}", summary="Remove an agent (owners)", tag="agents",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404),
          description="Its tokens are revoked and its sessions end; its messages stay.")
async def remove_agent(call: Call) -> Any:
    principal = call.principal
    await team.do_remove_agent(call.chat, principal, call.path_params["id"])
    return None


@endpoint("GET", "/api/tokens", summary="API tokens (owners)", tag="tokens", auth="agent",
          response="TokenList", errors=(401, 403))
async def list_tokens(call: Call) -> Any:
    principal = call.principal
    return await team.list_tokens(call.chat, principal)


@endpoint("POST", "/api/tokens", summary="Create an API token (owners)", tag="tokens",
          auth="agent", body=team.TOKEN_CREATE, response="TokenCreated", status=201,
          errors=(400, 401, 403, 415), description="The token is in this response only.")
async def create_token(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await team.do_create_token(call.chat, principal, body)


@endpoint("DELETE", "/api/tokens/{id}", summary="Revoke an API token (owners)", tag="tokens",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404))
async def revoke_token(call: Call) -> Any:
    principal = call.principal
    await team.do_revoke_token(call.chat, principal, call.path_params["id"])
    return None
