"""Property tests (Hypothesis) against a real server, on every database backend.

(a) Visitor PUT behaves like a dict model: a string sets a value (trimmed), null or an empty
    string removes it, an absent key stays; anything invalid is a 400 that changes nothing.
(b) Cursor pagination of /api/visitors/:id/messages and /api/visitors has no gaps and no repeats
    for any page size, also while another thread inserts during the walk.
(c) Every ID is a 17-character Meteor ID and every timestamp is ISO 8601 UTC with milliseconds,
    in every message, visitor and agent the API returns.

Bounded for CI: few examples, no deadline, derandomized so a run is the same every time.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

import httpx
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
ID_RE = re.compile(rf"^[{ID_ALPHABET}]{{17}}$")
ISO_MS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FIELDS = ("name", "email", "phone", "notes")
MAX_LENGTH = {"name": 200, "email": 254, "phone": 50, "notes": 5000}


def bounded(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def error_of(r: httpx.Response) -> str:
    body = r.json()
    assert set(body) == {"status", "message"} and body["status"] == "error", body
    assert isinstance(body["message"], str) and body["message"], body
    return body["message"]


# --------------------------------------------------------------------------------------------
# (a) visitor PUT semantics

def _padded(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Sometimes surround a value with blanks, which the server trims."""
    blanks = st.sampled_from(["", " ", "  ", "\t", "\n", " \u00a0"])
    return st.tuples(blanks, text, blanks).map("".join)


# NUL is refused with a 400 on every database (PostgreSQL cannot store it): see invalid_body.
TEXT = st.one_of(
    st.text(st.characters(exclude_characters="\x00"), max_size=30),
    # Values worth trying on purpose: control characters, astral-plane and
    # combining characters, line separators, quotes and markup.
    st.sampled_from(["\x1f\x7f", "Ünal Çelik", "😀 emoji 𝔘",
                     "e\u0301", "line\u2028break", "tab\there", "'; DROP TABLE visitors; --",
                     "<script>alert(1)</script>", "\\", '"quoted"']),
)
EMAILS = st.emails().filter(lambda e: len(e) <= 200)
PHONES = st.from_regex(r"\+?[0-9 ()-]{3,20}", fullmatch=True)
VALID_VALUE = {
    "name": st.one_of(st.none(), st.just(""), _padded(TEXT)),
    "phone": st.one_of(st.none(), st.just(""), _padded(PHONES), _padded(TEXT)),
    "notes": st.one_of(st.none(), st.just(""), _padded(TEXT)),
    "email": st.one_of(st.none(), st.just(""), st.just(" "), _padded(EMAILS)),
}
VALID_BODY = st.fixed_dictionaries({}, optional=VALID_VALUE)

WRONG_TYPE = st.one_of(st.integers(), st.booleans(),
                       st.floats(allow_nan=False, allow_infinity=False),
                       st.lists(st.text(max_size=5), max_size=2),
                       st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2))
NOT_AN_EMAIL = st.one_of(
    st.sampled_from(["plainaddress", "anar@", "@example.com", "anar@example",
                     "anar@exa mple.com", "an ar@example.com", "anar@@example.com", "anar@example.",
                     "anar.example.com"]),
    st.text(min_size=1, max_size=20).filter(lambda s: "@" not in s and s.strip() != ""),
)
UNKNOWN_KEY = st.one_of(
    st.sampled_from(["_id", "banned", "agents", "addedAt", "lastOnline", "preformFilled",
                     "showBotMessages", "userAgent", "Name", "EMAIL", "name ", "e-mail", ""]),
    st.text(max_size=12).filter(lambda k: k not in FIELDS),
)


@st.composite
def invalid_body(draw: st.DrawFn) -> tuple[Any, str | None]:
    """A body the server must refuse whole, and the field its message must name (if any)."""
    kind = draw(st.sampled_from(["type", "unknown", "email", "length", "not-object", "nul"]))
    if kind == "not-object":
        return draw(st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=5),
                              st.integers(), st.none(), st.booleans())), None
    body = draw(VALID_BODY)  # valid keys alongside the bad one: nothing may be applied
    if kind == "type":
        field = draw(st.sampled_from(FIELDS))
        body[field] = draw(WRONG_TYPE)
    elif kind == "unknown":
        field = draw(UNKNOWN_KEY)
        body[field] = draw(st.one_of(st.none(), TEXT, st.integers()))
    elif kind == "email":
        field = "email"
        body[field] = draw(NOT_AN_EMAIL)
    elif kind == "nul":
        field = draw(st.sampled_from(FIELDS))
        body[field] = draw(st.sampled_from(["\x00", "Anar\x00Hasanzade", "a@b.c\x00"]))
    else:
        field = draw(st.sampled_from(FIELDS))
        size = MAX_LENGTH[field] + draw(st.integers(1, 20))
        body[field] = ("a" * (size - 12) + "@example.com") if field == "email" else "x" * size
    return body, field


PUT_STEP = st.one_of(VALID_BODY.map(lambda b: ("valid", b, None)),
                     invalid_body().map(lambda bf: ("invalid", bf[0], bf[1])))


@pytest.fixture(scope="module")
def acct(botaz):
    return botaz.account()


@bounded(25)
@given(steps=st.lists(PUT_STEP, min_size=1, max_size=6))
@example(steps=[("valid", {"name": "Anar Hasanzade", "email": " anar@example.com "}, None),
                ("valid", {"email": ""}, None), ("valid", {"name": "   "}, None)])
@example(steps=[("invalid", {"name": "Anar\x00Hasanzade", "notes": "\x00"}, "name")])
@example(steps=[("invalid", {"name": "ok", "agents": []}, "agents"),
                ("invalid", {"phone": "+994", "email": "anar@"}, "email")])
def test_visitor_put_matches_dict_model(botaz, acct, steps) -> None:
    client = botaz.client
    vid = botaz.visitor(acct)["visitorId"]
    url = f"/api/visitors/{vid}"
    r = client.get(url, headers=acct.headers)
    assert r.status_code == 200, r.text
    base = r.json()
    model = {k: base[k] for k in FIELDS}
    assert model == dict.fromkeys(FIELDS)
    for kind, body, field in steps:
        r = client.put(url, headers=acct.headers | {"Content-Type": "application/json"},
                       content=json.dumps(body).encode())
        assert r.status_code < 500, ("server error", body, r.status_code, r.text)
        if kind == "valid":
            for key, value in body.items():
                model[key] = (value.strip() or None) if isinstance(value, str) else None
            assert r.status_code == 200, (body, r.status_code, r.text)
            assert r.json() == base | model, body
        else:
            assert r.status_code == 400, (body, r.status_code, r.text)
            message = error_of(r)
            if field:
                assert field in message, (body, message)
        r = client.get(url, headers=acct.headers)
        assert r.status_code == 200, r.text
        assert r.json() == base | model, (body, "later GET")


# --------------------------------------------------------------------------------------------
# (b) pagination without gaps or repeats, also under concurrent inserts

def walk(client: httpx.Client, path: str, headers: dict[str, str], limit: int,
         bound: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(bound):
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        r = client.get(path, headers=headers, params=params)
        assert r.status_code == 200, (path, params, r.text)
        body = r.json()
        assert set(body) == {"items", "next"}, body
        assert len(body["items"]) <= limit, (limit, len(body["items"]))
        items += body["items"]
        cursor = body["next"]
        if cursor is None:
            return items
        assert isinstance(cursor, str) and cursor
    raise AssertionError(f"{path}: no last page after {bound} pages of {limit}")


class Inserter:
    """A second thread that creates objects through the API while the test walks a list."""

    def __init__(self, url: str, create: Callable[[httpx.Client], str], cap: int) -> None:
        self.url, self.create, self.cap = url, create, cap
        self.created: list[str] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.started = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.url, timeout=10) as client:
                while not self.stop.is_set() and len(self.created) < self.cap:
                    self.created.append(self.create(client))
                    self.started.set()
                    time.sleep(0.002)
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
        finally:
            self.started.set()

    def __enter__(self) -> "Inserter":
        self.thread.start()
        self.started.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive()


def walk_while_inserting(botaz, path: str, headers: dict[str, str], limit: int, bound: int,
                         create: Callable[[httpx.Client], str] | None,
                         known: list[str]) -> tuple[list[str], list[str]]:
    """Walk `path`; with `create`, a second thread inserts meanwhile. `known` (oldest first)
    gets what was inserted, even when the walk fails, so later examples stay consistent."""
    if create is None:
        return [o["_id"] for o in walk(botaz.client, path, headers, limit, bound)], []
    inserter = Inserter(botaz.url, create, cap=12)
    try:
        with inserter:
            walked = [o["_id"] for o in walk(botaz.client, path, headers, limit, bound)]
    finally:
        known += inserter.created
    assert not inserter.errors, inserter.errors
    assert inserter.created, "nothing was inserted during the walk"
    return walked, list(inserter.created)


def check_walk(walked: list[str], before: list[str], inserted: list[str]) -> None:
    """`before` oldest first, existing when the walk began; `inserted` created during it."""
    assert len(walked) == len(set(walked)), "an item was listed twice"
    unknown = set(walked) - set(before) - set(inserted)
    assert not unknown, f"items that were never created: {unknown}"
    missing = [i for i in before if i not in set(walked)]
    assert not missing, f"{len(missing)} items that existed before the walk are missing: {missing}"
    order = {item: n for n, item in enumerate(before + inserted)}
    positions = [order[i] for i in walked]
    assert positions == sorted(positions, reverse=True), "not newest first"


@pytest.fixture(scope="module")
def conversation(botaz, acct) -> dict[str, Any]:
    """A visitor with a conversation of agent and visitor messages, all IDs oldest first."""
    created = botaz.visitor(acct)
    vid, token = created["visitorId"], created["visitorToken"]
    ids: list[str] = []
    for i in range(24):
        if i % 3 == 2:
            r = botaz.client.post("/widget/v1/messages", json={"text": f"visitor {i}"},
                                  headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 201, r.text
            ids.append(r.json()["_id"])
        else:
            ids.append(botaz.send(acct, vid, f"agent {i}")["_id"])
    return {"visitorId": vid, "visitorToken": token, "ids": ids}


PAGE_SIZE = st.one_of(st.integers(1, 9), st.sampled_from([10, 23, 24, 25, 50, 100]))


@bounded(12)
@given(limit=PAGE_SIZE, concurrent=st.booleans(), visitor_side=st.booleans())
def test_message_pages_have_no_gaps_or_repeats(botaz, acct, conversation, limit, concurrent,
                                               visitor_side) -> None:
    vid = conversation["visitorId"]
    path = f"/api/visitors/{vid}/messages"
    before = list(conversation["ids"])
    bound = len(before) + 200

    def post_message(client: httpx.Client) -> str:
        if visitor_side:
            r = client.post("/widget/v1/messages", json={"text": "during the walk"},
                            headers={"Authorization": f"Bearer {conversation['visitorToken']}"})
        else:
            r = client.post("/api/messages/", headers=acct.headers, json={
                "userId": acct.agent_id, "visitorId": vid, "text": "during the walk"})
        assert r.status_code == 201, r.text
        return r.json()["_id"]

    walked, inserted = walk_while_inserting(botaz, path, acct.headers, limit, bound,
                                            post_message if concurrent else None,
                                            conversation["ids"])
    check_walk(walked, before, inserted)
    if not concurrent:
        assert walked == list(reversed(before))
    # Once things are quiet, a walk sees everything, exactly once, newest first.
    quiet = [m["_id"] for m in walk(botaz.client, path, acct.headers, limit, bound + 20)]
    assert quiet == list(reversed(conversation["ids"]))


@pytest.fixture(scope="module")
def crowd(botaz) -> dict[str, Any]:
    """An account of its own with visitors, IDs oldest first."""
    account = botaz.account("Crowd")
    return {"account": account, "ids": [botaz.visitor(account)["visitorId"] for _ in range(20)]}


@bounded(10)
@given(limit=PAGE_SIZE, concurrent=st.booleans())
def test_visitor_pages_have_no_gaps_or_repeats(botaz, crowd, limit, concurrent) -> None:
    account = crowd["account"]
    before = list(crowd["ids"])
    bound = len(before) + 200
    body = {"siteKey": account.site_key, "userAgent": "Mozilla/5.0", "appName": "Netscape",
            "appVersion": "5.0", "platform": "Linux x86_64", "cookieEnabled": True}

    def create_visitor(client: httpx.Client) -> str:
        r = client.post("/widget/v1/visitors", json=body)
        assert r.status_code == 201, r.text
        return r.json()["visitorId"]

    walked, inserted = walk_while_inserting(botaz, "/api/visitors", account.headers, limit, bound,
                                            create_visitor if concurrent else None, crowd["ids"])
    check_walk(walked, before, inserted)
    if not concurrent:
        assert walked == list(reversed(before))
    quiet = [v["_id"] for v in walk(botaz.client, "/api/visitors", account.headers, limit,
                                    bound + 20)]
    assert quiet == list(reversed(crowd["ids"]))


# --------------------------------------------------------------------------------------------
# (c) ID and timestamp formats everywhere

ID_KEYS = {"_id", "userId", "visitorId", "agentId", "messageId"}
TIME_KEYS = {"sentAt", "addedAt", "lastOnline", "createdAt", "updatedAt", "seenAt", "editedAt"}


def check_formats(value: Any, where: str, seen: Callable[[str, str], None]) -> None:
    """Every ID-like key holds a Meteor ID, every time-like key an ISO 8601 ms UTC time."""
    if isinstance(value, list):
        for n, item in enumerate(value):
            check_formats(item, f"{where}[{n}]", seen)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        path = f"{where}.{key}"
        if key in ID_KEYS and item is not None:
            assert isinstance(item, str) and ID_RE.match(item), (path, item)
            if key == "_id":
                seen(item, path)
        elif key == "agents":
            assert isinstance(item, list), (path, item)
            for agent_id in item:
                assert isinstance(agent_id, str) and ID_RE.match(agent_id), (path, agent_id)
        elif (key in TIME_KEYS or key.endswith("At")) and item is not None:
            assert isinstance(item, str) and ISO_MS_RE.match(item), (path, item)
            when = datetime.strptime(item, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
            assert abs((datetime.now(timezone.utc) - when).total_seconds()) < 3600, (path, item)
        else:
            check_formats(item, path, seen)


ACTION = st.sampled_from(["agent-message", "second-agent-message", "visitor-message", "edit",
                          "delete", "put-visitor", "preform", "ban", "unban", "new-visitor"])


@pytest.fixture(scope="module")
def team(botaz) -> dict[str, Any]:
    account = botaz.account("Formats")
    second = account.add_agent("Leyla")["agentId"]
    bot = account.add_agent("Helper", bot=True)["agentId"]
    return {"account": account, "agents": [account.agent_id, second, bot]}


# NUL is left out here: storing it is (a)'s business, this test is about formats.
FORMAT_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1,
                      max_size=20).filter(lambda s: s.strip() != "")


@bounded(10)
@given(actions=st.lists(ACTION, min_size=1, max_size=8), text=FORMAT_TEXT)
def test_ids_and_timestamps_have_the_contract_formats(botaz, team, actions, text) -> None:
    client, account = botaz.client, team["account"]
    h = account.headers
    ids: dict[str, str] = {}

    def seen(object_id: str, path: str) -> None:
        ids.setdefault(object_id, path)

    bodies: list[tuple[str, Any]] = []

    def record(label: str, r: httpx.Response, *ok: int) -> Any:
        assert r.status_code in ok, (label, r.status_code, r.text)
        body = r.json() if r.content else None
        bodies.append((label, body))
        return body

    created = botaz.visitor(account)
    bodies.append(("POST /widget/v1/visitors", created))
    visitors = [(created["visitorId"], created["visitorToken"])]
    agent_messages: list[str] = []
    for action in actions:
        vid, vtoken = visitors[-1]
        vh = {"Authorization": f"Bearer {vtoken}"}
        if action in ("agent-message", "second-agent-message"):
            user = account.agent_id if action == "agent-message" else team["agents"][1]
            m = record(action, client.post("/api/messages/", headers=h, json={
                "userId": user, "visitorId": vid, "text": text}), 201, 403)
            if m.get("_id"):
                agent_messages.append(m["_id"])
        elif action == "visitor-message":
            record(action, client.post("/widget/v1/messages", headers=vh, json={"text": text}),
                   201, 403)
        elif action == "edit" and agent_messages:
            record(action, client.put(f"/api/messages/{agent_messages[-1]}", headers=h,
                                      json={"text": text + "!"}), 200)
        elif action == "delete" and agent_messages:
            record(action, client.delete(f"/api/messages/{agent_messages.pop()}", headers=h), 200)
        elif action == "put-visitor":
            record(action, client.put(f"/api/visitors/{vid}", headers=h,
                                      json={"name": text, "notes": text}), 200)
        elif action == "preform":
            record(action, client.post("/widget/v1/preform", headers=vh, json={
                "name": text, "email": "anar@example.com", "phone": "+994124801574"}), 200, 403)
        elif action in ("ban", "unban"):
            record(action, client.post(f"/api/visitors/{vid}/{action}", headers=h), 200)
        elif action == "new-visitor":
            fresh = botaz.visitor(account)
            bodies.append((action, fresh))
            visitors.append((fresh["visitorId"], fresh["visitorToken"]))
    for vid, vtoken in visitors:
        record("GET visitor", client.get(f"/api/visitors/{vid}", headers=h), 200)
        record("GET messages", client.get(f"/api/visitors/{vid}/messages", headers=h,
                                          params={"limit": 100}), 200)
        record("GET widget messages", client.get("/widget/v1/messages",
                                                 headers={"Authorization": f"Bearer {vtoken}"}),
               200, 403)
    for mid in agent_messages:
        record("GET message", client.get(f"/api/messages/{mid}", headers=h), 200)
    listed = record("GET visitors", client.get("/api/visitors", headers=h, params={"limit": 100}),
                    200)
    agents = record("GET agents", client.get("/api/agents", headers=h, params={"limit": 100}), 200)
    assert {a["_id"] for a in agents["items"]} == set(team["agents"])
    assert {vid for vid, _ in visitors} <= {v["_id"] for v in listed["items"]}

    for label, body in bodies:
        check_formats(body, label, seen)
    # Objects of each kind carry their ID and their times.
    for label, body in bodies:
        for obj in (body or {}).get("items", []) if isinstance(body, dict) else []:
            assert "_id" in obj and ("sentAt" in obj or "addedAt" in obj), (label, obj)
    for agent in agents["items"]:
        assert ISO_MS_RE.match(agent["addedAt"]), agent
    for vid, _ in visitors:
        assert vid in ids
