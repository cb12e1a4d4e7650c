"""/widget/v1: the visitor's side, called by widget.js from any website."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response


from ..chat import activity, attachments, images, mail, messages, visitors
from ..chat.availability import site_online
from ..chat.context import Chat
from ..chat.proactive import for_widget as proactive_rules
from ..chat.errors import Invalid, NotFound
from ..chat.settings import CUSTOM_FIELD, check_origin, settings_of
from ..chat.views import for_visitor
from ..chat.schemas import WidgetMessageCreate, WidgetVisitorCreate
from ..schema import F, Obj
from .deps import widget_origin
from ..store.db import Row
from .http import read_raw, upload_name
from .registry import Call, Param, endpoint, schema

schema(CUSTOM_FIELD)
schema(Obj("ImageUrl", {"url": F("string", "The picture's address on this server; null once "
                                            "removed", nullable=True)}))
schema(Obj("Images", {"logoUrl": F("string", "The account's logo", nullable=True),
                      "avatarUrl": F("string", "Your avatar", nullable=True)}))


@endpoint("POST", "/widget/v1/visitors", summary="Start a visitor", tag="widget", auth=None,
          body=WidgetVisitorCreate, response="WidgetVisitorCreated", status=201,
          errors=(400, 404, 413, 415, 429), limit=("visitor_create", ""),
          description="Creates a visitor of the account that owns `siteKey` and returns its "
                      "token, which authorises the visitor's other calls.")
async def create_visitor(call: Call) -> Any:
    body = call.body
    created = await visitors.do_create_visitor(call.chat, body, widget_origin(call))
    return created | {"visitor": for_visitor(created["visitor"])}


@endpoint("POST", "/widget/v1/messages", summary="Send a message as the visitor", tag="widget",
          auth="visitor", body=WidgetMessageCreate, response="Message", status=201,
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
                      "within them. Connected widgets hear changes as `availability` frames. "
                      "`logoUrl` (or null) and `avatars` (agent ID -> picture URL, for agents "
                      "who uploaded one) are paths on this server.")
async def config(call: Call) -> Any:
    chat = call.chat
    site_key = call.query_params.get("siteKey")
    if not site_key:
        raise Invalid("siteKey is required.")
    account = await chat.store.get_account_by_site_key(site_key)
    if account is None:
        raise NotFound("There is no site with this siteKey.")
    await check_origin(call.chat, account, widget_origin(call))
    return await site_config(chat, account)


async def site_config(chat: Chat, account: Row) -> dict[str, Any]:
    """What the widget needs of its site: GET /widget/v1/config, and the widget.ready frame."""
    s = settings_of(account)
    return {"accountName": account["name"], "preform": s["preform"], "widget": s["widget"],
            "email": mail.widget_config(chat, s), "proactive": proactive_rules(s),
            "online": await site_online(chat, account),
            **await images.for_widget(chat, account["id"])}


@endpoint("GET", "/widget/v1/me", summary="The visitor's own object", tag="widget",
          auth="visitor", response="Visitor", errors=(401, 403))
async def me(call: Call) -> Any:
    row = call.visitor
    return for_visitor(await visitors.visitor_object(call.chat, row))


@endpoint("POST", "/widget/v1/preform", summary="Fill in the pre-chat form", tag="widget",
          auth="visitor", body=activity.PREFORM, response="Visitor", errors=(400, 401, 403, 415),
          description="Sets name, email and phone (the fields the account asks for are "
                      "required) and `preformFilled: true`; returns the visitor. The account's "
                      "custom fields (`preform.customFields` of the config) are answered with "
                      "their keys, beside these (text or select: a string; checkbox: a boolean), "
                      "and stored as the visitor's custom attributes; any other key is refused.")
async def preform(call: Call) -> Any:
    return for_visitor(await activity.do_preform(call.chat, call.visitor, call.body))


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


# -------------------------------------------------------------------------------------------------
# The widget's pictures: the account's logo and agents' avatars (botaz/chat/images.py)
# -------------------------------------------------------------------------------------------------

IMAGE_UPLOAD = ("The raw image is the body, with its Content-Type: PNG, JPEG or WebP of at most "
                "256 KB (SVG is refused). Answers `{\"url\"}`, the picture's new address.")


async def read_image(call: Call) -> bytes:
    """The upload, refused with 413 as soon as it passes the images' limit."""
    return await read_raw(call, images.MAX_IMAGE_BYTES,
                          f"Images can be at most {images.MAX_IMAGE_BYTES // 1024} KB.")


@endpoint("GET", "/images/{id}", summary="A logo or an agent's avatar", tag="widget", auth=None,
          params=(Param("id", "Image ID", {"type": "string"}, where="path", required=True),),
          errors=(404,),
          description="Public (the widget shows it on any website). Each upload gets a new ID, so "
                      "the bytes at an address never change and are cached for a year.")
async def image(call: Call) -> Response:
    content_type, data = await images.image_bytes(call.chat, call.path_params["id"])
    return Response(data, media_type=content_type, headers={
        "Cache-Control": "public, max-age=31536000, immutable",
        "Content-Security-Policy": "default-src 'none'",
        "Cross-Origin-Resource-Policy": "cross-origin"})


@endpoint("GET", "/api/settings/images", summary="The logo and your avatar", tag="settings",
          auth="agent", response="Images", errors=(401,))
async def my_images(call: Call) -> Any:
    return await images.my_images(call.chat, call.principal)


@endpoint("PUT", "/api/settings/logo", summary="Upload the account's logo (owners)",
          tag="settings", auth="agent", response="ImageUrl", errors=(400, 401, 403, 413, 415),
          description="Shown in the widget's header instead of the title's initial. " + IMAGE_UPLOAD)
async def put_logo(call: Call) -> Any:
    data = await read_image(call)
    return await images.do_set_logo(call.chat, call.principal,
                                    call.headers.get("content-type", ""), data)


@endpoint("DELETE", "/api/settings/logo", summary="Remove the account's logo (owners)",
          tag="settings", auth="agent", response="ImageUrl", errors=(401, 403))
async def delete_logo(call: Call) -> Any:
    return await images.do_remove_logo(call.chat, call.principal)


@endpoint("PUT", "/auth/me/avatar", summary="Upload your avatar", tag="auth", auth="agent",
          response="ImageUrl", errors=(400, 401, 413, 415),
          description="Shown beside your messages in the widget. " + IMAGE_UPLOAD)
async def put_avatar(call: Call) -> Any:
    data = await read_image(call)
    return await images.do_set_avatar(call.chat, call.principal,
                                      call.headers.get("content-type", ""), data)


@endpoint("DELETE", "/auth/me/avatar", summary="Remove your avatar", tag="auth", auth="agent",
          response="ImageUrl", errors=(401,))
async def delete_avatar(call: Call) -> Any:
    return await images.do_remove_avatar(call.chat, call.principal)
