"""Limits that keep one noisy or hostile client from hurting anyone else (issue 13).

Each test talks to a real server over real sockets: frame budgets and typing coalescing on the
WebSockets, the inbound frame size limit, query parameters and cursors checked at the boundary,
uploads that leave no file behind when they fail, and the CLI's one-line error on a read-only
database. The HTTP connection limits (header size and time, body time, keep-alive) have their own
server with short timeouts, in test_http_limits.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import free_port
from tests.test_sockets import Socket, vheaders, ws_url


def _closed_code(ws, timeout: float = 5.0) -> int | None:
    """Reads until the server closes the socket; its close code."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except TimeoutError:
        return None
    return None


# -------------------------------------------------------------------------------------------------
# Socket frame budgets (item 2)
# -------------------------------------------------------------------------------------------------

def test_typing_flood_leaves_agents_connected(botaz) -> None:
    acme = botaz.account()
    visitor = botaz.visitor(acme)
    agents = [Socket(botaz, "/api/ws", acme.token, resume=None) for _ in range(2)]
    noisy = Socket(botaz, "/widget/v1/ws", visitor["visitorToken"], resume=None)
    time.sleep(0.6)  # past the resume wait: live events flow
    # 2,000 typing frames in one burst, alternating so that no naive dedupe can hide them.
    frames = [json.dumps({"type": "typing", "typing": i % 2 == 0}) for i in range(2000)]
    try:
        for frame in frames:
            noisy.ws.send(frame)
    except ConnectionClosed:
        pass  # the server may close the noisy socket before the burst ends: that is the budget
    # The noisy socket is closed with 1008 (policy) once it kept sending past its budget.
    assert _closed_code(noisy.ws) == 1008
    # Both agents are still connected, heard at most a few typing events, and hear a message.
    r = botaz.client.post("/widget/v1/messages", headers=vheaders(visitor), json={"text": "still here?"})
    assert r.status_code == 201, r.text
    for agent in agents:
        typing = 0
        while True:
            frame = agent.next(timeout=5)
            if frame["event"] == "typing":
                typing += 1
                continue
            if frame["event"] == "message.created":
                assert frame["data"]["text"] == "still here?"
                break
        assert typing <= 10, f"{typing} typing events reached an agent"
        agent.close()
    # The visitor may reconnect at once: only the noisy socket was closed.
    again = Socket(botaz, "/widget/v1/ws", visitor["visitorToken"], resume=None)
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    time.sleep(0.6)
    again.send({"type": "typing", "typing": True})
    frame = agent.next("typing")
    if frame["data"]["typing"] is False:  # the noisy socket's last state, sent after its burst
        frame = agent.next("typing")
    assert frame["data"] == {"visitorId": visitor["visitorId"], "userId": None, "typing": True}
    again.close()
    agent.close()


def test_typing_is_coalesced_but_the_last_state_arrives(botaz) -> None:
    acme = botaz.account()
    visitor = botaz.visitor(acme)
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    widget = Socket(botaz, "/widget/v1/ws", visitor["visitorToken"], resume=None)
    time.sleep(0.6)
    for typing in (True, False, True, False, True, False):
        widget.send({"type": "typing", "typing": typing})
    states = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            frame = agent.next("typing", timeout=max(0.05, deadline - time.monotonic()))
        except TimeoutError:
            break
        states.append(frame["data"]["typing"])
    assert 1 <= len(states) <= 3, states
    assert states[0] is True and states[-1] is False  # the first at once, the last one after
    widget.close()
    agent.close()


# -------------------------------------------------------------------------------------------------
# Inbound frame size (item 3)
# -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("side", ["visitor", "agent"])
def test_frames_over_64_kib_close_with_1009(botaz, side: str) -> None:
    acme = botaz.account()
    if side == "visitor":
        path, token = "/widget/v1/ws", botaz.visitor(acme)["visitorToken"]
    else:
        path, token = "/api/ws", acme.token
    ws = connect(ws_url(botaz, path, token), open_timeout=5)
    ws.send("x" * (100 * 1024))
    assert _closed_code(ws) == 1009
    # A frame header announcing 16 MiB is refused before its payload is sent (nothing buffered).
    ws = connect(ws_url(botaz, path, token), open_timeout=5)
    header = b"\x81\xff" + (16 * 1024 * 1024).to_bytes(8, "big") + b"\x01\x02\x03\x04"
    ws.socket.sendall(header)
    assert _closed_code(ws) == 1009
    # Up to the limit is fine.
    ws = connect(ws_url(botaz, path, token), open_timeout=5)
    ws.send(json.dumps({"type": "noise", "pad": "x" * (60 * 1024)}))
    ws.send(json.dumps({"type": ["not", "hashable"]}))
    ws.send(b"\x00binary")
    ws.send(json.dumps({"type": "resume", "after": None}))
    assert _closed_code(ws, timeout=1.0) is None
    ws.close()


# -------------------------------------------------------------------------------------------------
# Query parameters and cursors (item 6)
# -------------------------------------------------------------------------------------------------

def _cursor(n: int) -> str:
    return base64.urlsafe_b64encode(f"s{n}".encode()).decode().rstrip("=")


def test_nul_in_a_query_parameter_is_400(botaz) -> None:
    acme = botaz.account()
    r = botaz.client.get("/widget/v1/config", params={"siteKey": "a\x00b"})
    assert r.status_code == 400, r.text
    assert "siteKey" in r.json()["message"]
    visitor = botaz.visitor(acme)
    vid = visitor["visitorId"]
    # Every declared query parameter of every GET, with a NUL in it.
    from botaz.api.registry import ENDPOINTS

    checked = 0
    for ep in ENDPOINTS:
        if ep.method != "GET":
            continue
        for param in ep.params:
            if param.where != "query":
                continue
            path = ep.paths[0].replace("{id}", vid).replace("{deliveryId}", "x")
            headers = vheaders(visitor) if ep.auth == "visitor" else acme.headers
            # The other required parameters get a harmless value, so the NUL is what is judged.
            params = {p.name: "x" for p in ep.params if p.where == "query" and p.required}
            params[param.name] = "a\x00b"
            r = botaz.client.get(path, params=params, headers=headers)
            assert r.status_code == 400, (path, param.name, r.text)
            assert param.name in r.json()["message"], r.text
            checked += 1
    assert checked >= 10
    # NUL in a path parameter: not found, not a crash.
    r = botaz.client.get("/api/visitors/a%00b", headers=acme.headers)
    assert r.status_code in (400, 404), r.text


def test_cursors_and_limits_out_of_range_are_400(botaz) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    botaz.send(acme, vid)
    hook = botaz.client.post("/api/webhooks", headers=acme.headers, json={
        "url": "http://127.0.0.1:9/hook", "events": ["message.created"]}).json()["_id"]
    lists = ["/api/visitors", f"/api/visitors/{vid}/messages", f"/api/visitors/{vid}/pages",
             "/api/agents", "/api/audit", f"/api/webhooks/{hook}/deliveries", "/api/conversations"]
    def raw(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    for path in lists:
        huge = [_cursor(10 ** 30), _cursor(2 ** 63), "%%%", "s-1", "x" * 300]
        if path == "/api/conversations":  # its cursors are "a<activity>_<seq>"
            huge += [raw(f"a{10 ** 30}_1"), raw(f"a1_{2 ** 63}")]
        for cursor in huge:
            r = botaz.client.get(path, params={"cursor": cursor}, headers=acme.headers)
            assert r.status_code == 400, (path, cursor, r.text)
            assert "cursor" in r.json()["message"]
        for limit in ("0", "101", "1e3", str(10 ** 30), "-1"):
            r = botaz.client.get(path, params={"limit": limit}, headers=acme.headers)
            assert r.status_code == 400, (path, limit, r.text)
            assert "limit" in r.json()["message"]
        good = raw(f"a{2 ** 62}_{2 ** 62}") if path == "/api/conversations" else _cursor(2 ** 62)
        r = botaz.client.get(path, params={"cursor": good, "limit": "5"}, headers=acme.headers)
        assert r.status_code == 200, (path, r.text)


# -------------------------------------------------------------------------------------------------
# Uploads leave no file behind (item 5)
# -------------------------------------------------------------------------------------------------

def _files(data_dir: str) -> list[Path]:
    root = Path(data_dir) / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_with_a_nul_in_its_name_is_400_and_leaves_no_file(botaz) -> None:
    acme = botaz.account()
    visitor = botaz.visitor(acme)
    data_dir = botaz.server.settings.data_dir
    before = _files(data_dir)
    r = botaz.client.post("/widget/v1/attachments", content=b"x" * 4096,
                          headers=vheaders(visitor) | {"Content-Type": "text/plain",
                                                       "X-Filename": "a%00b.txt"})
    assert r.status_code == 400, r.text
    assert "name" in r.json()["message"]
    r = botaz.client.post(f"/api/visitors/{visitor['visitorId']}/attachments", content=b"x" * 4096,
                          params={"name": "a\x00b.txt"},
                          headers=acme.headers | {"Content-Type": "text/plain"})
    assert r.status_code == 400, r.text
    assert _files(data_dir) == before


def test_upload_whose_insert_fails_leaves_no_file(tmp_path) -> None:
    """A fault injected into the store (as a full disk would fail it) after the file is written."""
    from tests.conftest import ServerThread
    from botaz.config import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path}/up.db", rate_limits=False,
                        data_dir=str(tmp_path / "data"))
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        from tests.conftest import Botaz

        b = Botaz(server.url, settings.database_url, client, server)
        acme = b.account()
        visitor = b.visitor(acme)
        store = server.app.state.chat.store
        real = store.insert_message

        async def failing(*args, **kwargs):
            raise OSError(28, "No space left on device")

        store.insert_message = failing
        try:
            # uvicorn closes the connection after an unhandled error: not one to reuse.
            r = client.post("/widget/v1/attachments", content=b"y" * 100_000,
                            headers=vheaders(visitor) | {"Content-Type": "text/plain",
                                                         "X-Filename": "big.txt",
                                                         "Connection": "close"})
            assert r.status_code >= 500
        finally:
            store.insert_message = real
        assert _files(settings.data_dir) == []
        r = client.get(f"/api/visitors/{visitor['visitorId']}/messages", headers=acme.headers)
        assert r.json()["items"] == []
        # And a good upload still works, its file in place.
        r = client.post("/widget/v1/attachments", content=b"z" * 10,
                        headers=vheaders(visitor) | {"Content-Type": "text/plain",
                                                     "X-Filename": "ok.txt"})
        assert r.status_code == 201, r.text
        assert len(_files(settings.data_dir)) == 1


def test_sweep_removes_stray_files(botaz) -> None:
    from botaz.chat.attachments import sweep_strays

    acme = botaz.account()
    visitor = botaz.visitor(acme)
    r = botaz.client.post("/widget/v1/attachments", content=b"kept",
                          headers=vheaders(visitor) | {"Content-Type": "text/plain",
                                                       "X-Filename": "kept.txt"})
    assert r.status_code == 201, r.text
    kept = _files(botaz.server.settings.data_dir)
    folder = Path(botaz.server.settings.data_dir) / "attachments" / acme.id
    old = time.time() - 3600
    stray_part = folder / "crashed.part"
    stray_part.write_bytes(b"half")
    os.utime(stray_part, (old, old))
    young_part = folder / "uploading.part"
    young_part.write_bytes(b"in flight")
    orphan = folder / "0000000000000000orphan"
    orphan.write_bytes(b"no row")
    os.utime(orphan, (old, old))

    async def sweep() -> int:
        from botaz.store import Store
        from botaz.chat.context import Chat
        from botaz.events import EventBus

        store = await Store.open(botaz.database_url)
        try:
            return await sweep_strays(Chat(store, EventBus(), botaz.server.settings))
        finally:
            await store.close()

    assert asyncio.run(sweep()) == 2
    assert not stray_part.exists() and not orphan.exists()
    assert young_part.exists()  # may be an upload in progress
    young_part.unlink()
    assert _files(botaz.server.settings.data_dir) == kept


# -------------------------------------------------------------------------------------------------
# A read-only database at start (item 10)
# -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["file", "folder"])
def test_serve_on_a_read_only_sqlite_database_prints_one_line(tmp_path, what: str) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "botaz.db"
    url = f"sqlite:///{db}"
    env = os.environ | {"BOTAZ_DATABASE_URL": url, "PYTHONPATH": str(Path(__file__).parents[1])}
    made = subprocess.run([sys.executable, "-m", "botaz", "migrate"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    for extra in folder.glob("botaz.db-*"):
        extra.unlink()
    if what == "file":
        db.chmod(0o444)
    folder.chmod(0o555)
    command = [sys.executable, "-m", "botaz", "serve", "--port", str(free_port())]
    if os.geteuid() == 0:  # root writes anywhere: run without the capabilities that allow it
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: cannot make a file read-only")
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    try:
        r = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    finally:
        folder.chmod(0o755)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    error = json.loads(lines[0])
    assert error["status"] == "error"
    assert "read-only" in error["message"] or "cannot" in error["message"].lower(), error
    assert str(db) in error["message"]
