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
            base = b.url.replace("http://", "ws://")
            ws = connect(base + f"/widget/v1/ws?token={v['visitorToken']}")
            ws.send(json.dumps({"type": "resume", "after": None}))
            agent_ws = connect(base + f"/api/ws?token={acme.token}")  # the account's stream
            sent: list[str] = []
            received: list[str] = []
            agent_received: list[str] = []
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

            def reader(sock, into: list[str]) -> None:
                try:
                    while True:
                        frame = json.loads(sock.recv())
                        if frame["event"] == "message.created":
                            into.append(frame["data"]["_id"])
                except Exception:
                    return

            threads = [threading.Thread(target=sender),
                       threading.Thread(target=reader, args=(ws, received)),
                       threading.Thread(target=reader, args=(agent_ws, agent_received))]
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
            while min(len(received), len(agent_received)) < len(sent) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # room for a duplicate to show
            ws.close()
            agent_ws.close()
            for thread in threads[1:]:
                thread.join(timeout=10)
            assert not failures
            assert len(sent) > 200
            missed = [m for m in sent if m not in set(received)]
            assert not missed, f"{len(missed)} of {len(sent)} messages never reached the socket"
            assert received == sent  # in order, none twice
            assert agent_received == sent  # the agent's socket on B too
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


# 7. The database unavailable: 503 with Retry-After within seconds, /readyz within 5 s


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL. cut() is the database going away: open
    connections drop, new ones are accepted and never answered (the worst case for a client:
    no refusal, only silence). restore() forwards again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.lock = threading.Lock()
        self.open: list[socket.socket] = []
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.cut_off:
                    self.held.append(client)
                    continue
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
                self.open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            self.cut_off = True
            for s in self.open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open = []

    def restore(self) -> None:
        with self.lock:
            self.cut_off = False
            for s in self.held:
                s.close()
            self.held = []

    def close(self) -> None:
        self.cut()
        self.listener.close()


def assert_unavailable(r: httpx.Response, elapsed: float) -> None:
    assert r.status_code == 503, r.text
    assert elapsed < 8, f"took {elapsed:.1f} s"
    assert int(r.headers["retry-after"]) > 0
    body = r.json()
    assert body["status"] == "error" and "database" in body["message"], body


def timed(call) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = call()
    return r, time.monotonic() - started


def test_postgresql_outage_answers_503_quickly_and_recovers(tmp_path) -> None:
    if not pg_admin_url():
        pytest.skip("BOTAZ_TEST_DATABASE_URL is needed")
    from urllib.parse import urlsplit, urlunsplit

    db = create_pg_database()
    parts = urlsplit(db)
    proxy = Proxy(parts.port or 5432)
    via = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    settings = Settings(database_url=via, rate_limits=False, data_dir=str(tmp_path))
    try:
        with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=60) as client:
            node = Botaz(server.url, db, client, server)
            acme = node.account()
            v = node.visitor(acme)
            node.send(acme, v["visitorId"], "before")
            assert wait_ready(server.url, 5).status_code == 200
            proxy.cut()
            post = lambda: client.post("/api/messages/", headers=acme.headers, json={  # noqa: E731
                "userId": acme.agent_id, "visitorId": v["visitorId"], "text": "during"})
            assert_unavailable(*timed(post))  # the busiest call
            assert_unavailable(*timed(lambda: client.get("/api/conversations", headers=acme.headers)))
            assert_unavailable(*timed(lambda: client.post(
                "/widget/v1/messages", headers={"Authorization": f"Bearer {v['visitorToken']}"},
                json={"text": "visitor during"})))
            r, elapsed = timed(lambda: client.get("/readyz"))
            assert r.status_code == 503 and elapsed < 5, (r.text, elapsed)
            assert r.json()["checks"]["database"].startswith("error")
            proxy.restore()
            deadline = time.monotonic() + 20
            while (r := post()).status_code != 201:
                assert r.status_code == 503, r.text
                assert time.monotonic() < deadline, "no recovery"
                time.sleep(0.2)
            assert wait_ready(server.url, 10).status_code == 200
    finally:
        proxy.close()
        drop_pg_database(db)


def test_sqlite_read_only_or_full_answers_503_and_recovers(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/full.db", rate_limits=False,
                        data_dir=str(tmp_path))
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        node = Botaz(server.url, settings.database_url, client, server)
        acme = node.account()
        v = node.visitor(acme)
        # The server's own connection, as a read-only file or a full disk would leave it (the
        # tests run as root, whom file permissions do not stop): the real driver errors follow.
        conn = server.app.state.chat.store.db._conn

        def post(text: str = "hello") -> httpx.Response:
            return client.post("/api/messages/", headers=acme.headers, json={
                "userId": acme.agent_id, "visitorId": v["visitorId"], "text": text})

        conn.execute("PRAGMA query_only = ON")  # SQLITE_READONLY on every write
        r, elapsed = timed(post)
        assert_unavailable(r, elapsed)
        assert "read-only" in r.json()["message"]
        assert_unavailable(*timed(lambda: client.post(
            "/widget/v1/messages", headers={"Authorization": f"Bearer {v['visitorToken']}"},
            json={"text": "visitor"})))
        r, elapsed = timed(lambda: client.get("/readyz"))
        assert r.status_code == 503 and elapsed < 5, r.text
        conn.execute("PRAGMA query_only = OFF")
        assert post().status_code == 201
        assert client.get("/readyz").status_code == 200

        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL once free pages run out
        for _ in range(100):
            r, elapsed = timed(lambda: post("x" * 9000))
            if r.status_code != 201:
                break
        assert_unavailable(r, elapsed)
        assert "full" in r.json()["message"]
        r = client.get("/readyz")
        assert r.status_code == 503, r.text
        assert "full" in r.json()["checks"]["database"]
        conn.execute("PRAGMA max_page_count = 1073741823")
        assert post().status_code == 201
        assert client.get("/readyz").status_code == 200


def test_a_redis_that_hangs_is_noticed_and_caught_up(redis_server, tmp_path) -> None:
    """Redis stopped (SIGSTOP), not killed: no connection fails, the subscription just goes
    quiet. Each node notices the silence, and catches up once Redis answers again."""
    if not pg_admin_url():
        pytest.skip("BOTAZ_TEST_DATABASE_URL is needed")
    db = create_pg_database()
    settings = Settings(database_url=db, redis_url=redis_server.url(), data_dir=str(tmp_path))
    try:
        with ServerThread(settings) as a, ServerThread(settings) as b, \
                httpx.Client(base_url=a.url, timeout=30) as ca:
            node_a, node_b = Botaz(a.url, db, ca, a), Botaz(b.url, db, ca, b)
            acme = node_a.account()
            v = node_a.visitor(acme)
            s = Socket(node_b, "/widget/v1/ws", v["visitorToken"], resume=None)
            try:
                first = node_a.send(acme, v["visitorId"], "before")
                assert s.next("message.created")["data"]["_id"] == first["_id"]
                redis_server.proc.send_signal(signal.SIGSTOP)
                try:
                    sent = []
                    started = time.monotonic()
                    while time.monotonic() - started < 16:  # rate limits let calls through
                        r, elapsed = timed(lambda: ca.post("/api/messages/", headers=acme.headers, json={
                            "userId": acme.agent_id, "visitorId": v["visitorId"], "text": "during"}))
                        assert r.status_code == 201 and elapsed < 5, (r.text, elapsed)
                        sent.append(r.json()["_id"])
                        time.sleep(0.5)
                    assert b.app.state.chat.bus.broken  # noticed without any error
                finally:
                    redis_server.proc.send_signal(signal.SIGCONT)
                got = [s.next("message.created", timeout=15)["data"]["_id"] for _ in sent]
                assert got == sent, (got, sent)
                assert s.quiet("message.created", 1.0)  # and none twice
                assert b.app.state.hub.caught_up > 0
            finally:
                s.close()
    finally:
        drop_pg_database(db)


def test_messages_dropped_from_a_full_outbox_still_reach_the_other_nodes(redis_server, tmp_path,
                                                                         monkeypatch) -> None:
    """Node A alone loses Redis (B stays subscribed) for so long that its outbox overflows: once
    back, A names the messages it dropped and B sends them from the store."""
    if not pg_admin_url():
        pytest.skip("BOTAZ_TEST_DATABASE_URL is needed")
    import botaz.events.redis_bus as redis_bus

    monkeypatch.setattr(redis_bus, "MAX_BACKLOG", 3)
    db = create_pg_database()
    proxy = Proxy(redis_server.port)
    common = dict(database_url=db, rate_limits=False, data_dir=str(tmp_path))
    try:
        with ServerThread(Settings(redis_url=f"redis://127.0.0.1:{proxy.port}/0", **common)) as a, \
                ServerThread(Settings(redis_url=redis_server.url(), **common)) as b, \
                httpx.Client(base_url=a.url, timeout=30) as ca:
            node_a, node_b = Botaz(a.url, db, ca, a), Botaz(b.url, db, ca, b)
            acme = node_a.account()
            v = node_a.visitor(acme)
            s = Socket(node_b, "/widget/v1/ws", v["visitorToken"], resume=None)
            try:
                first = node_a.send(acme, v["visitorId"], "before")
                assert s.next("message.created")["data"]["_id"] == first["_id"]
                proxy.cut()
                sent = [node_a.send(acme, v["visitorId"], f"during {i}")["_id"] for i in range(10)]
                time.sleep(1.0)
                assert a.app.state.chat.bus.dropped > 0
                proxy.restore()
                got = [s.next("message.created", timeout=20)["data"]["_id"] for _ in sent]
                assert sorted(got) == sorted(sent)  # all of them, though the dropped ones late
                assert s.quiet("message.created", 1.0)  # and none twice
            finally:
                s.close()
    finally:
        proxy.close()
        drop_pg_database(db)


def test_the_redis_prefix_names_the_database_not_its_spelling(tmp_path, monkeypatch) -> None:
    from botaz.config import Settings as S

    def ns(url: str, **env: str) -> str:
        return S.from_env({"BOTAZ_DATABASE_URL": url, **env}).redis_namespace()

    pg = "postgresql://botaz:secret@db.internal:5432/botaz"
    assert ns(pg) == ns("postgres://botaz:rotated@DB.internal/botaz?sslmode=require")
    assert ns(pg) != ns("postgresql://botaz:secret@db.internal:5432/staging")
    assert ns(pg) != ns("postgresql://botaz:secret@db2.internal:5432/botaz")
    monkeypatch.chdir(tmp_path)
    assert ns("sqlite:///./botaz.db") == ns(f"sqlite:///{tmp_path}/botaz.db")
    assert ns("sqlite:///a.db") != ns("sqlite:///b.db")
    assert ns(pg).startswith("botaz:") and len(ns(pg)) == len("botaz:") + 12
    assert ns(pg, BOTAZ_REDIS_PREFIX="shop") == "shop"
