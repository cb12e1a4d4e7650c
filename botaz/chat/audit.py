"""The audit log: who edited or deleted which message, who changed, banned or erased a visitor,
and who changed agents, tokens, settings, webhooks and the bot. Owners read it."""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

from typing import Any

import msgspec
import orjson

from ..ids import iso_ms, new_id, now_ms
from ..schema import D, Reply, Str
from ..store.db import Conn, Row
from .accounts import Principal, require_owner
from .context import Change, Chat
from .pagination import Page, check_limit, decode_cursor, make_page

class AuditEntry(Reply, kw_only=True):
    id_: Str("Entry ID") = msgspec.field(name="_id")
    agentId: Str("Who did it (an agent ID, or system)")
    action: Str("What, e.g. message.edit, visitor.ban, token.revoke")
    targetType: Str("message, visitor, agent, token, settings, webhook or bot")
    targetId: Str("Which one")
    details: D(dict[str, Any], "Extra facts, e.g. changed fields")
    at: Str("When", fmt="date-time")


AUDIT_ENTRY = AuditEntry


def entry(principal: Principal | None, action: str, target_type: str, target_id: str,
          details: dict[str, Any] | None = None, account_id: str | None = None) -> dict[str, Any]:
    return {"id": new_id(), "account_id": account_id or (principal.account_id if principal else ""),
            "agent_id": principal.agent_id if principal else "system", "action": action,
            "target_type": target_type, "target_id": target_id,
            "details": orjson.dumps(details or {}).decode(), "at": now_ms()}


def note(change: Change, principal: Principal | None, action: str, target_type: str,
         target_id: str, details: dict[str, Any] | None = None) -> None:
    """Audit inside a change: stored in its transaction, so the log matches what happened."""
    if principal is not None:
        change.audit.append(entry(principal, action, target_type, target_id, details))


async def record(chat: Chat, principal: Principal, action: str, target_type: str, target_id: str,
                 details: dict[str, Any] | None = None, conn: Conn | None = None) -> None:
    await chat.store.insert_audit(entry(principal, action, target_type, target_id, details), conn=conn)


def audit_json(row: Row) -> dict[str, Any]:
    return {"_id": row["id"], "agentId": row["agent_id"], "action": row["action"],
            "targetType": row["target_type"], "targetId": row["target_id"],
            "details": orjson.loads(row["details"]), "at": iso_ms(row["at"])}


async def list_audit(chat: Chat, principal: Principal, cursor: str | None, limit: Any) -> Page:
    require_owner(principal)
    size = check_limit(limit)
    rows = await chat.store.list_audit(principal.account_id, decode_cursor(cursor), size + 1)
    return make_page(rows, size, audit_json)
