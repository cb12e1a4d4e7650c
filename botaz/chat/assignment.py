"""Assignment that happens: round robin among available agents, within each one's capacity.

A conversation goes to the available agent (chat/availability.py) who was given one longest
ago, skipping agents whose open assigned conversations already reach their capacity
(`maxConversations`; none set: no limit). Resolving a conversation frees a place. The choice
and the write happen in one transaction holding the account's row lock (PostgreSQL; SQLite's
transaction holds the database's write lock), and the visitor's row is updated only if its
assignee is still the one read: concurrent messages, on one node or several, assign once.

Used by automatic assignment (an account setting, off by default: a visitor's message while the
conversation has no assignee) and by the bot's hand-off (always).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..events import Event
from ..ids import now_ms
from ..store.db import Row
from .availability import available_agents
from .context import Chat
from .episodes import on_assigned
from .settings import SETTINGS_CHANGED, settings_of
from .team import announce_assignment, conversation_objects

log = logging.getLogger("botaz.assignment")


async def assign_available(chat: Chat, visitor: Row, *, replace_unavailable: bool = False) -> str | None:
    """Assigns the conversation round robin; returns the assignee, or None when nobody can take it.

    An assignee already set is kept, unless `replace_unavailable` and that agent is not
    available now (the hand-off wants someone who is there)."""
    account_id = visitor["account_id"]
    candidates = await available_agents(chat, account_id)
    current = visitor["assignee_id"]
    if current is not None and (not replace_unavailable or current in candidates):
        return current
    if not candidates:
        return None
    chosen = None
    async with chat.store.transaction() as tx:
        await chat.store.lock_account(account_id, conn=tx)
        fresh = await chat.store.get_visitor(account_id, visitor["id"], conn=tx)
        if fresh is None:
            return None
        previous = fresh["assignee_id"]
        if previous is not None and (not replace_unavailable or previous in candidates):
            return previous  # another message (or node) assigned it meanwhile
        chosen = await chat.store.next_assignee(account_id, candidates, conn=tx)
        if chosen is None or chosen == previous:
            return chosen
        if not await chat.store.claim_assignment(visitor["id"], chosen, previous, now_ms(), conn=tx):
            return None
        await on_assigned(chat, tx, visitor, chosen, None)  # the episode's assignment history
    await _announce(chat, visitor)

    announce_assignment(chat, account_id, visitor["id"], chosen, previous, None)
    return chosen


async def _announce(chat: Chat, visitor: Row) -> None:
    """`conversation.updated` with the new assigneeId: the dashboards (and alerts) hear it."""
    fresh = await chat.store.get_visitor(visitor["account_id"], visitor["id"])
    if fresh is None:
        return
    conversation = (await conversation_objects(chat, [fresh]))[0]
    chat.send_event(Event("conversation.updated", fresh["account_id"], fresh["id"], conversation,
                          agents_only=True))


WAITING_BATCH = 50
SETTING_TTL = 30.0  # seconds; a change of the setting drops it at once, on every node


class AutoAssigner:
    """With `autoAssign` on: assigns a conversation when its visitor writes and it has no
    assignee, and hands out waiting conversations (longest waiting first) when a place frees up:
    an agent becomes available, or a conversation is resolved or unassigned."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self._tasks: set[asyncio.Task[None]] = set()
        self._draining: dict[str, bool] = {}  # account -> another pass wanted
        # account -> (autoAssign, until): most visitor messages cost no query for the setting
        self._enabled: dict[str, tuple[bool, float]] = {}
        self._unsubscribe = chat.bus.subscribe(self._on_event)

    async def enabled(self, account_id: str) -> bool:
        now = time.monotonic()
        known = self._enabled.get(account_id)
        if known is not None and known[1] > now:
            return known[0]
        account = await self.chat.store.get_account(account_id)
        on = account is not None and bool(settings_of(account).get("autoAssign"))
        if len(self._enabled) > 100_000:
            self._enabled.clear()
        self._enabled[account_id] = (on, now + SETTING_TTL)
        return on

    def _on_event(self, event: Event) -> None:
        name, data = event.name, event.data
        if name == SETTINGS_CHANGED:
            self._enabled.pop(event.account_id, None)
            if not getattr(event, "remote", False):
                self._wake(event.account_id)  # switched on: hand out what is waiting
            return
        if getattr(event, "remote", False):
            return  # each change is acted on once: on the node where it happened
        if name == "message.created" and data.get("userId") is None:
            self._spawn(self._handle(event))
        elif ((name == "conversation.updated" and (data.get("status") == "resolved"
                                                   or data.get("assigneeId") is None))
              or (name == "agent.availability" and data.get("available"))):
            self._wake(event.account_id)

    def _wake(self, account_id: str) -> None:
        if account_id in self._draining:
            self._draining[account_id] = True
        else:
            self._draining[account_id] = False
            self._spawn(self._drain(account_id))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, account_id: str) -> None:
        chat = self.chat
        try:
            while True:
                if not await self.enabled(account_id):
                    return
                for visitor in await chat.store.waiting_conversations(account_id, WAITING_BATCH):
                    if await assign_available(chat, visitor) is None:
                        break  # nobody can take more
                if not self._draining.get(account_id):
                    return
                self._draining[account_id] = False
        except Exception:
            log.exception("assigning waiting conversations of %s failed", account_id)
        finally:
            self._draining.pop(account_id, None)

    async def _handle(self, event: Event) -> None:
        chat = self.chat
        try:
            if not await self.enabled(event.account_id):
                return
            visitor = await chat.store.get_visitor(event.account_id, event.visitor_id)
            if visitor is None or visitor["assignee_id"] is not None or visitor["banned"]:
                return
            await assign_available(chat, visitor)
        except Exception:
            log.exception("automatic assignment failed for %s", event.visitor_id)

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def stop(self) -> None:
        self._unsubscribe()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
