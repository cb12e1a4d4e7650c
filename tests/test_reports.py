"""Conversations as episodes, ratings, labels and reports, over HTTP on both databases."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from typing import Any

from botaz.ids import iso_ms, new_id
from tests.conftest import _run
from tests.test_sockets import vheaders

T0 = 1_780_000_000_000  # 2026-05-28T20:26:40Z: the scripted conversations open from here
MIN = 60_000


def _status(botaz, account, visitor_id: str, status: str) -> dict[str, Any]:
    r = botaz.client.post(f"/api/conversations/{visitor_id}/status", headers=account.headers,
                          json={"status": status})
    assert r.status_code == 200, r.text
    return botaz.client.get(f"/api/conversations/{visitor_id}", headers=account.headers).json()


def _visitor_says(botaz, v: dict[str, Any], text: str = "Hi") -> None:
    r = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": text})
    assert r.status_code == 201, r.text


def test_messages_open_answer_and_resolve_episodes(botaz) -> None:
    acme = botaz.account()
    bot = acme.add_agent("Helper bot", bot=True)
    v = botaz.visitor(acme)
    vid = v["visitorId"]
    assert botaz.client.get(f"/api/conversations/{vid}", headers=acme.headers).json()["episode"] is None
    _visitor_says(botaz, v, "Hello?")
    _visitor_says(botaz, v, "Anyone?")
    botaz.send(acme, vid, "Beep, I am a bot", user_id=bot["agentId"])
    ep = botaz.client.get(f"/api/conversations/{vid}", headers=acme.headers).json()["episode"]
    assert ep["status"] == "open" and ep["openedBy"] is None and ep["firstResponseAt"] is None
    assert ep["botAnsweredAt"] is not None and ep["rating"] is None and ep["labels"] == []
    botaz.send(acme, vid, "Hi, Anar here")
    botaz.send(acme, vid, "How can I help?")
    ep = botaz.client.get(f"/api/conversations/{vid}", headers=acme.headers).json()["episode"]
    assert ep["firstResponderId"] == acme.agent_id and ep["firstResponseMs"] >= 0
    first_id = ep["_id"]
    for _ in range(2):  # assigning the same agent twice records one assignment
        r = botaz.client.post(f"/api/conversations/{vid}/assign", headers=acme.headers,
                              json={"agentId": acme.agent_id})
        assert r.status_code == 200
    done = _status(botaz, acme, vid, "resolved")
    assert done["episode"]["status"] == "resolved" and done["episode"]["resolvedBy"] == acme.agent_id
    assert done["episode"]["resolutionMs"] >= ep["firstResponseMs"]
    assert done["episode"]["assigneeId"] == acme.agent_id and not done["episode"]["resolvedByBot"]
    # resolving again changes nothing; the visitor writing again opens the next episode
    assert _status(botaz, acme, vid, "resolved")["episode"]["_id"] == first_id
    _visitor_says(botaz, v, "One more thing")
    conv = botaz.client.get(f"/api/conversations/{vid}", headers=acme.headers).json()
    assert conv["status"] == "open" and conv["episode"]["_id"] != first_id
    assert conv["episode"]["status"] == "open" and conv["episode"]["firstResponseAt"] is None
    history = botaz.client.get(f"/api/conversations/{vid}/history", headers=acme.headers).json()
    assert [e["_id"] for e in history["items"]] == [conv["episode"]["_id"], first_id]
    assert [a["agentId"] for a in history["items"][1]["assignments"]] == [acme.agent_id]
    page = botaz.client.get(f"/api/conversations/{vid}/history?limit=1", headers=acme.headers).json()
    assert len(page["items"]) == 1 and page["next"]
    rest = botaz.client.get(f"/api/conversations/{vid}/history?limit=1&cursor={page['next']}",
                            headers=acme.headers).json()
    assert [e["_id"] for e in rest["items"]] == [first_id] and rest["next"] is None
    # an agent starting a conversation opens it too, with no response time to count
    w = botaz.visitor(acme)
    botaz.send(acme, w["visitorId"], "Can I help you find something?")
    ep = botaz.client.get(f"/api/conversations/{w['visitorId']}", headers=acme.headers).json()["episode"]
    assert ep["openedBy"] == acme.agent_id and ep["firstResponseMs"] is None
    other = botaz.account("Other")
    assert botaz.client.get(f"/api/conversations/{vid}/history", headers=other.headers).status_code == 404


def test_bot_only_resolution_is_recorded(botaz) -> None:
    acme = botaz.account()
    bot = acme.add_agent("Helper bot", bot=True)
    v = botaz.visitor(acme)
    _visitor_says(botaz, v, "opening hours?")
    botaz.send(acme, v["visitorId"], "9 to 5", user_id=bot["agentId"])
    ep = _status(botaz, acme, v["visitorId"], "resolved")["episode"]
    assert ep["resolvedByBot"] is True and ep["firstResponderId"] is None


def test_a_bot_greeting_nobody_answered_is_no_conversation(botaz) -> None:
    acme = botaz.account()
    bot = acme.add_agent("Greeter bot", bot=True)
    v = botaz.visitor(acme)
    window = {"from": iso_ms(int(time.time() * 1000) - 60_000),
              "to": iso_ms(int(time.time() * 1000) + 60_000)}
    botaz.send(acme, v["visitorId"], "Hi! Can we help?", user_id=bot["agentId"])
    conversation = botaz.client.get(f"/api/conversations/{v['visitorId']}", headers=acme.headers).json()
    assert conversation["episode"] is None
    summary = botaz.client.get("/api/reports/summary", headers=acme.headers, params=window).json()
    assert summary["conversations"] == 0
    # The visitor's answer opens it, and the agent's reply is its first response.
    _visitor_says(botaz, v, "Yes, about delivery")
    botaz.send(acme, v["visitorId"], "Happy to help")
    ep = botaz.client.get(f"/api/conversations/{v['visitorId']}", headers=acme.headers).json()["episode"]
    assert ep["openedBy"] is None and ep["firstResponderId"] == acme.agent_id
    summary = botaz.client.get("/api/reports/summary", headers=acme.headers, params=window).json()
    assert summary["conversations"] == 1 and summary["firstResponseMs"]["median"] is not None


def test_rating_after_resolution(botaz, receiver) -> None:
    acme = botaz.account()
    hook = botaz.client.post("/api/webhooks", headers=acme.headers, json={
        "url": receiver.url, "events": ["conversation.rated", "conversation.resolved"]})
    assert hook.status_code == 201, hook.text
    v = botaz.visitor(acme)
    h = vheaders(v)
    r = botaz.client.post("/widget/v1/rating", headers=h, json={"score": 5})
    assert r.status_code == 409 and "conversation" in r.json()["message"]
    assert botaz.client.get("/widget/v1/rating", headers=h).json()["ask"] is False
    _visitor_says(botaz, v)
    botaz.send(acme, v["visitorId"], "Done!")
    assert botaz.client.get("/widget/v1/rating", headers=h).json()["ask"] is False
    _status(botaz, acme, v["visitorId"], "resolved")
    state = botaz.client.get("/widget/v1/rating", headers=h).json()
    assert state["ask"] is True and state["status"] == "resolved" and state["score"] is None
    for bad, field in (({"score": 0}, "score"), ({"score": 6}, "score"), ({"score": 4.5}, "score"),
                       ({"score": "5"}, "score"), ({"score": True}, "score"), ({}, "score"),
                       ({"score": 3, "comment": "x" * 1001}, "comment"),
                       ({"score": 3, "comment": 7}, "comment")):
        r = botaz.client.post("/widget/v1/rating", headers=h, json=bad)
        assert r.status_code == 400 and field in r.json()["message"], (bad, r.text)
    r = botaz.client.post("/widget/v1/rating", headers=h, json={"score": 4, "comment": " Quick, thanks "})
    assert r.status_code == 200, r.text
    assert r.json()["score"] == 4 and r.json()["comment"] == "Quick, thanks" and r.json()["ask"] is False
    assert botaz.client.get("/widget/v1/rating", headers=h).json()["ask"] is False
    ep = botaz.client.get(f"/api/conversations/{v['visitorId']}", headers=acme.headers).json()["episode"]
    assert ep["rating"]["score"] == 4 and ep["rating"]["comment"] == "Quick, thanks"
    deliveries = receiver.wait_for(2)
    import orjson

    bodies = [orjson.loads(d["body"]) for d in deliveries]
    assert [b["event"] for b in bodies] == ["conversation.resolved", "conversation.rated"]
    assert bodies[1]["data"]["rating"]["score"] == 4 and bodies[1]["data"]["_id"] == ep["_id"]
    # the switch: the widget is not asked to ask
    r = botaz.client.put("/api/settings", headers=acme.headers, json={"satisfaction": {"enabled": False}})
    assert r.status_code == 200 and r.json()["satisfaction"] == {"enabled": False}
    w = botaz.visitor(acme)
    _visitor_says(botaz, w)
    _status(botaz, acme, w["visitorId"], "resolved")
    assert botaz.client.get("/widget/v1/rating", headers=vheaders(w)).json()["ask"] is False
    r = botaz.client.put("/api/settings", headers=acme.headers, json={"satisfaction": {"enabled": "no"}})
    assert r.status_code == 400 and "enabled" in r.json()["message"]


def test_labels_crud_filter_and_webhooks(botaz, receiver) -> None:
    acme = botaz.account()
    helper = acme.add_agent("Leyla")
    lh = {"Authorization": f"Bearer {helper['apiToken']}"}
    r = botaz.client.post("/api/labels", headers=acme.headers, json={"name": "billing", "color": "#D97706"})
    assert r.status_code == 201, r.text
    billing = r.json()
    assert billing["color"] == "#d97706"
    assert botaz.client.post("/api/labels", headers=acme.headers,
                             json={"name": "Billing", "color": "#000000"}).status_code == 409
    r = botaz.client.post("/api/labels", headers=acme.headers, json={"name": "x", "color": "red"})
    assert r.status_code == 400 and "color" in r.json()["message"]
    assert botaz.client.post("/api/labels", headers=lh, json={"name": "y", "color": "#000000"}).status_code == 403
    vip = botaz.client.post("/api/labels", headers=acme.headers, json={"name": "vip", "color": "#7c3aed"}).json()
    r = botaz.client.put(f"/api/labels/{vip['_id']}", headers=acme.headers, json={"name": "VIP"})
    assert r.status_code == 200 and r.json()["name"] == "VIP" and r.json()["color"] == "#7c3aed"
    names = [label["name"] for label in botaz.client.get("/api/labels", headers=lh).json()["items"]]
    assert names == ["billing", "VIP"]
    botaz.client.post("/api/webhooks", headers=acme.headers, json={
        "url": receiver.url, "events": ["conversation.labeled"]})
    a, b = botaz.visitor(acme), botaz.visitor(acme)
    r = botaz.client.post(f"/api/conversations/{a['visitorId']}/labels", headers=lh,
                          json={"labelId": billing["_id"]})
    assert r.status_code == 409  # no conversation yet
    _visitor_says(botaz, a)
    _visitor_says(botaz, b)
    r = botaz.client.post(f"/api/conversations/{a['visitorId']}/labels", headers=lh,
                          json={"labelId": billing["_id"]})
    assert r.status_code == 200 and [x["name"] for x in r.json()["labels"]] == ["billing"]
    botaz.client.post(f"/api/conversations/{a['visitorId']}/labels", headers=lh, json={"labelId": vip["_id"]})
    botaz.client.post(f"/api/conversations/{b['visitorId']}/labels", headers=lh, json={"labelId": vip["_id"]})
    assert botaz.client.post(f"/api/conversations/{b['visitorId']}/labels", headers=lh,
                             json={"labelId": "nope"}).status_code == 404
    listed = botaz.client.get(f"/api/conversations?label={billing['_id']}", headers=lh).json()["items"]
    assert [c["visitor"]["_id"] for c in listed] == [a["visitorId"]]
    listed = botaz.client.get(f"/api/conversations?label={vip['_id']}", headers=lh).json()["items"]
    assert {c["visitor"]["_id"] for c in listed} == {a["visitorId"], b["visitorId"]}
    r = botaz.client.delete(f"/api/conversations/{a['visitorId']}/labels/{vip['_id']}", headers=lh)
    assert r.status_code == 200 and [x["name"] for x in r.json()["labels"]] == ["billing"]
    listed = botaz.client.get(f"/api/conversations?label={vip['_id']}", headers=lh).json()["items"]
    assert [c["visitor"]["_id"] for c in listed] == [b["visitorId"]]
    # a new episode starts without labels, so the inbox filter follows the current conversation
    _status(botaz, acme, b["visitorId"], "resolved")
    _visitor_says(botaz, b, "again")
    assert botaz.client.get(f"/api/conversations?label={vip['_id']}", headers=lh).json()["items"] == []
    import orjson

    bodies = [orjson.loads(d["body"])["data"] for d in receiver.wait_for(4)]
    of_a = [b for b in bodies if b["visitorId"] == a["visitorId"]]  # in order per visitor
    assert [x["name"] for x in of_a[1]["labels"]] == ["billing", "VIP"] and of_a[1]["added"]["name"] == "VIP"
    assert of_a[2]["removed"]["name"] == "VIP" and [x["name"] for x in of_a[2]["labels"]] == ["billing"]
    assert botaz.client.delete(f"/api/labels/{billing['_id']}", headers=acme.headers).status_code == 204
    ep = botaz.client.get(f"/api/conversations/{a['visitorId']}", headers=lh).json()["episode"]
    assert ep["labels"] == []
    assert botaz.client.delete(f"/api/labels/{billing['_id']}", headers=acme.headers).status_code == 404


def _script(account_id: str, visitor_ids: list[str], agents: tuple[str, str]) -> list[dict[str, Any]]:
    """Six conversations with known times: (open offset, opened by, first response after,
    responder, resolved after, bot, rating)."""
    anar, leyla = agents
    plan = [
        (0, None, 1 * MIN, anar, 10 * MIN, False, 5),
        (1, None, 2 * MIN, anar, 20 * MIN, False, 4),
        (2, None, 3 * MIN, leyla, 30 * MIN, False, 2),
        (3, None, 10 * MIN, leyla, None, False, None),
        (4, None, None, None, 5 * MIN, True, None),      # a bot answered and it was resolved
        (5, anar, 0, anar, 40 * MIN, False, 3),          # Anar started it: no response time
    ]
    rows = []
    for i, (day, opener, answer, responder, resolve, bot, score) in enumerate(plan):
        opened = T0 + day * 86_400_000
        rows.append({"id": new_id(), "account_id": account_id, "visitor_id": visitor_ids[i],
                     "opened_at": opened, "opened_by": opener,
                     "first_response_at": None if answer is None else opened + answer,
                     "first_responder_id": responder,
                     "first_bot_at": opened + 30_000 if bot else None, "assignee_id": None,
                     "resolve": None if resolve is None else opened + resolve, "score": score})
    return rows


def test_report_figures_are_exact(botaz) -> None:
    acme = botaz.account()
    leyla = acme.add_agent("Leyla")
    visitors = [botaz.visitor(acme)["visitorId"] for _ in range(7)]
    rows = _script(acme.id, visitors, (acme.agent_id, leyla["agentId"]))

    async def insert(chat) -> None:
        for row in rows:
            assert await chat.store.insert_episode(row)
            if row["resolve"] is not None:
                await chat.store.resolve_episode(row["visitor_id"], acme.agent_id, row["resolve"])
            if row["score"] is not None:
                await chat.store.rate_episode(row["id"], row["score"], "ok", row["opened_at"] + 3600_000)
        # one outside the window, and one in another account
        late = dict(rows[0], id=new_id(), visitor_id=visitors[6], opened_at=T0 + 40 * 86_400_000)
        assert await chat.store.insert_episode(late)

    asyncio.run(_run(acme.database_url, insert))
    window = {"from": "2026-05-28T00:00:00Z", "to": "2026-06-27"}
    r = botaz.client.get("/api/reports/summary", headers=acme.headers, params=window)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["conversations"] == 6
    # first responses (visitor-started, answered): 1, 2, 3, 10 minutes
    assert s["firstResponseMs"] == {"median": 150_000, "p90": 474_000}
    # resolutions: 10, 20, 30, 5, 40 minutes -> sorted 5, 10, 20, 30, 40
    assert s["resolutionMs"] == {"median": 20 * MIN, "p90": 36 * MIN}
    assert s["csat"] == {"average": 3.5, "count": 4}
    assert s["byAgent"] == [
        {"agentId": acme.agent_id, "conversations": 3, "firstResponseMs": {"median": 90_000}},
        {"agentId": leyla["agentId"], "conversations": 2, "firstResponseMs": {"median": 390_000}},
    ]
    assert s["resolved"] == 5 and s["resolvedByBot"] == 1
    assert s["firstResponseTarget"] == {"seconds": 300, "met": 0.75}
    assert s["from"] == "2026-05-28T00:00:00.000Z" and s["to"] == "2026-06-28T00:00:00.000Z"
    # a narrower window: only the first two days
    s = botaz.client.get("/api/reports/summary", headers=acme.headers,
                         params={"from": "2026-05-28T20:00:00Z", "to": "2026-05-29T21:00:00Z"}).json()
    assert s["conversations"] == 2 and s["csat"] == {"average": 4.5, "count": 2}
    # an agent (not only owners) may read reports; another account sees nothing of these
    lh = {"Authorization": f"Bearer {leyla['apiToken']}"}
    assert botaz.client.get("/api/reports/summary", headers=lh, params=window).json()["conversations"] == 6
    other = botaz.account("Other")
    empty = botaz.client.get("/api/reports/summary", headers=other.headers, params=window).json()
    assert empty["conversations"] == 0 and empty["firstResponseMs"] == {"median": None, "p90": None}
    assert empty["csat"] == {"average": None, "count": 0} and empty["byAgent"] == []
    # the breakdown in a time zone: Baku is UTC+4, so the first conversation opens on May 29 00:26
    b = botaz.client.get("/api/reports/breakdown", headers=acme.headers,
                         params={**window, "tz": "Asia/Baku"}).json()
    assert b["ratings"] == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1}
    full = botaz.client.get("/api/reports/summary", headers=acme.headers, params=window).json()
    assert b["summary"] == full  # two ways of counting (rows here, SQL sums there), one result
    by_date = {d["date"]: d for d in b["days"]}
    assert by_date["2026-05-29"]["conversations"] == 1 and by_date["2026-05-29"]["firstResponseMs"]["median"] == MIN
    assert sum(sum(row) for row in b["heatmap"]) == 6 and b["heatmap"][4][0] == 1  # a Friday, 00h
    # the CSV
    r = botaz.client.get("/api/reports/conversations.csv", headers=acme.headers, params=window)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [t["conversationId"] for t in table] == [row["id"] for row in rows]
    assert table[0]["firstResponseMs"] == "60000" and table[0]["rating"] == "5"
    assert table[4]["resolvedByBot"] == "true" and table[5]["firstResponseMs"] == ""
    assert table[3]["resolvedAt"] == "" and table[0]["openedAt"] == "2026-05-28T20:26:40.000Z"


def test_report_windows_are_validated(botaz) -> None:
    acme = botaz.account()
    for params, word in (({"from": "yesterday"}, "from"), ({"to": "2026-13-01"}, "to"),
                         ({"from": "2026-06-02", "to": "2026-06-01"}, "from"),
                         ({"from": "2026-06-01T10:00:00+25:00"}, "from")):
        for path in ("/api/reports/summary", "/api/reports/conversations.csv", "/api/reports/breakdown"):
            r = botaz.client.get(path, headers=acme.headers, params=params)
            assert r.status_code == 400 and word in r.json()["message"], (path, params, r.text)
    r = botaz.client.get("/api/reports/summary", headers=acme.headers, params={"to": "9999-12-31"})
    assert r.status_code == 400 and "to" in r.json()["message"]
    r = botaz.client.get("/api/reports/breakdown", headers=acme.headers,
                         params={"from": "2020-01-01", "to": "2026-01-01"})
    assert r.status_code == 400 and "400 days" in r.json()["message"]
    r = botaz.client.get("/api/reports/breakdown", headers=acme.headers, params={"tz": "Mars/Base"})
    assert r.status_code == 400 and "tz" in r.json()["message"]
    assert botaz.client.get("/api/reports/summary").status_code == 401
    s = botaz.client.get("/api/reports/summary", headers=acme.headers).json()
    assert s["conversations"] == 0  # the default window: the last 30 days


def test_migration_builds_episodes_from_existing_messages(tmp_path) -> None:
    from botaz.store import migrations
    from botaz.store.db import open_database

    url = f"sqlite:///{tmp_path}/old.db"

    async def go() -> None:
        db = await open_database(url)
        saved = migrations.MIGRATIONS
        migrations.MIGRATIONS = [m for m in saved if m[0] < 16]
        try:
            await migrations.migrate(db)
        finally:
            migrations.MIGRATIONS = saved
        await db.execute("INSERT INTO accounts (id, name, site_key, created_at) VALUES ('A', 'a', 'k', 0)")
        await db.execute("INSERT INTO agents (id, account_id, name, email, created_at) "
                         "VALUES ('G', 'A', 'g', 'g@x', 0)")
        await db.execute("INSERT INTO agents (id, account_id, name, email, is_bot, created_at) "
                         "VALUES ('B', 'A', 'b', 'b@x', 1, 0)")
        for vid, status in (("V1", "resolved"), ("V2", "open"), ("V3", "open")):
            await db.execute("INSERT INTO visitors (id, account_id, token_hash, added_at, status) "
                             "VALUES (?, 'A', ?, 0, ?)", (vid, vid, status))
        for i, (vid, user, bot, at) in enumerate((("V1", None, 0, 1000), ("V1", "B", 1, 2000),
                                                   ("V1", "G", 0, 5000), ("V1", None, 0, 9000),
                                                   ("V2", "G", 0, 100))):
            await db.execute("INSERT INTO messages (id, account_id, visitor_id, user_id, text, sent_at, "
                             "by_bot) VALUES (?, 'A', ?, ?, 't', ?, ?)", (f"M{i}", vid, user, at, bot))
        await migrations.migrate(db)
        rows = {r["visitor_id"]: r for r in await db.fetchall("SELECT * FROM conversations")}
        await db.close()
        assert set(rows) == {"V1", "V2"}  # V3 never wrote
        v1, v2 = rows["V1"], rows["V2"]
        assert (v1["opened_at"], v1["opened_by"], v1["first_response_at"], v1["first_responder_id"],
                v1["first_bot_at"], v1["resolved_at"]) == (1000, None, 5000, "G", 2000, 9000)
        assert (v2["opened_by"], v2["first_response_at"], v2["resolved_at"]) == ("G", 100, None)

    asyncio.run(go())


def test_message_path_runs_no_episode_statement_in_an_ongoing_conversation(database_url) -> None:
    """The cost on POST /api/messages/: statements on episodes, counted per message."""
    from botaz.chat import messages, team
    from botaz.chat.accounts import Principal, do_create_account, do_create_agent
    from botaz.chat.schemas import MessageCreate, WidgetMessageCreate, WidgetVisitorCreate
    from botaz.chat.visitors import do_create_visitor

    calls: list[str] = []

    async def go(chat) -> None:
        store = chat.store
        for name in ("open_episode", "insert_episode", "episode_first_response", "episode_first_bot"):
            original = getattr(store, name)

            def counted(*args, _original=original, _name=name, **kwargs):
                calls.append(_name)
                return _original(*args, **kwargs)

            setattr(store, name, counted)
        acct = await do_create_account(chat, name="A", agent_name="Anar", agent_email="a@example.com",
                                       agent_password="secret-pass")
        me = Principal(account_id=acct["accountId"], agent_id=acct["agentId"], role="owner",
                       is_bot=False, token_id=None)
        bot = await do_create_agent(chat, account_id=acct["accountId"], name="Bot", email="b@example.com", bot=True)
        created = await do_create_visitor(chat, WidgetVisitorCreate(siteKey=acct["siteKey"]), None)
        visitor = await chat.store.get_visitor(acct["accountId"], created["visitorId"])

        async def step(who: str) -> list[str]:
            calls.clear()
            if who == "visitor":
                await messages.do_send_visitor_message(chat, visitor, WidgetMessageCreate(text="hi"))
            else:
                user = acct["agentId"] if who == "agent" else bot["agentId"]
                await messages.do_send_agent_message(chat, me, MessageCreate(
                    userId=user, visitorId=visitor["id"], text="hello"))
            await asyncio.sleep(0)
            return list(calls)

        assert await step("visitor") == ["open_episode", "insert_episode"]  # cold: asks once, opens
        assert await step("visitor") == []
        assert await step("bot") == ["episode_first_bot"]
        assert await step("bot") == []
        assert await step("agent") == ["episode_first_response"]
        for who in ("agent", "visitor", "agent", "bot", "visitor"):
            assert await step(who) == [], who  # an ongoing conversation: nothing extra
        await team.do_set_status(chat, visitor, "resolved", acct["agentId"])
        assert await step("visitor") == ["insert_episode"]  # known closed: straight to the insert
        assert await step("visitor") == []

    asyncio.run(_run(database_url, go))


def test_ranked_sql_matches_the_rows_for_random_conversations(botaz) -> None:
    """The summary's SQL ranks and the breakdown's Python agree, for many window sizes."""
    import random

    acme = botaz.account()
    helpers = [acme.agent_id, acme.add_agent("Leyla")["agentId"], acme.add_agent("Kamran")["agentId"]]
    rnd = random.Random(7)
    visitors = [botaz.visitor(acme)["visitorId"] for _ in range(40)]

    async def insert(chat) -> None:
        for i, vid in enumerate(visitors):
            opened = T0 + i * 3_600_000
            answered = rnd.random() < 0.8
            agent_opened = rnd.random() < 0.15
            row = {"id": new_id(), "account_id": acme.id, "visitor_id": vid, "opened_at": opened,
                   "opened_by": rnd.choice(helpers) if agent_opened else None,
                   "first_response_at": opened + rnd.randrange(0, 900_000) if answered else None,
                   "first_responder_id": rnd.choice(helpers) if answered else None,
                   "first_bot_at": opened + 1000 if rnd.random() < 0.3 else None, "assignee_id": None}
            await chat.store.insert_episode(row)
            if rnd.random() < 0.7:
                await chat.store.resolve_episode(vid, None, opened + rnd.randrange(60_000, 9_000_000))
                if rnd.random() < 0.6:
                    await chat.store.rate_episode(row["id"], rnd.randrange(1, 6), None, opened)

    asyncio.run(_run(acme.database_url, insert))
    for hours in (1, 2, 3, 4, 7, 11, 20, 40):
        window = {"from": "2026-05-28T20:00:00Z", "to": iso_ms(T0 + hours * 3_600_000 - 1)}
        s = botaz.client.get("/api/reports/summary", headers=acme.headers, params=window).json()
        b = botaz.client.get("/api/reports/breakdown", headers=acme.headers, params=window).json()
        assert s == b["summary"], hours
        assert s["conversations"] == hours
