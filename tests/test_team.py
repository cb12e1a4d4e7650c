"""Roles, agents, tokens, conversations, private notes and canned responses over HTTP."""

from __future__ import annotations

from tests.test_sockets import Socket, vheaders


def test_only_owners_manage_agents_tokens_and_settings(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.post("/api/agents", headers=acme.headers, json={
        "name": "Leyla", "email": "leyla@example.com", "password": "leyla-pass-1"})
    assert r.status_code == 201
    leyla = r.json()
    assert leyla["agent"]["role"] == "agent" and leyla["apiToken"].startswith("btz_")
    lh = {"Authorization": f"Bearer {leyla['apiToken']}"}
    for method, path, body in (("POST", "/api/agents", {"name": "X", "email": "x@example.com"}),
                               ("DELETE", f"/api/agents/{acme.agent_id}", None),
                               ("GET", "/api/tokens", None), ("POST", "/api/tokens", {"label": "x"}),
                               ("PUT", "/api/settings", {"widget": {"title": "Mine"}})):
        r = botaz.client.request(method, path, headers=lh, json=body)
        assert r.status_code == 403, path
    assert botaz.client.get("/api/agents", headers=lh).status_code == 200
    r = botaz.client.post("/api/agents", headers=acme.headers, json={"name": "L2", "email": "leyla@example.com"})
    assert r.status_code == 409
    r = botaz.client.post("/api/agents", headers=acme.headers, json={"name": "L3", "email": "bad"})
    assert r.status_code == 400
    assert botaz.client.delete(f"/api/agents/{acme.agent_id}", headers=acme.headers).status_code == 403
    assert botaz.client.delete(f"/api/agents/{leyla['agent']['_id']}", headers=acme.headers).status_code == 204
    assert botaz.client.get("/api/agents", headers=lh).status_code == 401
    ids = [a["_id"] for a in botaz.client.get("/api/agents", headers=acme.headers).json()["items"]]
    assert leyla["agent"]["_id"] not in ids


def test_tokens_are_shown_once_listed_and_revoked(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.post("/api/tokens", headers=acme.headers, json={"label": "CRM sync"})
    assert r.status_code == 201
    created = r.json()
    token = created.pop("token")
    listed = botaz.client.get("/api/tokens", headers=acme.headers).json()["items"]
    assert created in listed and all("token" not in t for t in listed)
    h = {"Authorization": f"Bearer {token}"}
    assert botaz.client.get("/api/agents", headers=h).status_code == 200
    assert botaz.client.delete(f"/api/tokens/{created['_id']}", headers=acme.headers).status_code == 204
    assert botaz.client.get("/api/agents", headers=h).status_code == 401
    assert botaz.client.delete(f"/api/tokens/{created['_id']}", headers=acme.headers).status_code == 404
    assert botaz.client.post("/api/tokens", headers=acme.headers, json={}).status_code == 400


def test_conversations_list_filters_search_and_unread(botaz) -> None:
    acme = botaz.account()
    second = acme.add_agent("Leyla")
    a, b, c = botaz.visitor(acme), botaz.visitor(acme), botaz.visitor(acme)
    botaz.client.put(f"/api/visitors/{a['visitorId']}", headers=acme.headers, json={"name": "Anar"})
    for v, text in ((a, "tariff plans?"), (b, "where is my order"), (b, "hello?")):
        botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": text})
    page = botaz.client.get("/api/conversations", headers=acme.headers).json()
    order = [item["visitor"]["_id"] for item in page["items"]]
    # c never wrote and nobody wrote to it: a visitor on the site, not a conversation.
    assert order == [b["visitorId"], a["visitorId"]]
    by_id = {item["visitor"]["_id"]: item for item in page["items"]}
    assert by_id[b["visitorId"]]["unread"] == 2 and by_id[b["visitorId"]]["lastMessage"]["text"] == "hello?"
    only_c = botaz.client.get(f"/api/conversations/{c['visitorId']}", headers=acme.headers).json()
    assert only_c["lastMessage"] is None and only_c["status"] == "open" and only_c["startedAt"] is None
    search = lambda q: [i["visitor"]["_id"] for i in botaz.client.get(
        "/api/conversations", headers=acme.headers, params={"q": q}).json()["items"]]
    assert search("anar") == [a["visitorId"]]
    assert search("ORDER") == [b["visitorId"]]
    # Assign, transfer, resolve, filter.
    r = botaz.client.post(f"/api/conversations/{a['visitorId']}/assign", headers=acme.headers,
                          json={"agentId": acme.agent_id})
    assert r.status_code == 200 and r.json()["assigneeId"] == acme.agent_id
    mine = lambda: [i["visitor"]["_id"] for i in botaz.client.get(
        "/api/conversations", headers=acme.headers, params={"assignee": "me"}).json()["items"]]
    assert mine() == [a["visitorId"]]
    r = botaz.client.post(f"/api/conversations/{a['visitorId']}/assign", headers=acme.headers,
                          json={"agentId": second["agentId"]})
    assert r.json()["assigneeId"] == second["agentId"] and mine() == []
    assert botaz.client.post(f"/api/conversations/{a['visitorId']}/assign", headers=acme.headers,
                             json={"agentId": "nope"}).status_code == 400
    r = botaz.client.post(f"/api/conversations/{b['visitorId']}/status", headers=acme.headers,
                          json={"status": "resolved"})
    assert r.json()["status"] == "resolved"
    resolved = botaz.client.get("/api/conversations", headers=acme.headers, params={"status": "resolved"}).json()
    assert [i["visitor"]["_id"] for i in resolved["items"]] == [b["visitorId"]]
    # The visitor writing again reopens it; an agent marking seen clears unread.
    last = botaz.client.post("/widget/v1/messages", headers=vheaders(b), json={"text": "still there?"}).json()
    conv = botaz.client.get(f"/api/conversations/{b['visitorId']}", headers=acme.headers).json()
    assert conv["status"] == "open" and conv["unread"] == 3
    botaz.client.post(f"/api/visitors/{b['visitorId']}/seen", headers=acme.headers, json={"messageId": last["_id"]})
    assert botaz.client.get(f"/api/conversations/{b['visitorId']}", headers=acme.headers).json()["unread"] == 0


def test_private_notes_never_reach_the_visitor(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    visitor_socket = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    agent_socket = Socket(botaz, "/api/ws", acme.token, resume=None)
    try:
        r = botaz.client.post(f"/api/conversations/{v['visitorId']}/notes", headers=acme.headers,
                              json={"text": "VIP customer, be nice"})
        assert r.status_code == 201
        note = r.json()
        assert agent_socket.next("note.created")["data"] == note
        assert visitor_socket.quiet("note.created", 0.8)
        notes = botaz.client.get(f"/api/conversations/{v['visitorId']}/notes", headers=acme.headers).json()
        assert notes["items"] == [note]
        history = botaz.client.get("/widget/v1/messages", headers=vheaders(v)).json()
        assert all("VIP" not in m["text"] for m in history)
        api_msgs = botaz.client.get(f"/api/visitors/{v['visitorId']}/messages", headers=acme.headers).json()
        assert api_msgs["items"] == []
    finally:
        visitor_socket.close()
        agent_socket.close()


def test_canned_responses(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.post("/api/canned", headers=acme.headers, json={"shortcut": "/hi", "text": "Hello! How can I help?"})
    assert r.status_code == 201 and r.json()["shortcut"] == "hi"
    canned = r.json()
    assert botaz.client.post("/api/canned", headers=acme.headers, json={"shortcut": "hi", "text": "x"}).status_code == 409
    assert botaz.client.post("/api/canned", headers=acme.headers, json={"shortcut": "a b", "text": "x"}).status_code == 400
    r = botaz.client.put(f"/api/canned/{canned['_id']}", headers=acme.headers, json={"text": "Salam!"})
    assert r.json() == canned | {"text": "Salam!"}
    assert botaz.client.get("/api/canned", headers=acme.headers).json()["items"] == [canned | {"text": "Salam!"}]
    assert botaz.client.delete(f"/api/canned/{canned['_id']}", headers=acme.headers).status_code == 204
    assert botaz.client.get("/api/canned", headers=acme.headers).json()["items"] == []
