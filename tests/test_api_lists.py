"""Lists beyond the seed: {"items", "next"}, newest first, cursor pagination without gaps."""

from __future__ import annotations


def walk(botaz, path: str, headers: dict[str, str], limit: int) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        r = botaz.client.get(path, headers=headers, params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next"}
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            return items


def test_visitors_list_pages_newest_first(botaz) -> None:
    acme, other = botaz.account(), botaz.account("Other")
    ids = [botaz.visitor(acme)["visitorId"] for _ in range(7)]
    botaz.visitor(other)
    got = walk(botaz, "/api/visitors", acme.headers, 3)
    assert [v["_id"] for v in got] == list(reversed(ids))
    first = botaz.client.get("/api/visitors", headers=acme.headers).json()
    assert len(first["items"]) == 7 and first["next"] is None


def test_messages_list_pages_newest_first(botaz) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    other_vid = botaz.visitor(acme)["visitorId"]
    sent = [botaz.send(acme, vid, f"message {i}")["_id"] for i in range(11)]
    botaz.send(acme, other_vid, "elsewhere")
    got = walk(botaz, f"/api/visitors/{vid}/messages", acme.headers, 4)
    assert [m["_id"] for m in got] == list(reversed(sent))
    assert got[0]["text"] == "message 10"


def test_agents_list(botaz) -> None:
    acme = botaz.account()
    second = acme.add_agent("Leyla")
    bot = acme.add_agent("Helper", bot=True)
    got = walk(botaz, "/api/agents", acme.headers, 2)
    assert [a["_id"] for a in got] == [bot["agentId"], second["agentId"], acme.agent_id]
    owner = got[-1]
    assert owner["role"] == "owner" and owner["bot"] is False and owner["name"] == "Anar"
    assert got[0]["bot"] is True
    assert "password" not in str(owner).lower()
