"""/api/push: Web Push for agents (the VAPID key, subscribed browsers, a test push)."""

from __future__ import annotations

from typing import Any


from ..chat import alerts, push
from .registry import Call, Param, endpoint, schema

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
async def key(call: Call) -> Any:
    return await push.get_public_key(call.chat)


@endpoint("POST", "/api/push/subscriptions", summary="Subscribe a browser to your alerts",
          tag="push", auth="agent", body=push.SUBSCRIPTION_CREATE, response="PushSubscription",
          status=201, errors=(400, 401, 403, 415),
          description="The body is the browser's `PushSubscription.toJSON()`. Subscribing the "
                      "same endpoint again updates it (and moves it to you if another agent had "
                      "it). Endpoints must be https and globally routable unless "
                      "BOTAZ_WEBHOOKS_ALLOW_PRIVATE=1.")
async def subscribe(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await push.do_subscribe(call.chat, principal, body,
                                   call.headers.get("user-agent"))


@endpoint("GET", "/api/push/subscriptions", summary="Your subscribed browsers", tag="push",
          auth="agent", response="PushSubscriptionList", errors=(401,))
async def list_(call: Call) -> Any:
    principal = call.principal
    return await push.list_subscriptions(call.chat, principal)


@endpoint("DELETE", "/api/push/subscriptions/{id}", summary="Unsubscribe a browser", tag="push",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404))
async def unsubscribe(call: Call) -> Any:
    principal = call.principal
    await push.do_unsubscribe(call.chat, principal, call.path_params["id"])
    return None


@endpoint("POST", "/api/push/test", summary="Send yourself a test push", tag="push",
          auth="agent", response="PushTest", status=202, errors=(401, 403),
          description="Queues one push to each of your subscribed browsers, whether or not a "
                      "dashboard is open.")
async def test_push(call: Call) -> Any:
    principal = call.principal
    queued = await call.app.state.push.queue([principal.agent_id], alerts.test_alert())
    return {"queued": queued}
