"""The seed's /api/visitors endpoints: exact object, PUT semantics, isolation."""

from __future__ import annotations

import re

VISITOR_KEYS = ["_id", "userAgent", "appName", "appVersion", "platform", "cookieEnabled", "banned",
                "addedAt", "agents", "name", "email", "phone", "notes", "preformFilled",
                "lastOnline", "showBotMessages"]
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.110 Safari/537.36"


def test_get_visitor_has_the_seed_keys(botaz) -> None:
    acme = botaz.account()
    created = botaz.visitor(acme, userAgent=UA, appVersion=UA[8:])
    r = botaz.client.get(f"/api/visitors/{created['visitorId']}", headers=acme.headers)
    assert r.status_code == 200
    v = r.json()
    assert list(v) == VISITOR_KEYS
    assert v == created["visitor"]
    assert v["userAgent"] == UA and v["appName"] == "Netscape" and v["platform"] == "Linux x86_64"
    assert v["cookieEnabled"] is True and v["banned"] is False and v["preformFilled"] is False
    assert v["agents"] == [] and v["name"] is None and v["email"] is None
    assert ISO_MS.match(v["addedAt"]) and ISO_MS.match(v["lastOnline"])
    assert isinstance(v["showBotMessages"], bool)


def test_put_sets_and_null_removes(botaz) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    r = botaz.client.put(f"/api/visitors/{vid}", headers=acme.headers, json={
        "email": "anar@example.com", "name": "Anar Hasanzade", "phone": "+994124801574",
        "notes": "Asked about new functionality"})
    assert r.status_code == 200
    v = r.json()
    assert list(v) == VISITOR_KEYS
    assert (v["name"], v["email"], v["phone"], v["notes"]) == (
        "Anar Hasanzade", "anar@example.com", "+994124801574", "Asked about new functionality")

    # The seed's second example, trailing comma and all.
    r = botaz.client.put(f"/api/visitors/{vid}", headers=acme.headers | {"Content-Type": "application/json"},
                         content=b'{\n\t"email": null,\n\t"phone": "+994124801574",\n}')
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["email"] is None and v["phone"] == "+994124801574"
    assert v["name"] == "Anar Hasanzade" and v["notes"] == "Asked about new functionality"
    assert botaz.client.get(f"/api/visitors/{vid}", headers=acme.headers).json() == v


def test_put_refuses_other_keys_and_bad_values(botaz) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    before = botaz.client.get(f"/api/visitors/{vid}", headers=acme.headers).json()
    cases = [({"banned": True}, "banned"), ({"showBotMessages": True}, "showBotMessages"),
             ({"email": "not-an-email"}, "email"), ({"name": 5}, "name"),
             ({"phone": ["1"]}, "phone"), ({"notes": "x" * 5001}, "notes"),
             ({"name": "ok", "agents": []}, "agents")]
    for body, field in cases:
        r = botaz.client.put(f"/api/visitors/{vid}", headers=acme.headers, json=body)
        assert r.status_code == 400, body
        assert field in r.json()["message"]
    assert botaz.client.get(f"/api/visitors/{vid}", headers=acme.headers).json() == before


def test_visitor_isolation_and_unknown_ids(botaz) -> None:
    acme, other = botaz.account(), botaz.account("Other")
    vid = botaz.visitor(acme)["visitorId"]
    for path in (f"/api/visitors/{vid}", f"/api/visitors/{vid}/messages",
                 "/api/visitors/BtR7qAyvZfTWoaC7a", "/api/visitors/not-an-id"):
        r = botaz.client.get(path, headers=other.headers)
        assert r.status_code == 404 and r.json()["status"] == "error"
    r = botaz.client.put(f"/api/visitors/{vid}", headers=other.headers, json={"name": "x"})
    assert r.status_code == 404
    assert botaz.client.get(f"/api/visitors/{vid}", headers=acme.headers).json()["name"] is None
