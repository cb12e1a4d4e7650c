"""Who can take a conversation now: agents' Online/Away and the site's online state.

An agent is *available* when all of these hold: a human (not a bot), signed in to the dashboard
(a socket opened with a dashboard session is open, on any node: an API token's socket never
counts), and set to Online. Online/Away is stored (`agents.availability`); `away_auto` tells an
automatic Away (idle in the dashboard) from one chosen by hand, since only the first ends by
itself when the agent comes back. Closing every dashboard tab needs no write: with no session
socket left the agent is not available, and opening one makes them available again unless they
chose Away.

A site is online (`GET /widget/v1/config` `online`) while one of its agents is available and,
where business hours are set, now is inside them.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

from typing import Any, ClassVar, Literal

import orjson

from ..events import Event
from ..ids import is_id, now_ms
from ..schema import UNSET, Body, D, Reply, UnsetType
from ..store.db import Row
from . import audit
from .accounts import Principal, require_owner
from .context import Chat
from .errors import Invalid, NotFound
from .hours import in_business_hours
from .settings import settings_of
from .views import agent_json

STATUSES = ("online", "away")
MAX_CAPACITY = 1000



class AvailabilityEdit(Body):
    status: D(Literal["online", "away"], "online or away")
    auto: D(bool, "Set by the dashboard's idle timer rather than by hand: an automatic away only "
                  "replaces online, and an automatic online only ends an automatic away "
                  "(default false)") | UnsetType = UNSET


class Availability(Reply):
    status: D(Literal["online", "away"], "What the agent chose (or the idle timer set)")
    auto: D(bool, "Whether an away was set by the idle timer")
    available: D(bool, "Whether the agent can take conversations now: a human, set to online, "
                       "with a dashboard tab open")


class AgentEdit(Body):
    maxConversations: D(int | None, "Most open conversations automatic assignment gives this "
                                    "agent (0 to 1000); null: no limit")
    required_hints: ClassVar = {"maxConversations": "maxConversations is required (null: no limit)."}


AVAILABILITY_EDIT, AVAILABILITY, CAPACITY_EDIT = AvailabilityEdit, Availability, AgentEdit


def is_available(chat: Chat, row: Row) -> bool:
    return (not row["is_bot"] and row["availability"] == "online"
            and chat.presence.dashboard_online(row["id"]))


def availability_json(chat: Chat, row: Row) -> dict[str, Any]:
    return {"status": row["availability"], "auto": bool(row["away_auto"]),
            "available": is_available(chat, row)}


async def available_agents(chat: Chat, account_id: str) -> list[str]:
    """The account's available agents, oldest first."""
    present = chat.presence.dashboard_agents(account_id)
    if not present:
        return []
    return await chat.store.online_agents(account_id, sorted(present))


async def business_hours(chat: Chat, account: Row) -> dict[str, Any] | None:
    """The account's business hours; an account that never set any keeps those its bot had
    before they became an account setting."""
    stored = orjson.loads(account["settings"] or "{}")
    if "businessHours" not in stored:
        bot = await chat.store.get_bot(account["id"])
        if bot is not None:
            legacy = orjson.loads(bot["config"]).get("businessHours")
            if legacy:
                return legacy
    return settings_of(account)["businessHours"]


async def site_online(chat: Chat, account: Row, now: int | None = None) -> bool:
    if not chat.presence.dashboard_agents(account["id"]):
        return False  # the common case of nobody in the dashboard costs no query
    if not in_business_hours(await business_hours(chat, account), now or now_ms()):
        return False
    return bool(await available_agents(chat, account["id"]))


async def get_availability(chat: Chat, principal: Principal) -> dict[str, Any]:
    row = await chat.store.get_agent(principal.account_id, principal.agent_id)
    if row is None:
        raise NotFound("Agent not found.")
    return availability_json(chat, row)


async def do_set_availability(chat: Chat, principal: Principal, body: AvailabilityEdit) -> dict[str, Any]:
    status, auto = body.status, body.auto is True
    if auto:
        # The idle timer never overrides a choice made by hand.
        await chat.store.set_availability(principal.agent_id, status, status == "away",
                                          only_if="online" if status == "away" else "auto")
    else:
        await chat.store.set_availability(principal.agent_id, status, False)
    return await announce(chat, principal.account_id, principal.agent_id)


async def announce(chat: Chat, account_id: str, agent_id: str) -> dict[str, Any]:
    """Tells every dashboard (and the widgets' watch) an agent's availability now."""
    row = await chat.store.get_agent(account_id, agent_id)
    if row is None:
        return {}
    state = availability_json(chat, row)
    if row["is_bot"]:
        return state  # a bot is never available: nothing changed for anyone
    chat.send_event(Event("agent.availability", account_id, "", {"agentId": agent_id, **state},
                          agents_only=True))
    return state


async def do_set_capacity(chat: Chat, principal: Principal, agent_id: str, body: AgentEdit) -> dict[str, Any]:
    require_owner(principal)
    value = body.maxConversations
    if value is not None and not 0 <= value <= MAX_CAPACITY:
        raise Invalid(f"maxConversations must be from 0 to {MAX_CAPACITY}, or null.")
    row = await chat.store.get_agent(principal.account_id, agent_id) if is_id(agent_id) else None
    if row is None:
        raise NotFound("Agent not found.")
    await chat.store.set_agent_capacity(agent_id, value)
    await audit.record(chat, principal, "agent.capacity", "agent", agent_id,
                       {"maxConversations": value})
    row = await chat.store.get_agent(principal.account_id, agent_id)
    counts = await chat.store.open_assigned_counts(principal.account_id)
    return agent_status_json(chat, row, counts)


def agent_status_json(chat: Chat, row: Row, counts: dict[str, int]) -> dict[str, Any]:
    return agent_json(row) | {
        "online": chat.presence.agent_online(row["id"]),
        "availability": "online" if is_available(chat, row) else "away",
        "maxConversations": row["max_open"],
        "openConversations": counts.get(row["id"], 0),
    }
