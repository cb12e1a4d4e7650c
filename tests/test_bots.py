"""Bots end to end over HTTP and sockets: the rule bot, hand-off, showBotMessages, external bots."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from tests.test_sockets import Socket, vheaders


def conversation(botaz, acme, vid: str) -> list[dict]:
    items = botaz.client.get(f"/api/visitors/{vid}/messages", headers=acme.headers,
                             params={"limit": 100}).json()["items"]
    return list(reversed(items))


def wait_messages(botaz, acme, vid: str, count: int, timeout: float = 5.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        msgs = conversation(botaz, acme, vid)
        if len(msgs) >= count or time.monotonic() > deadline:
            return msgs
        time.sleep(0.05)


def visitor_says(botaz, v: dict, text: str) -> dict:
    r = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": text})
    assert r.status_code == 201
    return r.json()


def enable_bot(botaz, acme, **config) -> dict:
    body = {"enabled": True, "faq": [{"keywords": ["price", "prices", "tariff"], "answer": "Plans start at 10 AZN."},
                                     {"pattern": r"open(ing)? hours?", "answer": "We're open 9 to 6."}]} | config
    r = botaz.client.put("/api/bot", headers=acme.headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_rule_bot_greets_answers_goes_offline_and_hands_off(botaz) -> None:
    acme = botaz.account()
    bot = enable_bot(botaz, acme)
    agents = botaz.client.get("/api/agents", headers=acme.headers).json()["items"]
    assistant = next(a for a in agents if a["_id"] == bot["agentId"])
    assert assistant["bot"] is True and assistant["name"] == "Assistant"
    v = botaz.visitor(acme)
    agent_socket = Socket(botaz, "/api/ws", acme.token, resume=None)
    try:
        visitor_says(botaz, v, "Hello! What are your prices?")
        msgs = wait_messages(botaz, acme, v["visitorId"], 4)
        texts = [m["text"] for m in msgs]
        # Greeting, FAQ answer; nobody online, but the FAQ answered, so no offline reply.
        assert texts[1:3] == [bot["greeting"], "Plans start at 10 AZN."]
        bot_msgs = [m for m in msgs if m["userId"] == bot["agentId"]]
        assert all(m["bot"] is True for m in bot_msgs)
        assert "bot" not in msgs[0]  # the visitor's message keeps the seed's keys
        # The bot's replies went out as ordinary events on the agents' socket.
        seen = {agent_socket.next("message.created")["data"]["_id"] for _ in range(len(msgs))}
        assert {m["_id"] for m in bot_msgs} <= seen
    finally:
        agent_socket.close()
    before = len(conversation(botaz, acme, v["visitorId"]))
    visitor_says(botaz, v, "and something else entirely")
    msgs = wait_messages(botaz, acme, v["visitorId"], before + 3)
    new = [m["text"] for m in msgs[before + 1:]]
    assert bot["offlineReply"] in new and bot["askContactText"] in new
    before = len(msgs)
    visitor_says(botaz, v, "what are your opening hours")
    msgs = wait_messages(botaz, acme, v["visitorId"], before + 2)
    assert [m["text"] for m in msgs[before + 1:]] == ["We're open 9 to 6."]  # offline/ask said once
    before = len(msgs)
    visitor_says(botaz, v, "I want to talk to a human please")
    msgs = wait_messages(botaz, acme, v["visitorId"], before + 2)
    assert msgs[-1]["text"] == bot["handoffOfflineReply"]
    # Handed off: the bot stays silent.
    before = len(msgs)
    visitor_says(botaz, v, "prices?")
    time.sleep(0.5)
    assert len(conversation(botaz, acme, v["visitorId"])) == before + 1


def test_bot_is_silent_after_a_human_until_idle(botaz) -> None:
    acme = botaz.account()
    enable_bot(botaz, acme, greeting=None, askContact=False, idleMinutes=30)
    v = botaz.visitor(acme)
    botaz.send(acme, v["visitorId"], "Hi, I'm Anar from support")
    visitor_says(botaz, v, "what are your prices")
    time.sleep(0.5)
    assert len(conversation(botaz, acme, v["visitorId"])) == 2
    enable_bot(botaz, acme, greeting=None, askContact=False, idleMinutes=0)
    visitor_says(botaz, v, "prices again?")
    msgs = wait_messages(botaz, acme, v["visitorId"], 4)
    assert msgs[-1]["text"] == "Plans start at 10 AZN."


def test_show_bot_messages_switch(botaz) -> None:
    acme = botaz.account()
    bot = enable_bot(botaz, acme, askContact=False)
    v = botaz.visitor(acme)
    visitor_says(botaz, v, "prices")
    wait_messages(botaz, acme, v["visitorId"], 3)
    r = botaz.client.put(f"/api/visitors/{v['visitorId']}", headers=acme.headers, json={"showBotMessages": False})
    assert r.status_code == 400  # the seed's PUT stays limited to its four fields
    r = botaz.client.put(f"/api/visitors/{v['visitorId']}/bot", headers=acme.headers, json={"showBotMessages": False})
    assert r.status_code == 200 and r.json()["showBotMessages"] is False
    widget_view = botaz.client.get("/widget/v1/messages", headers=vheaders(v)).json()
    assert [m["userId"] for m in widget_view] == [None]
    visitor_says(botaz, v, "prices?")
    time.sleep(0.5)
    msgs = conversation(botaz, acme, v["visitorId"])
    assert len(msgs) == 4 and msgs[-1]["userId"] is None
    assert sum(1 for m in msgs if m["userId"] == bot["agentId"]) == 2
    r = botaz.client.put(f"/api/visitors/{v['visitorId']}/bot", headers=acme.headers, json={})
    assert r.status_code == 400


def test_bot_settings_are_validated_and_owner_only(botaz) -> None:
    acme = botaz.account()
    other = acme.add_agent()
    oh = {"Authorization": f"Bearer {other['apiToken']}"}
    assert botaz.client.put("/api/bot", headers=oh, json={"enabled": True}).status_code == 403
    assert botaz.client.get("/api/bot", headers=oh).json()["enabled"] is False
    for bad in ({"faq": [{"answer": "x"}]}, {"faq": [{"pattern": "(", "answer": "x"}]},
                {"businessHours": {"timezone": "Mars/Base", "days": {}}},
                {"businessHours": {"timezone": "UTC", "days": {"mon": [["18:00", "09:00"]]}}},
                {"agentId": acme.agent_id}, {"idleMinutes": -1}, {"nonsense": 1}):
        assert botaz.client.put("/api/bot", headers=acme.headers, json=bad).status_code == 400, bad


def test_business_hours() -> None:
    from botaz.chat.bots import in_business_hours
    from botaz.ids import parse_iso_ms

    hours = {"timezone": "Asia/Baku", "days": {"mon": [["09:00", "18:00"]]}}
    assert in_business_hours(hours, parse_iso_ms("2026-11-23T06:00:00.000Z"))  # Monday 10:00 in Baku
    assert not in_business_hours(hours, parse_iso_ms("2026-11-23T15:00:00.000Z"))  # 19:00
    assert not in_business_hours(hours, parse_iso_ms("2026-11-24T06:00:00.000Z"))  # Tuesday
    assert in_business_hours(None, 0)


def test_external_bot_gets_signed_messages_and_answers_with_its_token(botaz, receiver) -> None:
    acme = botaz.account()
    made = botaz.client.post("/api/agents", headers=acme.headers, json={
        "name": "Support Bot", "email": "bot@example.com", "bot": True}).json()
    r = botaz.client.put("/api/bot", headers=acme.headers, json={
        "enabled": True, "agentId": made["agent"]["_id"], "externalUrl": receiver.url + "/bot"})
    assert r.status_code == 200
    secret = r.json()["externalSecret"]
    v = botaz.visitor(acme)
    sent = visitor_says(botaz, v, "Do you deliver to Ganja?")
    request = receiver.wait_for(1)[0]
    body = request["body"]
    t, v1 = (p.split("=", 1)[1] for p in request["headers"]["X-Botaz-Signature"].split(","))
    assert hmac.compare_digest(v1, hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest())
    payload = json.loads(body)
    assert payload["data"] == sent and payload["botId"] == made["agent"]["_id"]
    # The bot answers through the seed's API with its own token.
    r = botaz.client.post("/api/messages/", headers={"Authorization": f"Bearer {made['apiToken']}"}, json={
        "userId": made["agent"]["_id"], "visitorId": v["visitorId"], "text": "Yes, in 2 days."})
    assert r.status_code == 201 and r.json()["bot"] is True
    assert botaz.client.get("/widget/v1/messages", headers=vheaders(v)).json()[-1]["text"] == "Yes, in 2 days."
    # A failing bot never loses the conversation and agents see why.
    receiver.status = 500
    visitor_says(botaz, v, "Hello?")
    receiver.wait_for(2)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        notes = botaz.client.get(f"/api/conversations/{v['visitorId']}/notes", headers=acme.headers).json()["items"]
        if notes:
            break
        time.sleep(0.05)
    assert notes and "500" in notes[-1]["text"]
    status = botaz.client.get("/api/bot", headers=acme.headers).json()["status"]
    assert status["lastError"] == "answered 500" and status["lastSuccessAt"]
    assert conversation(botaz, acme, v["visitorId"])[-1]["text"] == "Hello?"


def test_owner_patterns_run_in_linear_time_and_refuse_backtracking_syntax(botaz) -> None:
    import time as _time

    from botaz.chat.bots import faq_answer

    # Python's re would backtrack for ages on this; RE2 answers at once.
    faq = [{"keywords": [], "pattern": r"(a+)+$", "answer": "never"}]
    started = _time.perf_counter()
    assert faq_answer(faq, "a" * 10_000 + "b") is None
    assert _time.perf_counter() - started < 1.0
    assert faq_answer([{"keywords": [], "pattern": r"ŞƏHƏR\P{L}", "answer": "city"}],
                      "Hansı şəhər?") == "city"  # case-insensitive beyond ASCII
    acme = botaz.account()
    r = botaz.client.put("/api/bot", headers=acme.headers,
                         json={"faq": [{"pattern": r"(a)\1", "answer": "x"}]})
    assert r.status_code == 400
    assert "faq[0].pattern is not a valid regular expression" in r.json()["message"]
    r = botaz.client.put("/api/bot", headers=acme.headers,
                         json={"faq": [{"pattern": r"(a+)+$", "answer": "x"}]})
    assert r.status_code == 200
