"""Schemathesis against the live server's /api/openapi.json: no 5xx, every response as documented.

The operations are collected from the document botaz generates (one pytest item per operation), and
the `world` fixture checks that the live server serves exactly that document before any call is
made. (schemathesis' lazy `from_fixture` loader cannot run on pytest 9.2: it writes the private
`Function._nodeid`, which pytest no longer has.)

Bounded for CI: a fixed seed and derandomized generation, a small number of examples per
operation. Path parameters and some body fields are sometimes replaced by IDs of real objects made
before the run, so that success responses (not only 404s) are checked against their schemas.
Only the SQLite backend: the document and the handlers are the same on both stores.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterator

import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 20
SEED = 20190103

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def database_url(tmp_root) -> Iterator[str]:
    """SQLite only for this module (overrides the per-backend fixture of conftest)."""
    yield f"sqlite:///{tmp_root}/fuzz-{secrets.token_hex(6)}.db"


@dataclass
class World:
    """Real objects the fuzzer can aim at, and the tokens to call with.

    `ids` maps a path prefix to IDs that the operations under it may aim at; DELETE operations
    aim at `doomed` ones instead, so that deleting does not leave the later operations with
    nothing real to work on.
    """

    token: str
    visitor_token: str
    site_key: str
    agent_id: str
    ids: dict[str, list[str]] = field(default_factory=dict)
    doomed: dict[str, list[str]] = field(default_factory=dict)
    visitor_ids: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)


def _make_world(botaz) -> World:
    acme = botaz.account()
    client, h = botaz.client, acme.headers

    def created(r) -> dict[str, Any]:
        assert r.status_code == 201, r.text
        return r.json()

    def conversation() -> tuple[str, list[str]]:
        vid = botaz.visitor(acme)["visitorId"]
        return vid, [botaz.send(acme, vid, f"agent message {i}")["_id"] for i in range(3)]

    # The agent side may edit, ban and message these; the widget's own visitor is kept apart so
    # that a ban during the agent-side run does not turn every widget call into a 403.
    kept = [conversation() for _ in range(2)]
    doomed = [conversation() for _ in range(2)]
    widget = botaz.visitor(acme)
    vt = {"Authorization": f"Bearer {widget['visitorToken']}"}
    widget_messages = [created(client.post("/widget/v1/messages", headers=vt,
                                           json={"text": "visitor message"}))["_id"]]
    widget_messages.append(botaz.send(acme, widget["visitorId"], "an answer")["_id"])
    attachment = created(client.post("/widget/v1/attachments", content=b"hello\n",
                                     headers=vt | {"Content-Type": "text/plain",
                                                   "X-Filename": "hello.txt"}))
    attachment_id = attachment["attachment"]["id"]

    def pair(create: Any) -> tuple[str, str]:
        return create(0)["_id"], create(1)["_id"]

    canned = pair(lambda n: created(client.post("/api/canned", headers=h, json={
        "shortcut": f"hi{n}", "text": "Hello!"})))
    tokens = pair(lambda n: created(client.post("/api/tokens", headers=h,
                                                json={"label": f"spare {n}"})))
    webhooks = pair(lambda n: created(client.post("/api/webhooks", headers=h, json={
        "url": "http://127.0.0.1:9/hook", "events": ["message.created"]})))
    agents = (acme.add_agent("Leyla")["agentId"], acme.add_agent("Kamran")["agentId"])
    visitor_ids = [vid for vid, _ in kept]
    message_ids = [m for _, ms in kept for m in ms] + widget_messages
    return World(
        token=acme.token, visitor_token=widget["visitorToken"], site_key=acme.site_key,
        agent_id=acme.agent_id, visitor_ids=visitor_ids + [widget["visitorId"]],
        message_ids=message_ids,
        ids={
            "/api/messages/": message_ids,
            "/api/visitors/": visitor_ids,
            "/api/conversations/": visitor_ids,
            "/api/canned/": [canned[0]],
            "/api/agents/": [agents[0]],
            "/api/tokens/": [tokens[0]],
            "/api/webhooks/": [webhooks[0]],
            "/attachments/": [attachment_id],
        },
        doomed={
            "/api/messages/": [m for _, ms in doomed for m in ms],
            "/api/visitors/": [vid for vid, _ in doomed],
            "/api/canned/": [canned[1]],
            "/api/agents/": [agents[1]],
            "/api/tokens/": [tokens[1]],
            "/api/webhooks/": [webhooks[1]],
        },
    )


def _document() -> dict[str, Any]:
    """The document the server serves, as JSON (botaz.app registers every endpoint on import),
    but for `servers`, which is the URL it is asked at: the test passes base_url instead."""
    import botaz.app  # noqa: F401
    from botaz.api.openapi import openapi_document

    return json.loads(json.dumps(openapi_document()))


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict({
    "seed": SEED,
    # The token is always sent (see the test); the budget goes on bodies, paths and queries.
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    # One unexpected method per operation is enough to see the router's 405s.
    "phases": {"coverage": {"unexpected-methods": ["patch"]}},
    # Show bodies as sent (schemathesis would mask keys such as "handoffKeywords").
    "output": {"sanitization": {"keys-to-sanitize": ["authorization", "cookie", "set-cookie"],
                                "sensitive-markers": ["authorization"]}},
}))
WORLDS: list[World] = []  # the current module's world, for the hooks below


@pytest.fixture(scope="module")
def world(botaz) -> Iterator[World]:
    r = botaz.client.get("/api/openapi.json")
    assert r.status_code == 200
    served = r.json()
    assert served.pop("servers") == [{"url": botaz.url, "description": "This botaz server"}]
    assert served == DOCUMENT, "the live /api/openapi.json differs from the fuzzed document"
    WORLDS.append(_make_world(botaz))
    yield WORLDS[-1]
    WORLDS.clear()


def _real_ids(world: World, method: str, path: str) -> list[str]:
    pools = world.doomed if method.upper() == "DELETE" else world.ids
    for prefix, ids in pools.items():
        if path.startswith(prefix):
            return ids
    return []


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Keep the generated ID, or aim at a real object of the account."""
    if not WORLDS or not path_parameters:
        return st.just(path_parameters)
    ids = _real_ids(WORLDS[-1], context.operation.method, context.operation.path)
    name = "visitorId" if "visitorId" in path_parameters else "id"
    if not ids or name not in path_parameters:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters),
                     st.sampled_from(ids).map(lambda v: {**path_parameters, name: v}))


@schema.hook
def flatmap_body(context, body):
    """Sometimes put real IDs and keys into bodies that refer to other objects."""
    if not WORLDS or not isinstance(body, dict):
        return st.just(body)
    world = WORLDS[-1]
    real: dict[str, st.SearchStrategy] = {}
    if "userId" in body:
        real["userId"] = st.just(world.agent_id)
    if "visitorId" in body:
        real["visitorId"] = st.sampled_from(world.visitor_ids)
    if "siteKey" in body:
        real["siteKey"] = st.just(world.site_key)
    if "messageId" in body:
        real["messageId"] = st.sampled_from(world.message_ids)
    if not real:
        return st.just(body)
    return st.one_of(st.just(body), st.fixed_dictionaries(real).map(lambda r: {**body, **r}))


@schema.hook
def flatmap_query(context, query):
    """The widget's config is looked up by site key: sometimes use the real one."""
    if not WORLDS or not isinstance(query, dict) or "siteKey" not in query:
        return st.just(query)
    return st.one_of(st.just(query), st.just({**query, "siteKey": WORLDS[-1].site_key}))


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case, world: World, botaz) -> None:
    security = case.operation.definition.raw.get("security") or []
    schemes = {name for requirement in security for name in requirement}
    headers: dict[str, str] = {}
    if "visitorToken" in schemes:
        headers["Authorization"] = f"Bearer {world.visitor_token}"
    elif "apiToken" in schemes:
        headers["Authorization"] = f"Bearer {world.token}"
    case.call_and_validate(base_url=botaz.url, headers=headers, checks=CHECKS, timeout=15)
