"""The contract's error statuses: 400/401/404/405/413/415 and JSON bodies everywhere."""

from __future__ import annotations


def test_415_without_json_content_type(botaz) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    body = f'{{"userId": "{acme.agent_id}", "visitorId": "{vid}", "text": "hi"}}'
    for headers in ({}, {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}):
        r = botaz.client.post("/api/messages/", headers=acme.headers | headers, content=body)
        assert r.status_code == 415, headers
        assert r.json()["status"] == "error"
        r = botaz.client.put(f"/api/visitors/{vid}", headers=acme.headers | headers, content='{"name": "x"}')
        assert r.status_code == 415
    r = botaz.client.post("/api/messages/", content=body, headers=acme.headers | {
        "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201


def test_400_on_malformed_json(botaz) -> None:
    acme = botaz.account()
    h = acme.headers | {"Content-Type": "application/json"}
    for raw in (b"{", b"", b"[]", b'"text"', b"null", b"\xff\xfe", b"{'a': 1}"):
        r = botaz.client.post("/api/messages/", headers=h, content=raw)
        assert r.status_code == 400, raw
        assert r.json()["status"] == "error" and r.json()["message"]


def test_413_on_huge_body(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.post("/api/messages/", headers=acme.headers | {"Content-Type": "application/json"},
                          content=b'{"text": "' + b"x" * 2_000_000 + b'"}')
    assert r.status_code == 413 and r.json()["status"] == "error"


def test_deep_json_is_refused(botaz) -> None:
    acme = botaz.account()
    deep = "[" * 200 + "]" * 200
    r = botaz.client.post("/api/messages/", headers=acme.headers | {"Content-Type": "application/json"},
                          content=f'{{"text": {deep}}}')
    assert r.status_code == 400 and "deeper" in r.json()["message"]


def test_404_and_405_are_json(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.get("/api/nothing-here", headers=acme.headers)
    assert r.status_code == 404 and r.json() == {"status": "error", "message": "Not found."}
    r = botaz.client.patch("/api/messages/qZkS5QLZSBLKzYAwm", headers=acme.headers)
    assert r.status_code == 405 and r.json()["status"] == "error"
    r = botaz.client.post("/api/visitors/BtR7qAyvZfTWoaC7a", headers=acme.headers, json={})
    assert r.status_code == 405


def test_pagination_parameters_are_checked(botaz) -> None:
    acme = botaz.account()
    for query in ("limit=0", "limit=101", "limit=abc", "cursor=%%%", "cursor=bm90LWEtY3Vyc29y"):
        r = botaz.client.get(f"/api/visitors?{query}", headers=acme.headers)
        assert r.status_code == 400, query
        assert r.json()["status"] == "error"
