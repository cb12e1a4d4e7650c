"""Team work: agents and tokens managed by owners, conversations, notes, canned responses."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import base64
from typing import Any, Awaitable, Callable, ClassVar, Literal

from ..events import Event
from ..ids import is_id, iso_ms, new_id, new_token, now_ms, hash_token
from ..schema import UNSET, Body, D, Str, UnsetType, present
from ..store.db import Conn, Row
from ..store.repo import SearchWords
from . import audit, episodes, textsearch
from .accounts import API_TOKEN_PREFIX, Principal, do_create_agent, require_owner
from .mail import transcript_on_resolve
from .sessions import revoked
from .context import Change, Chat
from .errors import Conflict, Forbidden, Invalid, NotFound
from .pagination import MAX_SEQ, Page, check_limit
from .views import agent_json, message_json, visitor_json
from .visitors import get_visitor_row



class AgentCreate(Body):
    name: Str("Name", min_length=1, max_length=200)
    email: Str("Email (sign-in name)", email=True, max_length=254)
    password: Str("Dashboard password (at least 8 characters); leave out for an API-only agent",
                  nullable=True, max_length=1024) | UnsetType = UNSET
    role: D(Literal["owner", "agent"], "owner or agent (default agent)") | UnsetType = UNSET
    bot: D(bool, "Whether the agent is a bot") | UnsetType = UNSET


class TokenCreate(Body):
    label: Str("What the token is for", min_length=1, max_length=100)
    agentId: Str("Agent the token acts as (default: you)") | UnsetType = UNSET


class Assign(Body):
    agentId: Str("Agent to assign; null unassigns", nullable=True)
    required_hints: ClassVar = {"agentId": "agentId is required (null unassigns)."}


class Status(Body):
    status: D(Literal["open", "resolved"], "open or resolved")


class NoteCreate(Body):
    text: Str("Note text", min_length=1, max_length=10_000)


class CannedCreate(Body):
    shortcut: Str("Typed after / in the composer: letters, digits, - and _", min_length=1,
                  max_length=40)
    text: Str("Inserted text", min_length=1, max_length=5000)


class CannedEdit(Body):
    shortcut: Str("New shortcut", min_length=1, max_length=40) | UnsetType = UNSET
    text: Str("New text", min_length=1, max_length=5000) | UnsetType = UNSET


AGENT_CREATE, TOKEN_CREATE, ASSIGN, STATUS, NOTE_CREATE, CANNED_CREATE, CANNED_EDIT = (
    AgentCreate, TokenCreate, Assign, Status, NoteCreate, CannedCreate, CannedEdit)


ASSIGNEE_WORDS = ("me", "none", "all")


def check_assignee(value: str) -> None:
    """The conversation list's `assignee` filter: a word, or an agent's ID."""
    if value not in ASSIGNEE_WORDS and not is_id(value):
        raise Invalid("assignee must be me, none, all or an agent ID.")


# agents and tokens

async def do_add_agent(chat: Chat, principal: Principal, body: AgentCreate) -> dict[str, Any]:
    require_owner(principal)
    password = None if body.password is UNSET else body.password
    if password is not None and len(password) < 8:
        raise Invalid("password must be at least 8 characters.")
    role = "agent" if body.role is UNSET else body.role
    bot = False if body.bot is UNSET else body.bot
    created = await do_create_agent(chat, account_id=principal.account_id, name=body.name,
                                    email=body.email, password=password, bot=bot, role=role)
    row = await chat.store.get_agent(principal.account_id, created["agentId"])
    await audit.record(chat, principal, "agent.add", "agent", created["agentId"],
                       {"role": role, "bot": bot})
    return {"agent": agent_json(row) | {"online": False}, "apiToken": created["apiToken"]}


async def do_remove_agent(chat: Chat, principal: Principal, agent_id: str) -> None:
    require_owner(principal)
    row = await chat.store.get_agent(principal.account_id, agent_id) if is_id(agent_id) else None
    if row is None:
        raise NotFound("Agent not found.")
    if agent_id == principal.agent_id:
        raise Forbidden("You cannot remove yourself.")
    await chat.store.remove_agent(agent_id, now_ms())
    revoked(chat, principal.account_id, agentId=agent_id)
    await audit.record(chat, principal, "agent.remove", "agent", agent_id)


def _token_json(row: Row) -> dict[str, Any]:
    return {"_id": row["id"], "label": row["label"], "agentId": row["agent_id"],
            "createdAt": iso_ms(row["created_at"]), "lastUsedAt": iso_ms(row["last_used_at"])}


async def list_tokens(chat: Chat, principal: Principal) -> dict[str, Any]:
    require_owner(principal)
    return {"items": [_token_json(r) for r in await chat.store.list_tokens(principal.account_id)]}


async def do_create_token(chat: Chat, principal: Principal, body: TokenCreate) -> dict[str, Any]:
    require_owner(principal)
    agent_id = body.agentId or principal.agent_id
    if not await chat.store.agent_exists(principal.account_id, agent_id):
        raise Invalid("agentId is not an agent of this account.")
    token = new_token(API_TOKEN_PREFIX)
    row = {"id": new_id(), "account_id": principal.account_id, "agent_id": agent_id,
           "token_hash": hash_token(token), "label": body.label.strip(), "created_at": now_ms()}
    await chat.store.insert_token(row)
    await audit.record(chat, principal, "token.create", "token", row["id"], {"label": row["label"]})
    return _token_json(row | {"last_used_at": None}) | {"token": token}


async def do_revoke_token(chat: Chat, principal: Principal, token_id: str) -> None:
    require_owner(principal)
    if not await chat.store.revoke_token(principal.account_id, token_id, now_ms()):
        raise NotFound("Token not found.")
    await audit.record(chat, principal, "token.revoke", "token", token_id)
    revoked(chat, principal.account_id, tokenId=token_id)


# conversations

def _activity_cursor(row: Row) -> str:
    return base64.urlsafe_b64encode(f"a{row['last_activity_at']}_{row['seq']}".encode()).decode().rstrip("=")


def decode_activity_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        if len(cursor) > 200:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, seq = raw[1:].split("_")
        if not raw.startswith("a"):
            raise ValueError
        if not (0 <= int(at) <= MAX_SEQ and 0 <= int(seq) <= MAX_SEQ):
            raise ValueError
        return int(at), int(seq)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("cursor is not a cursor this server gave out.") from None


async def conversation_objects(chat: Chat, rows: list[Row]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    agents = await chat.store.visitor_agents(ids)
    last = await chat.store.last_messages(ids)
    unread = await chat.store.unread_counts(ids)
    return [{
        "visitor": visitor_json(r, agents[r["id"]]),
        "online": chat.presence.visitor_online(r["id"]),
        "unread": unread.get(r["id"], 0),
        "lastMessage": message_json(last[r["id"]]) if r["id"] in last else None,
        "status": r["status"],
        "assigneeId": r["assignee_id"],
        "lastActivityAt": iso_ms(r["last_activity_at"]),
        "startedAt": iso_ms(r["conversation_at"]),
    } for r in rows]


async def list_conversations(chat: Chat, principal: Principal, params: Any) -> Page:
    size = check_limit(params.get("limit"))
    status = params.get("status") or "all"
    if status not in ("open", "resolved", "all"):
        raise Invalid("status must be open, resolved or all.")
    assignee = params.get("assignee") or "all"
    query = (params.get("q") or "").strip()[:200] or None
    found = textsearch.message_query_words(query) if query else []
    search = SearchWords(textsearch.fts5_all(found), textsearch.tsquery_all(found),
                         textsearch.like_patterns(found)) if found else None
    rows = await chat.store.list_conversations(
        principal.account_id, status=None if status == "all" else status,
        assignee=principal.agent_id if assignee == "me" else (None if assignee in ("all", "none") else assignee),
        unassigned=assignee == "none", query=query, label=params.get("label") or None, search=search,
        before=decode_activity_cursor(params.get("cursor")), limit=size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return Page(await conversation_objects(chat, rows), _activity_cursor(rows[-1]) if more else None)


async def get_conversation(chat: Chat, principal: Principal, visitor_id: str) -> dict[str, Any]:
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    return (await conversation_objects(chat, [row]))[0] | {
        "episode": await episodes.current_episode(chat, row["id"])}


async def _conversation_changed(chat: Chat, row: Row,
                                also: Callable[[Conn], Awaitable[None]] | None = None, *,
                                episode: Callable[[Change], Awaitable[None]] | None = None,
                                by: str | None = None, **changes: Any) -> dict[str, Any]:
    """One transaction: the visitor's row, then `episode` (the episode's side of it: closing it,
    the assignment history) and `also` (the transcript email on resolve), so a failure anywhere
    leaves all of it as it was. `by` is the agent who made the change (no alert for assigning
    oneself)."""
    async with chat.change() as change:
        # The visitor's row first: a message's transaction locks it before the episode's row too.
        await chat.store.update_visitor(row["id"], changes, conn=change.tx)
        if episode is not None:
            await episode(change)
        if also is not None:
            await also(change.tx)
    fresh = await chat.store.get_visitor(row["account_id"], row["id"])
    conversation = (await conversation_objects(chat, [fresh]))[0]
    chat.send_event(Event("conversation.updated", row["account_id"], row["id"], conversation,
                          agents_only=True))
    assignee = changes.get("assignee_id")
    if assignee and assignee != row["assignee_id"]:
        announce_assignment(chat, row["account_id"], row["id"], assignee, row["assignee_id"], by)
    return conversation


def announce_assignment(chat: Chat, account_id: str, visitor_id: str, agent_id: str,
                        previous: str | None, by: str | None) -> None:
    """`conversation.assigned`: alerts the new assignee (dashboard notification, Web Push) unless
    they did it themselves. Every path that gives a conversation a new assignee calls this."""
    chat.send_event(Event("conversation.assigned", account_id, visitor_id, {
        "visitorId": visitor_id, "agentId": agent_id, "previousAgentId": previous,
        "byAgentId": by}, agents_only=True))


async def announce_conversation(chat: Chat, account_id: str, visitor_id: str) -> None:
    """A visitor just became a conversation (its first message): agents' inboxes add the row."""
    row = await chat.store.get_visitor(account_id, visitor_id)
    if row is None:  # erased in the meantime
        return
    conversation = (await conversation_objects(chat, [row]))[0]
    chat.send_event(Event("conversation.updated", account_id, visitor_id, conversation,
                          agents_only=True))


async def do_assign(chat: Chat, principal: Principal, visitor_id: str, body: Assign) -> dict[str, Any]:
    agent_id = body.agentId
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    if agent_id is not None and not await chat.store.agent_exists(principal.account_id, agent_id):
        raise Invalid("agentId is not an agent of this account.")
    async def history(change: Change) -> None:
        await episodes.on_assigned(chat, change.tx, row, agent_id, principal.agent_id)

    return await _conversation_changed(chat, row, episode=history, by=principal.agent_id,
                                       assignee_id=agent_id)


async def do_set_status(chat: Chat, row: Row, status: str, by: str | None = None,
                        also: Callable[[Conn], Awaitable[None]] | None = None) -> dict[str, Any]:
    """Every status change, in one transaction: the visitor's status, the episode closed on
    resolve (its webhook, the rating request) and `also` (the transcript email)."""
    async def close(change: Change) -> None:
        await episodes.on_resolved(chat, change, row, by)

    return await _conversation_changed(chat, row, also=also, status=status,
                                       episode=close if status == "resolved" else None)


async def do_change_status(chat: Chat, principal: Principal, visitor_id: str,
                           body: Status) -> dict[str, Any]:
    status = body.status
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    also = None
    if status == "resolved" and row["status"] != "resolved":
        also = await transcript_on_resolve(chat, row)
    return await do_set_status(chat, row, status, principal.agent_id, also=also)


# private notes: stored apart from messages, published to agents only

def _note_json(row: Row | dict[str, Any]) -> dict[str, Any]:
    return {"_id": row["id"], "userId": row["user_id"], "visitorId": row["visitor_id"],
            "text": row["text"], "createdAt": iso_ms(row["created_at"])}


async def do_add_note(chat: Chat, principal: Principal, visitor_id: str, body: NoteCreate) -> dict[str, Any]:
    text = body.text
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    note = {"id": new_id(), "account_id": principal.account_id, "visitor_id": row["id"],
            "user_id": principal.agent_id, "text": text, "created_at": now_ms()}
    await chat.store.insert_note(note)
    data = _note_json(note)
    chat.send_event(Event("note.created", principal.account_id, row["id"], data, agents_only=True))
    return data


async def list_notes(chat: Chat, principal: Principal, visitor_id: str) -> dict[str, Any]:
    row = await get_visitor_row(chat, principal.account_id, visitor_id)
    return {"items": [_note_json(r) for r in await chat.store.list_notes(row["id"])]}


# canned responses

def _check_shortcut(shortcut: str) -> str:
    shortcut = shortcut.strip().lstrip("/")
    if not shortcut or not all(c.isalnum() or c in "-_" for c in shortcut):
        raise Invalid("shortcut may hold only letters, digits, - and _.")
    return shortcut


def _canned_json(row: Row | dict[str, Any]) -> dict[str, Any]:
    return {"_id": row["id"], "shortcut": row["shortcut"], "text": row["text"]}


async def list_canned(chat: Chat, principal: Principal) -> dict[str, Any]:
    return {"items": [_canned_json(r) for r in await chat.store.list_canned(principal.account_id)]}


async def do_add_canned(chat: Chat, principal: Principal, body: CannedCreate) -> dict[str, Any]:
    shortcut = _check_shortcut(body.shortcut)
    if await chat.store.canned_shortcut_taken(principal.account_id, shortcut):
        raise Conflict("A canned response with this shortcut exists.")
    row = {"id": new_id(), "account_id": principal.account_id, "shortcut": shortcut,
           "text": body.text, "created_at": now_ms()}
    await chat.store.insert_canned(row)
    return _canned_json(row)


async def do_edit_canned(chat: Chat, principal: Principal, canned_id: str,
                         body: CannedEdit) -> dict[str, Any]:
    data = present(body)
    row = await chat.store.get_canned(principal.account_id, canned_id)
    if row is None:
        raise NotFound("Canned response not found.")
    shortcut = _check_shortcut(data.get("shortcut", row["shortcut"]))
    if await chat.store.canned_shortcut_taken(principal.account_id, shortcut, except_id=canned_id):
        raise Conflict("A canned response with this shortcut exists.")
    text = data.get("text", row["text"])
    await chat.store.update_canned(canned_id, shortcut, text)
    return {"_id": canned_id, "shortcut": shortcut, "text": text}


async def do_delete_canned(chat: Chat, principal: Principal, canned_id: str) -> None:
    if not await chat.store.delete_canned(principal.account_id, canned_id):
        raise NotFound("Canned response not found.")
