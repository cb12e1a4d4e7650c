"""Several nodes on PostgreSQL and Redis: events, typing, presence and resume across nodes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from botaz.config import Settings
from tests.conftest import REDIS_ENV, Botaz, ServerThread, create_pg_database, drop_pg_database, free_port, pg_admin_url
from tests.test_sockets import Socket, vheaders


def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url or not pg_admin_url():
        pytest.skip(f"{REDIS_ENV} and BOTAZ_TEST_DATABASE_URL are needed")
    return url


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    redis = redis_url()
    db = create_pg_database()
    data = tmp_path_factory.mktemp("cluster")
    settings = Settings(database_url=db, redis_url=redis, rate_limits=False, data_dir=str(data))
    try:
        with ServerThread(settings) as a, ServerThread(settings) as b, \
                httpx.Client(base_url=a.url, timeout=10) as ca, httpx.Client(base_url=b.url, timeout=10) as cb:
            yield Botaz(a.url, db, ca, a), Botaz(b.url, db, cb, b)
    finally:
        drop_pg_database(db)


def test_events_cross_nodes(cluster) -> None:
    node_a, node_b = cluster
    acme = node_a.account()
    v = node_a.visitor(acme)
    visitor_on_a = Socket(node_a, "/widget/v1/ws", v["visitorToken"], resume=None)
    agent_on_b = Socket(node_b, "/api/ws", acme.token, resume=None)
    try:
        time.sleep(0.3)
        sent = node_b.send(acme, v["visitorId"], "Sent through node B")
        assert visitor_on_a.next("message.created")["data"] == sent
        mine = node_a.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "via A"}).json()
        assert agent_on_b.next("message.created")["data"]["_id"] in (sent["_id"], mine["_id"])
        visitor_on_a.send({"type": "typing", "typing": True})
        assert agent_on_b.next("typing")["data"] == {"visitorId": v["visitorId"], "userId": None, "typing": True}
        agent_on_b.send({"type": "typing", "visitorId": v["visitorId"], "typing": True})
        assert visitor_on_a.next("typing")["data"]["userId"] == acme.agent_id
        conv = node_b.client.get(f"/api/conversations/{v['visitorId']}", headers=acme.headers).json()
        assert conv["online"] is True
    finally:
        visitor_on_a.close()
        agent_on_b.close()


def test_resume_on_the_other_node(cluster) -> None:
    node_a, node_b = cluster
    acme = node_a.account()
    v = node_a.visitor(acme)
    first = node_a.send(acme, v["visitorId"], "first")
    missed = [node_a.send(acme, v["visitorId"], f"missed {i}") for i in range(4)]
    s = Socket(node_b, "/widget/v1/ws", v["visitorToken"], resume=first["_id"])
    try:
        assert [s.next("message.created")["data"] for _ in range(4)] == missed
    finally:
        s.close()


def _serve(db: str, redis: str, port: int, tmp) -> subprocess.Popen:
    env = os.environ | {"BOTAZ_DATABASE_URL": db, "BOTAZ_REDIS_URL": redis, "BOTAZ_RATE_LIMITS": "off",
                        "BOTAZ_DATA_DIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "botaz", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("node did not start")


def test_node_killed_mid_stream_clients_resume_elsewhere(tmp_path) -> None:
    redis = redis_url()
    db = create_pg_database()
    ports = [free_port(), free_port()]
    nodes = [_serve(db, redis, port, tmp_path) for port in ports]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        account = json.loads(subprocess.run(
            [sys.executable, "-m", "botaz", "create-account", "--name", "K", "--agent-name", "A",
             "--agent-email", "k@example.com", "--json"], env=os.environ | {"BOTAZ_DATABASE_URL": db},
            capture_output=True, text=True, check=True).stdout)
        h = {"Authorization": f"Bearer {account['apiToken']}"}
        v = httpx.post(f"{urls[1]}/widget/v1/visitors", json={"siteKey": account["siteKey"]}).json()
        received: list[str] = []
        sent: list[str] = []
        failed: list[str] = []
        stop = threading.Event()

        def sender() -> None:
            # A generous timeout: on a loaded CI machine a POST may take seconds, and one that
            # timed out after its commit would be a message nobody counted as sent.
            with httpx.Client(timeout=60) as client:
                i = 0
                while not stop.is_set() and i < 200:
                    try:
                        r = client.post(f"{urls[1]}/api/messages/", headers=h, json={
                            "userId": account["agentId"], "visitorId": v["visitorId"],
                            "text": f"stream {i}"})
                    except httpx.HTTPError as exc:
                        failed.append(f"{i}: {exc!r}")
                        return
                    if r.status_code == 201:
                        sent.append(r.json()["_id"])
                    else:
                        failed.append(f"{i}: {r.status_code} {r.text}")
                    i += 1
                    time.sleep(0.01)

        ws = connect(urls[0].replace("http", "ws") + f"/widget/v1/ws?token={v['visitorToken']}")
        ws.send(json.dumps({"type": "resume", "after": None}))
        thread = threading.Thread(target=sender)
        thread.start()
        try:
            while len(received) < 20:
                frame = json.loads(ws.recv(timeout=10))
                if frame["event"] == "message.created":
                    received.append(frame["data"]["_id"])
            nodes[0].send_signal(signal.SIGKILL)  # node A dies mid-stream
            nodes[0].wait(timeout=10)
            with pytest.raises(Exception):
                while True:
                    frame = json.loads(ws.recv(timeout=10))
                    if frame["event"] == "message.created":
                        received.append(frame["data"]["_id"])
            # The client reconnects to node B and resumes after the last message it has.
            ws = connect(urls[1].replace("http", "ws") + f"/widget/v1/ws?token={v['visitorToken']}")
            ws.send(json.dumps({"type": "resume", "after": received[-1]}))
            thread.join(timeout=30)
            deadline = time.monotonic() + 15
            while set(received) != set(sent) and time.monotonic() < deadline:
                try:
                    frame = json.loads(ws.recv(timeout=1))
                except TimeoutError:
                    continue
                if frame["event"] == "message.created":
                    received.append(frame["data"]["_id"])
            assert failed == [] and len(sent) == 200
            assert received == sent  # everything, in order, none twice
        finally:
            stop.set()
            thread.join(timeout=30)
            ws.close()
    finally:
        for proc in nodes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)
        drop_pg_database(db)


def test_sockets_per_visitor_are_counted_across_nodes(tmp_path_factory) -> None:
    redis = redis_url()
    db = create_pg_database()
    settings = Settings(database_url=db, redis_url=redis, rate_limits=False,
                        data_dir=str(tmp_path_factory.mktemp("cap")), max_sockets_per_visitor=2)
    try:
        with ServerThread(settings) as a, ServerThread(settings) as b, \
                httpx.Client(base_url=a.url, timeout=10) as ca, httpx.Client(base_url=b.url, timeout=10) as cb:
            node_a, node_b = Botaz(a.url, db, ca, a), Botaz(b.url, db, cb, b)
            acme = node_a.account()
            v = node_a.visitor(acme)
            first = Socket(node_a, "/widget/v1/ws", v["visitorToken"])
            second = Socket(node_b, "/widget/v1/ws", v["visitorToken"])
            with pytest.raises(InvalidStatus) as refused:  # a third, on either node
                Socket(node_a, "/widget/v1/ws", v["visitorToken"])
            assert refused.value.response.status_code == 429
            with pytest.raises(InvalidStatus):
                Socket(node_b, "/widget/v1/ws", v["visitorToken"])
            second.close()
            deadline = time.monotonic() + 5
            while True:  # the slot on B comes back once its socket is gone
                try:
                    third = Socket(node_a, "/widget/v1/ws", v["visitorToken"])
                    break
                except InvalidStatus:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            other = node_a.visitor(acme)  # each visitor has a count of its own
            Socket(node_b, "/widget/v1/ws", other["visitorToken"]).close()
            first.close()
            third.close()
    finally:
        drop_pg_database(db)


def test_availability_across_nodes(cluster) -> None:
    """The dashboard is open on B, the widget asks A: online only for a dashboard session, until
    Away or the last tab (on either node) closes; the widget on A hears each change."""
    from tests.test_availability import Dashboard, online, owner_email, wait_until

    node_a, node_b = cluster
    acme = node_a.account()
    v = node_a.visitor(acme)
    widget_on_a = Socket(node_a, "/widget/v1/ws", v["visitorToken"], resume=None)
    integration_on_b = Socket(node_b, "/api/ws", acme.token, resume=None)
    try:
        time.sleep(0.5)
        assert online(node_a, acme) is False  # an API token's socket on B: still offline
        board = Dashboard(node_b, owner_email(node_a, acme))
        tab_on_a = None
        try:
            wait_until(lambda: online(node_a, acme), "online on A")
            assert widget_on_a.next("availability")["data"] == {"online": True}
            board.availability("away")
            assert online(node_a, acme) is False
            assert widget_on_a.next("availability")["data"] == {"online": False}
            board.availability("online")
            assert widget_on_a.next("availability")["data"] == {"online": True}
            # A second tab on A; closing the one on B keeps the agent available.
            tab_on_a = Dashboard(node_a, owner_email(node_a, acme))
            board.close()
            time.sleep(0.5)
            assert online(node_a, acme) is True and online(node_b, acme) is True
        finally:
            board.close()
            if tab_on_a is not None:
                tab_on_a.close()
        wait_until(lambda: not online(node_b, acme), "offline on B after the last tab closed on A")
        assert widget_on_a.next("availability")["data"] == {"online": False}
    finally:
        widget_on_a.close()
        integration_on_b.close()


def test_assignment_across_nodes_assigns_once(cluster) -> None:
    """Messages of one visitor through both nodes at once: one assignment, within capacity."""
    from tests.test_availability import Dashboard, add_person, owner_email

    node_a, node_b = cluster
    acme = node_a.account()
    boards = [Dashboard(node_a, owner_email(node_a, acme)), Dashboard(node_b, add_person(node_a, acme, "Leyla"))]
    try:
        node_a.client.put("/api/settings", headers=acme.headers, json={"autoAssign": True})
        for b in boards:
            node_a.client.put(f"/api/agents/{b.agent_id}", headers=acme.headers, json={"maxConversations": 1})
        time.sleep(0.5)
        visitors = [node_a.visitor(acme) for _ in range(4)]
        barrier = threading.Barrier(len(visitors) * 2)

        def write(node, v) -> None:
            barrier.wait(5)
            node.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "hi"})

        threads = [threading.Thread(target=write, args=(node, v)) for v in visitors for node in cluster]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(1.0)
        assignees = [node_a.client.get(f"/api/conversations/{v['visitorId']}", headers=acme.headers).json()["assigneeId"]
                     for v in visitors]
        assert sorted(a for a in assignees if a) == sorted(b.agent_id for b in boards)
    finally:
        for b in boards:
            b.close()
