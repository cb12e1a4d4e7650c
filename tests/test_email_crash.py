"""Email outbox durability: SIGKILL with emails queued loses none, and two nodes checking the
same conversations at once send each email once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import httpx

from botaz.chat import mail
from botaz.chat.context import Chat
from botaz.config import Settings
from botaz.events import EventBus
from botaz.ids import now_ms
from botaz.store import Store
from tests.conftest import free_port
from tests.mailtools import Inbox, SmtpServer


def start(db: str, port: int, smtp_port: int, tmp_path) -> subprocess.Popen:
    env = os.environ | {"BOTAZ_DATABASE_URL": db, "BOTAZ_WEBHOOK_BACKOFF_SCALE": "0.001",
                        "BOTAZ_WEBHOOK_POLL_INTERVAL": "0.05", "BOTAZ_RATE_LIMITS": "off",
                        "BOTAZ_DATA_DIR": str(tmp_path), "BOTAZ_EMAIL_DELAY_S": "0.3",
                        "BOTAZ_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
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


def test_sigkill_with_emails_queued_loses_none(database_url, tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "botaz", "create-account", "--name", "Crash Mail",
                        "--agent-name", "A", "--agent-email", "crash-mail@example.com", "--json"],
                       env=os.environ | {"BOTAZ_DATABASE_URL": database_url},
                       capture_output=True, text=True)
    account = json.loads(r.stdout)
    h = {"Authorization": f"Bearer {account['apiToken']}"}
    inbox = Inbox()
    inbox.refuse = "451 try again later"  # everything stays pending, attempts pile up
    smtp = SmtpServer(free_port(), inbox).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(database_url, port, smtp.port, tmp_path)
    expected: set[str] = set()
    try:
        for i in range(12):
            v = httpx.post(f"{base}/widget/v1/visitors", json={"siteKey": account["siteKey"]}).json()
            vh = {"Authorization": f"Bearer {v['visitorToken']}"}
            address = f"crash-{i}@example.com"
            if i % 2:  # half transcripts on request, half unseen replies found by the check
                assert httpx.post(f"{base}/widget/v1/transcript", headers=vh,
                                  json={"email": address}).status_code == 202
            else:
                httpx.post(f"{base}/widget/v1/email", headers=vh, json={"email": address})
                assert httpx.post(f"{base}/api/messages/", headers=h, json={
                    "userId": account["agentId"], "visitorId": v["visitorId"],
                    "text": f"reply {i}"}).status_code == 201
            expected.add(address)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            log = httpx.get(f"{base}/api/emails?limit=100", headers=h).json()["items"]
            if len(log) == 12 and all(e["attempts"] >= 1 for e in log):
                break
            time.sleep(0.1)
        assert len(log) == 12 and all(e["status"] == "pending" for e in log)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    inbox.refuse = None
    proc = start(database_url, port, smtp.port, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with inbox.lock:
                got = [rcpt for _, rcpts in inbox.envelopes for rcpt in rcpts]
            if set(got) >= expected:
                break
            time.sleep(0.1)
        time.sleep(1.0)
        with inbox.lock:
            got = [rcpt for _, rcpts in inbox.envelopes for rcpt in rcpts]
        assert sorted(got) == sorted(expected)  # none lost, none twice
        log = httpx.get(f"{base}/api/emails?limit=100", headers=h).json()["items"]
        assert all(e["status"] == "sent" for e in log)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        smtp.stop()


def test_two_nodes_checking_at_once_queue_each_email_once(database_url) -> None:
    if not database_url.startswith("postgresql"):
        # Two SQLite connections on one event loop would wait on each other's write lock; several
        # nodes means PostgreSQL, and that is where the row locks are tested.
        import pytest

        pytest.skip("several nodes need PostgreSQL")
    async def run() -> list[int]:
        settings = Settings(database_url=database_url, smtp_url="smtp://127.0.0.1:1",
                            email_delay_s=0, alert_delay_s=0)
        stores = [await Store.open(database_url) for _ in range(2)]
        try:
            chats = [Chat(s, EventBus(), settings) for s in stores]
            from botaz.chat.accounts import do_create_account
            from botaz.chat.messages import store_message

            created = await do_create_account(chats[0], name="Two Nodes", agent_name="A",
                                              agent_email="nodes@example.com")
            visitors = []
            for i in range(20):
                from botaz.ids import hash_token, new_id

                vid = new_id()
                await stores[0].insert_visitor({"id": vid, "account_id": created["accountId"],
                                                "token_hash": hash_token(new_id()),
                                                "added_at": now_ms()})
                await stores[0].update_visitor(vid, {"email": f"node-{i}@example.com"})
                visitors.append(vid)
            for vid in visitors:
                row = await stores[0].get_visitor(created["accountId"], vid)
                for n in range(3):
                    await store_message(chats[0], row, created["agentId"], f"reply {n}")
                await store_message(chats[0], row, None, "visitor question")
            await asyncio.sleep(0.01)
            now = now_ms()
            counts = await asyncio.gather(*(mail.run_checks(c, now) for c in chats))
            rows = await stores[0].db.fetchall(
                "SELECT kind, recipient FROM emails WHERE account_id = ?", (created["accountId"],))
            replies = sorted(r["recipient"] for r in rows if r["kind"] == "reply")
            alerts = sorted(r["recipient"] for r in rows if r["kind"] == "alert")
            assert replies == sorted(f"node-{i}@example.com" for i in range(20))
            # One alert per unanswered visitor, to the owner (the account's one human agent).
            assert alerts == ["nodes@example.com"] * 20
            return counts
        finally:
            for s in stores:
                await s.close()

    assert sum(asyncio.run(run())) == 40  # 20 reply batches and 20 alert batches, split between nodes
