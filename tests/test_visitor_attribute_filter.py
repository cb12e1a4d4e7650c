"""GET /api/visitors?attribute=key:value: visitors filtered by the custom attributes their website
set (Botaz.setAttributes), and GET /api/visitors/attribute-keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from test_sockets import vheaders


def set_attributes(botaz, visitor: dict[str, Any], **attributes: Any) -> None:
    r = botaz.client.post("/widget/v1/attributes", headers=vheaders(visitor),
                          json={"attributes": attributes})
    assert r.status_code == 200, r.text


def ids(botaz, account, *filters: str, **params: Any) -> list[str]:
    query = [("attribute", f) for f in filters] + list(params.items())
    r = botaz.client.get("/api/visitors", headers=account.headers, params=query)
    assert r.status_code == 200, r.text
    return [v["_id"] for v in r.json()["items"]]


def test_filter_by_one_or_more_attributes(botaz) -> None:
    acme = botaz.account()
    pro = botaz.visitor(acme)
    free = botaz.visitor(acme)
    pro_trial = botaz.visitor(acme)
    botaz.visitor(acme)  # no attributes
    set_attributes(botaz, pro, plan="pro", seats=12, trial=False, url="https://a.example/x:y")
    set_attributes(botaz, free, plan="free", seats=1)
    set_attributes(botaz, pro_trial, plan="pro", trial=True)

    # Newest first, like the unfiltered list.
    assert ids(botaz, acme, "plan:pro") == [pro_trial["visitorId"], pro["visitorId"]]
    assert ids(botaz, acme, "plan:free") == [free["visitorId"]]
    assert ids(botaz, acme, "plan:Pro") == []  # exact, case and all
    # Numbers and booleans as JSON writes them; the first colon ends the key.
    assert ids(botaz, acme, "seats:12") == [pro["visitorId"]]
    assert ids(botaz, acme, "trial:true") == [pro_trial["visitorId"]]
    assert ids(botaz, acme, "trial:false") == [pro["visitorId"]]
    assert ids(botaz, acme, "url:https://a.example/x:y") == [pro["visitorId"]]
    # Repeated: all must match.
    assert ids(botaz, acme, "plan:pro", "trial:false") == [pro["visitorId"]]
    assert ids(botaz, acme, "plan:pro", "seats:1") == []

    # With limit and cursor, as before.
    first = botaz.client.get("/api/visitors", headers=acme.headers,
                             params={"attribute": "plan:pro", "limit": 1}).json()
    assert [v["_id"] for v in first["items"]] == [pro_trial["visitorId"]] and first["next"]
    second = botaz.client.get("/api/visitors", headers=acme.headers,
                              params={"attribute": "plan:pro", "limit": 1, "cursor": first["next"]})
    assert [v["_id"] for v in second.json()["items"]] == [pro["visitorId"]]

    # Changes follow: a value changed or removed (null) no longer matches.
    set_attributes(botaz, pro_trial, plan="enterprise", trial=None)
    assert ids(botaz, acme, "plan:pro") == [pro["visitorId"]]
    assert ids(botaz, acme, "trial:true") == []
    assert ids(botaz, acme, "plan:enterprise") == [pro_trial["visitorId"]]

    # Another account's visitors never match.
    other = botaz.account("Other")
    stranger = botaz.visitor(other)
    set_attributes(botaz, stranger, plan="pro")
    assert ids(botaz, acme, "plan:pro") == [pro["visitorId"]]
    assert ids(botaz, other, "plan:pro") == [stranger["visitorId"]]

    # The keys, for the dashboard's choices.
    r = botaz.client.get("/api/visitors/attribute-keys", headers=acme.headers)
    assert r.status_code == 200
    assert r.json() == {"items": [{"key": "plan", "visitors": 3}, {"key": "seats", "visitors": 2},
                                  {"key": "trial", "visitors": 1}, {"key": "url", "visitors": 1}]}

    # The Python client, sync and async.
    from botaz.client import AsyncClient, Client

    with Client(botaz.url, acme.token) as client:
        assert [v["_id"] for v in client.iter_visitors(attribute=["plan:pro", "seats:12"])] == [
            pro["visitorId"]]
        assert client.visitor_attribute_keys()["items"][0] == {"key": "plan", "visitors": 3}

    async def with_async_client() -> None:
        async with AsyncClient(botaz.url, acme.token) as client:
            page = await client.list_visitors(attribute=["plan:enterprise"])
            assert [v["_id"] for v in page["items"]] == [pro_trial["visitorId"]]
            assert len((await client.visitor_attribute_keys())["items"]) == 4

    asyncio.run(with_async_client())

    # An erased visitor is gone from the filter too.
    assert botaz.client.delete(f"/api/visitors/{free['visitorId']}",
                               headers=acme.headers).status_code == 200
    assert ids(botaz, acme, "plan:free") == []


def test_bad_attribute_filters_are_clear_400s(botaz) -> None:
    acme = botaz.account()

    def error(*filters: str) -> Any:
        r = botaz.client.get("/api/visitors", headers=acme.headers,
                             params=[("attribute", f) for f in filters])
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["status"] == "error"
        return body["message"]

    assert error("plan") == "attribute must be key:value, e.g. attribute=plan:pro."
    assert error(":pro") == "attribute's key must have 1 to 50 characters."
    assert error("k" * 51 + ":x") == "attribute's key must have 1 to 50 characters."
    assert error("plan:pro", "seats") == "attribute must be key:value, e.g. attribute=plan:pro."
    assert error(*["plan:pro"] * 6) == "At most 5 attribute filters may be given."
    assert "attribute" in error("plan:" + "x" * 1001)
    # An empty value is a value: visitors whose attribute is "".
    assert ids(botaz, acme, "plan:") == []
    assert botaz.client.get("/api/visitors?attribute=plan:pro").status_code == 401
    assert botaz.client.get("/api/visitors/attribute-keys").status_code == 401


def test_migration_21_indexes_existing_attributes(database_url, tmp_path) -> None:
    """On a database made before migration 21, the visitors' attributes become filterable."""
    from botaz.store import Store
    from botaz.store.db import open_database
    from tests.conftest import schema_before

    from tests.conftest import scratch_database

    url, drop = scratch_database(database_url, tmp_path, "before21")

    async def run() -> None:
        db = await open_database(url)
        try:
            async with db.transaction() as tx:
                await schema_before(tx, 21)
                await tx.execute("INSERT INTO accounts (id, name, site_key, created_at) "
                                 "VALUES ('acc', 'Acme', 'site', 0)")
                for i in range(3):
                    attributes = [None, '{"plan": "pro", "seats": 12, "trial": false}',
                                  '{"plan": "free", "gone": null}'][i]
                    await tx.execute(
                        "INSERT INTO visitors (id, account_id, token_hash, added_at, attributes) "
                        "VALUES (?, 'acc', ?, 1, ?)", (f"v{i}", f"h{i}", attributes))
        finally:
            await db.close()
        store = await Store.open(url)  # migrates
        try:
            async def ids(*filters: tuple[str, str]) -> list[str]:
                return [r["id"] for r in await store.list_visitors("acc", None, 10, filters)]

            assert await ids(("plan", "pro")) == ["v1"]
            assert await ids(("seats", "12"), ("trial", "false")) == ["v1"]
            assert await ids(("plan", "free")) == ["v2"]
            assert await ids(("gone", "null")) == []
            assert [(r["key"], r["visitors"]) for r in await store.attribute_keys("acc", 10)] == [
                ("plan", 2), ("seats", 1), ("trial", 1)]
        finally:
            await store.close()

    try:
        asyncio.run(run())
    finally:
        if drop:
            drop(url)
