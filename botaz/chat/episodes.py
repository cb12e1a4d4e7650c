"""Conversations as episodes: a visitor's messages fall into conversations that open with a
message and close when resolved; the next message opens the next one.

Each episode records when it opened and who wrote first, its first human response, the first bot
answer, the assignments over time, when and by whom it was resolved, its rating and its labels.
The message path pays for this only when something changes: the open episode's state is cached
per visitor (and carried across nodes by an internal event), so an ongoing conversation costs no
extra statement, its first message one insert and its first human answer one update, in the
message's own transaction.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

from typing import Any, ClassVar

from ..events import Event
from ..ids import iso_ms, new_id, now_ms
from ..schema import UNSET, Body, D, Str, UnsetType
from ..store.db import Conn, Row
from .accounts import Principal
from .cache import EPISODE
from .context import Chat, Change
from .errors import Conflict, Invalid
from .pagination import Page, check_limit, decode_cursor, make_page
from .settings import get_settings, settings_of
from .visitors import get_visitor_row



class Rating(Body):
    score: D(int, "1 (very unhappy) to 5 (very happy)")
    comment: Str("What the visitor wants to add", nullable=True, max_length=1000) | UnsetType = UNSET
    __example__: ClassVar = {"score": 5, "comment": "Quick and kind, thank you!"}


RATING = Rating


async def on_message(chat: Chat, change: Change, visitor: Row, user_id: str | None, by_bot: bool,
                     at: int) -> None:
    """Called inside the message's transaction: opens an episode or records a first answer."""
    visitor_id = visitor["id"]
    state = chat.cache.episodes.get(visitor_id)
    human = user_id is not None and not by_bot
    if (state is not None and state[0] and not (human and not state[1])
            and not (by_bot and not state[2])):
        return  # the common case: an episode is open and nothing about it changes
    tx = change.tx
    if state is None or not state[0]:
        # Concurrent first messages of one visitor: each takes the visitor's row lock before the
        # episode's unique index entry, never after (PostgreSQL found the reverse a deadlock
        # with a message whose transaction had already updated the row).
        await chat.store.lock_visitor(visitor_id, conn=tx)
        # not known here (one select), or known to be closed (straight to the insert)
        row = await chat.store.open_episode(visitor_id, conn=tx) if state is None else None
        if row is None and by_bot:
            # A bot alone opens no conversation (a greeting nobody answered is not one), as in
            # the inbox; the visitor's reply or a person's message opens it.
            if state is None:
                _remember(change, visitor, CLOSED)
            return
        if row is None:
            episode = {"id": new_id(), "account_id": visitor["account_id"],
                       "visitor_id": visitor_id, "opened_at": at, "opened_by": user_id,
                       "first_response_at": at if human else None,
                       "first_responder_id": user_id if human else None,
                       "first_bot_at": at if by_bot else None,
                       "assignee_id": visitor["assignee_id"]}
            if await chat.store.insert_episode(episode, conn=tx):
                _remember(change, visitor, (episode["id"], human, by_bot))
                return
            row = await chat.store.open_episode(visitor_id, conn=tx)  # opened by another node
            assert row is not None
        state = (row["id"], row["first_response_at"] is not None, row["first_bot_at"] is not None)
    episode_id, answered, bot_answered = state
    if human and user_id is not None and not answered:
        await chat.store.episode_first_response(episode_id, user_id, at, conn=tx)
        answered = True
    elif by_bot and not bot_answered:
        await chat.store.episode_first_bot(episode_id, at, conn=tx)
        bot_answered = True
    _remember(change, visitor, (episode_id, answered, bot_answered))


CLOSED = ("", False, False)  # the cached state of a visitor known to have no open episode


def _remember(change: Change, visitor: Row, state: tuple[str, bool, bool]) -> None:
    # Published after the commit, so no node caches an episode whose transaction rolled back.
    change.emit(Event(EPISODE, visitor["account_id"], visitor["id"], {"state": state}))


async def on_resolved(chat: Chat, change: Change, visitor: Row, by: str | None) -> None:
    """Called inside the resolving change (with the visitor's status): closes the open episode,
    if any; tells webhooks, and the widget when it should ask for a rating."""
    episode_id = await chat.store.resolve_episode(visitor["id"], by, now_ms(), conn=change.tx)
    if episode_id is None:
        return
    _remember(change, visitor, CLOSED)
    row = await chat.store.latest_episode(visitor["id"], conn=change.tx)
    episode = (await episode_objects(chat, [row], conn=change.tx))[0]
    change.emit(Event("conversation.resolved", visitor["account_id"], visitor["id"], episode,
                      agents_only=True))
    # Read on the change's connection: a second one from a full PostgreSQL pool could deadlock.
    account = await chat.store.get_account(visitor["account_id"], conn=change.tx)
    if account is not None and settings_of(account)["satisfaction"]["enabled"]:
        change.emit(Event("conversation.rating_requested", visitor["account_id"], visitor["id"],
                          {"conversationId": episode_id}))


async def on_assigned(chat: Chat, tx: Conn, visitor: Row, agent_id: str | None,
                      by: str | None) -> None:
    """The assignment history, written in the assignment's own transaction."""
    await chat.store.assign_episode(visitor["id"], agent_id, by, now_ms(), conn=tx)


def episode_json(row: Row, labels: list[Row]) -> dict[str, Any]:
    opened, answered, resolved = row["opened_at"], row["first_response_at"], row["resolved_at"]
    return {
        "_id": row["id"],
        "visitorId": row["visitor_id"],
        "openedAt": iso_ms(opened),
        "openedBy": row["opened_by"],
        "firstResponseAt": iso_ms(answered),
        "firstResponderId": row["first_responder_id"],
        # conversations an agent started have no response time: nobody waited
        "firstResponseMs": answered - opened if answered is not None and row["opened_by"] is None
        else None,
        "botAnsweredAt": iso_ms(row["first_bot_at"]),
        "assigneeId": row["assignee_id"],
        "status": "open" if resolved is None else "resolved",
        "resolvedAt": iso_ms(resolved),
        "resolvedBy": row["resolved_by"],
        "resolutionMs": resolved - opened if resolved is not None else None,
        "resolvedByBot": resolved is not None and answered is None and row["first_bot_at"] is not None,
        "rating": None if row["rating"] is None else {
            "score": row["rating"], "comment": row["rating_comment"], "ratedAt": iso_ms(row["rated_at"])},
        "labels": [{"_id": label["id"], "name": label["name"], "color": label["color"]}
                   for label in labels],
    }


async def episode_objects(chat: Chat, rows: list[Row], conn: Conn | None = None) -> list[dict[str, Any]]:
    labels = await chat.store.episode_labels([r["id"] for r in rows], conn=conn)
    return [episode_json(r, labels[r["id"]]) for r in rows]


async def current_episode(chat: Chat, visitor_id: str) -> dict[str, Any] | None:
    """The open episode, or the last resolved one; None before the first message."""
    row = await chat.store.latest_episode(visitor_id)
    return None if row is None else (await episode_objects(chat, [row]))[0]


async def all_episodes(chat: Chat, visitor_id: str) -> list[dict[str, Any]]:
    """Every episode of a visitor, oldest first (the visitor's data export: ratings and comments
    are the visitor's words)."""
    rows = await chat.store.list_episodes(visitor_id, None, 100_000)
    return await episode_objects(chat, list(reversed(rows)))


async def list_history(chat: Chat, principal: Principal, visitor_id: str, cursor: str | None,
                       limit: Any) -> Page:
    size = check_limit(limit)
    visitor = await get_visitor_row(chat, principal.account_id, visitor_id)
    rows = await chat.store.list_episodes(visitor["id"], decode_cursor(cursor), size + 1)
    page_rows = rows[:size]
    labels = await chat.store.episode_labels([r["id"] for r in page_rows])
    assignments = await chat.store.episode_assignments([r["id"] for r in page_rows])
    return make_page(rows, size, lambda r: episode_json(r, labels.get(r["id"], [])) | {
        "assignments": [{"agentId": a["agent_id"], "by": a["assigned_by"], "at": iso_ms(a["at"])}
                        for a in assignments.get(r["id"], [])]})


# satisfaction

def check_rating(body: Rating) -> tuple[int, str | None]:
    score = body.score
    if not 1 <= score <= 5:
        raise Invalid("score must be an integer from 1 to 5.")
    comment = None if body.comment is UNSET else body.comment
    if comment is not None:
        comment = comment.strip() or None
    return score, comment


def _rating_json(row: Row, ask: bool) -> dict[str, Any]:
    return {"conversationId": row["id"], "status": "open" if row["resolved_at"] is None else "resolved",
            "ask": ask and row["resolved_at"] is not None and row["rating"] is None,
            "score": row["rating"], "comment": row["rating_comment"], "ratedAt": iso_ms(row["rated_at"])}


async def visitor_rating(chat: Chat, visitor: Row) -> dict[str, Any]:
    """What the widget needs to know: whether to ask for a rating, and the one given."""
    row = await chat.store.latest_episode(visitor["id"])
    ask = (await get_settings(chat, visitor["account_id"]))["satisfaction"]["enabled"]
    if row is None:
        return {"conversationId": None, "status": None, "ask": False, "score": None,
                "comment": None, "ratedAt": None}
    return _rating_json(row, ask)


async def do_rate(chat: Chat, visitor: Row, body: Rating) -> dict[str, Any]:
    """Rates the visitor's current conversation (open or just resolved); a new rating replaces
    the previous one."""
    score, comment = check_rating(body)
    async with chat.change() as change:
        row = await chat.store.latest_episode(visitor["id"], conn=change.tx)
        if row is None:
            raise Conflict("There is no conversation to rate yet: write a message first.")
        await chat.store.rate_episode(row["id"], score, comment, now_ms(), conn=change.tx)
        row = await chat.store.latest_episode(visitor["id"], conn=change.tx)
        episode = (await episode_objects(chat, [row], conn=change.tx))[0]
        change.emit(Event("conversation.rated", visitor["account_id"], visitor["id"], episode,
                          agents_only=True))
    return _rating_json(row, False)
