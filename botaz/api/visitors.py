"""/api/visitors: the seed's visitor endpoints and the lists beyond the seed."""

from __future__ import annotations

from typing import Any

import msgspec


from ..chat import activity, attachments, audit, messages, onsite, privacy, visitors
from ..chat.schemas import VisitorEdit
from .http import read_raw, upload_name
from .registry import Call, CURSOR, LIMIT, Param, endpoint, schema

VISITOR_ID = Param("id", "Visitor's ID, as in the dashboard's address bar (/chat/:id)",
                   {"type": "string"}, where="path", required=True)


ATTRIBUTE = Param("attribute", "Only visitors whose custom attribute (Botaz.setAttributes) has this "
                  "value, as key:value (the first colon ends the key; true, false and numbers "
                  "as JSON writes them). Repeat it, up to 5 times, for visitors matching all.",
                  {"type": "string", "maxLength": 1051}, check=visitors.parse_attribute_filter)


@endpoint("GET", "/api/visitors", summary="List visitors", tag="visitors", auth="agent",
          response="VisitorPage", params=(LIMIT, CURSOR, ATTRIBUTE), errors=(400, 401),
          description="Newest first, cursor-paginated; `attribute=plan:pro` filters by a custom "
                      "attribute.")
async def list_visitors(call: Call) -> Any:
    q = call.query_params
    page = await visitors.list_visitors(call.chat, call.principal, q.get("cursor"), q.get("limit"),
                                        q.getlist("attribute"))
    return page.json()


schema(visitors.ATTRIBUTE_KEY)
schema(visitors.ATTRIBUTE_KEYS)


# Declared before /api/visitors/{id}, which would otherwise take "attribute-keys" for an ID.
@endpoint("GET", "/api/visitors/attribute-keys", summary="Custom attribute keys", tag="visitors",
          auth="agent", response="AttributeKeyList", errors=(401,),
          description="The keys of the custom attributes your visitors have, A to Z, each with how "
                      "many visitors have it (for a filter's choices).")
async def attribute_keys(call: Call) -> Any:
    return await visitors.attribute_keys(call.chat, call.principal)


schema(onsite.ONLINE_VISITOR)
schema(onsite.ONLINE_LIST)


# Declared before /api/visitors/{id}, which would otherwise take "online" for an ID.
@endpoint("GET", "/api/visitors/online", summary="Visitors on the site now", tag="visitors",
          auth="agent", response="OnlineVisitorList", errors=(400, 401),
          params=(Param("limit", f"At most this many, 1 to {onsite.ONLINE_MAX} "
                                 f"(default {onsite.ONLINE_DEFAULT})",
                        {"type": "integer", "minimum": 1, "maximum": onsite.ONLINE_MAX}),),
          description="Every visitor whose widget is connected right now, to any node, whether "
                      "or not it has written: the page it is on, since when, and when its visit "
                      "began. The latest arrivals first; `total` counts them all.")
async def online_visitors(call: Call) -> Any:
    principal = call.principal
    return await onsite.list_online_visitors(call.chat, principal,
                                             call.query_params.get("limit"))


@endpoint("GET", "/api/visitors/{id}", summary="Receive a visitor's information", tag="visitors",
          auth="agent", response="Visitor", params=(VISITOR_ID,), errors=(401, 404))
async def get_visitor(call: Call) -> Any:
    principal = call.principal
    return await visitors.get_visitor(call.chat, principal,
                                      call.path_params["id"])


@endpoint("PUT", "/api/visitors/{id}", summary="Edit a visitor's basic information",
          tag="visitors", auth="agent", body=VisitorEdit, response="Visitor",
          params=(VISITOR_ID,), errors=(400, 401, 404, 413, 415),
          description="Accepts only name, email, phone and notes; null removes a value. "
                      "The full updated visitor is returned.")
async def edit_visitor(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await visitors.do_update_visitor(call.chat, principal,
                                            call.path_params["id"], body)


@endpoint("GET", "/api/visitors/{id}/messages", summary="List a visitor's messages",
          tag="visitors", auth="agent", response="MessagePage",
          params=(VISITOR_ID, LIMIT, CURSOR), errors=(400, 401, 404),
          description="The conversation, newest first, cursor-paginated.")
async def list_messages(call: Call) -> Any:
    principal = call.principal
    q = call.query_params
    page = await messages.list_visitor_messages(call.chat, principal,
                                                call.path_params["id"], q.get("cursor"),
                                                q.get("limit"))
    return page.json()


@endpoint("POST", "/api/visitors/{id}/seen", summary="Mark a visitor's messages as seen",
          tag="visitors", auth="agent", body=activity.SEEN, response="SeenResult",
          params=(VISITOR_ID,), errors=(400, 401, 404, 415))
async def seen(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await activity.do_agent_seen(call.chat, principal,
                                        call.path_params["id"], body)


@endpoint("POST", "/api/visitors/{id}/ban", summary="Ban a visitor", tag="visitors", auth="agent",
          response="Visitor", params=(VISITOR_ID,), errors=(401, 404),
          description="The visitor's sockets are closed (code 4403) and every visitor call "
                      "answers 403 until unbanned.")
async def ban(call: Call) -> Any:
    principal = call.principal
    return await activity.do_set_banned(call.chat, principal,
                                        call.path_params["id"], True)


@endpoint("POST", "/api/visitors/{id}/unban", summary="Unban a visitor", tag="visitors",
          auth="agent", response="Visitor", params=(VISITOR_ID,), errors=(401, 404))
async def unban(call: Call) -> Any:
    principal = call.principal
    return await activity.do_set_banned(call.chat, principal,
                                        call.path_params["id"], False)


@endpoint("GET", "/api/visitors/{id}/pages", summary="Pages the visitor has visited",
          tag="visitors", auth="agent", response="PagePage", params=(VISITOR_ID, LIMIT, CURSOR),
          errors=(400, 401, 404), description="Newest first, as reported by the widget.")
async def pages(call: Call) -> Any:
    principal = call.principal
    q = call.query_params
    page = await activity.list_pages(call.chat, principal, call.path_params["id"],
                                     q.get("cursor"), q.get("limit"))
    return page.json()


@endpoint("POST", "/api/visitors/{id}/typing", summary="Tell the visitor an agent is typing",
          tag="visitors", auth="agent", body=activity.TYPING, params=(VISITOR_ID,),
          errors=(400, 401, 404, 415), status=204)
async def typing(call: Call) -> Any:
    principal = call.principal
    body = call.body
    await activity.do_agent_typing(call.chat, principal,
                                   msgspec.structs.replace(body, visitorId=call.path_params["id"]))
    return None


@endpoint("POST", "/api/visitors/{id}/attachments", summary="Send a file as an agent",
          tag="visitors", auth="agent", response="Message", status=201,
          params=(VISITOR_ID, Param("userId", "Agent sending it (default: the token's agent)",
                                    {"type": "string"})),
          errors=(400, 401, 403, 404, 413, 415),
          description="Raw file body with its Content-Type and `X-Filename`; same limits as "
                      "the widget's upload.")
async def upload(call: Call) -> Any:
    principal = call.principal
    chat = call.chat
    data = await read_raw(call, chat.settings.max_attachment_bytes)
    message = await attachments.do_agent_upload(
        chat, principal, call.path_params["id"], call.query_params.get("userId"),
        upload_name(call), call.headers.get("content-type", ""), data)
    return message


@endpoint("DELETE", "/api/visitors/{id}", summary="Erase a visitor and everything about them",
          tag="visitors", auth="agent", response="Visitor", params=(VISITOR_ID,), errors=(401, 404),
          description="Deletes the visitor, its messages, pages, notes, files and queued webhook "
                      "deliveries, closes its sockets, and publishes `visitor.deleted` "
                      "(data: {\"_id\"}). Returns the visitor as it was.")
async def erase(call: Call) -> Any:
    principal = call.principal
    return await privacy.do_erase_visitor(call.chat, principal,
                                          call.path_params["id"])


@endpoint("GET", "/api/visitors/{id}/export", summary="Everything stored about a visitor",
          tag="visitors", auth="agent", response="VisitorExport", params=(VISITOR_ID,),
          errors=(401, 404), description="The visitor, its messages (oldest first), pages, "
                                         "private notes and files, as one JSON document.")
async def export(call: Call) -> Any:
    principal = call.principal
    return await privacy.export_visitor(call.chat, principal,
                                        call.path_params["id"])


@endpoint("GET", "/api/audit", summary="Audit log (owners)", tag="agents", auth="agent",
          response="AuditEntryPage", params=(LIMIT, CURSOR), errors=(400, 401, 403),
          description="Who edited or deleted messages, changed, banned or erased visitors, and "
                      "managed agents, tokens, settings, webhooks and the bot; newest first.")
async def audit_log(call: Call) -> Any:
    principal = call.principal
    q = call.query_params
    page = await audit.list_audit(call.chat, principal, q.get("cursor"), q.get("limit"))
    return page.json()
