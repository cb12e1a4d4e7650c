"""The OpenAPI 3.1 document and its reference page, both built from the endpoint registry."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .. import __version__
from ..chat import activity, audit, bots, sessions, settings, team, webhooks
from ..chat.schemas import REQUEST_SCHEMAS, RESPONSE_SCHEMAS, page_of
from ..schema import F, Obj, components, schema_name
from .http import JSONResponse
from .registry import ENDPOINTS, SCHEMAS, WEBSOCKETS, Endpoint

ERROR_TEXT = {
    400: "Bad input; the message names the field.",
    401: "No or bad credentials: `You must be logged in to do this.`",
    403: "Not allowed.",
    404: "Not found (also for objects of another account).",
    409: "Conflict with an existing object.",
    410: "Gone: it existed, but no longer does (an expired or revoked link).",
    413: "Body too large.",
    415: "POST/PUT without `Content-Type: application/json`.",
    429: "Rate limited; see `Retry-After`.",
    503: "The database is unavailable (down, unreachable, read-only or full); retry after `Retry-After` seconds.",
}
WIDGET_CONFIG = Obj("WidgetConfig", {
    "accountName": F("string", "The account's name"),
    "preform": F("object", "Pre-chat form", ref="PreformEdit"),
    "widget": F("object", "Greeting, colour and title", ref="WidgetEdit"),
    "online": F("boolean", "Whether a human agent is available now (dashboard open, set to "
                           "Online) and, where business hours are set, within them"),
    "email": F("object", "{\"enabled\": whether the server sends email, \"offlineMessage\": "
                         "{\"en\", \"az\"} the account's offline-form text}"),
    "proactive": F("array", "Enabled proactive rules, without their texts: {id, urlContains, "
                            "afterSeconds, minVisits, attribute}", items={"type": "object"}),
})
_ACCOUNT = Obj("Account", {"_id": F("string", "Account ID"), "name": F("string", "Name"),
                           "siteKey": F("string", "Site key for the widget")})
_NOTE = Obj("Note", {"_id": F("string", "Note ID"), "userId": F("string", "Agent who wrote it"),
                     "visitorId": F("string", "Conversation"), "text": F("string", "Text"),
                     "createdAt": F("string", "When", format="date-time")})
_CANNED = Obj("Canned", {"_id": F("string", "ID"), "shortcut": F("string", "Shortcut after /"),
                         "text": F("string", "Inserted text")})
_TOKEN = Obj("Token", {"_id": F("string", "Token ID"), "label": F("string", "Label"),
                       "agentId": F("string", "Agent it acts as"),
                       "createdAt": F("string", "Created", format="date-time"),
                       "lastUsedAt": F("string", "Last used (to the minute)", format="date-time",
                                       nullable=True)})
_CONVERSATION = Obj("Conversation", {
    "visitor": F("object", "The visitor", ref="Visitor"),
    "online": F("boolean", "Whether the visitor's widget is connected"),
    "unread": F("integer", "Visitor messages no agent has marked seen"),
    "lastMessage": F("object", "Newest message", ref="Message", nullable=True),
    "status": F("string", "open or resolved", enum=("open", "resolved")),
    "assigneeId": F("string", "Assigned agent", nullable=True),
    "lastActivityAt": F("string", "Last message or creation time", format="date-time"),
    "startedAt": F("string", "The first message from the visitor or from a person (not a bot); "
                             "null while the visitor is not a conversation (GET "
                             "/api/conversations lists only conversations)",
                   format="date-time", nullable=True),
    "episode": F("object", "The current (or last resolved) episode: only from "
                           "GET /api/conversations/:visitorId", ref="Episode", nullable=True),
})


VISITOR_EXPORT = Obj("VisitorExport", {
    "exportedAt": F("string", "When", format="date-time"),
    "visitor": F("object", "The visitor", ref="Visitor"),
    "messages": F("array", "Messages, oldest first", items={"$ref": "#/components/schemas/Message"}),
    "pages": F("array", "Pages visited", items={"type": "object"}),
    "notes": F("array", "Agents' private notes", items={"type": "object"}),
    "attachments": F("array", "Files", items={"type": "object"}),
    "conversations": F("array", "Conversations (episodes) with ratings and labels, oldest first",
                       items={"type": "object"}),
})


def _list_of(name: str) -> Obj:
    return Obj(f"{name}List", {"items": F("array", f"{name} objects",
                                          items={"$ref": f"#/components/schemas/{name}"})})


DASHBOARD_SCHEMAS = [
    _ACCOUNT, _NOTE, _CANNED, _TOKEN, _CONVERSATION, page_of("Conversation"),
    _list_of("Note"), _list_of("Canned"), _list_of("Token"),
    Obj("TokenCreated", {**_TOKEN.fields, "token": F("string", "The token: shown only here")}),
    Obj("AgentCreated", {"agent": F("object", "The agent", ref="Agent"),
                         "apiToken": F("string", "Its first API token: shown only here")}),
    Obj("Me", {"agent": F("object", "You", ref="Agent"), "account": F("object", "Your account", ref="Account"),
               "csrfToken": F("string", "Echo as X-CSRF-Token on state changes (sessions only)",
                              nullable=True)}),
]
TAGS = [
    {"name": "messages", "description": "Send, edit or delete agents' messages; read any message."},
    {"name": "visitors", "description": "Read visitors and edit their basic information."},
    {"name": "agents", "description": "The account's agents."},
    {"name": "settings", "description": "The account's pre-chat form and widget look."},
    {"name": "conversations", "description": "Team work: assignment, status, private notes, canned responses."},
    {"name": "tokens", "description": "API tokens, managed by owners."},
    {"name": "bots", "description": "The rule bot, external bots, and bots per visitor."},
    {"name": "webhooks", "description": "Signed event deliveries to your server, managed by owners."},
    {"name": "auth", "description": "The dashboard's session sign-in (cookie + CSRF token)."},
    {"name": "push", "description": "Web Push alerts for agents' browsers (VAPID, RFC 8030/8291/8292)."},
    {"name": "email", "description": "Outgoing email: whether it is on, and the delivery log."},
    {"name": "widget", "description": "The visitor's side, used by widget.js (`/widget/v1`)."},
    {"name": "reports", "description": "Response times, ratings and per-agent figures; CSV export."},
]


def _operation(ep: Endpoint, path: str) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": ep.handler.__module__.rsplit(".", 1)[-1] + "_" + ep.handler.__name__
        + ("_slash" if path.endswith("/") and len(ep.paths) > 1 else ""),
        "summary": ep.summary,
        "tags": [ep.tag],
    }
    if ep.description:
        op["description"] = ep.description
    if ep.auth == "agent":
        op["security"] = [{"apiToken": []}]
    elif ep.auth == "visitor":
        op["security"] = [{"visitorToken": []}]
    elif ep.auth == "either":
        op["security"] = [{"visitorToken": []}, {"apiToken": []}]
    else:
        op["security"] = []
    if ep.params:
        op["parameters"] = [
            {"name": p.name, "in": p.where, "required": p.required or p.where == "path",
             "description": p.description, "schema": p.schema}
            for p in ep.params
        ]
    if ep.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{schema_name(ep.body)}"}}}}
    responses: dict[str, Any] = {}
    ok: dict[str, Any] = {"description": "Success"}
    if ep.response:
        ok["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ep.response}"}}}
    responses[str(ep.status)] = ok
    codes = list(ep.errors)
    if ep.auth in ("agent", "visitor", "either") and 429 not in codes:
        codes.append(429)
    if 503 not in codes:  # every endpoint reads or writes the database
        codes.append(503)
    for code in codes:
        responses[str(code)] = {"description": ERROR_TEXT[code], "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
    op["responses"] = responses
    return op


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for ep in ENDPOINTS:
        for path in ep.paths:
            paths.setdefault(path, {})[ep.method.lower()] = _operation(ep, path)
    extra = [activity.SEEN, activity.PREFORM, activity.PAGE_VISIT, activity.TYPING,
             activity.SEEN_RESULT, activity.PAGE, page_of("Page"), settings.SETTINGS_EDIT,
             settings.PREFORM_EDIT, settings.WIDGET_EDIT, settings.SETTINGS, WIDGET_CONFIG,
             sessions.LOGIN, sessions.PASSWORD_CHANGE, team.AGENT_CREATE, team.TOKEN_CREATE,
             team.ASSIGN, team.STATUS, team.NOTE_CREATE, team.CANNED_CREATE, team.CANNED_EDIT,
             webhooks.WEBHOOK_CREATE, webhooks.WEBHOOK_EDIT, webhooks.WEBHOOK, webhooks.DELIVERY,
             page_of("Webhook"), page_of("Delivery"), bots.BOT_EDIT, bots.BOT, bots.SHOW_BOT,
             audit.AUDIT_ENTRY, page_of("AuditEntry"), VISITOR_EXPORT,
             *DASHBOARD_SCHEMAS]
    bodies = [ep.body for ep in ENDPOINTS if ep.body is not None]
    schemas = components([*RESPONSE_SCHEMAS, *REQUEST_SCHEMAS, *extra, *bodies, *SCHEMAS])
    schemas["MessageList"] = {"type": "array", "items": {"$ref": "#/components/schemas/Message"}}
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "botaz API",
            "version": __version__,
            "description": "The Bot.Az REST API as served by botaz, plus the lists, the widget's "
                           "visitor API and the realtime endpoints beyond it. Every error is "
                           '`{"status": "error", "message": "..."}`. IDs are 17-character Meteor '
                           "IDs; times are ISO 8601 UTC with milliseconds.",
        },
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiToken": {"type": "http", "scheme": "bearer",
                             "description": "An agent's API token (`botaz create-account` prints one)."},
                "visitorToken": {"type": "http", "scheme": "bearer",
                                 "description": "The visitorToken from POST /widget/v1/visitors."},
            },
        },
    }
    if WEBSOCKETS:
        doc["info"]["description"] += "\n\nWebSockets: " + "; ".join(
            f"`{w.path}` {w.summary}" for w in WEBSOCKETS)
    return doc


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi_document())


def _schema_rows(schema: dict[str, Any]) -> str:
    rows = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type", "object")
        if "$ref" in prop:
            kind = prop["$ref"].rsplit("/", 1)[-1]
        if isinstance(kind, list):
            kind = " or ".join(kind)
        rows.append(f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(str(kind))}</td>"
                    f"<td>{'yes' if name in required else ''}</td>"
                    f"<td>{html.escape(prop.get('description', ''))}</td></tr>")
    if not rows:
        return ""
    return ("<table><tr><th>field</th><th>type</th><th>required</th><th>meaning</th></tr>"
            + "".join(rows) + "</table>")


def _md(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


@lru_cache(maxsize=1)
def reference_html() -> str:
    doc = openapi_document()
    schemas = doc["components"]["schemas"]
    parts = [f"<h1>{html.escape(doc['info']['title'])} {html.escape(doc['info']['version'])}</h1>",
             f"<p>{_md(doc['info']['description'])}</p>",
             '<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>. '
             "Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>; send bodies "
             "with <code>Content-Type: application/json</code>.</p>"]
    toc = []
    body = []
    for tag in doc["tags"]:
        body.append(f'<h2 id="tag-{tag["name"]}">{html.escape(tag["name"])}</h2><p>{_md(tag["description"])}</p>')
        for path, ops in doc["paths"].items():
            for method, op in ops.items():
                if op["tags"][0] != tag["name"]:
                    continue
                anchor = op["operationId"]
                toc.append(f'<li><a href="#{anchor}"><b>{method.upper()}</b> {html.escape(path)}</a></li>')
                section = [f'<section id="{anchor}"><h3><span class="m {method}">{method.upper()}</span> '
                           f"<code>{html.escape(path)}</code></h3><p>{_md(op['summary'])}</p>"]
                if op.get("description"):
                    section.append(f"<p>{_md(op['description'])}</p>")
                auth = op.get("security") or []
                section.append("<p>Auth: " + (", ".join(next(iter(a)) for a in auth) if auth else "none") + "</p>")
                for p in op.get("parameters", []):
                    section.append(f"<p>Parameter <code>{html.escape(p['name'])}</code> ({p['in']}): {_md(p['description'])}</p>")
                if "requestBody" in op:
                    name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
                    schema = schemas[name]
                    section.append(f"<h4>Request body: {name}</h4>{_schema_rows(schema)}")
                    if schema.get("examples"):
                        section.append("<pre>" + html.escape(orjson.dumps(schema["examples"][0], option=orjson.OPT_INDENT_2).decode()) + "</pre>")
                section.append("<h4>Responses</h4><ul>")
                for code, resp in op["responses"].items():
                    ref = resp.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                    section.append(f"<li><b>{code}</b> {_md(resp['description'])} {html.escape(ref.rsplit('/', 1)[-1])}</li>")
                section.append("</ul></section>")
                body.extend(section)
    body.append("<h2>Objects</h2>")
    for name, schema in schemas.items():
        if schema.get("type") == "object":
            body.append(f'<h3 id="schema-{name}">{name}</h3>{_schema_rows(schema)}')
            if schema.get("examples"):
                body.append("<pre>" + html.escape(orjson.dumps(schema["examples"][0], option=orjson.OPT_INDENT_2).decode()) + "</pre>")
    style = ("body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2937}"
             "code,pre{font-family:ui-monospace,monospace;background:#f3f4f6;border-radius:4px;padding:1px 4px}"
             "pre{padding:.75rem;overflow:auto}table{border-collapse:collapse;width:100%}"
             "td,th{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}"
             "section{border-top:1px solid #e5e7eb;margin-top:1.5rem}.m{font-weight:700;padding:2px 6px;border-radius:4px;color:#fff;background:#6b7280}"
             ".get{background:#2563eb}.post{background:#16a34a}.put{background:#d97706}.delete{background:#dc2626}")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width,initial-scale=1\"><title>botaz API reference</title>"
            f"<style>{style}</style></head><body>" + "".join(parts)
            + "<nav><h2>Endpoints</h2><ul>" + "".join(toc) + "</ul></nav>" + "".join(body)
            + "</body></html>")


async def reference_page(request: Request) -> Response:
    return HTMLResponse(reference_html())
