"""SIGKILL with deliveries pending: after a restart every event arrives, none invented."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx

from tests.conftest import free_port


def start(db: str, port: int, tmp_path) -> subprocess.Popen:
    env = os.environ | {"BOTAZ_DATABASE_URL": db, "BOTAZ_WEBHOOKS_ALLOW_PRIVATE": "1",
                        "BOTAZ_WEBHOOK_BACKOFF_SCALE": "0.01", "BOTAZ_WEBHOOK_POLL_INTERVAL": "0.05",
                        "BOTAZ_RATE_LIMITS": "off", "BOTAZ_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "botaz", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(proc.stdout.read())


def test_sigkill_loses_no_event_and_invents_none(database_url, receiver, tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "botaz", "create-account", "--name", "Crash", "--agent-name",
                        "A", "--agent-email", "crash@example.com", "--json"],
                       env=os.environ | {"BOTAZ_DATABASE_URL": database_url}, capture_output=True, text=True)
    account = json.loads(r.stdout)
    h = {"Authorization": f"Bearer {account['apiToken']}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(database_url, port, tmp_path)
    acknowledged: list[str] = []
    try:
        hook = httpx.post(f"{base}/api/webhooks", headers=h,
                          json={"url": receiver.url, "events": ["message.created"]}).json()
        receiver.status = 500  # deliveries pile up, pending
        v = httpx.post(f"{base}/widget/v1/visitors", json={"siteKey": account["siteKey"]}).json()
        for i in range(30):
            m = httpx.post(f"{base}/api/messages/", headers=h, json={
                "userId": account["agentId"], "visitorId": v["visitorId"], "text": f"crash {i}"})
            assert m.status_code == 201
            acknowledged.append(m.json()["_id"])
        receiver.wait_for(1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    receiver.status = 200
    proc = start(database_url, port, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with receiver.lock:
                got = [json.loads(r["body"]) for r in receiver.requests]
            delivered = {b["data"]["_id"] for b in got if b["event"] == "message.created"}
            if delivered >= set(acknowledged):
                break
            time.sleep(0.1)
        time.sleep(0.5)
        with receiver.lock:
            got = [json.loads(r["body"]) for r in receiver.requests]
        delivered_ids = [b["data"]["_id"] for b in got]
        assert set(delivered_ids) == set(acknowledged)  # none lost, none invented
        # In order per visitor: the first successful delivery of each message follows sending order.
        first_seen = list(dict.fromkeys(delivered_ids))
        assert first_seen == acknowledged
        log = httpx.get(f"{base}/api/webhooks/{hook['_id']}/deliveries?limit=100", headers=h).json()
        assert all(d["status"] == "delivered" for d in log["items"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
