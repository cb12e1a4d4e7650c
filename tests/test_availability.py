"""Agents' availability, the widget's online state, business hours, assignment and the hand-off,
over real HTTP and WebSockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import secrets
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.sync.client import connect

from tests.test_sockets import Socket, vheaders

PASSWORD = "secret-pass"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Dashboard:
    """One signed-in dashboard tab: a session cookie, its CSRF token and its socket."""

    def __init__(self, botaz, email: str, password: str = PASSWORD) -> None:
        self.botaz = botaz
        self.http = httpx.Client(base_url=botaz.url, timeout=10)
        r = self.http.post("/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        self.csrf = r.json()["csrfToken"]
        self.agent_id = r.json()["agent"]["_id"]
        self.tabs: list = []
        self.open_tab()

    def open_tab(self):
        cookie = f"botaz_session={self.http.cookies.get('botaz_session')}"
        ws = connect(self.botaz.url.replace("http", "ws") + "/api/ws",
                     additional_headers={"Cookie": cookie}, open_timeout=5, max_queue=None)
        self.tabs.append(ws)
        return ws

    def next(self, event: str, timeout: float = 5.0, where=lambda data: True) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(self.tabs[0].recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame["event"] == event and where(frame["data"]):
                return frame["data"]

    def put(self, path: str, body: dict) -> httpx.Response:
        return self.http.put(path, json=body, headers={"X-CSRF-Token": self.csrf})

    def availability(self, status: str, auto: bool = False) -> dict:
        r = self.put("/auth/me/availability", {"status": status, "auto": auto})
        assert r.status_code == 200, r.text
        return r.json()

    def close(self) -> None:
        for ws in self.tabs:
            ws.close()
        self.tabs = []
        self.http.close()


def owner_email(botaz, acme) -> str:
    agents = botaz.client.get("/api/agents", headers=acme.headers).json()["items"]
    return next(a["email"] for a in agents if a["_id"] == acme.agent_id)


def add_person(botaz, acme, name: str) -> str:
    email = f"{name.lower()}-{secrets.token_hex(3)}@example.com"
    r = botaz.client.post("/api/agents", headers=acme.headers,
                          json={"name": name, "email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return email


def online(botaz, acme) -> bool:
    return botaz.client.get("/widget/v1/config", params={"siteKey": acme.site_key}).json()["online"]


def wait_until(check, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.03)


def agent_row(botaz, acme, agent_id: str) -> dict:
    items = botaz.client.get("/api/agents", headers=acme.headers).json()["items"]
    return next(a for a in items if a["_id"] == agent_id)


def say(botaz, v: dict, text: str) -> dict:
    r = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": text})
    assert r.status_code == 201, r.text
    return r.json()


def conversation(botaz, acme, visitor_id: str) -> dict:
    return botaz.client.get(f"/api/conversations/{visitor_id}", headers=acme.headers).json()


def test_only_a_dashboard_session_makes_the_site_online(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    widget = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    integration = Socket(botaz, "/api/ws", acme.token, resume=None)
    try:
        time.sleep(0.2)
        assert online(botaz, acme) is False  # an API token's socket never counts
        assert agent_row(botaz, acme, acme.agent_id)["availability"] == "away"
        board = Dashboard(botaz, owner_email(botaz, acme))
        try:
            assert online(botaz, acme) is True
            assert widget.next("availability")["data"] == {"online": True}
            me = board.http.get("/auth/me/availability").json()
            assert me == {"status": "online", "auto": False, "available": True}
            row = agent_row(botaz, acme, acme.agent_id)
            assert row["availability"] == "online" and row["online"] is True
            assert row["maxConversations"] is None and row["openConversations"] == 0

            # Away by hand: offline at once, live for the widget and the other dashboards.
            assert board.availability("away") == {"status": "away", "auto": False, "available": False}
            assert online(botaz, acme) is False
            assert widget.next("availability")["data"] == {"online": False}
            heard = integration.next("agent.availability")["data"]
            assert heard == {"agentId": acme.agent_id, "status": "online", "auto": False, "available": True}
            heard = integration.next("agent.availability")["data"]  # the tab opened, then away
            assert heard == {"agentId": acme.agent_id, "status": "away", "auto": False, "available": False}
            assert agent_row(botaz, acme, acme.agent_id)["availability"] == "away"
            # Coming back from idle does not undo a choice made by hand.
            assert board.availability("online", auto=True)["status"] == "away"
            assert online(botaz, acme) is False
            assert board.availability("online")["available"] is True
            assert widget.next("availability")["data"] == {"online": True}

            # Idle: the dashboard's timer sets away, and activity brings the agent back.
            assert board.availability("away", auto=True) == {"status": "away", "auto": True, "available": False}
            assert online(botaz, acme) is False
            assert board.availability("online", auto=True) == {"status": "online", "auto": False, "available": True}
            assert online(botaz, acme) is True

            # Two tabs; closing one keeps the agent available, closing the last does not.
            second = board.open_tab()
            second.close()
            time.sleep(0.2)
            assert online(botaz, acme) is True
        finally:
            board.close()
        wait_until(lambda: online(botaz, acme) is False, "offline after the last tab closed")
        assert widget.next("availability")["data"] == {"online": False}
        # The other dashboards hear it; the choice stays Online, so opening a tab is enough.
        closed = {"agentId": acme.agent_id, "status": "online", "auto": False, "available": False}
        while integration.next("agent.availability", timeout=5)["data"] != closed:
            pass
        assert agent_row(botaz, acme, acme.agent_id)["availability"] == "away"
        again = Dashboard(botaz, owner_email(botaz, acme))
        try:
            assert online(botaz, acme) is True
        finally:
            again.close()
    finally:
        widget.close()
        integration.close()


def test_bots_never_make_a_site_online(botaz) -> None:
    acme = botaz.account()
    bot = acme.add_agent("Helper bot", bot=True)
    s = Socket(botaz, "/api/ws", bot["apiToken"], resume=None)
    try:
        time.sleep(0.2)
        assert online(botaz, acme) is False
    finally:
        s.close()


def test_availability_input_is_checked(botaz) -> None:
    acme = botaz.account()
    for body, field in (({"status": "busy"}, "status"), ({}, "status"),
                        ({"status": "away", "auto": "yes"}, "auto")):
        r = botaz.client.put("/auth/me/availability", headers=acme.headers, json=body)
        assert r.status_code == 400 and field in r.json()["message"], r.text
    # An integration may set its agent's choice; it still never makes the site online.
    r = botaz.client.put("/auth/me/availability", headers=acme.headers, json={"status": "away"})
    assert r.json() == {"status": "away", "auto": False, "available": False}
    board = Dashboard(botaz, owner_email(botaz, acme))
    try:
        assert online(botaz, acme) is False
        r = board.http.put("/auth/me/availability", json={"status": "online"})
        assert r.status_code == 403  # no CSRF token
    finally:
        board.close()
    other = acme.add_agent()
    r = botaz.client.put(f"/api/agents/{acme.agent_id}", headers={"Authorization": f"Bearer {other['apiToken']}"},
                         json={"maxConversations": 3})
    assert r.status_code == 403
    for body in ({"maxConversations": -1}, {"maxConversations": 1001}, {"maxConversations": "5"}, {}):
        r = botaz.client.put(f"/api/agents/{acme.agent_id}", headers=acme.headers, json=body)
        assert r.status_code == 400 and "maxConversations" in r.json()["message"], (body, r.text)
    assert botaz.client.put("/api/agents/nope", headers=acme.headers,
                            json={"maxConversations": 2}).status_code == 404
    r = botaz.client.put(f"/api/agents/{other['agentId']}", headers=acme.headers, json={"maxConversations": 2})
    assert r.status_code == 200 and r.json()["maxConversations"] == 2


def _closed_hours(tz: str) -> dict:
    """Hours that are open today only at a time that is not now, and never on other days."""
    now = datetime.now(ZoneInfo(tz))
    today = DAYS[now.weekday()]
    span = ["00:00", "00:01"] if now.hour >= 12 else ["23:58", "23:59"]
    return {"enabled": True, "timezone": tz, "days": {today: [span]}}


def _open_hours(tz: str) -> dict:
    return {"enabled": True, "timezone": tz, "days": {d: [["00:00", "12:00"], ["12:00", "24:00"]] for d in DAYS}}


def test_business_hours_decide_online(botaz) -> None:
    acme = botaz.account()
    board = Dashboard(botaz, owner_email(botaz, acme))
    v = botaz.visitor(acme)
    widget = Socket(botaz, "/widget/v1/ws", v["visitorToken"], resume=None)
    try:
        assert online(botaz, acme) is True
        r = botaz.client.put("/api/settings", headers=acme.headers, json={"businessHours": _closed_hours("Asia/Baku")})
        assert r.status_code == 200, r.text
        assert r.json()["businessHours"]["timezone"] == "Asia/Baku"
        assert online(botaz, acme) is False
        # Open widgets hear it at once: the settings changed.
        while (frame := widget.next("availability")["data"]) != {"online": False}:
            assert frame == {"online": True}
        # One definition: the bot reads and writes the same hours.
        hours = botaz.client.get("/api/bot", headers=acme.headers).json()["businessHours"]
        assert hours == {"timezone": "Asia/Baku", "days": _closed_hours("Asia/Baku")["days"]}
        r = botaz.client.put("/api/settings", headers=acme.headers, json={"businessHours": _open_hours("America/New_York")})
        assert r.json()["businessHours"]["days"]["mon"] == [["00:00", "12:00"], ["12:00", "24:00"]]
        assert online(botaz, acme) is True
        r = botaz.client.put("/api/bot", headers=acme.headers, json={"businessHours": _closed_hours("UTC")})
        assert r.status_code == 200, r.text
        settings = botaz.client.get("/api/settings", headers=acme.headers).json()
        assert settings["businessHours"]["timezone"] == "UTC" and settings["businessHours"]["enabled"] is True
        assert online(botaz, acme) is False
        r = botaz.client.put("/api/settings", headers=acme.headers,
                             json={"businessHours": {**_closed_hours("UTC"), "enabled": False}})
        assert r.json()["businessHours"]["enabled"] is False
        assert online(botaz, acme) is True
        assert botaz.client.get("/api/bot", headers=acme.headers).json()["businessHours"] is None
        for bad, field in (({"timezone": "Mars/Base", "days": {}}, "businessHours.timezone"),
                           ({"timezone": "UTC", "days": {"mon": [["18:00", "09:00"]]}}, "businessHours.days.mon"),
                           ({"timezone": "UTC", "days": {"someday": []}}, "businessHours.days"),
                           ({"timezone": "UTC", "days": {}, "enabled": "yes"}, "businessHours.enabled"),
                           ("9 to 5", "businessHours")):
            r = botaz.client.put("/api/settings", headers=acme.headers, json={"businessHours": bad})
            assert r.status_code == 400 and field in r.json()["message"], (bad, r.text)
        other = acme.add_agent()
        r = botaz.client.put("/api/settings", headers={"Authorization": f"Bearer {other['apiToken']}"},
                             json={"businessHours": None})
        assert r.status_code == 403
    finally:
        board.close()
        widget.close()


def test_round_robin_with_capacity(botaz) -> None:
    acme = botaz.account()
    emails = [owner_email(botaz, acme), add_person(botaz, acme, "Leyla"), add_person(botaz, acme, "Murad")]
    boards = [Dashboard(botaz, e) for e in emails]
    away = add_person(botaz, acme, "Away")
    away_board = Dashboard(botaz, away)
    away_board.availability("away")
    api_only = acme.add_agent("Integration")
    # max_queue=None: a socket nobody reads still closes at once.
    integration = connect(botaz.url.replace("http", "ws") + f"/api/ws?token={api_only['apiToken']}",
                          max_queue=None)
    try:
        ids = [b.agent_id for b in boards]
        assert botaz.client.get("/api/settings", headers=acme.headers).json()["autoAssign"] is False
        v0 = botaz.visitor(acme)
        say(botaz, v0, "Nobody assigns me: auto-assignment is off")
        time.sleep(0.3)
        assert conversation(botaz, acme, v0["visitorId"])["assigneeId"] is None
        r = botaz.client.put(f"/api/agents/{ids[1]}", headers=acme.headers, json={"maxConversations": 1})
        assert r.status_code == 200
        # Switching it on hands out the conversation that was waiting, to the first in turn.
        r = botaz.client.put("/api/settings", headers=acme.headers, json={"autoAssign": True})
        assert r.status_code == 200 and r.json()["autoAssign"] is True
        wait_until(lambda: conversation(botaz, acme, v0["visitorId"])["assigneeId"] == ids[0],
                   "the waiting conversation to be assigned")

        def first_message(text: str) -> tuple[dict, str]:
            v = botaz.visitor(acme)
            say(botaz, v, text)
            data = boards[0].next("conversation.updated",
                                  where=lambda c: c["visitor"]["_id"] == v["visitorId"] and c["assigneeId"])
            return v, data["assigneeId"]

        got = [first_message(f"Hello {i}") for i in range(5)]
        # Round robin in the order agents were last given one; Leyla stops at her capacity of 1.
        assert [a for _, a in got] == [ids[1], ids[2], ids[0], ids[2], ids[0]]
        rows = {a: agent_row(botaz, acme, a) for a in ids}
        assert rows[ids[1]]["openConversations"] == 1 and rows[ids[0]]["openConversations"] == 3
        # A second message of an assigned visitor changes nothing.
        say(botaz, got[0][0], "again")
        time.sleep(0.2)
        assert conversation(botaz, acme, got[0][0]["visitorId"])["assigneeId"] == ids[1]

        # Resolving frees Leyla's place.
        r = botaz.client.post(f"/api/conversations/{got[0][0]['visitorId']}/status", headers=acme.headers,
                              json={"status": "resolved"})
        assert r.status_code == 200
        assert [first_message(f"More {i}")[1] for i in range(3)] == [ids[1], ids[2], ids[0]]
        # Nobody below capacity: the conversation waits unassigned.
        for agent_id in ids:
            botaz.client.put(f"/api/agents/{agent_id}", headers=acme.headers, json={"maxConversations": 0})
        v = botaz.visitor(acme)
        say(botaz, v, "Anyone?")
        time.sleep(0.3)
        assert conversation(botaz, acme, v["visitorId"])["assigneeId"] is None
        # A place frees up (Murad's capacity back, one of his resolved): the waiting one is his.
        botaz.client.put(f"/api/agents/{ids[2]}", headers=acme.headers, json={"maxConversations": 3})
        time.sleep(0.2)
        assert conversation(botaz, acme, v["visitorId"])["assigneeId"] is None  # still full
        r = botaz.client.post(f"/api/conversations/{got[1][0]['visitorId']}/status", headers=acme.headers,
                              json={"status": "resolved"})
        assert r.status_code == 200
        wait_until(lambda: conversation(botaz, acme, v["visitorId"])["assigneeId"] == ids[2],
                   "the waiting conversation to go to Murad")
        # Nobody available: a conversation waits until an agent comes back.
        for b in boards:
            b.availability("away")
        w = botaz.visitor(acme)
        say(botaz, w, "Hello? Anybody?")
        time.sleep(0.3)
        assert conversation(botaz, acme, w["visitorId"])["assigneeId"] is None
        botaz.client.put(f"/api/agents/{ids[0]}", headers=acme.headers, json={"maxConversations": None})
        boards[0].availability("online")
        wait_until(lambda: conversation(botaz, acme, w["visitorId"])["assigneeId"] == ids[0],
                   "the waiting conversation to go to the agent who came back")
    finally:
        for b in (*boards, away_board):
            b.close()
        integration.close()


def test_concurrent_first_messages_assign_once(botaz) -> None:
    acme = botaz.account()
    emails = [owner_email(botaz, acme), add_person(botaz, acme, "Leyla")]
    boards = [Dashboard(botaz, e) for e in emails]
    try:
        botaz.client.put("/api/settings", headers=acme.headers, json={"autoAssign": True})
        for b in boards:
            botaz.client.put(f"/api/agents/{b.agent_id}", headers=acme.headers, json={"maxConversations": 2})
        visitors = [botaz.visitor(acme) for _ in range(8)]
        barrier = threading.Barrier(len(visitors) * 3)
        errors: list[BaseException] = []

        def burst(v: dict, text: str) -> None:
            try:
                with httpx.Client(base_url=botaz.url, timeout=10) as c:
                    barrier.wait(5)
                    r = c.post("/widget/v1/messages", headers=vheaders(v), json={"text": text})
                    assert r.status_code == 201
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=burst, args=(v, f"hi {n}")) for v in visitors for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        time.sleep(1.0)
        assignees = [conversation(botaz, acme, v["visitorId"])["assigneeId"] for v in visitors]
        # Capacity 2 each: exactly four conversations assigned, two to each agent, none twice.
        assert sorted(a for a in assignees if a) == sorted([boards[0].agent_id] * 2 + [boards[1].agent_id] * 2)
        assigned_events: dict[str, int] = {}
        try:
            while True:
                # One assignment each: conversation.assigned says so (a conversation.updated
                # announcing the start may already carry the assignee, read after it).
                data = boards[0].next("conversation.assigned", timeout=0.5)
                vid = data["visitorId"]
                assigned_events[vid] = assigned_events.get(vid, 0) + 1
        except TimeoutError:
            pass
        assert len(assigned_events) == 4 and set(assigned_events.values()) == {1}
    finally:
        for b in boards:
            b.close()


def enable_bot(botaz, acme, **extra) -> dict:
    r = botaz.client.put("/api/bot", headers=acme.headers, json={"enabled": True, "greeting": None,
                                                                 "askContact": False, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def messages(botaz, acme, visitor_id: str) -> list[dict]:
    return list(reversed(botaz.client.get(f"/api/visitors/{visitor_id}/messages", headers=acme.headers,
                                          params={"limit": 100}).json()["items"]))


def wait_messages(botaz, acme, visitor_id: str, count: int) -> list[dict]:
    wait_until(lambda: len(messages(botaz, acme, visitor_id)) >= count, f"{count} messages")
    return messages(botaz, acme, visitor_id)


def test_hand_off_assigns_an_available_agent_and_tells_them(botaz) -> None:
    acme = botaz.account()
    bot = enable_bot(botaz, acme)
    email = add_person(botaz, acme, "Leyla")
    leyla = Dashboard(botaz, email)
    owner = Dashboard(botaz, owner_email(botaz, acme))
    owner.availability("away")  # away: not handed anything
    try:
        v = botaz.visitor(acme)
        say(botaz, v, "I want to talk to a human")
        # The first conversation.updated says the conversation started; the next one assigns it.
        data = leyla.next("conversation.updated",
                          where=lambda c: c["visitor"]["_id"] == v["visitorId"] and c["assigneeId"])
        assert data["assigneeId"] == leyla.agent_id
        msgs = wait_messages(botaz, acme, v["visitorId"], 2)
        assert msgs[-1]["text"] == bot["handoffReply"] and msgs[-1]["userId"] == bot["agentId"]
        assert conversation(botaz, acme, v["visitorId"])["assigneeId"] == leyla.agent_id
        # In Azerbaijani, the default texts answer in Azerbaijani.
        w = botaz.visitor(acme)
        say(botaz, w, "Salam, insan ilə danışmaq istəyirəm")
        msgs = wait_messages(botaz, acme, w["visitorId"], 2)
        assert msgs[-1]["text"] == "Əlbəttə, sizi komandamızın əməkdaşı ilə əlaqələndirirəm."
        assert conversation(botaz, acme, w["visitorId"])["assigneeId"] == leyla.agent_id
    finally:
        leyla.close()
        owner.close()


def test_hand_off_with_nobody_available_asks_for_an_email_and_keeps_it(botaz) -> None:
    acme = botaz.account()
    bot = enable_bot(botaz, acme)
    listener = Socket(botaz, "/api/ws", acme.token, resume=None)
    try:
        v = botaz.visitor(acme)
        say(botaz, v, "can I talk to a person?")
        msgs = wait_messages(botaz, acme, v["visitorId"], 2)
        assert msgs[-1]["text"] == bot["handoffOfflineReply"]
        assert "email" in bot["handoffOfflineReply"] and "available" in bot["handoffOfflineReply"]
        assert conversation(botaz, acme, v["visitorId"])["assigneeId"] is None
        say(botaz, v, "Sure, it's Nigar.Aliyeva@example.com.")
        updated = listener.next("visitor.updated")["data"]
        while updated.get("email") is None:
            updated = listener.next("visitor.updated")["data"]
        assert updated["_id"] == v["visitorId"] and updated["email"] == "Nigar.Aliyeva@example.com"
        msgs = wait_messages(botaz, acme, v["visitorId"], 4)
        assert msgs[-1]["text"] == "Thank you! We'll reply to Nigar.Aliyeva@example.com as soon as we're back."
        me = botaz.client.get("/widget/v1/me", headers=vheaders(v)).json()
        assert me["email"] == "Nigar.Aliyeva@example.com"
        # Later addresses are ordinary messages: the bot stays quiet after the hand-off.
        say(botaz, v, "or other@example.com")
        time.sleep(0.4)
        assert len(messages(botaz, acme, v["visitorId"])) == 5
        # A visitor whose email is known is told where the answer will go.
        w = botaz.visitor(acme)
        assert botaz.client.put(f"/api/visitors/{w['visitorId']}", headers=acme.headers,
                                json={"email": "known@example.com"}).status_code == 200
        say(botaz, w, "human please")
        msgs = wait_messages(botaz, acme, w["visitorId"], 2)
        assert msgs[-1]["text"] == "Nobody from our team is available right now. We'll reply to known@example.com as soon as we're back."
        # Azerbaijani.
        x = botaz.visitor(acme)
        say(botaz, x, "insanla danışmaq olar? insan lazımdır")
        msgs = wait_messages(botaz, acme, x["visitorId"], 2)
        assert msgs[-1]["text"].startswith("Hazırda komandamızdan heç kim")
        say(botaz, x, "nigar@example.az")
        msgs = wait_messages(botaz, acme, x["visitorId"], 4)
        assert msgs[-1]["text"] == "Təşəkkür edirik! Qayıdan kimi nigar@example.az ünvanına cavab yazacağıq."
    finally:
        listener.close()


def test_hand_off_outside_business_hours_assigns_nobody(botaz) -> None:
    acme = botaz.account()
    bot = enable_bot(botaz, acme)
    board = Dashboard(botaz, owner_email(botaz, acme))
    try:
        botaz.client.put("/api/settings", headers=acme.headers, json={"businessHours": _closed_hours("Asia/Baku")})
        v = botaz.visitor(acme)
        say(botaz, v, "human")
        msgs = wait_messages(botaz, acme, v["visitorId"], 2)
        assert msgs[-1]["text"] == bot["handoffOfflineReply"]
        assert conversation(botaz, acme, v["visitorId"])["assigneeId"] is None
    finally:
        board.close()
