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
        assert r.json()["online"] is True
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

    class StalledSocket:
        def __init__(self) -> None:
            self.closed_with = None
            self.sent = 0

        async def send_text(self, text: str) -> None:
            await asyncio.Event().wait()  # never completes: the peer stopped reading

        async def close(self, code: int, reason: str = "") -> None:
            self.closed_with = code

    class FastSocket(StalledSocket):
        async def send_text(self, text: str) -> None:
            self.sent += 1

    async def scenario() -> None:
        bus = EventBus()
        hub = Hub(bus, max_queue=8)
        slow_ws, fast_ws = StalledSocket(), FastSocket()
        slow = Connection(slow_ws, "visitor", "A", visitor_id="V", max_queue=8)
        fast = Connection(fast_ws, "agent", "A", agent_id="G", max_queue=8)
        hub.connect(slow)
        hub.connect(fast)
        slow.ready.set()
        fast.ready.set()
        for i in range(50):
            bus.publish(Event("message.created", "A", "V", {"i": i}))
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        assert slow_ws.closed_with == CLOSE_OVERFLOW
        assert slow.queue.qsize() <= 8
        assert fast_ws.sent == 50 and fast_ws.closed_with is None
        assert hub.dropped == 1

    asyncio.run(scenario())
