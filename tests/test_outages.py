"""Outages and neighbours: a Redis killed under load on two nodes, two installations on one Redis,
and a database that stops answering (PostgreSQL cut off, SQLite unable to write)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from typing import Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from botaz.config import Settings
from tests.conftest import Botaz, ServerThread, create_pg_database, drop_pg_database, free_port, pg_admin_url
from tests.test_sockets import Socket

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A redis-server of the test's own, on a free port, that the test may kill and restart."""

    def __init__(self) -> None:
        if not os.path.exists(REDIS_SERVER):
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


def wait_ready(url: str, within: float) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        r = httpx.get(url + "/readyz", timeout=5)
        if r.status_code == 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


# 1. Redis killed and restarted under load, two nodes


def test_redis_outages_lose_no_message_on_open_sockets(redis_server, tmp_path) -> None:
    if not pg_admin_url():
        pytest.skip("BOTAZ_TEST_DATABASE_URL is needed")
    db = create_pg_database()
    settings = Settings(database_url=db, redis_url=redis_server.url(), rate_limits=False,
                        data_dir=str(tmp_path))
    try:
        with ServerThread(settings) as a, ServerThread(settings) as b, \
                httpx.Client(base_url=a.url, timeout=10) as ca:
            node_a = Botaz(a.url, db, ca, a)
            acme = node_a.account()
            v = node_a.visitor(acme)
            ws = connect(b.url.replace("http://", "ws://") + f"/widget/v1/ws?token={v['visitorToken']}")
            ws.send(json.dumps({"type": "resume", "after": None}))
            sent: list[str] = []
            received: list[str] = []
            stop = threading.Event()
            failures: list[str] = []

            def sender() -> None:
                with httpx.Client(base_url=a.url, timeout=10) as client:
                    i = 0
                    while not stop.is_set():
                        r = client.post("/api/messages/", headers=acme.headers, json={
                            "userId": acme.agent_id, "visitorId": v["visitorId"], "text": f"m{i}"})
                        if r.status_code == 201:
                            sent.append(r.json()["_id"])
                        else:
                            failures.append(r.text)
                        i += 1
                        time.sleep(0.02)

            def reader() -> None:
                try:
                    while True:
                        frame = json.loads(ws.recv())
                        if frame["event"] == "message.created":
                            received.append(frame["data"]["_id"])
                except Exception:
                    return

            threads = [threading.Thread(target=sender), threading.Thread(target=reader)]
            for thread in threads:
                thread.start()
            try:
                for _ in range(10):
                    time.sleep(1.0)
                    redis_server.kill()
                    time.sleep(2.0 + random.random())
                    redis_server.start()
                time.sleep(1.0)
            finally:
                stop.set()
                threads[0].join(timeout=30)
            deadline = time.monotonic() + 20
            while len(received) < len(sent) and time.monotonic() < deadline:
                time.sleep(0.1)
            ws.close()
            threads[1].join(timeout=10)
            assert not failures
            assert len(sent) > 200
            missed = [m for m in sent if m not in set(received)]
            assert not missed, f"{len(missed)} of {len(sent)} messages never reached the socket"
            assert received == sent  # in order, none twice
            for node in (a, b):
                r = wait_ready(node.url, 10)
                assert r.status_code == 200, r.text
            assert b.app.state.hub.caught_up > 0  # the catch-up, not luck, delivered the gaps
    finally:
        drop_pg_database(db)


# 9. Two installations on one Redis


def test_installations_sharing_a_redis_do_not_hear_each_other(redis_server, tmp_path) -> None:
    # A staging copy of production, pointed at the same Redis: same accounts, visitors, tokens.
    first = tmp_path / "production.db"
    base = Settings(database_url=f"sqlite:///{first}", rate_limits=False, data_dir=str(tmp_path))
    with ServerThread(base) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        prod = Botaz(server.url, base.database_url, client, server)
        acme = prod.account()
        v, w = prod.visitor(acme), prod.visitor(acme)
    second = tmp_path / "staging.db"
    shutil.copy(first, second)
    limited = dict(rate_limits=True, rate_limit_token="5/3600", max_sockets_per_visitor=1,
                   data_dir=str(tmp_path))
    one = Settings(database_url=f"sqlite:///{first}", redis_url=redis_server.url(1), **limited)
    two = Settings(database_url=f"sqlite:///{second}", redis_url=redis_server.url(2), **limited)
    assert one.redis_namespace() != two.redis_namespace()
    with ServerThread(one) as x, ServerThread(two) as y, \
            httpx.Client(base_url=x.url, timeout=10) as cx, httpx.Client(base_url=y.url, timeout=10) as cy:
        node_x, node_y = Botaz(x.url, one.database_url, cx, x), Botaz(y.url, two.database_url, cy, y)
        on_y = Socket(node_y, "/widget/v1/ws", v["visitorToken"], resume=None)
        w_on_x = Socket(node_x, "/widget/v1/ws", w["visitorToken"], resume=None)
        try:
            # Socket counts: V has its one socket on Y; X counts its own installation's only.
            try:
                v_on_x = Socket(node_x, "/widget/v1/ws", v["visitorToken"], resume=None)
            except InvalidStatus as exc:
                pytest.fail(f"X counted Y's socket: {exc.response.status_code}")
            time.sleep(0.3)
            # Events: a message on X reaches X's socket, never Y's.
            sent = node_x.send(acme, v["visitorId"], "only on X")
            assert v_on_x.next("message.created")["data"]["_id"] == sent["_id"]
            assert on_y.quiet("message.created", 1.5)
            # Rate limits: X's calls use up X's budget only.
            statuses: list[int] = []
            while 429 not in statuses and len(statuses) < 12:
                statuses.append(cx.get("/api/conversations", headers=acme.headers).status_code)
            assert 429 in statuses
            r = cy.get("/api/conversations", headers=acme.headers)
            assert r.status_code == 200, r.text
            assert r.headers["x-ratelimit-remaining"] == "4"
            # Presence: W is online on X (deltas and the 5-second snapshots), not on Y.
            time.sleep(5.5)
            r = cy.get(f"/api/conversations/{w['visitorId']}", headers=acme.headers)
            assert r.status_code == 200 and r.json()["online"] is False
            v_on_x.close()
        finally:
            on_y.close()
            w_on_x.close()
