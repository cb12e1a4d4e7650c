"""A conversation's change is one transaction: resolving (the episode, its webhook event, the
rating request, the visitor's status, the transcript email) and assigning (the assignee and the
episode's assignment history) either happen whole or not at all."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest

from conftest import _run

from botaz.chat import messages, team
from botaz.chat.accounts import Principal, do_create_account
from botaz.chat.schemas import WidgetMessageCreate, WidgetVisitorCreate
from botaz.chat.visitors import do_create_visitor


class Injected(Exception):
    pass


async def _conversation(chat: Any) -> tuple[Principal, dict[str, Any]]:
    """An account whose outbox keeps every durable event, and a visitor who wrote (an open episode)."""
    acct = await do_create_account(chat, name="A", agent_name="Anar",
                                   agent_email=f"{secrets.token_hex(4)}@example.com",
                                   agent_password="secret-pass")
    chat.cache.remember_webhooks(acct["accountId"], True)  # as if a webhook listened
    me = Principal(account_id=acct["accountId"], agent_id=acct["agentId"], role="owner",
                   is_bot=False, token_id=None)
    created = await do_create_visitor(chat, WidgetVisitorCreate(siteKey=acct["siteKey"]), None)
    visitor = await chat.store.get_visitor(acct["accountId"], created["visitorId"])
    await messages.do_send_visitor_message(chat, visitor, WidgetMessageCreate(text="hello"))
    return me, await chat.store.get_visitor(acct["accountId"], created["visitorId"])


async def _outbox(chat: Any, visitor_id: str) -> list[str]:
    rows = await chat.store.db.fetchall("SELECT name FROM events WHERE visitor_id = ? ORDER BY seq",
                                        (visitor_id,))
    return [r["name"] for r in rows]


def test_a_failed_resolve_leaves_the_conversation_and_its_episode_open(database_url) -> None:
    async def go(chat: Any) -> None:
        me, visitor = await _conversation(chat)
        heard: list[str] = []
        chat.bus.subscribe(lambda event: heard.append(event.name))

        async def transcript_fails(tx: Any) -> None:
            raise Injected("the transcript email could not be queued")

        with pytest.raises(Injected):
            await team.do_set_status(chat, visitor, "resolved", me.agent_id, also=transcript_fails)
        assert (await chat.store.get_visitor(me.account_id, visitor["id"]))["status"] == "open"
        assert await chat.store.open_episode(visitor["id"]) is not None
        assert "conversation.resolved" not in await _outbox(chat, visitor["id"])
        assert not {"conversation.resolved", "conversation.rating_requested",
                    "conversation.updated"} & set(heard)

        conversation = await team.do_set_status(chat, visitor, "resolved", me.agent_id)
        assert conversation["status"] == "resolved"
        assert await chat.store.open_episode(visitor["id"]) is None
        assert (await chat.store.latest_episode(visitor["id"]))["resolved_by"] == me.agent_id
        assert "conversation.resolved" in await _outbox(chat, visitor["id"])
        assert heard.index("conversation.resolved") < heard.index("conversation.updated")
        assert "conversation.rating_requested" in heard

    asyncio.run(_run(database_url, go))


def test_a_failed_assignment_writes_no_history(database_url) -> None:
    async def go(chat: Any) -> None:
        me, visitor = await _conversation(chat)
        episode_id = (await chat.store.open_episode(visitor["id"]))["id"]
        update_visitor = chat.store.update_visitor

        async def fails_on_assignee(visitor_id: str, changes: dict[str, Any], conn: Any = None) -> None:
            await update_visitor(visitor_id, changes, conn=conn)
            if "assignee_id" in changes:
                raise Injected("the assignee could not be stored")

        chat.store.update_visitor = fails_on_assignee
        with pytest.raises(Injected):
            await team.do_assign(chat, me, visitor["id"], team.Assign(agentId=me.agent_id))
        chat.store.update_visitor = update_visitor
        assert (await chat.store.get_visitor(me.account_id, visitor["id"]))["assignee_id"] is None
        assert (await chat.store.episode_assignments([episode_id]))[episode_id] == []

        await team.do_assign(chat, me, visitor["id"], team.Assign(agentId=me.agent_id))
        history = (await chat.store.episode_assignments([episode_id]))[episode_id]
        assert [(h["agent_id"], h["assigned_by"]) for h in history] == [(me.agent_id, me.agent_id)]
        assert (await chat.store.get_visitor(me.account_id, visitor["id"]))["assignee_id"] == me.agent_id

    asyncio.run(_run(database_url, go))
