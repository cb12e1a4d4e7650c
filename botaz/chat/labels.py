"""Account labels with colours, put on conversations (the visitor's current episode)."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

from typing import Any, ClassVar

from ..events import Event
from ..ids import iso_ms, is_id, new_id, now_ms
from ..schema import UNSET, Body, Str, UnsetType
from ..store.db import Row
from . import audit
from .accounts import Principal, require_owner
from .context import Chat
from .episodes import episode_objects
from .errors import Conflict, Invalid, NotFound
from .settings import COLOR_RE
from .visitors import get_visitor_row



class LabelCreate(Body):
    name: Str("Name, unique in the account", min_length=1, max_length=50)
    color: Str("Colour, #rrggbb", max_length=7)
    __example__: ClassVar = {"name": "billing", "color": "#d97706"}


class LabelEdit(Body):
    name: Str("New name", min_length=1, max_length=50) | UnsetType = UNSET
    color: Str("New colour, #rrggbb", max_length=7) | UnsetType = UNSET


class LabelAdd(Body):
    labelId: Str("The label to put on the conversation")


LABEL_CREATE, LABEL_EDIT, LABEL_ADD = LabelCreate, LabelEdit, LabelAdd


def label_json(row: Row | dict[str, Any]) -> dict[str, Any]:
    return {"_id": row["id"], "name": row["name"], "color": row["color"],
            "createdAt": iso_ms(row["created_at"])}


def _check(name: str | None, color: str | None) -> None:
    if name is not None and not name.strip():
        raise Invalid("name must not be empty.")
    if color is not None and not COLOR_RE.match(color):
        raise Invalid("color must be a colour like #d97706.")


async def _get(chat: Chat, account_id: str, label_id: str) -> Row:
    row = await chat.store.get_label(account_id, label_id) if is_id(label_id) else None
    if row is None:
        raise NotFound("Label not found.")
    return row


async def list_labels(chat: Chat, principal: Principal) -> dict[str, Any]:
    return {"items": [label_json(r) for r in await chat.store.list_labels(principal.account_id)]}


async def do_create_label(chat: Chat, principal: Principal, body: LabelCreate) -> dict[str, Any]:
    require_owner(principal)
    name, color = body.name.strip(), body.color
    _check(name, color)
    if await chat.store.label_name_taken(principal.account_id, name):
        raise Conflict("A label with this name exists.")
    row = {"id": new_id(), "account_id": principal.account_id, "name": name,
           "color": color.lower(), "created_at": now_ms()}
    await chat.store.insert_label(row)
    await audit.record(chat, principal, "label.create", "label", row["id"], {"name": name})
    return label_json(row)


async def do_edit_label(chat: Chat, principal: Principal, label_id: str, body: LabelEdit) -> dict[str, Any]:
    require_owner(principal)
    row = await _get(chat, principal.account_id, label_id)
    name = row["name"] if body.name is UNSET else body.name.strip()
    color = row["color"] if body.color is UNSET else body.color
    _check(name, color)
    if await chat.store.label_name_taken(principal.account_id, name, except_id=row["id"]):
        raise Conflict("A label with this name exists.")
    await chat.store.update_label(row["id"], name, color.lower())
    return label_json({**row, "name": name, "color": color.lower()})


async def do_delete_label(chat: Chat, principal: Principal, label_id: str) -> None:
    require_owner(principal)
    row = await _get(chat, principal.account_id, label_id)
    await chat.store.delete_label(principal.account_id, row["id"])
    await audit.record(chat, principal, "label.delete", "label", row["id"], {"name": row["name"]})


async def _relabel(chat: Chat, principal: Principal, visitor_id: str, label_id: str,
                   add: bool) -> dict[str, Any]:
    visitor = await get_visitor_row(chat, principal.account_id, visitor_id)
    label = await _get(chat, principal.account_id, label_id)
    async with chat.change() as change:
        episode = await chat.store.latest_episode(visitor["id"], conn=change.tx)
        if episode is None:
            raise Conflict("This visitor has no conversation yet: labels go on a conversation.")
        if add:
            changed = await chat.store.add_episode_label(episode["id"], label["id"], visitor["id"],
                                                         principal.agent_id, now_ms(), conn=change.tx)
        else:
            changed = await chat.store.remove_episode_label(episode["id"], label["id"],
                                                            conn=change.tx)
        data = (await episode_objects(chat, [episode], conn=change.tx))[0]
        if changed:
            change.emit(Event("conversation.labeled", visitor["account_id"], visitor["id"],
                              data | {"added" if add else "removed": label_json(label)},
                              agents_only=True))
    return data


async def do_add_label(chat: Chat, principal: Principal, visitor_id: str, body: LabelAdd) -> dict[str, Any]:
    return await _relabel(chat, principal, visitor_id, body.labelId, True)


async def do_remove_label(chat: Chat, principal: Principal, visitor_id: str,
                          label_id: str) -> dict[str, Any]:
    return await _relabel(chat, principal, visitor_id, label_id, False)
