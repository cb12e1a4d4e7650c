"""The visitor side: create a visitor by site key, write, read the conversation."""

from __future__ import annotations


def test_visitor_creation_and_conversation(botaz) -> None:
    acme = botaz.account()
    created = botaz.visitor(acme)
    assert set(created) == {"visitorId", "visitorToken", "visitor"}
    assert created["visitor"]["_id"] == created["visitorId"]
    h = {"Authorization": f"Bearer {created['visitorToken']}"}
    r = botaz.client.post("/widget/v1/messages", headers=h, json={"text": "Hello, anyone?"})
    assert r.status_code == 201
    mine = r.json()
    assert mine["userId"] is None and mine["visitorId"] == created["visitorId"]
    reply = botaz.send(acme, created["visitorId"], "Hi! How can I help?")
    r = botaz.client.get("/widget/v1/messages", headers=h)
    assert r.status_code == 200
    assert r.json() == [mine, reply]
    r = botaz.client.get("/widget/v1/messages", headers=h, params={"after": mine["_id"]})
    assert r.json() == [reply]
    # The agent sees the visitor's message through REST.
    assert botaz.client.get(f"/api/messages/{mine['_id']}", headers=acme.headers).json() == mine


def test_visitor_calls_need_their_token(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.post("/widget/v1/messages", json={"text": "hi"})
    assert r.status_code == 401
    assert r.json() == {"status": "error", "message": "You must be logged in to do this."}
    # An agent's API token is not a visitor token.
    r = botaz.client.get("/widget/v1/messages", headers=acme.headers)
    assert r.status_code == 401


def test_visitor_creation_validation(botaz) -> None:
    acme = botaz.account()
    for body, status in (({}, 400), ({"siteKey": "nope"}, 404),
                         ({"siteKey": acme.site_key, "cookieEnabled": "yes"}, 400),
                         ({"siteKey": acme.site_key, "userAgent": 5}, 400)):
        r = botaz.client.post("/widget/v1/visitors", json=body)
        assert r.status_code == status, body
        assert r.json()["status"] == "error"


def test_cors_for_any_origin(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.options("/widget/v1/visitors", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    r = botaz.client.post("/widget/v1/visitors", json={"siteKey": acme.site_key},
                          headers={"Origin": "https://shop.example"})
    assert r.status_code == 201 and r.headers["access-control-allow-origin"] == "*"
