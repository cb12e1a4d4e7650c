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
from ..chat import activity, attachments, audit, bots, sessions, settings, team, webhooks
from ..chat.schemas import REQUEST_SCHEMAS, RESPONSE_SCHEMAS, page_of
from ..schema import F, Obj, components, schema_name
from .http import JSONResponse
from .deps import SAFE_METHODS, SESSION_COOKIE
from .registry import ENDPOINTS, SCHEMAS, WEBSOCKETS, Endpoint, Param, page

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
    "logoUrl": F("string", "The account's logo (a path on this server), or null", nullable=True),
    "avatars": F("object", "Agent ID -> picture path, for agents who uploaded one"),
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
TAGS = {
    "messages": "Send, edit or delete agents' messages; read any message.",
    "visitors": "Read visitors and edit their basic information; files, pages, bans, erasure.",
    "conversations": "Team work: assignment, status, private notes, labels per conversation.",
    "canned": "Canned responses: texts agents insert with a /shortcut.",
    "labels": "The account's conversation labels.",
    "agents": "The account's agents.",
    "tokens": "API tokens, managed by owners.",
    "settings": "The account's pre-chat form, widget look and identity secret.",
    "bots": "The rule bot and external bots.",
    "webhooks": "Signed event deliveries to your server, managed by owners.",
    "articles": "Help-centre articles.",
    "reports": "Response times, ratings and per-agent figures; CSV export.",
    "audit": "Who changed what, for owners.",
    "push": "Web Push alerts for agents' browsers (VAPID, RFC 8030/8291/8292).",
    "email": "Outgoing email: whether it is on, and the delivery log.",
    "auth": "The dashboard's session sign-in (cookie + CSRF token) and the signed-in agent.",
    "widget": "The visitor's side, used by widget.js (`/widget/v1`), with a visitor token.",
    "attachments": "Files sent in conversations.",
    "images": "The account's logo and agents' avatars, public for the widget.",
}
# The path's first word names the tag, but for these.
TAG_OF_WORD = {"bot": "bots", "emails": "email"}

# operationIds are derived from the path (resource) and method (action): `GET /api/messages/{id}`
# is getMessage, `GET /api/visitors/{id}/messages` listVisitorMessages, `POST /api/visitors/{id}/ban`
# banVisitor. These read better named by hand; an ID, once published, does not change.
OPERATION_IDS = {
    ("POST", "/auth/login"): "login",
    ("POST", "/auth/logout"): "logout",
    ("GET", "/auth/me"): "getMe",
    ("POST", "/auth/password"): "changePassword",
    ("GET", "/auth/me/preferences"): "getMyPreferences",
    ("PUT", "/auth/me/preferences"): "updateMyPreferences",
    ("GET", "/auth/me/availability"): "getMyAvailability",
    ("PUT", "/auth/me/availability"): "updateMyAvailability",
    ("POST", "/auth/password-reset"): "requestPasswordReset",
    ("POST", "/auth/password-reset/confirm"): "confirmPasswordReset",
    ("GET", "/attachments/{id}"): "downloadAttachment",
    ("GET", "/api/canned"): "listCannedResponses",
    ("POST", "/api/canned"): "createCannedResponse",
    ("PUT", "/api/canned/{id}"): "updateCannedResponse",
    ("DELETE", "/api/canned/{id}"): "deleteCannedResponse",
    ("POST", "/api/conversations/{visitorId}/status"): "setConversationStatus",
    ("GET", "/api/conversations/{visitorId}/history"): "listConversationHistory",
    ("GET", "/api/visitors/online"): "listOnlineVisitors",
    ("POST", "/api/visitors/{id}/seen"): "markVisitorSeen",
    ("POST", "/api/visitors/{id}/typing"): "sendVisitorTyping",
    ("POST", "/api/visitors/{id}/attachments"): "uploadVisitorAttachment",
    ("GET", "/api/audit"): "listAuditEntries",
    ("POST", "/api/push/test"): "sendTestPush",
    ("POST", "/api/settings/identity-secret"): "rotateIdentitySecret",
    ("GET", "/api/reports/conversations.csv"): "exportConversationsCsv",
    ("GET", "/widget/v1/me"): "getWidgetVisitor",
    ("POST", "/widget/v1/preform"): "submitWidgetPreform",
    ("POST", "/widget/v1/seen"): "markWidgetSeen",
    ("POST", "/widget/v1/attachments"): "uploadWidgetAttachment",
    ("POST", "/widget/v1/link"): "openWidgetLink",
    ("POST", "/widget/v1/transcript"): "requestWidgetTranscript",
    ("POST", "/widget/v1/email"): "setWidgetEmail",
    ("POST", "/widget/v1/rating"): "rateWidgetConversation",
    ("POST", "/widget/v1/identify"): "identifyWidgetVisitor",
    ("POST", "/widget/v1/attributes"): "setWidgetAttributes",
    ("POST", "/widget/v1/proactive"): "fireWidgetProactive",
}
UNCOUNTED = {"settings", "status", "preferences", "availability", "email", "attributes"}


def _words(segment: str) -> list[str]:
    return [w for w in re.split(r"[-.]", segment) if w]


def _singular(word: str) -> str:
    if word in UNCOUNTED:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _split(path: str) -> tuple[list[str], list[str]]:
    """(scope, segments): `/widget/v1/messages` is (["widget"], ["messages"]); /api is no scope."""
    segments = path.strip("/").split("/")
    if segments[:2] == ["widget", "v1"]:
        return ["widget"], segments[2:]
    return [], segments[1:] if segments[0] == "api" else segments


def operation_id(method: str, path: str) -> str:
    """The action and the resource, camelCase: createMessage, listVisitorMessages, banVisitor."""
    if (method, path) in OPERATION_IDS:
        return OPERATION_IDS[(method, path)]
    scope, segments = _split(path)
    names = [s for s in segments if not s.startswith("{")]
    last = names[-1]
    owner = [w for s in names[:-1] for w in _words(_singular(s))]
    plural = last.endswith("s") and last not in UNCOUNTED
    if segments[-1].startswith("{"):  # one object: get, update, delete
        verb = {"GET": "get", "PUT": "update", "DELETE": "delete", "POST": "create"}[method]
        noun = owner + _words(_singular(last))
    elif method == "POST" and not plural:  # an action on its owner: /visitors/{id}/ban
        verb, noun = last, owner
    else:
        verb = {"GET": "list" if plural else "get", "POST": "create", "PUT": "update",
                "DELETE": "delete"}[method]
        noun = owner + _words(_singular(last) if method == "POST" else last)
    words = _words(verb) + scope + noun
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def tag_of(path: str) -> str:
    """The resource: the path's first word (`/api/visitors/{id}/pages` is visitors); the widget's
    calls are one tag, as they are one client's."""
    scope, segments = _split(path)
    word = scope[0] if scope else segments[0]
    return TAG_OF_WORD.get(word, word)


def documented_path(ep: Endpoint) -> str:
    """One path per operation: `/api/messages/` and `/api/messages` are one endpoint (the seed
    spells it with the slash; both are served), documented without the slash."""
    return min(ep.paths, key=lambda p: (p.endswith("/") and p != "/", len(p)))


SECURITY_SCHEMES = {
    "apiToken": {"type": "http", "scheme": "bearer",
                 "description": "An agent's API token (`botaz create-account` prints one; owners "
                                "make more with POST /api/tokens)."},
    "visitorToken": {"type": "http", "scheme": "bearer",
                     "description": "The visitorToken from POST /widget/v1/visitors."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                      "description": "The dashboard's session: POST /auth/login sets this HttpOnly "
                                     "cookie. Calls that change state (not GET) also need "
                                     "csrfToken. An Authorization header, if sent, wins over it."},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                  "description": "With sessionCookie, on every call but GET: the `csrfToken` of "
                                 "POST /auth/login or GET /auth/me."},
}
RATE_HEADERS = {
    "X-RateLimit-Limit": "Calls allowed in the current window.",
    "X-RateLimit-Remaining": "Calls left in the current window.",
    "X-RateLimit-Reset": "Seconds until the window resets.",
}
ERRORS = {  # status: (component name, description)
    400: ("BadRequest", "Bad input; the message names the field."),
    401: ("Unauthorized", "No or bad credentials: `You must be logged in to do this.`"),
    403: ("Forbidden", "Not allowed (also: a session call without its CSRF token)."),
    404: ("NotFound", "Not found (also for objects of another account)."),
    405: ("MethodNotAllowed", "The path exists, but not with this method."),
    409: ("Conflict", "Conflict with an existing object."),
    410: ("Gone", "Gone: it existed, but no longer does (an expired or revoked link)."),
    413: ("PayloadTooLarge", "Body too large."),
    415: ("UnsupportedMediaType", "POST/PUT without `Content-Type: application/json`, or a file "
                                  "of a type that cannot be sent."),
    429: ("TooManyRequests", "Rate limited: retry after `Retry-After` seconds."),
    500: ("ServerError", "A bug on the server's side; it has been logged."),
    503: ("ServiceUnavailable", "The database is unavailable (down, unreachable, read-only or "
                                "full); retry after `Retry-After` seconds."),
}
ERROR_TEXT = {code: text for code, (_, text) in ERRORS.items()}
# Every operation can answer these: another method on its path, a rate limit (every caller is
# counted: tokens, visitors, and sign-in attempts by address), a bug, the database down.
ALWAYS = (405, 429, 500, 503)
UPLOAD_TYPES = sorted(attachments.ALLOWED_TYPES)
BINARY = {"type": "string", "format": "binary"}


def _integer_header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


def _components_responses() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code, (name, text) in ERRORS.items():
        response: dict[str, Any] = {"description": text, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
        if code in (429, 503):
            response["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
        if code == 429:
            response["headers"].update({h: {"$ref": f"#/components/headers/{h}"} for h in RATE_HEADERS})
        responses[name] = response
    return responses


def _security(ep: Endpoint) -> list[dict[str, list[str]]]:
    session: dict[str, list[str]] = ({"sessionCookie": []} if ep.method in SAFE_METHODS
                                     else {"sessionCookie": [], "csrfToken": []})
    by_auth: dict[str, list[dict[str, list[str]]]] = {
        "agent": [{"apiToken": []}, session],
        "visitor": [{"visitorToken": []}],
        "either": [{"visitorToken": []}, {"apiToken": []}, session],
    }
    return by_auth.get(ep.auth or "", [])


def _upload(op: dict[str, Any]) -> None:
    """A raw file body: its own Content-Type (or application/octet-stream, the type then taken from
    the name's extension), and its name in X-Filename or `name`. One media type is declared, as
    client generators handle only application/octet-stream; the description lists the others."""
    op["requestBody"] = {
        "required": True,
        "description": "The file's bytes. Content-Type: the file's own type, one of "
                       + ", ".join(UPLOAD_TYPES) + "; or application/octet-stream, the type "
                       "then taken from the file name's extension.",
        "content": {"application/octet-stream": {"schema": BINARY}},
    }
    op.setdefault("parameters", []).extend([
        {"name": "X-Filename", "in": "header", "required": False,
         "description": "The file's name, URL-encoded (percent-encoding for non-ASCII).",
         "schema": {"type": "string", "maxLength": 1000}},
        {"name": "name", "in": "query", "required": False,
         "description": "The file's name, if not in X-Filename.",
         "schema": {"type": "string", "maxLength": 1000}},
    ])


def _download() -> dict[str, Any]:
    return {
        "description": "The file, with the Content-Type it was sent with and a Content-Disposition "
                       "naming it (inline for images, attachment otherwise).",
        "headers": {"Content-Disposition": {"description": "`inline` or `attachment`, with the "
                                                          "file's name", "schema": {"type": "string"}}},
        # application/octet-stream first: generators take the first type they know as the shape.
        "content": {"application/octet-stream": {"schema": BINARY},
                    **{t: {"schema": BINARY} for t in UPLOAD_TYPES}},
    }


# Operations whose success is not JSON: (method, documented path) -> how they are shaped.
UPLOADS = {("POST", "/widget/v1/attachments"), ("POST", "/api/visitors/{id}/attachments")}
CSV = {"description": "CSV, one row a conversation, with a header row.",
       "headers": {"Content-Disposition": {"description": "attachment; filename=\"conversations.csv\"",
                                           "schema": {"type": "string"}}},
       "content": {"text/csv": {"schema": {"type": "string"}}}}


def _parameter(p: Param) -> dict[str, Any]:
    return {"name": p.name, "in": p.where, "required": p.required or p.where == "path",
            "description": p.description, "schema": p.schema}


def _operation(ep: Endpoint, path: str) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": operation_id(ep.method, path),
        "summary": ep.summary,
        "tags": [tag_of(path)],
    }
    description = ep.description
    others = [p for p in ep.paths if p != path]
    if others:
        description = (description + "\n\n" if description else "") + \
            "Also served at " + ", ".join(f"`{p}`" for p in others) + " (the same operation)."
    if description:
        op["description"] = description
    op["security"] = _security(ep)
    if ep.params:
        op["parameters"] = [_parameter(p) for p in ep.params]
    if ep.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{schema_name(ep.body)}"}}}}
    if (ep.method, path) in UPLOADS:
        _upload(op)
    ok: dict[str, Any] = {"description": "Success"}
    if ep.response:
        ok["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ep.response}"}}}
    elif (ep.method, path) == ("GET", "/attachments/{id}"):
        ok = _download()
    elif path.endswith(".csv"):
        ok = dict(CSV)
    if ep.auth:  # counted against the caller's rate limit: its state on every answer
        ok["headers"] = {**ok.get("headers", {}),
                         **{h: {"$ref": f"#/components/headers/{h}"} for h in RATE_HEADERS}}
    responses: dict[str, Any] = {str(ep.status): ok}
    for code in sorted({*ep.errors, *ALWAYS}):
        responses[str(code)] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
    op["responses"] = responses
    return op


def _fill_array_items(node: Any) -> None:
    """Every array schema says what it holds (`items: {}` when anything), as generators need."""
    if isinstance(node, dict):
        kind = node.get("type")
        if (kind == "array" or (isinstance(kind, list) and "array" in kind)) and \
                "items" not in node and "prefixItems" not in node:
            node["items"] = {}
        for value in node.values():
            _fill_array_items(value)
    elif isinstance(node, list):
        for value in node:
            _fill_array_items(value)


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for ep in ENDPOINTS:
        if ep.hidden:  # pages, assets, /healthz...
            continue
        path = documented_path(ep)
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
            "license": {"name": "MIT", "identifier": "MIT"},
            "description": "The Bot.Az REST API as served by botaz, plus the lists, the widget's "
                           "visitor API and the realtime endpoints beyond it. Every error is "
                           '`{"status": "error", "message": "..."}`. IDs are 17-character Meteor '
                           "IDs; times are ISO 8601 UTC with milliseconds.",
        },
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": _components_responses(),
            "headers": {
                "Retry-After": _integer_header("Seconds to wait before calling again."),
                **{name: _integer_header(text) for name, text in RATE_HEADERS.items()},
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
    _fill_array_items(doc["components"]["schemas"])
    if WEBSOCKETS:
        doc["info"]["description"] += "\n\nWebSockets: " + "; ".join(
            f"`{w.path}` {w.summary}" for w in WEBSOCKETS)
    return doc


def served_document(base_url: str) -> dict[str, Any]:
    """The document as served: `servers` is BOTAZ_PUBLIC_URL, else the URL it was asked at."""
    return {**openapi_document(), "servers": [{"url": base_url.rstrip("/"),
                                               "description": "This botaz server"}]}


@page("/api/openapi.json")
async def openapi_json(request: Request) -> Response:
    settings = getattr(request.app.state, "settings", None)
    return JSONResponse(served_document(getattr(settings, "public_url", None) or str(request.base_url)))


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
                section.append("<p>Auth: " + (" or ".join(" + ".join(a) for a in auth) if auth else "none") + "</p>")
                for p in op.get("parameters", []):
                    section.append(f"<p>Parameter <code>{html.escape(p['name'])}</code> ({p['in']}): {_md(p['description'])}</p>")
                json_body = op.get("requestBody", {}).get("content", {}).get("application/json")
                if json_body:
                    name = json_body["schema"]["$ref"].rsplit("/", 1)[-1]
                    schema = schemas[name]
                    section.append(f"<h4>Request body: {name}</h4>{_schema_rows(schema)}")
                    if schema.get("examples"):
                        section.append("<pre>" + html.escape(orjson.dumps(schema["examples"][0], option=orjson.OPT_INDENT_2).decode()) + "</pre>")
                elif "requestBody" in op:
                    section.append(f"<h4>Request body</h4><p>{_md(op['requestBody']['description'])}</p>")
                section.append("<h4>Responses</h4><ul>")
                for code, resp in op["responses"].items():
                    if "$ref" in resp:
                        resp = doc["components"]["responses"][resp["$ref"].rsplit("/", 1)[-1]]
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


@page("/api/docs")
async def reference_page(request: Request) -> Response:
    return HTMLResponse(reference_html())
