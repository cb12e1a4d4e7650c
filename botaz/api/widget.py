"""/widget/v1: the visitor's side, called by widget.js from any website."""

from __future__ import annotations

from typing import Any


from ..chat import activity, attachments, mail, messages, visitors
from ..chat.availability import site_online
from ..chat.proactive import for_widget as proactive_rules
from ..chat.errors import Invalid, NotFound
from ..chat.settings import check_origin, settings_of
from ..chat.views import for_visitor
from ..chat.schemas import WIDGET_MESSAGE_CREATE, WIDGET_VISITOR_CREATE
from .deps import widget_origin
from .http import read_raw, upload_name
from .registry import Call, Param, endpoint


@endpoint("POST", "/widget/v1/visitors", summary="Start a visitor", tag="widget", auth=None,
          body=WIDGET_VISITOR_CREATE, response="WidgetVisitorCreated", status=201,
          errors=(400, 404, 413, 415, 429), limit=("visitor_create", ""),
          description="Creates a visitor of the account that owns `siteKey` and returns its "
                      "token, which authorises the visitor's other calls.")
async def create_visitor(call: Call) -> Any:
    body = call.body
    created = await visitors.do_create_visitor(call.chat, body, widget_origin(call))
    return created | {"visitor": for_visitor(created["visitor"])}


@endpoint("POST", "/widget/v1/messages", summary="Send a message as the visitor", tag="widget",
          auth="visitor", body=WIDGET_MESSAGE_CREATE, response="Message", status=201,
          errors=(400, 401, 403, 413, 415))
async def send_message(call: Call) -> Any:
    me = call.visitor
    body = call.body
    return await messages.do_send_visitor_message(call.chat, me, body)


@endpoint("GET", "/widget/v1/messages", summary="The visitor's conversation", tag="widget",
          auth="visitor", response="MessageList", errors=(400, 401, 403, 404),
          params=(Param("after", "Only messages after this message ID", {"type": "string"}),
                  Param("limit", "At most this many (1 to 500, default 500)",
                        {"type": "integer", "minimum": 1, "maximum": 500})),
          description="A JSON array of messages, oldest first: the latest 500, or those after "
                      "`after`.")
async def list_messages(call: Call) -> Any:
    me = call.visitor
    q = call.query_params
    return await messages.conversation(call.chat, me, q.get("after"),
                                       q.get("limit"))


@endpoint("GET", "/widget/v1/config", summary="The widget's settings for a site", tag="widget",
          auth=None, response="WidgetConfig", errors=(400, 404),
          params=(Param("siteKey", "The account's site key", {"type": "string"}, required=True),),
          description="Pre-chat form, greeting, colour and title, and `online`: whether a human "
                      "agent is available now (signed in to the dashboard and set to Online; an "
                      "API token's socket never counts) and, where business hours are set, "
                      "within them. Connected widgets hear changes as `availability` frames.")
async def config(call: Call) -> Any:
    chat = call.chat
    site_key = call.query_params.get("siteKey")
    if not site_key:
        raise Invalid("siteKey is required.")
    account = await chat.store.get_account_by_site_key(site_key)
    if account is None:
        raise NotFound("There is no site with this siteKey.")
    await check_origin(call.chat, account, widget_origin(call))
    s = settings_of(account)
    return {"accountName": account["name"], "preform": s["preform"],
            "widget": s["widget"], "email": mail.widget_config(chat, s),
            "proactive": proactive_rules(s),
            "online": await site_online(chat, account)}


@endpoint("GET", "/widget/v1/me", summary="The visitor's own object", tag="widget",
          auth="visitor", response="Visitor", errors=(401, 403))
async def me(call: Call) -> Any:
    row = call.visitor
    return for_visitor(await visitors.visitor_object(call.chat, row))


@endpoint("POST", "/widget/v1/preform", summary="Fill in the pre-chat form", tag="widget",
          auth="visitor", body=activity.PREFORM, response="Visitor", errors=(400, 401, 403, 415),
          description="Sets name, email and phone (the fields the account asks for are "
                      "required) and `preformFilled: true`; returns the visitor.")
async def preform(call: Call) -> Any:
    row = call.visitor
    body = call.body
    return for_visitor(await activity.do_preform(call.chat, row, body))


@endpoint("POST", "/widget/v1/seen", summary="Mark agents' messages as seen", tag="widget",
          auth="visitor", body=activity.SEEN, response="SeenResult", errors=(400, 401, 403, 404, 415),
          description="Marks every agent message up to and including `messageId` as seen; each "
                      "one that changes goes out as `message.updated`.")
async def seen(call: Call) -> Any:
    row = call.visitor
    body = call.body
    return await activity.do_visitor_seen(call.chat, row, body)


@endpoint("POST", "/widget/v1/pages", summary="Report the page the visitor is on", tag="widget",
          auth="visitor", body=activity.PAGE_VISIT, response="Page", status=201,
          errors=(400, 401, 403, 415))
async def page(call: Call) -> Any:
    row = call.visitor
    body = call.body
    return await activity.do_page_visit(call.chat, row, body)


@endpoint("POST", "/widget/v1/attachments", summary="Send a file as the visitor", tag="widget",
          auth="visitor", response="Message", status=201, errors=(400, 401, 403, 413, 415),
          description="The raw file is the body, with its own Content-Type and the name in "
                      "`X-Filename` (URL-encoded). Images, PDF, text, office documents and zip "
                      "archives up to 10 MB. Returns the message, whose `attachment` has the URL.")
async def upload(call: Call) -> Any:
    row = call.visitor
    chat = call.chat
    data = await read_raw(call, chat.settings.max_attachment_bytes)
    message = await attachments.do_visitor_upload(chat, row, upload_name(call),
                                                  call.headers.get("content-type", ""), data)
    return message
