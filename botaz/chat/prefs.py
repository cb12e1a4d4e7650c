"""Each agent's own choices (alerts, notifications), stored as one JSON object per agent.

Features register their keys in FIELDS and DEFAULTS; `GET/PUT /auth/me/preferences` and every
reader go through here, so an unknown key or a bad value is refused in one place.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..schema import F, Obj
from .context import Chat
from .errors import Invalid

# A feature adds its key here: a field (type, check, description) and its default.
FIELDS: dict[str, F] = {
    "emailAlerts": F("boolean", "Email me about visitor messages nobody answered "
                                "(BOTAZ_ALERT_DELAY_S)"),
    # Alerts in the browser and by Web Push (botaz/chat/alerts.py, docs/notifications.md).
    "alertsFor": F("string", "Which visitors' messages alert me: mine (conversations assigned to "
                             "me), unassigned (mine and unassigned ones) or all",
                   enum=("mine", "unassigned", "all")),
    "alertSound": F("boolean", "Play a sound in the dashboard for an alert"),
    "alertDesktop": F("boolean", "Show a desktop notification while a dashboard tab is open"),
    "alertPush": F("boolean", "Send Web Push notifications to my subscribed browsers while no "
                              "dashboard of mine is open"),
    "idleAwayMinutes": F("integer", "The dashboard sets me Away after this many minutes without "
                                    "input in any of its tabs (0 to 1440; 0: never)"),
    # The dashboard's language (botaz/web/dashboard/i18n.js); null: the browser's language.
    "locale": F("string", "The dashboard's language: az, en, ru or tr; null follows the browser's "
                          "language", nullable=True, enum=("az", "en", "ru", "tr")),
}
DEFAULTS: dict[str, Any] = {
    "emailAlerts": True,
    "alertsFor": "unassigned",
    "alertSound": True,
    "alertDesktop": True,
    "alertPush": True,
    "idleAwayMinutes": 10,
    "locale": None,
}
PREFERENCES = Obj("Preferences", FIELDS, description="The signed-in agent's own choices.")
PREFERENCES_EDIT = Obj("PreferencesEdit", FIELDS, description="Keys left out stay unchanged.")


async def get_prefs(chat: Chat, agent_id: str) -> dict[str, Any]:
    stored = orjson.loads(await chat.store.agent_prefs(agent_id) or "{}")
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


async def do_update_prefs(chat: Chat, agent_id: str, body: Any) -> dict[str, Any]:
    changes = PREFERENCES_EDIT.validate(body)
    if not 0 <= changes.get("idleAwayMinutes", 0) <= 1440:
        raise Invalid("idleAwayMinutes must be from 0 to 1440.")
    current = await get_prefs(chat, agent_id)
    current.update(changes)
    await chat.store.set_agent_prefs(agent_id, orjson.dumps(current).decode())
    return current
