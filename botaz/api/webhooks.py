"""/api/webhooks: endpoints that receive the account's events, and their delivery logs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat import webhooks
from .deps import agent, chat_of
from .http import json_response, read_body
from .registry import CURSOR, LIMIT, Param, endpoint

ID = Param("id", "Webhook ID", {"type": "string"}, where="path", required=True)
DELIVERY_ID = Param("deliveryId", "Delivery ID", {"type": "string"}, where="path", required=True)


@endpoint("POST", "/api/webhooks", summary="Create a webhook (owners)", tag="webhooks",
          auth="agent", body=webhooks.WEBHOOK_CREATE, response="Webhook", status=201,
          errors=(400, 401, 403, 415),
          description="The signing secret is in this response only. Loopback, private and "
                      "link-local addresses are refused unless BOTAZ_WEBHOOKS_ALLOW_PRIVATE=1.")
async def create(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, webhooks.WEBHOOK_CREATE)
    return json_response(await webhooks.do_create_webhook(chat_of(request), principal, body), 201)


@endpoint("GET", "/api/webhooks", summary="List webhooks (owners)", tag="webhooks", auth="agent",
          response="WebhookPage", errors=(401, 403))
async def list_(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await webhooks.list_webhooks(chat_of(request), principal))


@endpoint("GET", "/api/webhooks/{id}", summary="Get a webhook (owners)", tag="webhooks",
          auth="agent", response="Webhook", params=(ID,), errors=(401, 403, 404))
async def get(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await webhooks.get_webhook(chat_of(request), principal,
                                                    request.path_params["id"]))


@endpoint("PUT", "/api/webhooks/{id}", summary="Change a webhook (owners)", tag="webhooks",
          auth="agent", body=webhooks.WEBHOOK_EDIT, response="Webhook", params=(ID,),
          errors=(400, 401, 403, 404, 415))
async def update(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, webhooks.WEBHOOK_EDIT)
    return json_response(await webhooks.do_update_webhook(chat_of(request), principal,
                                                          request.path_params["id"], body))


@endpoint("DELETE", "/api/webhooks/{id}", summary="Delete a webhook (owners)", tag="webhooks",
          auth="agent", params=(ID,), status=204, errors=(401, 403, 404))
async def delete(request: Request) -> Response:
    principal = await agent(request)
    await webhooks.do_delete_webhook(chat_of(request), principal, request.path_params["id"])
    return Response(status_code=204)


@endpoint("GET", "/api/webhooks/{id}/deliveries", summary="Delivery log (owners)",
          tag="webhooks", auth="agent", response="DeliveryPage", params=(ID, LIMIT, CURSOR),
          errors=(400, 401, 403, 404), description="Newest first: status, attempts, times and "
                                                   "the last response code.")
async def deliveries(request: Request) -> Response:
    principal = await agent(request)
    q = request.query_params
    page = await webhooks.list_deliveries(chat_of(request), principal, request.path_params["id"],
                                          q.get("cursor"), q.get("limit"))
    return json_response(page.json())


@endpoint("POST", "/api/webhooks/{id}/deliveries/{deliveryId}/redeliver",
          summary="Send a delivery again (owners)", tag="webhooks", auth="agent",
          response="Delivery", status=201, params=(ID, DELIVERY_ID), errors=(401, 403, 404),
          description="Queues a new delivery of the same event (same event id).")
async def redeliver(request: Request) -> Response:
    principal = await agent(request)
    delivery = await webhooks.do_redeliver(chat_of(request), principal, request.path_params["id"],
                                           request.path_params["deliveryId"])
    request.app.state.dispatcher.wake()
    return json_response(delivery, 201)
