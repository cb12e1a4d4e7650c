"""Proactive messages: rules by which the widget speaks first (docs/widget.md).

The rules are an account setting (`proactive`, replaced whole). The widget decides when a rule's
conditions hold (page URL, seconds on the page, number of visits, which it counts in the
browser) and asks the server to fire it; the server says the rule's text, from the rule's agent,
at most once per rule per visitor (table proactive_shown), whoever asks and however often.
Proactive messages count as automatic ones (`by_bot`): a greeting nobody answered does not
make the visitor a conversation.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

import re
from typing import Any

from ..ids import now_ms
from ..schema import UNSET, Body, D, Str, UnsetType, present
from ..store.db import Row
from .context import Chat
from .errors import Invalid, NotFound

MAX_RULES = 20
RULE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")



class ProactiveRule(Body):
    id: Str("The rule's own name: letters, digits, - and _ (at most 40)", min_length=1, max_length=40)
    text: Str("What the message says", min_length=1, max_length=1000)
    agentId: Str("The agent (or bot) who says it", min_length=1, max_length=40)
    enabled: D(bool, "Off: the rule never fires (default on)") | UnsetType = UNSET
    urlContains: Str("Only on pages whose URL contains this text; null: any page", nullable=True,
                     max_length=200) | UnsetType = UNSET
    afterSeconds: D(int, "Seconds on the page before it fires (0 to 3600, default 0)") | UnsetType = UNSET
    minVisits: D(int, "Only from this visit on (1 to 1000, default 1); the widget counts a new "
                      "visit after 30 minutes away") | UnsetType = UNSET
    attribute: D(dict[str, Any] | None, "Only for visitors whose custom attributes hold all these "
                                        "key/value pairs") | UnsetType = UNSET


class ProactiveFire(Body):
    ruleId: Str("The rule whose conditions hold", min_length=1, max_length=40)


RULE, FIRE = ProactiveRule, ProactiveFire


async def check_rules(chat: Chat, account_id: str,
                      rules: list[ProactiveRule]) -> list[dict[str, Any]]:
    if len(rules) > MAX_RULES:
        raise Invalid(f"proactive must be a list of at most {MAX_RULES} rules.")
    checked: list[dict[str, Any]] = []
    for rule in rules:
        r = present(rule)
        if not RULE_ID_RE.match(r["id"]):
            raise Invalid("proactive[].id must be letters, digits, - and _ (at most 40).")
        if any(c["id"] == r["id"] for c in checked):
            raise Invalid("proactive[].id must be different for each rule.")
        seconds = r.get("afterSeconds", 0)
        visits = r.get("minVisits", 1)
        if not 0 <= seconds <= 3600:
            raise Invalid("proactive[].afterSeconds must be from 0 to 3600.")
        if not 1 <= visits <= 1000:
            raise Invalid("proactive[].minVisits must be from 1 to 1000.")
        if await chat.store.get_agent(account_id, r["agentId"]) is None:
            raise Invalid("proactive[].agentId must be an agent of this account.")
        attribute = r.get("attribute") or None
        if attribute is not None and (len(attribute) > 10 or any(
                not isinstance(v, (str, int, float, bool)) for v in attribute.values())):
            raise Invalid("proactive[].attribute must map at most 10 keys to strings, numbers "
                          "or booleans.")
        checked.append({"id": r["id"], "text": r["text"].strip(), "agentId": r["agentId"],
                        "enabled": r.get("enabled", True), "urlContains": r.get("urlContains") or None,
                        "afterSeconds": seconds, "minVisits": visits, "attribute": attribute})
    return checked


def for_widget(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """What the widget needs to decide when: no texts, no agents."""
    return [{k: r[k] for k in ("id", "urlContains", "afterSeconds", "minVisits", "attribute")}
            for r in settings.get("proactive") or [] if r.get("enabled", True)]


async def do_fire(chat: Chat, visitor: Row, body: ProactiveFire) -> dict[str, Any] | None:
    """The rule's message, sent now; None when this visitor already had it."""
    from .identity import attributes_of
    from .messages import store_message
    from .settings import get_settings

    rule_id = body.ruleId
    settings = await get_settings(chat, visitor["account_id"])
    rule = next((r for r in settings.get("proactive") or []
                 if r["id"] == rule_id and r.get("enabled", True)), None)
    if rule is None:
        raise NotFound("There is no such proactive rule.")
    if rule.get("attribute"):
        held = attributes_of(await chat.store.visitor_attributes(visitor["id"]))
        if any(held.get(k) != v for k, v in rule["attribute"].items()):
            raise Invalid("This visitor's attributes do not match the rule's attribute.")
    agent = await chat.store.get_agent(visitor["account_id"], rule["agentId"])
    if agent is None:
        raise NotFound("The rule's agent no longer exists.")
    if not await chat.store.mark_proactive(visitor["id"], rule_id, now_ms()):
        return None
    return await store_message(chat, visitor, agent["id"], rule["text"], by_bot=True)
