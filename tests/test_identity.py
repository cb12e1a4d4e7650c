"""Known users over real HTTP: the identity secret, /widget/v1/identify, merges, attributes, and
the pruning of silent visitors; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

from botaz.ids import now_ms
from botaz.webhooks.dispatcher import prune_silent_visitors

from conftest import _run
from test_sockets import Socket, vheaders


def secret_of(botaz, account) -> str:
    r = botaz.client.get("/api/settings", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()["identitySecret"]


def signed(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def identify(botaz, account, user_id: str, hash_: str, token: str | None = None, **extra):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return botaz.client.post("/widget/v1/identify", headers=headers,
                             json={"siteKey": account.site_key, "id": user_id, "hash": hash_, **extra})


def history(botaz, token: str) -> list[str]:
    r = botaz.client.get("/widget/v1/messages", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return [m["text"] for m in r.json()]


def test_the_secret_is_for_owners_and_rotates(botaz) -> None:
    acme = botaz.account()
    secret = secret_of(botaz, acme)
    assert len(secret) == 64 and secret == secret_of(botaz, acme)  # made once, then kept
    agent = acme.add_agent("Leyla")
    as_agent = {"Authorization": f"Bearer {agent['apiToken']}"}
    assert "identitySecret" not in botaz.client.get("/api/settings", headers=as_agent).json()
    refused = botaz.client.post("/api/settings/identity-secret", headers=as_agent)
    assert refused.status_code == 403 and "owner" in refused.json()["message"]
    old_hash = signed(secret, "user-1")
    assert identify(botaz, acme, "user-1", old_hash).status_code == 200
    r = botaz.client.post("/api/settings/identity-secret", headers=acme.headers)
    assert r.status_code == 200, r.text
    new = r.json()["identitySecret"]
    assert new != secret and secret_of(botaz, acme) == new
    assert identify(botaz, acme, "user-1", old_hash).status_code == 403
    assert identify(botaz, acme, "user-1", signed(new, "user-1")).status_code == 200
    other = botaz.account("Other")
    assert secret_of(botaz, other) != new


def test_the_same_user_on_two_browsers_sees_one_conversation(botaz) -> None:
    acme = botaz.account()
    secret = secret_of(botaz, acme)
    laptop = botaz.visitor(acme)
    botaz.client.post("/widget/v1/messages", headers=vheaders(laptop), json={"text": "Before sign-in"})
    r = identify(botaz, acme, "user-42", signed(secret, "user-42"), laptop["visitorToken"],
                 name="Anar", email="anar@example.com")
    assert r.status_code == 200, r.text
    known = r.json()
    # The user had no visitor: the laptop's anonymous visitor became the user's and keeps its chat.
    assert known["visitorId"] == laptop["visitorId"]
    assert known["visitor"]["name"] == "Anar" and known["visitor"]["email"] == "anar@example.com"
    botaz.send(acme, known["visitorId"], "Hello Anar")
    # Another browser: an anonymous visitor that wrote, then the same user signs in.
    phone = botaz.visitor(acme)
    botaz.client.post("/widget/v1/messages", headers=vheaders(phone), json={"text": "From the phone"})
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    try:
        r = identify(botaz, acme, "user-42", signed(secret, "user-42"), phone["visitorToken"])
        assert r.status_code == 200, r.text
        merged = r.json()
        assert merged["visitorId"] == laptop["visitorId"]
        assert merged["visitorToken"] not in (phone["visitorToken"], laptop["visitorToken"])
        deleted = agent.next("visitor.deleted")["data"]
        assert deleted == {"_id": phone["visitorId"], "mergedInto": laptop["visitorId"]}
    finally:
        agent.close()
    expected = ["Before sign-in", "Hello Anar", "From the phone"]
    assert history(botaz, merged["visitorToken"]) == expected
    assert history(botaz, laptop["visitorToken"]) == expected  # the laptop's token still works
    # The phone's anonymous visitor is gone; agents see one visitor with the whole conversation.
    assert botaz.client.get(f"/api/visitors/{phone['visitorId']}", headers=acme.headers).status_code == 404
    assert botaz.client.get("/widget/v1/me", headers=vheaders(phone)).status_code == 401
    # A third browser that identifies without any visitor of its own gets the same one.
    fresh = identify(botaz, acme, "user-42", signed(secret, "user-42")).json()
    assert fresh["visitorId"] == laptop["visitorId"] and history(botaz, fresh["visitorToken"]) == expected


def test_a_forged_hash_is_refused_and_changes_nothing(botaz) -> None:
    acme = botaz.account()
    secret = secret_of(botaz, acme)
    user = identify(botaz, acme, "user-7", signed(secret, "user-7")).json()
    botaz.send(acme, user["visitorId"], "Your order shipped")
    mallory = botaz.visitor(acme)
    cases = [signed(secret, "user-8"), signed("guess", "user-7"), "0" * 64]
    for bad in cases:
        r = identify(botaz, acme, "user-7", bad, mallory["visitorToken"], name="Mallory")
        assert r.status_code == 403, r.text
        assert r.json()["status"] == "error" and "hash" in r.json()["message"]
    assert history(botaz, mallory["visitorToken"]) == []
    assert history(botaz, user["visitorToken"]) == ["Your order shipped"]
    me = botaz.client.get("/widget/v1/me", headers=vheaders(mallory)).json()
    assert me["_id"] == mallory["visitorId"] and me["name"] is None
    # Another account's secret does not sign for this one.
    other = botaz.account("Other")
    assert identify(botaz, acme, "user-7", signed(secret_of(botaz, other), "user-7")).status_code == 403
    for body, field in [({"siteKey": acme.site_key, "id": "u", "hash": "xyz"}, "hash"),
                        ({"siteKey": acme.site_key, "hash": "0" * 64}, "id"),
                        ({"siteKey": acme.site_key, "id": "u", "hash": "g" * 64}, "hash"),
                        ({"siteKey": "sk_nope", "id": "u", "hash": "0" * 64}, "siteKey")]:
        r = botaz.client.post("/widget/v1/identify", json=body)
        assert r.status_code in (400, 404), r.text
        assert field in r.json()["message"]


def test_a_browser_of_another_user_is_not_merged(botaz) -> None:
    acme = botaz.account()
    secret = secret_of(botaz, acme)
    alice = identify(botaz, acme, "alice", signed(secret, "alice")).json()
    botaz.client.post("/widget/v1/messages", headers=vheaders(alice), json={"text": "Alice here"})
    # Bob signs in on the browser Alice used: Alice's visitor stays Alice's.
    bob = identify(botaz, acme, "bob", signed(secret, "bob"), alice["visitorToken"]).json()
    assert bob["visitorId"] != alice["visitorId"]
    assert history(botaz, bob["visitorToken"]) == []
    assert history(botaz, alice["visitorToken"]) == ["Alice here"]


def test_attributes_are_validated_merged_and_shown_to_agents(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    r = botaz.client.post("/widget/v1/attributes", headers=vheaders(v),
                          json={"attributes": {"plan": "pro", "seats": 12, "trial": False}})
    assert r.status_code == 200, r.text
    assert r.json() == {"attributes": {"plan": "pro", "seats": 12, "trial": False}}
    r = botaz.client.post("/widget/v1/attributes", headers=vheaders(v),
                          json={"attributes": {"trial": None, "company": "Acme"}})
    assert r.json()["attributes"] == {"plan": "pro", "seats": 12, "company": "Acme"}
    seen = botaz.client.get(f"/api/visitors/{v['visitorId']}/attributes", headers=acme.headers).json()
    assert seen == {"externalId": None, "attributes": {"plan": "pro", "seats": 12, "company": "Acme"}}
    other = botaz.account("Other")
    assert botaz.client.get(f"/api/visitors/{v['visitorId']}/attributes",
                            headers=other.headers).status_code == 404
    bad = [{"attributes": {"x" * 51: 1}}, {"attributes": {"list": [1, 2]}},
           {"attributes": {"nested": {"a": 1}}}, {"attributes": "plan=pro"},
           {"attributes": {f"k{i}": i for i in range(51)}}]
    for body in bad:
        r = botaz.client.post("/widget/v1/attributes", headers=vheaders(v), json=body)
        assert r.status_code == 400, (body, r.text)
        assert "attributes" in r.json()["message"]
    assert botaz.client.post("/widget/v1/attributes", json={"attributes": {}}).status_code == 401


def test_silent_visitors_are_pruned_with_their_page_views(botaz) -> None:
    acme = botaz.account()
    silent = botaz.visitor(acme)
    botaz.client.post("/widget/v1/pages", headers=vheaders(silent),
                      json={"url": "https://acme.example/pricing", "title": "Pricing"})
    wrote = botaz.visitor(acme)
    botaz.client.post("/widget/v1/messages", headers=vheaders(wrote), json={"text": "Hi"})
    written_to = botaz.visitor(acme)
    botaz.send(acme, written_to["visitorId"], "Can we help?")
    recent = botaz.visitor(acme)

    async def prune(chat):
        for v in (silent, wrote, written_to):  # last seen 31 days ago
            await chat.store.db.execute("UPDATE visitors SET last_online = ?, added_at = ? WHERE id = ?",
                                        (now_ms() - 31 * 86_400_000, now_ms() - 31 * 86_400_000,
                                         v["visitorId"]))
        removed = await prune_silent_visitors(chat, now_ms())
        pages = await chat.store.db.fetchone(
            "SELECT COUNT(*) AS n FROM visitor_pages WHERE visitor_id = ?", (silent["visitorId"],))
        return removed, pages["n"]

    removed, pages = asyncio.run(_run(botaz.database_url, prune))
    assert removed >= 1 and pages == 0
    status = {name: botaz.client.get(f"/api/visitors/{v['visitorId']}", headers=acme.headers).status_code
              for name, v in [("silent", silent), ("wrote", wrote), ("written_to", written_to),
                              ("recent", recent)]}
    assert status == {"silent": 404, "wrote": 200, "written_to": 200, "recent": 200}


def test_the_python_clients_identify_and_set_attributes(botaz) -> None:
    from botaz.client import Client, VisitorClient

    acme = botaz.account()
    owner = Client(botaz.url, acme.token)
    secret = owner.rotate_identity_secret()["identitySecret"]
    assert owner.get_settings()["identitySecret"] == secret
    browser = VisitorClient(botaz.url)
    anonymous = browser.create_visitor(acme.site_key)
    browser.send_message("Hi, anonymous so far")
    known = browser.identify("client-user", signed(secret, "client-user"), name="Leyla")
    assert known["visitorId"] == anonymous["visitorId"] and browser.me()["name"] == "Leyla"
    assert browser.set_attributes(plan="pro")["attributes"] == {"plan": "pro"}
    assert owner.visitor_attributes(known["visitorId"]) == {"externalId": "client-user",
                                                            "attributes": {"plan": "pro"}}
    assert [m["text"] for m in browser.messages()] == ["Hi, anonymous so far"]


def test_proactive_rules_fire_once_per_visitor(botaz) -> None:
    acme = botaz.account()
    rules = [{"id": "pricing", "text": "Questions about our plans?", "agentId": acme.agent_id,
              "urlContains": "/pricing", "afterSeconds": 30, "minVisits": 1},
             {"id": "pro-only", "text": "Hello, pro customer", "agentId": acme.agent_id,
              "attribute": {"plan": "pro"}},
             {"id": "off", "text": "Never", "agentId": acme.agent_id, "enabled": False}]
    r = botaz.client.put("/api/settings", headers=acme.headers, json={"proactive": rules})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["proactive"]] == ["pricing", "pro-only", "off"]
    config = botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()
    assert config["proactive"] == [
        {"id": "pricing", "urlContains": "/pricing", "afterSeconds": 30, "minVisits": 1, "attribute": None},
        {"id": "pro-only", "urlContains": None, "afterSeconds": 0, "minVisits": 1, "attribute": {"plan": "pro"}}]
    assert "Questions" not in str(config)  # texts stay on the server until a rule fires

    v = botaz.visitor(acme)
    first = botaz.client.post("/widget/v1/proactive", headers=vheaders(v), json={"ruleId": "pricing"})
    assert first.status_code == 201, first.text
    assert first.json()["text"] == "Questions about our plans?" and first.json()["userId"] == acme.agent_id
    again = botaz.client.post("/widget/v1/proactive", headers=vheaders(v), json={"ruleId": "pricing"})
    assert again.status_code == 200 and again.json() is None
    assert history(botaz, v["visitorToken"]) == ["Questions about our plans?"]
    for rule_id, status in (("off", 404), ("nope", 404), ("pro-only", 400)):
        r = botaz.client.post("/widget/v1/proactive", headers=vheaders(v), json={"ruleId": rule_id})
        assert r.status_code == status, (rule_id, r.text)
    botaz.client.post("/widget/v1/attributes", headers=vheaders(v), json={"attributes": {"plan": "pro"}})
    assert botaz.client.post("/widget/v1/proactive", headers=vheaders(v),
                             json={"ruleId": "pro-only"}).status_code == 201
    other = botaz.visitor(acme)  # once per visitor, not once for all
    assert botaz.client.post("/widget/v1/proactive", headers=vheaders(other),
                             json={"ruleId": "pricing"}).status_code == 201

    bad = [([{"id": "a b", "text": "x", "agentId": acme.agent_id}], "id"),
           ([{"id": "a", "text": "x", "agentId": "nobodyAtAll123456"}], "agentId"),
           ([{"id": "a", "text": "x", "agentId": acme.agent_id, "afterSeconds": 99999}], "afterSeconds"),
           ([{"id": "a", "text": "x", "agentId": acme.agent_id}] * 2, "id"),
           ([{"id": "a", "agentId": acme.agent_id}], "text"),
           ("not a list", "proactive")]
    for value, field in bad:
        r = botaz.client.put("/api/settings", headers=acme.headers, json={"proactive": value})
        assert r.status_code == 400 and field in r.json()["message"], (value, r.text)


def test_identified_and_merged_visitors_are_found_by_the_inbox_search(botaz) -> None:
    acme = botaz.account()
    secret = secret_of(botaz, acme)
    laptop = botaz.visitor(acme)
    botaz.client.post("/widget/v1/messages", headers=vheaders(laptop), json={"text": "Salam"})
    r = identify(botaz, acme, "user-7", signed(secret, "user-7"), laptop["visitorToken"],
                 name="Nigar Əliyeva", email="nigar@example.com")
    assert r.status_code == 200, r.text

    def found(q: str) -> list[str]:
        r = botaz.client.get("/api/conversations", headers=acme.headers, params={"q": q})
        assert r.status_code == 200, r.text
        return [c["visitor"]["_id"] for c in r.json()["items"]]

    assert found("Nigar") == [laptop["visitorId"]] and found("əliyeva") == [laptop["visitorId"]]
    # A second browser with its own name merges into the user; the name it had leaves the index.
    phone = botaz.visitor(acme)
    assert botaz.client.put(f"/api/visitors/{phone['visitorId']}", headers=acme.headers,
                            json={"name": "Telefon Qonaq"}).status_code == 200
    botaz.client.post("/widget/v1/messages", headers=vheaders(phone), json={"text": "Telefondan"})
    assert found("Qonaq") == [phone["visitorId"]]
    r = identify(botaz, acme, "user-7", signed(secret, "user-7"), phone["visitorToken"])
    assert r.status_code == 200 and r.json()["visitorId"] == laptop["visitorId"]
    assert found("Qonaq") == []
    assert found("Telefondan") == [laptop["visitorId"]]  # its message came along

    async def index_is_consistent(chat) -> None:
        if chat.store.dialect == "sqlite":  # FTS5 compares the index with the visitors table
            await chat.store.db.execute(
                "INSERT INTO visitors_fts (visitors_fts) VALUES ('integrity-check')")

    asyncio.run(_run(botaz.database_url, index_is_consistent))
