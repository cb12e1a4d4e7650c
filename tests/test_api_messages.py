"""The seed's /api/messages endpoints over real HTTP, on every database backend."""

from __future__ import annotations

import re

from botaz.ids import is_id

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MESSAGE_KEYS = ["_id", "userId", "visitorId", "text", "seen", "sentAt"]
UNAUTHORIZED = {"status": "error", "message": "You must be logged in to do this."}


def test_post_message_returns_the_seed_object(botaz) -> None:
    acme = botaz.account()
    visitor = botaz.visitor(acme)["visitorId"]
    for path in ("/api/messages/", "/api/messages"):
        r = botaz.client.post(path, headers=acme.headers, json={
            "userId": acme.agent_id, "visitorId": visitor, "text": "Good morning! Can I help you?"})
        assert r.status_code == 201
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert list(body) == MESSAGE_KEYS
        assert is_id(body["_id"])
        assert body["userId"] == acme.agent_id
        assert body["visitorId"] == visitor
        assert body["text"] == "Good morning! Can I help you?"
        assert body["seen"] is False
        assert ISO_MS.match(body["sentAt"])


def test_get_put_delete_round_trip(botaz) -> None:
    acme = botaz.account()
    visitor = botaz.visitor(acme)["visitorId"]
    sent = botaz.send(acme, visitor, "Good afternoon! Can I help you?")
    r = botaz.client.get(f"/api/messages/{sent['_id']}", headers=acme.headers)
    assert r.status_code == 200 and r.json() == sent

    r = botaz.client.put(f"/api/messages/{sent['_id']}", headers=acme.headers,
                         json={"text": "Good evening! Can I help you?"})
    assert r.status_code == 200
    edited = r.json()
    assert edited == sent | {"text": "Good evening! Can I help you?"}
    assert botaz.client.get(f"/api/messages/{sent['_id']}", headers=acme.headers).json() == edited

    r = botaz.client.delete(f"/api/messages/{sent['_id']}", headers=acme.headers)
    assert r.status_code == 200 and r.json() == edited
    r = botaz.client.get(f"/api/messages/{sent['_id']}", headers=acme.headers)
    assert r.status_code == 404 and r.json()["status"] == "error"
    assert botaz.client.delete(f"/api/messages/{sent['_id']}", headers=acme.headers).status_code == 404


def test_visitor_messages_cannot_be_edited_or_deleted(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    r = botaz.client.post("/widget/v1/messages", json={"text": "Hi, I need help"},
                          headers={"Authorization": f"Bearer {v['visitorToken']}"})
    assert r.status_code == 201
    msg = r.json()
    assert msg["userId"] is None
    assert botaz.client.get(f"/api/messages/{msg['_id']}", headers=acme.headers).json() == msg
    r = botaz.client.put(f"/api/messages/{msg['_id']}", headers=acme.headers, json={"text": "x"})
    assert r.status_code == 403 and r.json() == {"status": "error", "message": r.json()["message"]}
    assert botaz.client.delete(f"/api/messages/{msg['_id']}", headers=acme.headers).status_code == 403
    assert botaz.client.get(f"/api/messages/{msg['_id']}", headers=acme.headers).json() == msg


def test_auth_is_required_with_the_seed_body(botaz) -> None:
    acme = botaz.account()
    visitor = botaz.visitor(acme)["visitorId"]
    sent = botaz.send(acme, visitor)
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                    {"Authorization": f"Bearer {acme.token}x"}):
        r = botaz.client.get(f"/api/messages/{sent['_id']}", headers=headers)
        assert r.status_code == 401
        assert r.json() == UNAUTHORIZED
        r = botaz.client.post("/api/messages/", headers=headers, json={})
        assert r.status_code == 401 and r.json() == UNAUTHORIZED


def test_other_accounts_see_404(botaz) -> None:
    acme, other = botaz.account(), botaz.account("Other")
    visitor = botaz.visitor(acme)["visitorId"]
    sent = botaz.send(acme, visitor)
    for method in ("GET", "DELETE"):
        r = botaz.client.request(method, f"/api/messages/{sent['_id']}", headers=other.headers)
        assert r.status_code == 404
    r = botaz.client.put(f"/api/messages/{sent['_id']}", headers=other.headers, json={"text": "x"})
    assert r.status_code == 404
    r = botaz.client.post("/api/messages/", headers=other.headers, json={
        "userId": other.agent_id, "visitorId": visitor, "text": "hi"})
    assert r.status_code == 404
    # An agent of another account is not a valid userId.
    r = botaz.client.post("/api/messages/", headers=other.headers, json={
        "userId": acme.agent_id, "visitorId": visitor, "text": "hi"})
    assert r.status_code == 400 and "userId" in r.json()["message"]
    assert botaz.client.get(f"/api/messages/{sent['_id']}", headers=acme.headers).json() == sent


def test_bad_input_names_the_field(botaz) -> None:
    acme = botaz.account()
    visitor = botaz.visitor(acme)["visitorId"]
    good = {"userId": acme.agent_id, "visitorId": visitor, "text": "hi"}
    cases = [
        ({k: v for k, v in good.items() if k != "text"}, "text"),
        ({k: v for k, v in good.items() if k != "userId"}, "userId"),
        ({k: v for k, v in good.items() if k != "visitorId"}, "visitorId"),
        (good | {"text": ""}, "text"),
        (good | {"text": "   "}, "text"),
        (good | {"text": 5}, "text"),
        (good | {"text": "x" * 10_001}, "text"),
        (good | {"userId": "MvSzqx36KksKNxHmK"}, "userId"),
        (good | {"color": "red"}, "color"),
    ]
    for body, field in cases:
        r = botaz.client.post("/api/messages/", headers=acme.headers, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["status"] == "error" and field in r.json()["message"], r.json()
    r = botaz.client.post("/api/messages/", headers=acme.headers,
                          json=good | {"visitorId": "BtR7qAyvZfTWoaC7a"})
    assert r.status_code == 404
    r = botaz.client.get(f"/api/visitors/{visitor}/messages", headers=acme.headers)
    assert r.json()["items"] == []


def test_message_put_validation(botaz) -> None:
    acme = botaz.account()
    sent = botaz.send(acme, botaz.visitor(acme)["visitorId"])
    for body in ({}, {"text": ""}, {"text": None}, {"text": "ok", "seen": True}):
        r = botaz.client.put(f"/api/messages/{sent['_id']}", headers=acme.headers, json=body)
        assert r.status_code == 400, body
    assert botaz.client.get(f"/api/messages/{sent['_id']}", headers=acme.headers).json() == sent


def test_banned_visitor_gets_403(botaz) -> None:
    import asyncio

    from tests.conftest import _run

    acme = botaz.account()
    visitor = botaz.visitor(acme)["visitorId"]

    async def ban(chat):
        await chat.store.update_visitor(visitor, {"banned": 1})

    asyncio.run(_run(acme.database_url, ban))
    r = botaz.client.post("/api/messages/", headers=acme.headers,
                          json={"userId": acme.agent_id, "visitorId": visitor, "text": "hi"})
    assert r.status_code == 403


def test_agents_list_records_first_contact_order(botaz) -> None:
    acme = botaz.account()
    second = acme.add_agent()
    visitor = botaz.visitor(acme)["visitorId"]
    botaz.send(acme, visitor, user_id=second["agentId"])
    botaz.send(acme, visitor, user_id=acme.agent_id)
    botaz.send(acme, visitor, user_id=second["agentId"])
    v = botaz.client.get(f"/api/visitors/{visitor}", headers=acme.headers).json()
    assert v["agents"] == [second["agentId"], acme.agent_id]
    # Another agent's token may send as any agent of the same account.
    r = botaz.client.post("/api/messages/", headers={"Authorization": f"Bearer {second['apiToken']}"},
                          json={"userId": acme.agent_id, "visitorId": visitor, "text": "on behalf"})
    assert r.status_code == 201
