"""Each agent's own choices (alerts, notifications), stored as one JSON object per agent.

Features register their keys in FIELDS and DEFAULTS; `GET/PUT /auth/me/preferences` and every
reader go through here, so an unknown key or a bad value is refused in one place.
"""

# Struct fields are typed with Str()/D() (botaz/schema.py), calls mypy cannot read as types.
# mypy: disable-error-code="valid-type"
from __future__ import annotations

from typing import Any, Literal

import msgspec
import orjson

from ..schema import UNSET, Body, D, Reply, UnsetType, present
from .context import Chat
from .errors import Invalid

# A feature adds its key here: its type (with description and allowed values) and its default.
FIELDS: dict[str, tuple[Any, Any]] = {
    "emailAlerts": (D(bool, "Email me about visitor messages nobody answered (BOTAZ_ALERT_DELAY_S)"),
                    True),
    # Alerts in the browser and by Web Push (botaz/chat/alerts.py, docs/notifications.md).
    "alertsFor": (D(Literal["mine", "unassigned", "all"], "Which visitors' messages alert me: mine "
                    "(conversations assigned to me), unassigned (mine and unassigned ones) or all"),
                  "unassigned"),
    "alertSound": (D(bool, "Play a sound in the dashboard for an alert"), True),
    "alertDesktop": (D(bool, "Show a desktop notification while a dashboard tab is open"), True),
    "alertPush": (D(bool, "Send Web Push notifications to my subscribed browsers while no "
                          "dashboard of mine is open"), True),
    "idleAwayMinutes": (D(int, "The dashboard sets me Away after this many minutes without input "
                               "in any of its tabs (0 to 1440; 0: never)"), 10),
    # The dashboard's language (botaz/web/dashboard/i18n.js); null: the browser's language.
    "locale": (D(Literal["az", "en", "ru", "tr"] | None, "The dashboard's language: az, en, ru or "
                 "tr; null follows the browser's language"), None),
}
DEFAULTS: dict[str, Any] = {key: default for key, (_, default) in FIELDS.items()}
Preferences = msgspec.defstruct("Preferences", [(k, kind) for k, (kind, _) in FIELDS.items()],
                                bases=(Reply,), module=__name__)
Preferences.__doc__ = "The signed-in agent's own choices."
PreferencesEdit = msgspec.defstruct(
    "PreferencesEdit", [(k, kind | UnsetType, UNSET) for k, (kind, _) in FIELDS.items()],
    bases=(Body,), module=__name__)
PreferencesEdit.__doc__ = "Keys left out stay unchanged."
PREFERENCES, PREFERENCES_EDIT = Preferences, PreferencesEdit


async def get_prefs(chat: Chat, agent_id: str) -> dict[str, Any]:
    stored = orjson.loads(await chat.store.agent_prefs(agent_id) or "{}")
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


async def do_update_prefs(chat: Chat, agent_id: str, body: PreferencesEdit) -> dict[str, Any]:
    changes = present(body)
    if not 0 <= changes.get("idleAwayMinutes", 0) <= 1440:
        raise Invalid("idleAwayMinutes must be from 0 to 1440.")
    current = await get_prefs(chat, agent_id)
    current.update(changes)
    await chat.store.set_agent_prefs(agent_id, orjson.dumps(current).decode())
    return current
