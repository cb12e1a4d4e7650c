"""/api/webhooks: endpoints that receive the account's events, and their delivery logs."""

from __future__ import annotations

from typing import Any


from ..chat import webhooks
from .registry import Call, CURSOR, LIMIT, Param, endpoint

ID = Param("id", "Webhook ID", {"type": "string"}, where="path", required=True)
DELIVERY_ID = Param("deliveryId", "Delivery ID", {"type": "string"}, where="path", required=True)


@endpoint("POST", "/api/webhooks", summary="Create a webhook (owners)", tag="webhooks",
          auth="agent", body=webhooks.WEBHOOK_CREATE, response="Webhook", status=201,
          errors=(400, 401, 403, 415),
          description="The signing secret is in this response only. Loopback, private and "
                      "link-local addresses are refused unless BOTAZ_WEBHOOKS_ALLOW_PRIVATE=1.")
async def create(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await webhooks.do_create_webhook(call.chat, principal, body)


@endpoint("GET", "/api/webhooks", summary="List webhooks (owners)", tag="webhooks", auth="agent",
          response="WebhookPage", errors=(401, 403))
async def list_(call: Call) -> Any:
    principal = call.principal
    return await webhooks.list_webhooks(call.chat, principal)


@endpoint("GET", "/api/webhooks/{id}", summary="Get a webhook (owners)", tag="webhooks",
          auth="agent", response="Webhook", params=(ID,), errors=(401, 403, 404))
async def get(call: Call) -> Any:
    principal = call.principal
    return await webhooks.get_webhook(call.chat, principal,
                                      call.path_params["id"])


@endpoint("PUT", "/api/webhooks/{id}", summary="Change a webhook (owners)", tag="webhooks",
          auth="agent", body=webhooks.WEBHOOK_EDIT, response="Webhook", params=(ID,),
          errors=(400, 401, 403, 404, 415))
async def update(call: Call) -> Any:
    principal = call.principal
    body = call.body
    return await webhooks.do_update_webhook(call.chat, principal,
                                            call.path_params["id"], body)


@endpoint("DELETE", "/api/webhooks/{id}", summary="Delete a webhook (owners)", tag="webhooks",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404))
async def delete(call: Call) -> Any:
    principal = call.principal
    await webhooks.do_delete_webhook(call.chat, principal, call.path_params["id"])
    return None


@endpoint("GET", "/api/webhooks/{id}/deliveries", summary="Delivery log (owners)",
          tag="webhooks", auth="agent", response="DeliveryPage", params=(ID, LIMIT, CURSOR),
          errors=(400, 401, 403, 404), description="Newest first: status, attempts, times and "
                                                   "the last response code.")
async def deliveries(call: Call) -> Any:
    principal = call.principal
    q = call.query_params
    page = await webhooks.list_deliveries(call.chat, principal, call.path_params["id"],
                                          q.get("cursor"), q.get("limit"))
    return page.json()


@endpoint("POST", "/api/webhooks/{id}/deliveries/{deliveryId}/redeliver",
          summary="Send a delivery again (owners)", tag="webhooks", auth="agent",
          response="Delivery", status=201, params=(ID, DELIVERY_ID), errors=(401, 403, 404),
          description="Queues a new delivery of the same event (same event id).")
async def redeliver(call: Call) -> Any:
    principal = call.principal
    delivery = await webhooks.do_redeliver(call.chat, principal, call.path_params["id"],
                                           call.path_params["deliveryId"])
    call.app.state.dispatcher.wake()
    return delivery
