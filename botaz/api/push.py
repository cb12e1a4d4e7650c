"""/api/push: Web Push for agents (the VAPID key, subscribed browsers, a test push)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import alerts, push
from .deps import agent, chat_of
from .http import json_response, read_body
from .registry import Param, endpoint, schema

schema(push.PUSH_KEYS)
schema(push.SUBSCRIPTION)
schema(push.SUBSCRIPTION_LIST)
schema(push.PUBLIC_KEY)
schema(push.TEST_RESULT)

ID = Param("id", "Subscription ID", {"type": "string"}, where="path", required=True)


@endpoint("GET", "/api/push/key", summary="The VAPID public key", tag="push", auth="agent",
          response="PushKey", errors=(401,),
          description="Made once per installation at the first start. Pass it as "
                      "`applicationServerKey` to `pushManager.subscribe()`.")
async def key(request: Request) -> Response:
    await agent(request)
    return json_response(await push.get_public_key(chat_of(request)))


@endpoint("POST", "/api/push/subscriptions", summary="Subscribe a browser to your alerts",
          tag="push", auth="agent", body=push.SUBSCRIPTION_CREATE, response="PushSubscription",
          status=201, errors=(400, 401, 403, 415),
          description="The body is the browser's `PushSubscription.toJSON()`. Subscribing the "
                      "same endpoint again updates it (and moves it to you if another agent had "
                      "it). Endpoints must be https and globally routable unless "
                      "BOTAZ_WEBHOOKS_ALLOW_PRIVATE=1.")
async def subscribe(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, push.SUBSCRIPTION_CREATE)
    return json_response(await push.do_subscribe(chat_of(request), principal, body,
                                                 request.headers.get("user-agent")), 201)


@endpoint("GET", "/api/push/subscriptions", summary="Your subscribed browsers", tag="push",
          auth="agent", response="PushSubscriptionList", errors=(401,))
async def list_(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await push.list_subscriptions(chat_of(request), principal))


@endpoint("DELETE", "/api/push/subscriptions/{id}", summary="Unsubscribe a browser", tag="push",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404))
async def unsubscribe(request: Request) -> Response:
    principal = await agent(request)
    await push.do_unsubscribe(chat_of(request), principal, request.path_params["id"])
    return Response(status_code=204)


@endpoint("POST", "/api/push/test", summary="Send yourself a test push", tag="push",
          auth="agent", response="PushTest", status=202, errors=(401, 403),
          description="Queues one push to each of your subscribed browsers, whether or not a "
                      "dashboard is open.")
async def test_push(request: Request) -> Response:
    principal = await agent(request)
    queued = await request.app.state.push.queue([principal.agent_id], alerts.test_alert())
    return json_response({"queued": queued}, 202)
