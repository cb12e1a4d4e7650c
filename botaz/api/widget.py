"""/widget/v1: the visitor's side, called by widget.js from any website."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import activity, attachments, mail, messages, visitors
from ..chat.availability import site_online
from ..chat.proactive import for_widget as proactive_rules
from ..chat.errors import Invalid, NotFound
from ..chat.settings import check_origin, settings_of
from ..chat.views import for_visitor
from ..chat.schemas import WidgetMessageCreate, WidgetVisitorCreate
from .deps import chat_of, limit, visitor, widget_origin
from .http import json_response, read_body, read_raw, upload_name
from .registry import Param, endpoint


@endpoint("POST", "/widget/v1/visitors", summary="Start a visitor", tag="widget", auth=None,
          body=WidgetVisitorCreate, response="WidgetVisitorCreated", status=201,
          errors=(400, 404, 413, 415, 429),
          description="Creates a visitor of the account that owns `siteKey` and returns its "
                      "token, which authorises the visitor's other calls.")
async def create_visitor(request: Request) -> Response:
    await limit(request, "visitor_create", request.client.host if request.client else "unknown")
    body = await read_body(request, WidgetVisitorCreate)
    created = await visitors.do_create_visitor(chat_of(request), body, widget_origin(request))
    return json_response(created | {"visitor": for_visitor(created["visitor"])}, 201)


@endpoint("POST", "/widget/v1/messages", summary="Send a message as the visitor", tag="widget",
          auth="visitor", body=WidgetMessageCreate, response="Message", status=201,
          errors=(400, 401, 403, 413, 415))
async def send_message(request: Request) -> Response:
    me = await visitor(request)
    body = await read_body(request, WidgetMessageCreate)
    return json_response(await messages.do_send_visitor_message(chat_of(request), me, body), 201)


@endpoint("GET", "/widget/v1/messages", summary="The visitor's conversation", tag="widget",
          auth="visitor", response="MessageList", errors=(400, 401, 403, 404),
          params=(Param("after", "Only messages after this message ID", {"type": "string"}),
                  Param("limit", "At most this many (1 to 500, default 500)",
                        {"type": "integer", "minimum": 1, "maximum": 500})),
          description="A JSON array of messages, oldest first: the latest 500, or those after "
                      "`after`.")
async def list_messages(request: Request) -> Response:
    me = await visitor(request)
    q = request.query_params
    return json_response(await messages.conversation(chat_of(request), me, q.get("after"),
                                                     q.get("limit")))


@endpoint("GET", "/widget/v1/config", summary="The widget's settings for a site", tag="widget",
          auth=None, response="WidgetConfig", errors=(400, 404),
          params=(Param("siteKey", "The account's site key", {"type": "string"}, required=True),),
          description="Pre-chat form, greeting, colour and title, and `online`: whether a human "
                      "agent is available now (signed in to the dashboard and set to Online; an "
                      "API token's socket never counts) and, where business hours are set, "
                      "within them. Connected widgets hear changes as `availability` frames.")
async def config(request: Request) -> Response:
    chat = chat_of(request)
    site_key = request.query_params.get("siteKey")
    if not site_key:
        raise Invalid("siteKey is required.")
    account = await chat.store.get_account_by_site_key(site_key)
    if account is None:
        raise NotFound("There is no site with this siteKey.")
    await check_origin(chat_of(request), account, widget_origin(request))
    s = settings_of(account)
    return json_response({"accountName": account["name"], "preform": s["preform"],
                          "widget": s["widget"], "email": mail.widget_config(chat, s),
                          "proactive": proactive_rules(s),
                          "online": await site_online(chat, account)})


@endpoint("GET", "/widget/v1/me", summary="The visitor's own object", tag="widget",
          auth="visitor", response="Visitor", errors=(401, 403))
async def me(request: Request) -> Response:
    row = await visitor(request)
    return json_response(for_visitor(await visitors.visitor_object(chat_of(request), row)))


@endpoint("POST", "/widget/v1/preform", summary="Fill in the pre-chat form", tag="widget",
          auth="visitor", body=activity.PREFORM, response="Visitor", errors=(400, 401, 403, 415),
          description="Sets name, email and phone (the fields the account asks for are "
                      "required) and `preformFilled: true`; returns the visitor.")
async def preform(request: Request) -> Response:
    row = await visitor(request)
    body = await read_body(request, activity.PREFORM)
    return json_response(for_visitor(await activity.do_preform(chat_of(request), row, body)))


@endpoint("POST", "/widget/v1/seen", summary="Mark agents' messages as seen", tag="widget",
          auth="visitor", body=activity.SEEN, response="SeenResult", errors=(400, 401, 403, 404, 415),
          description="Marks every agent message up to and including `messageId` as seen; each "
                      "one that changes goes out as `message.updated`.")
async def seen(request: Request) -> Response:
    row = await visitor(request)
    body = await read_body(request, activity.SEEN)
    return json_response(await activity.do_visitor_seen(chat_of(request), row, body))


@endpoint("POST", "/widget/v1/pages", summary="Report the page the visitor is on", tag="widget",
          auth="visitor", body=activity.PAGE_VISIT, response="Page", status=201,
          errors=(400, 401, 403, 415))
async def page(request: Request) -> Response:
    row = await visitor(request)
    body = await read_body(request, activity.PAGE_VISIT)
    return json_response(await activity.do_page_visit(chat_of(request), row, body), 201)


@endpoint("POST", "/widget/v1/attachments", summary="Send a file as the visitor", tag="widget",
          auth="visitor", response="Message", status=201, errors=(400, 401, 403, 413, 415),
          description="The raw file is the body, with its own Content-Type and the name in "
                      "`X-Filename` (URL-encoded). Images, PDF, text, office documents and zip "
                      "archives up to 10 MB. Returns the message, whose `attachment` has the URL.")
async def upload(request: Request) -> Response:
    row = await visitor(request)
    chat = chat_of(request)
    data = await read_raw(request, chat.settings.max_attachment_bytes)
    message = await attachments.do_visitor_upload(chat, row, upload_name(request),
                                                  request.headers.get("content-type", ""), data)
    return json_response(message, 201)
