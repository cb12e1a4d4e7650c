"""Agents' Online/Away, their capacity, and the widgets' live online state."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..chat import availability
from ..chat.context import Chat
from ..chat.settings import SETTINGS_CHANGED
from ..events import Event
from .deps import agent, chat_of
from .http import json_response, read_body
from .hub import Hub
from .registry import Param, endpoint, schema

log = logging.getLogger("botaz.availability")

schema(availability.AVAILABILITY)


@endpoint("GET", "/auth/me/availability", summary="Your availability", tag="auth", auth="agent",
          response="Availability", errors=(401,),
          description="`status` is what you chose (online or away; `auto` when the dashboard's "
                      "idle timer set away); `available` whether you can take conversations now: "
                      "set to online with a dashboard tab open.")
async def get_availability(request: Request) -> Response:
    principal = await agent(request)
    return json_response(await availability.get_availability(chat_of(request), principal))


@endpoint("PUT", "/auth/me/availability", summary="Go online or away", tag="auth", auth="agent",
          body=availability.AVAILABILITY_EDIT, response="Availability", errors=(400, 401, 403, 415),
          description="The dashboard's Online/Away switch. With `auto: true` (the idle timer) "
                      "away only replaces online, and online only ends an automatic away: a "
                      "choice made by hand stays. Every dashboard hears `agent.availability`.")
async def put_availability(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, availability.AVAILABILITY_EDIT)
    return json_response(await availability.do_set_availability(chat_of(request), principal, body))


@endpoint("PUT", "/api/agents/{id}", summary="Set an agent's capacity (owners)", tag="agents",
          auth="agent", body=availability.CAPACITY_EDIT, response="Agent",
          params=(Param("id", "Agent ID", {"type": "string"}, where="path", required=True),),
          errors=(400, 401, 403, 404, 415),
          description="`maxConversations`: automatic assignment and the bot's hand-off give "
                      "the agent no more open conversations than this; null: no limit.")
async def put_agent(request: Request) -> Response:
    principal = await agent(request)
    body = await read_body(request, availability.CAPACITY_EDIT)
    return json_response(await availability.do_set_capacity(chat_of(request), principal,
                                                            request.path_params["id"], body))


class OnlineWatch:
    """Keeps every connected widget's online state current, on each node for its own widgets.

    Rechecked when an agent's dashboard presence or Online/Away changes, or the account's
    settings do (here or on another node), and every `interval` seconds for business hours'
    edges. A widget
    hears `{"event": "availability", "data": {"online": bool}}` when its site's state changes."""

    def __init__(self, chat: Chat, hub: Hub, interval: float = 20.0) -> None:
        self.chat = chat
        self.hub = hub
        self.interval = interval
        self.last: dict[str, bool] = {}
        self.pending: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        hub.presence_listeners.append(self._on_presence)
        self._unsubscribe = chat.bus.subscribe(self._on_event)

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        self._unsubscribe()
        for task in (self._ticker, self._flusher, *self._background):
            if task is not None:
                task.cancel()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _on_presence(self, account_id: str, agent_id: str, here: bool) -> None:
        if here:  # the node that saw the tab open or close tells the dashboards, once
            self._spawn(self._announce(account_id, agent_id))
        self.schedule(account_id)

    async def _announce(self, account_id: str, agent_id: str) -> None:
        try:
            await availability.announce(self.chat, account_id, agent_id)
        except Exception:
            log.exception("availability of %s not announced", agent_id)

    def _on_event(self, event: Event) -> None:
        if event.name in ("agent.availability", SETTINGS_CHANGED):
            self.schedule(event.account_id)

    def schedule(self, account_id: str) -> None:
        if account_id not in self.hub.account_visitors:
            self.last.pop(account_id, None)  # no widget here to keep current
            return
        self.pending.add(account_id)
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(0.02)  # a burst of changes, one check
            while self.pending:
                await self.check(self.pending.pop())
        finally:
            self._flusher = None

    async def check(self, account_id: str) -> None:
        try:
            account = await self.chat.store.get_account(account_id)
            if account is None:
                return
            online = await availability.site_online(self.chat, account)
        except Exception:
            log.exception("online state of %s not checked", account_id)
            return
        if self.last.get(account_id) != online:
            self.last[account_id] = online
            self.hub.tell_account_visitors(account_id, {"event": "availability",
                                                        "data": {"online": online}})

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            for account_id in [a for a in self.last if a not in self.hub.account_visitors]:
                del self.last[account_id]
            for account_id in list(self.hub.account_visitors):
                await self.check(account_id)
