"""Seen marks, the pre-chat form and its settings, page tracking and attachments."""

from __future__ import annotations

import json

from tests.test_sockets import Socket, vheaders

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def test_seen_both_ways(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    a1 = botaz.send(acme, v["visitorId"], "one")
    a2 = botaz.send(acme, v["visitorId"], "two")
    a3 = botaz.send(acme, v["visitorId"], "three")
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    try:
        r = botaz.client.post("/widget/v1/seen", headers=vheaders(v), json={"messageId": a2["_id"]})
        assert r.status_code == 200 and r.json() == {"seen": [a1["_id"], a2["_id"]]}
        updates = [agent.next("message.updated")["data"] for _ in range(2)]
        assert [(m["_id"], m["seen"]) for m in updates] == [(a1["_id"], True), (a2["_id"], True)]
        get = lambda m: botaz.client.get(f"/api/messages/{m['_id']}", headers=acme.headers).json()
        assert get(a1)["seen"] is True and get(a2)["seen"] is True and get(a3)["seen"] is False
        # Again: nothing new to mark.
        r = botaz.client.post("/widget/v1/seen", headers=vheaders(v), json={"messageId": a2["_id"]})
        assert r.json() == {"seen": []}
        mine = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "hey"}).json()
        r = botaz.client.post(f"/api/visitors/{v['visitorId']}/seen", headers=acme.headers,
                              json={"messageId": mine["_id"]})
        assert r.json() == {"seen": [mine["_id"]]}
        assert get(mine)["seen"] is True and get(a3)["seen"] is False
        for bad in ({}, {"messageId": "nope"}, {"messageId": 5}):
            r = botaz.client.post("/widget/v1/seen", headers=vheaders(v), json=bad)
            assert r.status_code in (400, 404), bad
    finally:
        agent.close()


def test_preform_follows_account_settings(botaz) -> None:
    acme = botaz.account()
    second = acme.add_agent()
    r = botaz.client.get("/api/settings", headers=acme.headers)
    assert r.status_code == 200 and r.json()["preform"]["enabled"] is False
    new = {"preform": {"enabled": True, "fields": ["name", "email"]},
           "widget": {"greeting": "Salam!", "color": "#aa3300"}}
    r = botaz.client.put("/api/settings", headers={"Authorization": f"Bearer {second['apiToken']}"}, json=new)
    assert r.status_code == 403
    r = botaz.client.put("/api/settings", headers=acme.headers, json=new)
    assert r.status_code == 200
    assert r.json()["widget"]["greeting"] == "Salam!" and r.json()["widget"]["title"]
    for bad in ({"preform": {"fields": ["age"]}}, {"widget": {"color": "red"}}, {"theme": 1}):
        assert botaz.client.put("/api/settings", headers=acme.headers, json=bad).status_code == 400
    config = botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert config["preform"] == {"enabled": True, "fields": ["name", "email"]}
    assert config["widget"]["color"] == "#aa3300" and config["accountName"] == "Acme"

    v = botaz.visitor(acme)
    r = botaz.client.post("/widget/v1/preform", headers=vheaders(v), json={"name": "Anar"})
    assert r.status_code == 400 and "email" in r.json()["message"]
    r = botaz.client.post("/widget/v1/preform", headers=vheaders(v),
                          json={"name": "Anar", "email": "not-an-email"})
    assert r.status_code == 400
    r = botaz.client.post("/widget/v1/preform", headers=vheaders(v),
                          json={"name": "Anar", "email": "anar@example.com", "phone": None})
    assert r.status_code == 200
    assert r.json()["preformFilled"] is True and r.json()["name"] == "Anar"
    v_api = botaz.client.get(f"/api/visitors/{v['visitorId']}", headers=acme.headers).json()
    assert v_api["email"] == "anar@example.com" and v_api["preformFilled"] is True
    assert botaz.client.get("/widget/v1/me", headers=vheaders(v)).json() == v_api


def test_pages_are_tracked(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    for i in range(3):
        r = botaz.client.post("/widget/v1/pages", headers=vheaders(v), json={
            "url": f"https://shop.example/p{i}", "title": f"Page {i}", "referrer": "https://google.example/"})
        assert r.status_code == 201
    assert botaz.client.post("/widget/v1/pages", headers=vheaders(v), json={"title": "x"}).status_code == 400
    pages = botaz.client.get(f"/api/visitors/{v['visitorId']}/pages", headers=acme.headers).json()
    assert [p["url"] for p in pages["items"]] == [f"https://shop.example/p{i}" for i in (2, 1, 0)]


def test_attachments_are_served_to_the_conversation_only(botaz) -> None:
    acme, other = botaz.account(), botaz.account("Other")
    v, stranger = botaz.visitor(acme), botaz.visitor(acme)
    r = botaz.client.post("/widget/v1/attachments", content=PNG, headers=vheaders(v) | {
        "Content-Type": "image/png", "X-Filename": "pixel%20one.png"})
    assert r.status_code == 201, r.text
    msg = r.json()
    assert msg["text"] == "pixel one.png" and msg["userId"] is None
    att = msg["attachment"]
    assert att["type"] == "image/png" and att["size"] == len(PNG) and att["url"] == f"/attachments/{att['id']}"
    # The conversation's visitor and the account's agents can fetch it; no one else can.
    got = botaz.client.get(att["url"], headers=vheaders(v))
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    assert botaz.client.get(att["url"], headers=acme.headers).content == PNG
    assert botaz.client.get(att["url"], headers=vheaders(stranger)).status_code == 404
    assert botaz.client.get(att["url"], headers=other.headers).status_code == 404
    assert botaz.client.get(att["url"]).status_code == 401
    history = botaz.client.get("/widget/v1/messages", headers=vheaders(v)).json()
    assert history[-1] == msg
    # Agents send files too.
    r = botaz.client.post(f"/api/visitors/{v['visitorId']}/attachments", content=b"%PDF-1.4 test",
                          headers=acme.headers | {"Content-Type": "application/pdf", "X-Filename": "offer.pdf"})
    assert r.status_code == 201 and r.json()["userId"] == acme.agent_id
    # Limits.
    r = botaz.client.post("/widget/v1/attachments", content=b"MZ...", headers=vheaders(v) | {
        "Content-Type": "application/x-msdownload", "X-Filename": "virus.exe"})
    assert r.status_code == 415 and r.json()["status"] == "error"
    r = botaz.client.post("/widget/v1/attachments", content=b"x" * (10 * 1024 * 1024 + 1),
                          headers=vheaders(v) | {"Content-Type": "image/png"})
    assert r.status_code == 413
    # Plain messages keep exactly the seed's keys.
    plain = botaz.send(acme, v["visitorId"], "no file")
    assert "attachment" not in plain

