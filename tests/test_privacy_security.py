"""Erasure and export, the audit log, security headers and the widget's allowed origins."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.test_sockets import Socket, vheaders
from tests.test_widget_features import PNG


def test_export_and_erase_a_visitor(botaz, receiver) -> None:
    acme = botaz.account()
    hook = botaz.client.post("/api/webhooks", headers=acme.headers,
                             json={"url": receiver.url, "events": ["visitor.deleted"]}).json()
    v = botaz.visitor(acme)
    botaz.client.put(f"/api/visitors/{v['visitorId']}", headers=acme.headers, json={"name": "Anar", "email": "a@example.com"})
    mine = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "my secret"}).json()
    reply = botaz.send(acme, v["visitorId"], "answer")
    botaz.client.post("/widget/v1/pages", headers=vheaders(v), json={"url": "https://shop.example/a"})
    botaz.client.post(f"/api/conversations/{v['visitorId']}/notes", headers=acme.headers, json={"text": "note"})
    att = botaz.client.post("/widget/v1/attachments", content=PNG, headers=vheaders(v) | {
        "Content-Type": "image/png", "X-Filename": "me.png"}).json()["attachment"]
    export = botaz.client.get(f"/api/visitors/{v['visitorId']}/export", headers=acme.headers).json()
    assert export["visitor"]["name"] == "Anar"
    assert [m["_id"] for m in export["messages"]][:2] == [mine["_id"], reply["_id"]]
    assert export["pages"][0]["url"] == "https://shop.example/a"
    assert export["notes"][0]["text"] == "note" and export["attachments"][0]["id"] == att["id"]
    assert len(export["conversations"]) == 1 and export["conversations"][0]["visitorId"] == v["visitorId"]

    socket = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    r = botaz.client.delete(f"/api/visitors/{v['visitorId']}", headers=acme.headers)
    assert r.status_code == 200 and r.json()["name"] == "Anar"
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(20):
            socket.ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4404
    for path in (f"/api/visitors/{v['visitorId']}", f"/api/messages/{mine['_id']}",
                 f"/api/messages/{reply['_id']}", f"/api/visitors/{v['visitorId']}/export"):
        assert botaz.client.get(path, headers=acme.headers).status_code == 404, path
    assert botaz.client.get(att["url"], headers=acme.headers).status_code == 404
    assert botaz.client.get("/widget/v1/me", headers=vheaders(v)).status_code == 401
    event = json.loads(receiver.wait_for(1)[0]["body"])
    assert event["event"] == "visitor.deleted" and event["data"] == {"_id": v["visitorId"]}
    assert botaz.client.delete(f"/api/visitors/{v['visitorId']}", headers=acme.headers).status_code == 404
    del hook


def test_audit_log_records_agent_actions(botaz) -> None:
    acme = botaz.account()
    second = acme.add_agent("Leyla")
    sh = {"Authorization": f"Bearer {second['apiToken']}"}
    v = botaz.visitor(acme)
    m = botaz.send(acme, v["visitorId"], "typo")
    botaz.client.put(f"/api/messages/{m['_id']}", headers=sh, json={"text": "fixed"})
    botaz.client.delete(f"/api/messages/{m['_id']}", headers=acme.headers)
    botaz.client.put(f"/api/visitors/{v['visitorId']}", headers=sh, json={"name": "Anar"})
    botaz.client.post(f"/api/visitors/{v['visitorId']}/ban", headers=sh)
    token = botaz.client.post("/api/tokens", headers=acme.headers, json={"label": "x"}).json()
    assert botaz.client.get("/api/audit", headers=sh).status_code == 403
    log = botaz.client.get("/api/audit", headers=acme.headers).json()["items"]
    got = [(e["agentId"], e["action"], e["targetId"]) for e in reversed(log)]
    assert got == [
        (second["agentId"], "message.edit", m["_id"]),
        (acme.agent_id, "message.delete", m["_id"]),
        (second["agentId"], "visitor.update", v["visitorId"]),
        (second["agentId"], "visitor.ban", v["visitorId"]),
        (acme.agent_id, "token.create", token["_id"]),
    ]
    assert log[2]["details"] == {"fields": ["name"]}


def test_security_headers(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.get("/login")
    if r.status_code == 200:
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
        assert r.headers["x-frame-options"] == "DENY"
    r = botaz.client.get("/api/docs")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    r = botaz.client.get("/demo", params={"siteKey": acme.site_key})
    assert "script-src 'self'" in r.headers["content-security-policy"]
    r = botaz.client.get("/api/agents", headers=acme.headers)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_allowed_origins_limit_the_widget(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.put("/api/settings", headers=acme.headers,
                         json={"allowedOrigins": ["https://shop.example", "not an origin"]})
    assert r.status_code == 400
    r = botaz.client.put("/api/settings", headers=acme.headers, json={"allowedOrigins": ["https://Shop.example/"]})
    assert r.json()["allowedOrigins"] == ["https://shop.example"]
    good, bad = {"Origin": "https://shop.example"}, {"Origin": "https://evil.example"}
    body = {"siteKey": acme.site_key}
    assert botaz.client.post("/widget/v1/visitors", json=body, headers=bad).status_code == 403
    v = botaz.client.post("/widget/v1/visitors", json=body, headers=good).json()
    h = vheaders(v)
    assert botaz.client.get("/widget/v1/messages", headers=h | good).status_code == 200
    assert botaz.client.get("/widget/v1/messages", headers=h | bad).status_code == 403
    assert botaz.client.get("/widget/v1/config", params=body, headers=bad).status_code == 403
    url = botaz.url.replace("http", "ws") + f"/widget/v1/ws?token={v['visitorToken']}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    connect(url, origin="https://shop.example").close()


def test_agents_notes_never_reach_the_visitor(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    socket = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    try:
        r = botaz.client.put(f"/api/visitors/{v['visitorId']}", headers=acme.headers,
                             json={"name": "Anar", "notes": "difficult customer"})
        assert r.json()["notes"] == "difficult customer"
        frame = socket.next("visitor.updated")
        while frame["data"]["name"] != "Anar":  # its own presence update may come first
            frame = socket.next("visitor.updated")
        assert frame["data"]["notes"] is None
        me = botaz.client.get("/widget/v1/me", headers=vheaders(v)).json()
        assert me["notes"] is None and me["name"] == "Anar"
    finally:
        socket.close()


def test_bot_messages_to_a_visitor_with_bots_off_reach_agents_only(botaz) -> None:
    acme = botaz.account()
    bot = acme.add_agent("Bot", bot=True)
    v = botaz.visitor(acme)
    botaz.client.put(f"/api/visitors/{v['visitorId']}/bot", headers=acme.headers, json={"showBotMessages": False})
    visitor_socket = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    agent_socket = Socket(botaz, "/api/ws", acme.token, resume=None)
    try:
        sent = botaz.send(acme, v["visitorId"], "from the bot", user_id=bot["agentId"])
        assert sent["bot"] is True
        assert agent_socket.next("message.created")["data"]["_id"] == sent["_id"]
        assert visitor_socket.quiet("message.created", 0.8)
    finally:
        visitor_socket.close()
        agent_socket.close()
