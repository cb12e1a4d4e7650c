"""Known users and custom attributes: the identity secret, /widget/v1/identify, attributes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import identity, proactive
from ..schema import F, Obj
from .deps import agent, chat_of, limit, visitor, widget_origin
from .http import bearer_token, json_response, read_body
from .registry import endpoint, schema
from .visitors import VISITOR_ID

schema(identity.IDENTITY_SECRET)
schema(identity.VISITOR_ATTRIBUTES)
schema(proactive.RULE)
schema(Obj("WidgetAttributesSet", {
    "attributes": F("object", "All the visitor's custom attributes after the change"),
}))


@endpoint("POST", "/api/settings/identity-secret", summary="Rotate the identity secret",
          tag="settings", auth="agent", response="IdentitySecret", errors=(401, 403),
          description="Owners only. Makes a new identity secret and answers it; hashes signed "
                      "with the old one are refused from now on (docs/widget.md).")
async def rotate_identity_secret(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await identity.do_rotate_secret(chat_of(request), principal))


@endpoint("POST", "/widget/v1/identify", summary="Attach the widget to a known user",
          tag="widget", auth=None, body=identity.IDENTIFY, response="WidgetVisitorCreated",
          errors=(400, 403, 404, 413, 415, 429),
          description="Checks `hash` (hex HMAC-SHA256 of `id` with the account's identity "
                      "secret) and answers a new token of the user's visitor, the same on every "
                      "browser. The browser's current visitor token, if sent as the bearer token, "
                      "is merged into the user (docs/widget.md). 403: the hash does not match; "
                      "nothing changed.")
async def identify(request: Request) -> Response:
    await limit(request, "visitor_create", request.client.host if request.client else "unknown")
    body = await read_body(request, identity.IDENTIFY)
    return json_response(await identity.do_identify(chat_of(request), body, bearer_token(request),
                                                    widget_origin(request)))


@endpoint("POST", "/widget/v1/attributes", summary="Set the visitor's custom attributes",
          tag="widget", auth="visitor", body=identity.ATTRIBUTES, response="WidgetAttributesSet",
          errors=(400, 401, 403, 413, 415),
          description="Merges the keys given into the visitor's attributes; null removes a key. "
                      "Agents see them in the visitor panel and in `attributes` of the Visitor.")
async def set_attributes(request: Request) -> Response:
    me = await visitor(request)
    body = await read_body(request, identity.ATTRIBUTES)
    return json_response(await identity.do_set_attributes(chat_of(request), me, body))


@endpoint("GET", "/api/visitors/{id}/attributes", summary="A visitor's identity and attributes",
          tag="visitors", auth="agent", response="VisitorAttributes", params=(VISITOR_ID,),
          errors=(401, 404),
          description="The website's ID of the signed-in user (`externalId`, null when "
                      "anonymous) and the custom attributes its pages set; kept out of the seed's "
                      "visitor object, whose keys are fixed.")
async def get_attributes(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await identity.visitor_attributes(chat_of(request), principal,
                                                           request.path_params["id"]))


@endpoint("POST", "/widget/v1/proactive", summary="Fire a proactive message", tag="widget",
          auth="visitor", body=proactive.FIRE, response="Message", status=201,
          errors=(400, 401, 403, 404, 413, 415),
          description="The widget found the rule's conditions true: the rule's agent says its "
                      "text (201 with the message, also sent as `message.created`). At most once "
                      "per rule per visitor: afterwards 200 `null`. 404: no such enabled rule.")
async def fire_proactive(request: Request) -> Response:
    me = await visitor(request)
    body = await read_body(request, proactive.FIRE)
    message = await proactive.do_fire(chat_of(request), me, body)
    return json_response(message, 201 if message is not None else 200)
