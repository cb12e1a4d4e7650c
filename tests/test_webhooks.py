"""Webhooks against a real local receiver: management, signatures, order, retries, safety."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from botaz.config import Settings
from tests.conftest import ServerThread
from tests.test_sockets import vheaders


def verify(secret: str, body: bytes, header: str) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def create(botaz, acme, url: str, events: list[str]) -> dict:
    r = botaz.client.post("/api/webhooks", headers=acme.headers, json={"url": url, "events": events})
    assert r.status_code == 201, r.text
    return r.json()


def test_webhook_management(botaz, receiver) -> None:
    acme = botaz.account()
    hook = create(botaz, acme, receiver.url + "/hook", ["message.created", "visitor.updated"])
    assert set(hook) >= {"_id", "url", "events", "enabled", "secret"}
    assert hook["enabled"] is True and hook["secret"]
    listed = botaz.client.get("/api/webhooks", headers=acme.headers).json()["items"]
    assert [h["_id"] for h in listed] == [hook["_id"]] and "secret" not in listed[0]
    got = botaz.client.get(f"/api/webhooks/{hook['_id']}", headers=acme.headers).json()
    assert "secret" not in got and got["events"] == ["message.created", "visitor.updated"]
    r = botaz.client.put(f"/api/webhooks/{hook['_id']}", headers=acme.headers,
                         json={"events": ["message.deleted"], "enabled": False})
    assert r.json()["events"] == ["message.deleted"] and r.json()["enabled"] is False
    for bad in ({"url": "ftp://x.example/", "events": ["message.created"]},
                {"url": receiver.url, "events": []},
                {"url": receiver.url, "events": ["message.exploded"]},
                {"url": receiver.url}):
        assert botaz.client.post("/api/webhooks", headers=acme.headers, json=bad).status_code == 400
    other = botaz.account("Other")
    assert botaz.client.get(f"/api/webhooks/{hook['_id']}", headers=other.headers).status_code == 404
    agent = acme.add_agent()
    assert botaz.client.get("/api/webhooks", headers={"Authorization": f"Bearer {agent['apiToken']}"}).status_code == 403
    assert botaz.client.delete(f"/api/webhooks/{hook['_id']}", headers=acme.headers).status_code == 204
    assert botaz.client.get(f"/api/webhooks/{hook['_id']}", headers=acme.headers).status_code == 404


def test_events_arrive_signed_in_order(botaz, receiver) -> None:
    acme = botaz.account()
    hook = create(botaz, acme, receiver.url + "/events",
                  ["message.created", "message.updated", "message.deleted", "visitor.created", "visitor.updated"])
    v = botaz.visitor(acme)
    sent = [botaz.send(acme, v["visitorId"], f"m{i}") for i in range(5)]
    botaz.client.put(f"/api/messages/{sent[0]['_id']}", headers=acme.headers, json={"text": "edited"})
    botaz.client.delete(f"/api/messages/{sent[1]['_id']}", headers=acme.headers)
    botaz.client.put(f"/api/visitors/{v['visitorId']}", headers=acme.headers, json={"name": "Anar"})
    # visitor.created, 5 x message.created, visitor.updated (first contact), updated, deleted, visitor.updated
    requests = receiver.wait_for(10)
    time.sleep(0.3)
    assert len(receiver.requests) == 10
    bodies = []
    for req in requests:
        assert req["headers"]["Content-Type"] == "application/json"
        assert verify(hook["secret"], req["body"], req["headers"]["X-Botaz-Signature"])
        bodies.append(json.loads(req["body"]))
    names = [b["event"] for b in bodies]
    assert names == ["visitor.created", "message.created", "visitor.updated", "message.created",
                     "message.created", "message.created", "message.created", "message.updated",
                     "message.deleted", "visitor.updated"]
    created = [b["data"] for b in bodies if b["event"] == "message.created"]
    assert created == sent
    assert len({b["id"] for b in bodies}) == 10
    assert all(set(b) == {"id", "event", "createdAt", "data"} for b in bodies)
    assert bodies[-1]["data"]["name"] == "Anar"
    log = botaz.client.get(f"/api/webhooks/{hook['_id']}/deliveries", headers=acme.headers).json()
    assert len(log["items"]) == 10 and all(d["status"] == "delivered" and d["responseCode"] == 200
                                           for d in log["items"])


def test_failures_are_retried_in_order_and_redelivered(botaz, receiver) -> None:
    acme = botaz.account()
    hook = create(botaz, acme, receiver.url, ["message.created"])
    v = botaz.visitor(acme)
    receiver.status = 500
    sent = [botaz.send(acme, v["visitorId"], f"r{i}") for i in range(3)]
    receiver.wait_for(3)  # the first one, retried: the others wait behind it
    with receiver.lock:
        assert {json.loads(r["body"])["data"]["_id"] for r in receiver.requests} == {sent[0]["_id"]}
    log = botaz.client.get(f"/api/webhooks/{hook['_id']}/deliveries", headers=acme.headers).json()["items"]
    first = next(d for d in log if d["attempts"] > 0)
    assert first["status"] == "pending" and first["responseCode"] == 500 and first["error"]
    receiver.status = 200
    start = len(receiver.requests)
    receiver.wait_for(start + 3, timeout=15)
    time.sleep(0.3)
    ok = [json.loads(r["body"]) for r in receiver.requests[start:]]
    assert [b["data"]["_id"] for b in ok] == [m["_id"] for m in sent]
    # Redeliver: same event id again.
    log = botaz.client.get(f"/api/webhooks/{hook['_id']}/deliveries", headers=acme.headers).json()["items"]
    target = next(d for d in log if d["status"] == "delivered")
    r = botaz.client.post(f"/api/webhooks/{hook['_id']}/deliveries/{target['_id']}/redeliver", headers=acme.headers)
    assert r.status_code == 201 and r.json()["eventId"] == target["eventId"]
    again = receiver.wait_for(start + 4)
    assert json.loads(again[-1]["body"])["id"] == target["eventId"]


def test_slow_endpoint_does_not_hold_up_others(botaz, receiver) -> None:
    from tests.conftest import Receiver

    fast = Receiver()
    try:
        acme, other = botaz.account(), botaz.account("Other")
        receiver.delay = 1.5
        create(botaz, acme, receiver.url, ["message.created"])
        create(botaz, other, fast.url, ["message.created"])
        va, vo = botaz.visitor(acme), botaz.visitor(other)
        for i in range(3):
            botaz.send(acme, va["visitorId"], f"slow {i}")
        started = time.monotonic()
        botaz.send(other, vo["visitorId"], "fast")
        fast.wait_for(1, timeout=5)
        assert time.monotonic() - started < 1.2
    finally:
        receiver.delay = 0
        fast.close()


def test_private_targets_are_refused_by_default(tmp_path, receiver) -> None:
    import httpx

    from tests.conftest import Botaz

    settings = Settings(database_url=f"sqlite:///{tmp_path}/ssrf.db", rate_limits=False, data_dir=str(tmp_path))
    with ServerThread(settings) as server, httpx.Client(base_url=server.url) as client:
        b = Botaz(server.url, settings.database_url, client, server)
        acme = b.account()
        for url in (receiver.url, "http://localhost:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest",
                    "http://[::1]:8080/", "http://192.168.0.10/"):
            r = client.post("/api/webhooks", headers=acme.headers, json={"url": url, "events": ["message.created"]})
            assert r.status_code == 400, url
            assert "private" in r.json()["message"] or "resolve" in r.json()["message"]


def test_endpoint_failing_for_days_is_switched_off(tmp_path, receiver) -> None:
    import httpx

    from tests.conftest import Botaz

    # Scale 1e-5: three days become 2.6 s, a day of retries under a second.
    settings = Settings(database_url=f"sqlite:///{tmp_path}/off.db", rate_limits=False, data_dir=str(tmp_path),
                        webhooks_allow_private=True, webhook_poll_interval=0.05, webhook_backoff_scale=0.00001)
    receiver.status = 503
    with ServerThread(settings) as server, httpx.Client(base_url=server.url) as client:
        b = Botaz(server.url, settings.database_url, client, server)
        acme = b.account()
        hook = client.post("/api/webhooks", headers=acme.headers,
                           json={"url": receiver.url, "events": ["message.created"]}).json()
        v = b.visitor(acme)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            b.send(acme, v["visitorId"], "ping")
            state = client.get(f"/api/webhooks/{hook['_id']}", headers=acme.headers).json()
            if not state["enabled"]:
                break
            time.sleep(0.3)
        assert state["enabled"] is False and "Switched off" in state["disabledReason"]
        log = client.get(f"/api/webhooks/{hook['_id']}/deliveries", headers=acme.headers).json()["items"]
        assert any(d["status"] == "failed" for d in log)
        receiver.status = 200
        r = client.put(f"/api/webhooks/{hook['_id']}", headers=acme.headers, json={"enabled": True})
        assert r.json()["enabled"] is True and r.json()["disabledReason"] is None


def test_only_global_addresses_are_targets() -> None:
    import ipaddress

    from botaz.webhooks.targets import _blocked

    for address in ("100.64.0.1", "192.0.2.10", "198.18.0.1", "fd00::1", "::ffff:127.0.0.1", "0.0.0.0",
                    "2002:0a00:0001::1"):
        assert _blocked(ipaddress.ip_address(address)), address
    assert not _blocked(ipaddress.ip_address("93.184.216.34"))
