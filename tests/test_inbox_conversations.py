"""The inbox holds conversations, not page views; "Visitors now" lists who is on the site.

Runs on SQLite and, with BOTAZ_TEST_DATABASE_URL, on PostgreSQL (conftest's `botaz` fixture).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from botaz.client import Client
from botaz.store import Store
from botaz.store.db import open_database
from tests.conftest import schema_before
from tests.test_cluster import cluster  # noqa: F401  (a fixture: two nodes, PostgreSQL, Redis)
from tests.test_sockets import Socket, vheaders

LISTINGS = [{}, {"status": "open"}, {"status": "resolved"}, {"status": "all"},
            {"assignee": "me"}, {"assignee": "none"}, {"assignee": "all"}]


def listed(botaz, account, **params: Any) -> list[str]:
    ids, cursor = [], None
    while True:
        r = botaz.client.get("/api/conversations", headers=account.headers,
                             params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        ids += [item["visitor"]["_id"] for item in r.json()["items"]]
        cursor = r.json()["next"]
        if not cursor:
            return ids


def in_any_listing(botaz, account, visitor_id: str, name: str | None = None) -> list[dict[str, Any]]:
    """The listings (every status, assignee and search variant) that show the visitor."""
    variants = LISTINGS + [{"assignee": account.agent_id}]
    if name:
        variants += [{"q": name}, {"q": name, "status": "all"}]
    return [params for params in variants if visitor_id in listed(botaz, account, **params)]


def all_visitors(botaz, account) -> list[str]:
    r = botaz.client.get("/api/visitors", headers=account.headers, params={"limit": 100})
    assert r.status_code == 200, r.text
    return [v["_id"] for v in r.json()["items"]]


def online(botaz, account, **params: Any) -> dict[str, Any]:
    r = botaz.client.get("/api/visitors/online", headers=account.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def wait_for(check, what: str, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_visitor_is_a_conversation_from_its_first_message(botaz) -> None:
    acme = botaz.account()
    browsing = botaz.visitor(acme)
    vid = browsing["visitorId"]
    # Named, assigned to me and resolved, it is still no conversation: nobody has written.
    botaz.client.put(f"/api/visitors/{vid}", headers=acme.headers, json={"name": "Nigar Browsing"})
    assert botaz.client.post(f"/api/conversations/{vid}/assign", headers=acme.headers,
                             json={"agentId": acme.agent_id}).status_code == 200
    assert in_any_listing(botaz, acme, vid, "Nigar") == []
    assert vid in all_visitors(botaz, acme)
    one = botaz.client.get(f"/api/conversations/{vid}", headers=acme.headers).json()
    assert one["startedAt"] is None and one["lastMessage"] is None

    # The visitor writes: now it is in every listing it matches.
    sent = botaz.client.post("/widget/v1/messages", headers=vheaders(browsing), json={"text": "Hi there"})
    assert sent.status_code == 201
    assert in_any_listing(botaz, acme, vid, "Nigar") == [
        {}, {"status": "open"}, {"status": "all"}, {"assignee": "me"}, {"assignee": "all"},
        {"assignee": acme.agent_id}, {"q": "Nigar"}, {"q": "Nigar", "status": "all"}]
    one = botaz.client.get(f"/api/conversations/{vid}", headers=acme.headers).json()
    assert one["startedAt"] == sent.json()["sentAt"]
    botaz.client.post(f"/api/conversations/{vid}/status", headers=acme.headers, json={"status": "resolved"})
    assert vid in listed(botaz, acme, status="resolved") and vid not in listed(botaz, acme, status="open")

    # An agent writes first to another visitor: that makes a conversation too.
    greeted = botaz.visitor(acme)
    gid = greeted["visitorId"]
    assert gid not in listed(botaz, acme)
    first = botaz.send(acme, gid, "Hello! Can I help you find something?")
    assert gid in listed(botaz, acme) and gid in listed(botaz, acme, assignee="none")
    assert botaz.client.get(f"/api/conversations/{gid}", headers=acme.headers).json()["startedAt"] == first["sentAt"]
    assert set(all_visitors(botaz, acme)) >= {vid, gid}

    # Another account sees none of them.
    other = botaz.account("Other")
    assert listed(botaz, other) == []


def test_a_bot_message_alone_makes_no_conversation(botaz) -> None:
    acme = botaz.account()
    bot = acme.add_agent("Greeter", bot=True)
    v = botaz.visitor(acme)
    r = botaz.client.post("/api/messages/", headers=acme.headers, json={
        "userId": bot["agentId"], "visitorId": v["visitorId"], "text": "Hi! Questions? Ask away."})
    assert r.status_code == 201, r.text
    assert in_any_listing(botaz, acme, v["visitorId"]) == []
    conv = botaz.client.get(f"/api/conversations/{v['visitorId']}", headers=acme.headers).json()
    assert conv["startedAt"] is None and conv["lastMessage"]["text"] == "Hi! Questions? Ask away."
    # The visitor answers: a conversation, started by that answer.
    answer = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "Yes, one"}).json()
    conv = botaz.client.get(f"/api/conversations/{v['visitorId']}", headers=acme.headers).json()
    assert conv["startedAt"] == answer["sentAt"]
    assert v["visitorId"] in listed(botaz, acme)


def test_agents_hear_when_a_conversation_starts(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    try:
        time.sleep(0.2)
        sent = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "first"}).json()
        assert agent.next("message.created")["data"] == sent
        started = agent.next("conversation.updated")["data"]
        assert started["visitor"]["_id"] == v["visitorId"]
        assert started["startedAt"] == sent["sentAt"] and started["lastMessage"] == sent
        # Later messages are no new start.
        botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "second"})
        assert agent.quiet("conversation.updated")
    finally:
        agent.close()


def test_visitors_now_lists_who_is_on_the_site_with_page_and_time(botaz) -> None:
    acme, other = botaz.account(), botaz.account("Other")
    v, w = botaz.visitor(acme), botaz.visitor(acme)
    stranger = botaz.visitor(other)
    assert online(botaz, acme) == {"items": [], "total": 0}
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    sockets = [Socket(botaz, "/widget/v1/ws", x["visitorToken"], resume=None) for x in (v, w, stranger)]
    try:
        now = wait_for(lambda: (lambda o: o if o["total"] == 2 else None)(online(botaz, acme)),
                       "two visitors on the site")
        assert {i["visitor"]["_id"] for i in now["items"]} == {w["visitorId"], v["visitorId"]}
        starts = [iso(i["visitStartedAt"]) for i in now["items"]]
        assert starts == sorted(starts, reverse=True)  # the latest arrivals first
        first = next(i for i in now["items"] if i["visitor"]["_id"] == v["visitorId"])
        assert first["page"] is None and first["conversationStartedAt"] is None
        assert first["status"] == "open" and first["assigneeId"] is None
        assert abs(iso(first["visitStartedAt"]) - time.time()) < 30
        assert first["visitor"]["userAgent"].startswith("Mozilla/5.0")
        assert online(botaz, other)["total"] == 1

        # The widget reports its page: the agents hear it, and the listing has it.
        r = botaz.client.post("/widget/v1/pages", headers=vheaders(v), json={
            "url": "https://shop.example/pricing", "title": "Pricing", "referrer": "https://search.example/"})
        assert r.status_code == 201
        heard = agent.next("visitor.page")["data"]
        assert heard == {"visitorId": v["visitorId"], **r.json()}
        item = next(i for i in online(botaz, acme)["items"] if i["visitor"]["_id"] == v["visitorId"])
        assert item["page"] == r.json()
        assert item["page"]["title"] == "Pricing" and iso(item["page"]["visitedAt"]) >= iso(item["visitStartedAt"]) - 1
        assert sockets[0].quiet("visitor.page")  # never sent to the visitor

        # It is a visitor on the site, not a conversation, until a message.
        assert v["visitorId"] not in listed(botaz, acme)
        sent = botaz.send(acme, v["visitorId"], "Hello, need help with pricing?")
        item = next(i for i in online(botaz, acme)["items"] if i["visitor"]["_id"] == v["visitorId"])
        assert item["conversationStartedAt"] == sent["sentAt"]
        assert v["visitorId"] in listed(botaz, acme)

        newest = online(botaz, acme)["items"][0]
        with Client(botaz.url, acme.token) as client:
            assert client.online_visitors() == online(botaz, acme)
        assert online(botaz, acme, limit=1) == {"items": [newest], "total": 2}
        for bad in ("0", "501", "many"):
            r = botaz.client.get("/api/visitors/online", headers=acme.headers, params={"limit": bad})
            assert r.status_code == 400 and "limit" in r.json()["message"]
        assert botaz.client.get("/api/visitors/online").status_code == 401

        # The widget goes away: so does the row.
        sockets[1].close()
        wait_for(lambda: [i["visitor"]["_id"] for i in online(botaz, acme)["items"]] == [v["visitorId"]],
                 "the closed widget to leave the list")
    finally:
        for s in sockets:
            s.close()
        agent.close()


def test_a_visit_lasts_across_page_loads(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)

    def connect() -> Socket:
        s = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
        while agent.next("visitor.updated")["data"].get("online") is not True:
            pass  # presence stored: the visit's start with it
        return s

    try:
        time.sleep(0.2)
        s = connect()
        started = online(botaz, acme)["items"][0]["visitStartedAt"]
        s.close()  # the next page load closes the socket and opens another
        while agent.next("visitor.updated")["data"].get("online") is not False:
            pass
        s = connect()
        assert online(botaz, acme)["items"][0]["visitStartedAt"] == started
        s.close()
    finally:
        agent.close()


def test_the_migration_marks_existing_conversations(database_url, tmp_path) -> None:
    """Migration 11 on a database made before it: a visitor with messages is a conversation from
    its first message by the visitor or a person; one with only a bot's message, or none, is not."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path}/premigration.db"
        drop = None
    else:
        from tests.conftest import create_pg_database, drop_pg_database

        url = create_pg_database()
        drop = drop_pg_database

    async def run() -> None:
        db = await open_database(url)
        try:
            async with db.transaction() as tx:
                await schema_before(tx, 11)
                await tx.execute("INSERT INTO accounts (id, name, site_key, created_at) "
                                 "VALUES ('acc', 'Acme', 'site', 0)")
                for vid in ("wrote", "greeted", "botonly", "silent"):
                    await tx.execute(
                        "INSERT INTO visitors (id, account_id, token_hash, added_at, last_activity_at) "
                        "VALUES (?, 'acc', ?, 1, 1)", (vid, "hash-" + vid))
                messages = [("m1", "wrote", None, 500, 0), ("m2", "wrote", "agent", 700, 0),
                            ("m3", "greeted", "bot", 100, 1), ("m4", "greeted", "agent", 300, 0),
                            ("m5", "botonly", "bot", 200, 1)]
                for mid, vid, user, at, by_bot in messages:
                    await tx.execute(
                        "INSERT INTO messages (id, account_id, visitor_id, user_id, text, sent_at, by_bot) "
                        "VALUES (?, 'acc', ?, ?, 'hi', ?, ?)", (mid, vid, user, at, by_bot))
        finally:
            await db.close()
        store = await Store.open(url)
        try:
            rows = await store.db.fetchall("SELECT id, conversation_at FROM visitors ORDER BY id")
            assert {r["id"]: r["conversation_at"] for r in rows} == {
                "botonly": None, "greeted": 300, "silent": None, "wrote": 500}
            found = await store.list_conversations("acc", status=None, assignee=None, unassigned=False,
                                                   query=None, before=None, limit=10)
            assert sorted(r["id"] for r in found) == ["greeted", "wrote"]
            # The inbox query reads the partial index, not every visitor of the account: with
            # many visitors who only browsed, the planners of both databases pick it.
            async with store.db.transaction() as tx:
                for i in range(3000):
                    await tx.execute(
                        "INSERT INTO visitors (id, account_id, token_hash, added_at, last_activity_at) "
                        "VALUES (?, 'acc', ?, ?, ?)", (f"browse{i}", f"hash-browse{i}", i, i))
            await store.db.execute("ANALYZE visitors")
            sql = ("SELECT id FROM visitors v WHERE v.account_id = ? AND v.conversation_at IS NOT NULL "
                   "ORDER BY v.last_activity_at DESC, v.seq DESC LIMIT 50")
            if store.dialect == "sqlite":
                plan = await store.db.fetchall("EXPLAIN QUERY PLAN " + sql, ("acc",))
                text = " ".join(str(tuple(r)) for r in plan)
                assert "visitors_conversations" in text, text
            else:
                # Sorting and scanning made dear, the planner must serve the query from an index
                # in order: only the partial index can, without reading every visitor.
                async with store.db.transaction() as tx:
                    await tx.execute("SET LOCAL enable_seqscan = off")
                    await tx.execute("SET LOCAL enable_sort = off")
                    plan = await tx.fetchall("EXPLAIN " + sql, ("acc",))
                text = " ".join(str(list(dict(r).values())) for r in plan)
                assert "visitors_conversations" in text, text
        finally:
            await store.close()

    try:
        asyncio.run(run())
    finally:
        if drop is not None:
            drop(url)


def test_visitors_now_across_nodes(cluster) -> None:
    """With Redis, a widget connected to node A is on the site for an agent asking node B."""
    node_a, node_b = cluster
    acme = node_a.account()
    v = node_a.visitor(acme)
    s = Socket(node_a, "/widget/v1/ws", v["visitorToken"], resume=None)
    try:
        item = wait_for(lambda: online(node_b, acme)["items"], "the visitor on node B")[0]
        assert item["visitor"]["_id"] == v["visitorId"]
        node_a.client.post("/widget/v1/pages", headers=vheaders(v), json={"url": "https://shop.example/a"})
        assert online(node_b, acme)["items"][0]["page"]["url"] == "https://shop.example/a"
    finally:
        s.close()
    wait_for(lambda: online(node_b, acme) == {"items": [], "total": 0}, "the visitor to leave on B")
