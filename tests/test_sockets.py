"""Realtime over real WebSockets: isolation, handshake refusal, resume, typing, presence, bans."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect


def ws_url(botaz, path: str, token: str) -> str:
    return botaz.url.replace("http://", "ws://") + f"{path}?token={token}"


class Socket:
    def __init__(self, botaz, path: str, token: str, resume: str | None | bool = False) -> None:
        self.ws = connect(ws_url(botaz, path, token), open_timeout=5)
        if resume is not False:
            self.ws.send(json.dumps({"type": "resume", "after": resume}))

    def next(self, event: str | None = None, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if event is None or frame["event"] == event:
                return frame

    def quiet(self, event: str, seconds: float = 0.7) -> bool:
        """True when no frame of this kind arrives for a while."""
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                frame = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
                if frame["event"] == event:
                    return False
        except TimeoutError:
            pass
        return True

    def send(self, frame: dict) -> None:
        self.ws.send(json.dumps(frame))

    def close(self) -> None:
        self.ws.close()


def vheaders(v: dict) -> dict:
    return {"Authorization": f"Bearer {v['visitorToken']}"}


def test_messages_reach_the_right_sockets(botaz) -> None:
    acme, other = botaz.account(), botaz.account("Other")
    v1, v2 = botaz.visitor(acme), botaz.visitor(acme)
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    stranger = Socket(botaz, "/api/ws", other.token, resume=None)
    s1 = Socket(botaz, "/widget/v1/ws", v1["visitorToken"], resume=None)
    s2 = Socket(botaz, "/widget/v1/ws", v2["visitorToken"], resume=None)
    try:
        sent = botaz.send(acme, v1["visitorId"], "Hello visitor one")
        frame = s1.next("message.created")
        assert frame == {"event": "message.created", "data": sent}
        assert agent.next("message.created")["data"] == sent
        r = botaz.client.post("/widget/v1/messages", headers=vheaders(v1), json={"text": "Thanks!"})
        mine = r.json()
        assert agent.next("message.created")["data"] == mine
        assert s1.next("message.created")["data"] == mine
        assert s2.quiet("message.created")
        assert stranger.quiet("message.created")
        edited = botaz.client.put(f"/api/messages/{sent['_id']}", headers=acme.headers,
                                  json={"text": "Hello again"}).json()
        assert s1.next("message.updated")["data"] == edited
        botaz.client.delete(f"/api/messages/{sent['_id']}", headers=acme.headers)
        assert s1.next("message.deleted")["data"]["_id"] == sent["_id"]
        assert agent.next("message.deleted")["data"]["_id"] == sent["_id"]
    finally:
        for s in (agent, stranger, s1, s2):
            s.close()


@pytest.mark.parametrize("path", ["/widget/v1/ws", "/api/ws"])
def test_bad_tokens_are_refused_at_the_handshake(botaz, path) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    wrong = acme.token if path == "/widget/v1/ws" else v["visitorToken"]
    for token in ("", "nope", wrong):
        with pytest.raises(InvalidStatus) as info:
            connect(ws_url(botaz, path, token), open_timeout=5)
        assert info.value.response.status_code == 401
        assert json.loads(info.value.response.body)["message"] == "You must be logged in to do this."


def test_resume_delivers_missed_messages_in_order_once(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    first = botaz.send(acme, v["visitorId"], "one")
    s = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=first["_id"])
    assert s.quiet("message.created", 0.8)
    s.close()
    missed = [botaz.send(acme, v["visitorId"], f"missed {i}") for i in range(5)]
    agent_seen = Socket(botaz, "/api/ws", acme.token, resume=first["_id"])
    s = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=first["_id"])
    try:
        got = [s.next("message.created")["data"] for _ in range(5)]
        assert got == missed
        live = botaz.send(acme, v["visitorId"], "live")
        assert s.next("message.created")["data"] == live
        assert s.quiet("message.created")
        agent_got = [agent_seen.next("message.created")["data"]["_id"] for _ in range(6)]
        assert agent_got == [m["_id"] for m in missed] + [live["_id"]]
    finally:
        s.close()
        agent_seen.close()


def test_resume_from_nothing_sends_the_whole_conversation(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    sent = [botaz.send(acme, v["visitorId"], f"m{i}") for i in range(3)]
    s = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    try:
        assert [s.next("message.created")["data"] for _ in range(3)] == sent
    finally:
        s.close()


def test_typing_both_ways(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    s = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    try:
        s.send({"type": "typing", "typing": True})
        frame = agent.next("typing")
        assert frame["data"] == {"visitorId": v["visitorId"], "userId": None, "typing": True}
        agent.send({"type": "typing", "visitorId": v["visitorId"], "typing": True})
        frame = s.next("typing")
        assert frame["data"] == {"visitorId": v["visitorId"], "userId": acme.agent_id, "typing": True}
        r = botaz.client.post(f"/api/visitors/{v['visitorId']}/typing", headers=acme.headers,
                              json={"typing": False})
        assert r.status_code == 204
        assert s.next("typing")["data"]["typing"] is False
    finally:
        s.close()
        agent.close()


def test_presence_updates_last_online(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    before = botaz.client.get(f"/api/visitors/{v['visitorId']}", headers=acme.headers).json()
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    time.sleep(0.01)
    s = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    try:
        frame = agent.next("visitor.updated")
        assert frame["data"]["_id"] == v["visitorId"] and frame["data"]["online"] is True
        assert frame["data"]["lastOnline"] > before["lastOnline"]
        r = botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key})
        assert r.json()["online"] is False  # an API token's socket never makes a site online
        s.close()
        frame = agent.next("visitor.updated")
        assert frame["data"]["online"] is False
        now = botaz.client.get(f"/api/visitors/{v['visitorId']}", headers=acme.headers).json()
        assert now["lastOnline"] == frame["data"]["lastOnline"]
    finally:
        agent.close()
    time.sleep(0.2)
    assert botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()["online"] is False


def test_ban_closes_the_socket_and_refuses_everything(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    s = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    r = botaz.client.post(f"/api/visitors/{v['visitorId']}/ban", headers=acme.headers)
    assert r.status_code == 200 and r.json()["banned"] is True
    with pytest.raises(ConnectionClosed) as info:
        for _ in range(10):
            s.ws.recv(timeout=5)
    assert info.value.rcvd.code == 4403
    for method, path, body in (("GET", "/widget/v1/messages", None), ("POST", "/widget/v1/messages", {"text": "x"}),
                               ("GET", "/widget/v1/me", None), ("POST", "/widget/v1/seen", {"messageId": "x"}),
                               ("POST", "/widget/v1/preform", {"name": "x"}),
                               ("POST", "/widget/v1/pages", {"url": "https://x.example/"})):
        r = botaz.client.request(method, path, headers=vheaders(v), json=body)
        assert r.status_code == 403, path
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(botaz, "/widget/v1/ws", v["visitorToken"]), open_timeout=5)
    assert refused.value.response.status_code == 403
    r = botaz.client.post("/api/messages/", headers=acme.headers, json={
        "userId": acme.agent_id, "visitorId": v["visitorId"], "text": "hi"})
    assert r.status_code == 403
    r = botaz.client.post(f"/api/visitors/{v['visitorId']}/unban", headers=acme.headers)
    assert r.json()["banned"] is False
    assert botaz.client.get("/widget/v1/me", headers=vheaders(v)).status_code == 200


def test_slow_socket_is_dropped_without_stalling_others() -> None:
    from botaz.api.hub import CLOSE_OVERFLOW, Connection, Hub
    from botaz.events import Event, EventBus

    class Peer:
        """The ASGI `send` of a socket: a stalled one never finishes writing a frame."""

        def __init__(self, stalled: bool) -> None:
            self.stalled = stalled
            self.closed_with = None
            self.sent = 0

        async def __call__(self, message: dict) -> None:
            if message["type"] == "websocket.close":
                self.closed_with = message["code"]
            elif self.stalled:
                await asyncio.Event().wait()  # the peer stopped reading
            else:
                self.sent += 1

    async def scenario() -> None:
        bus = EventBus()
        hub = Hub(bus, max_queue=8)
        slow_peer, fast_peer = Peer(stalled=True), Peer(stalled=False)
        slow = Connection(slow_peer, "visitor", "A", visitor_id="V", max_queue=8)
        fast = Connection(fast_peer, "agent", "A", agent_id="G", max_queue=8)
        hub.connect(slow)
        hub.connect(fast)
        slow.release()
        fast.release()
        for i in range(50):
            bus.publish(Event("message.created", "A", "V", {"i": i}))
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        assert slow_peer.closed_with == CLOSE_OVERFLOW
        assert len(slow.pending or ()) <= 8
        assert fast_peer.sent == 50 and fast_peer.closed_with is None
        assert fast.pending is None and fast.writer is None  # an idle socket holds no queue or task
        assert hub.dropped == 1

    asyncio.run(scenario())


def test_heartbeats_close_dead_peers_and_keep_live_ones(tmp_path) -> None:
    import base64
    import os
    import socket

    import httpx

    from botaz.config import Settings
    from tests.conftest import Botaz, ServerThread

    database_url = f"sqlite:///{tmp_path}/botaz.db"
    settings = Settings(database_url=database_url, rate_limits=False, data_dir=str(tmp_path / "data"),
                        ws_ping_interval=0.5)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        botaz = Botaz(server.url, database_url, client, server)
        acme = botaz.account()
        dead, alive = botaz.visitor(acme), botaz.visitor(acme)

        # A peer that completes the handshake and then never answers (a laptop lid closed).
        raw = socket.create_connection(("127.0.0.1", server.settings.port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        raw.sendall((f"GET /widget/v1/ws?token={dead['visitorToken']} HTTP/1.1\r\n"
                     f"Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        live = Socket(botaz, "/widget/v1/ws", alive["visitorToken"])  # its library answers pings
        started = time.monotonic()
        received = b""
        while True:
            chunk = raw.recv(65536)
            if not chunk:
                break
            received += chunk
        took = time.monotonic() - started
        assert received.startswith(b"HTTP/1.1 101")
        assert b"\x89" in received  # at least one ping frame came
        assert b"\x88\x18\x03\xf3keepalive ping timeout" in received  # then a close frame: 1011
        assert 0.4 < took < 3.0

        time.sleep(1.0)  # three more rounds of pings: the live socket stays open
        sent = botaz.send(acme, alive["visitorId"], "still there?")
        assert live.next("message.created")["data"]["_id"] == sent["_id"]
        live.close()
        raw.close()


def test_missed_messages_is_the_resume_rule(botaz, monkeypatch) -> None:
    """chat/messages.py decides what a resume sends: pages in order, the visitor's view of its
    conversation, the account's stream for agents, NotFound for a stranger's message."""
    from conftest import _run

    from botaz.chat import messages
    from botaz.chat.errors import NotFound

    monkeypatch.setattr(messages, "RESUME_PAGE", 2)
    acme, other = botaz.account(), botaz.account()
    v, w = botaz.visitor(acme), botaz.visitor(acme)
    bot = acme.add_agent("Helper", bot=True)
    first = botaz.send(acme, v["visitorId"], "first")
    sent = [botaz.send(acme, v["visitorId"], "agent 1"),
            botaz.send(acme, v["visitorId"], "from the bot", user_id=bot["agentId"]),
            botaz.send(acme, w["visitorId"], "elsewhere"),
            botaz.send(acme, v["visitorId"], "agent 2")]
    r = botaz.client.put(f"/api/visitors/{v['visitorId']}/bot", headers=acme.headers,
                         json={"showBotMessages": False})
    assert r.status_code == 200, r.text
    stranger = botaz.send(other, botaz.visitor(other)["visitorId"], "not yours")

    def pages(visitor_id, after):
        return asyncio.run(_run(botaz.database_url, lambda chat: _pages(chat, visitor_id, after)))

    async def _pages(chat, visitor_id, after):
        return [(page, seq) async for page, seq in
                messages.missed_messages(chat, acme.id, visitor_id, after)]

    got = pages(v["visitorId"], first["_id"])
    assert [m["_id"] for page, _ in got for m in page] == [sent[0]["_id"], sent[3]["_id"]]
    assert [len(page) for page, _ in got] == [1, 1]  # the bot's message read, not shown
    seqs = [seq for _, seq in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    whole = pages(v["visitorId"], None)
    assert [m["_id"] for page, _ in whole for m in page] == [first["_id"], sent[0]["_id"], sent[3]["_id"]]
    assert pages(None, None) == []  # an agent without a point to resume from gets nothing
    agent = pages(None, first["_id"])
    assert [m["_id"] for page, _ in agent for m in page] == [m["_id"] for m in sent]
    assert pages(v["visitorId"], 42) == []
    for visitor_id, after in ((v["visitorId"], stranger["_id"]), (None, stranger["_id"]),
                              (w["visitorId"], first["_id"])):
        with pytest.raises(NotFound):
            pages(visitor_id, after)
# -------------------------------------------------------------------------------------------------
# The widget's first load: /widget/v1/ws?siteKey= makes the visitor; widget.ready comes first
# -------------------------------------------------------------------------------------------------

def site_socket(botaz, site_key: str, **kw):
    return connect(botaz.url.replace("http://", "ws://") + f"/widget/v1/ws?siteKey={site_key}",
                   open_timeout=5, **kw)


def first_frame(ws) -> dict:
    return json.loads(ws.recv(timeout=5))


def eventually(check, what: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_site_key_socket_makes_a_visitor_and_says_widget_ready_first(botaz) -> None:
    acme = botaz.account()
    config = botaz.client.get(f"/widget/v1/config?siteKey={acme.site_key}").json()
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    ws = site_socket(botaz, acme.site_key, user_agent_header="Mozilla/5.0 (BotazTest)")
    try:
        ready = first_frame(ws)
        assert ready["event"] == "widget.ready"
        data = ready["data"]
        assert set(data) == {"config", "visitorId", "visitorToken", "visitor", "unread",
                             "lastMessageId"}
        assert data["config"] == config
        assert data["unread"] == 0 and data["lastMessageId"] is None
        vid, token = data["visitorId"], data["visitorToken"]
        assert token.startswith("btzv_")
        # The visitor object is what POST /widget/v1/visitors answers (its keys, notes hidden).
        by_http = botaz.visitor(acme)["visitor"]
        assert set(data["visitor"]) == set(by_http)
        assert data["visitor"]["_id"] == vid and data["visitor"]["notes"] is None
        assert data["visitor"]["userAgent"] == "Mozilla/5.0 (BotazTest)"
        assert agent.next("visitor.created")["data"]["_id"] == vid
        me = botaz.client.get("/widget/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["_id"] == vid

        # The page frame records the page view (as POST /widget/v1/pages): Visitors now shows it.
        ws.send(json.dumps({"type": "page", "url": "https://shop.example/beans",
                            "title": "Beans", "referrer": "https://search.example/"}))
        page = agent.next("visitor.page")["data"]
        assert page["visitorId"] == vid and page["url"] == "https://shop.example/beans"
        online = botaz.client.get("/api/visitors/online", headers=acme.headers).json()
        mine = [i for i in online["items"] if i["visitor"]["_id"] == vid]
        assert mine and mine[0]["page"]["title"] == "Beans"
        assert mine[0]["conversationStartedAt"] is None
        ws.send(json.dumps({"type": "page", "title": "no url"}))  # fails its checks: dropped
        ws.send(json.dumps({"type": "page", "url": "https://shop.example/cart", "title": None}))
        eventually(lambda: len(botaz.client.get(f"/api/visitors/{vid}/pages",
                                                headers=acme.headers).json()["items"]) == 2,
                   "the second page view")

        # A visitor on the site, not a conversation.
        listed = botaz.client.get("/api/visitors?limit=100", headers=acme.headers).json()["items"]
        assert vid in [v["_id"] for v in listed]
        convs = botaz.client.get("/api/conversations", headers=acme.headers).json()["items"]
        assert vid not in [c["visitor"]["_id"] for c in convs]

        # An agent starts the chat: the visitor's socket hears it live.
        sent = botaz.send(acme, vid, "Hello! Can I help?")
        got = json.loads(ws.recv(timeout=5))
        while got["event"] != "message.created":
            got = json.loads(ws.recv(timeout=5))
        assert got["data"] == sent
    finally:
        ws.close()
        agent.close()

    # The next page: ?token=&ready=1 says widget.ready first, with no new token, the unread count
    # and where to resume; resuming there sends nothing twice.
    later = botaz.send(acme, vid, "Still there?")
    ws = connect(ws_url(botaz, "/widget/v1/ws", token) + "&ready=1", open_timeout=5)
    try:
        ready = first_frame(ws)
        assert ready["event"] == "widget.ready"
        assert set(ready["data"]) == {"config", "visitorId", "visitor", "unread", "lastMessageId"}
        assert ready["data"]["config"] == config and ready["data"]["visitorId"] == vid
        assert ready["data"]["unread"] == 2 and ready["data"]["lastMessageId"] == later["_id"]
        ws.send(json.dumps({"type": "resume", "after": ready["data"]["lastMessageId"]}))
        live = botaz.send(acme, vid, "Live now")
        got = json.loads(ws.recv(timeout=5))
        while got["event"] != "message.created":
            got = json.loads(ws.recv(timeout=5))
        assert got["data"]["_id"] == live["_id"]
    finally:
        ws.close()
    botaz.client.post("/widget/v1/seen", headers={"Authorization": f"Bearer {token}"},
                      json={"messageId": live["_id"]})
    # Without ready=1 a token's socket is as before: no widget.ready, resume first.
    s = Socket(botaz, "/widget/v1/ws", token, resume=None)
    try:
        assert s.next()["event"] == "message.created"
    finally:
        s.close()
    ws = connect(ws_url(botaz, "/widget/v1/ws", token) + "&ready=1", open_timeout=5)
    try:
        assert first_frame(ws)["data"]["unread"] == 0  # all seen now
    finally:
        ws.close()


def test_a_site_key_socket_is_refused_like_post_visitors(botaz) -> None:
    acme = botaz.account()
    for key, status, message in (("nope", 404, "There is no site with this siteKey."),
                                 ("", 400, None)):
        with pytest.raises(InvalidStatus) as info:
            site_socket(botaz, key)
        assert info.value.response.status_code == status
        body = json.loads(info.value.response.body)
        assert body["status"] == "error" and (message is None or body["message"] == message)

    assert botaz.client.put("/api/settings", headers=acme.headers, json={
        "allowedOrigins": ["https://shop.example"]}).status_code == 200
    with pytest.raises(InvalidStatus) as info:
        site_socket(botaz, acme.site_key, origin="https://evil.example")
    assert info.value.response.status_code == 403
    assert botaz.client.get("/api/visitors", headers=acme.headers).json()["items"] == []
    ws = site_socket(botaz, acme.site_key, origin="https://shop.example")
    try:
        ready = first_frame(ws)
        assert ready["event"] == "widget.ready"
        token = ready["data"]["visitorToken"]
    finally:
        ws.close()

    # A banned visitor's token is refused (403), with or without ready=1.
    vid = ready["data"]["visitorId"]
    assert botaz.client.post(f"/api/visitors/{vid}/ban", headers=acme.headers).status_code == 200
    for extra in ("", "&ready=1"):
        with pytest.raises(InvalidStatus) as info:
            connect(ws_url(botaz, "/widget/v1/ws", token) + extra, origin="https://shop.example",
                    open_timeout=5)
        assert info.value.response.status_code == 403
        assert json.loads(info.value.response.body)["message"] == "You have been blocked from this chat."


def test_site_key_sockets_share_the_visitor_creation_limit(tmp_path) -> None:
    import httpx

    from botaz.config import Settings
    from tests.conftest import Botaz, ServerThread

    settings = Settings(database_url=f"sqlite:///{tmp_path}/rl.db", rate_limits=True,
                        data_dir=str(tmp_path), rate_limit_visitor_create="3/60")
    with ServerThread(settings) as server, httpx.Client(base_url=server.url) as client:
        limited = Botaz(server.url, settings.database_url, client, server)
        acme = limited.account()
        assert limited.client.post("/widget/v1/visitors",
                                   json={"siteKey": acme.site_key}).status_code == 201
        opened = [site_socket(limited, acme.site_key) for _ in range(2)]
        try:
            assert [first_frame(ws)["event"] for ws in opened] == ["widget.ready"] * 2
            with pytest.raises(InvalidStatus) as info:
                site_socket(limited, acme.site_key)
            assert info.value.response.status_code == 429
            assert int(info.value.response.headers["retry-after"]) >= 1
            assert json.loads(info.value.response.body)["status"] == "error"
        finally:
            for ws in opened:
                ws.close()
        assert len(limited.client.get("/api/visitors", headers=acme.headers).json()["items"]) == 3
