"""botaz.client against a real server (the `botaz` fixture), plus local stand-ins for 429s and
dropped connections, and the webhook signature checks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.server
import inspect
import json
import re
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from botaz.client import (UNSET, AsyncClient, AsyncVisitorClient, BadRequest, BotazError, Client,
                          Conflict, Forbidden, NotFound, PayloadTooLarge, RateLimited,
                          ServerError, Unauthorized, UnsupportedMediaType, VisitorClient,
                          WebhookSignatureError, check_signature, sign_webhook, verify_signature,
                          verify_webhook)
from botaz.client._core import parse_retry_after

LOGGED_OUT = "You must be logged in to do this."
DOCS = Path(__file__).resolve().parent.parent / "docs" / "client.md"


@pytest.fixture
def acme(botaz):
    return botaz.account()


@pytest.fixture
def api(botaz, acme) -> Iterator[Client]:
    with Client(botaz.url, acme.token) as client:
        yield client


def count_requests(client: Client) -> list[httpx.Request]:
    seen: list[httpx.Request] = []
    client._http.event_hooks["request"].append(seen.append)
    return seen


def new_visitor(botaz, acme, **fields: Any) -> str:
    return botaz.visitor(acme, **fields)["visitorId"]


# messages

def test_messages_send_get_edit_delete(botaz, acme, api) -> None:
    vid = new_visitor(botaz, acme)
    sent = api.send_message(acme.agent_id, vid, "Good morning! Can I help you?")
    assert set(sent) == {"_id", "userId", "visitorId", "text", "seen", "sentAt"}
    assert (sent["userId"], sent["visitorId"], sent["seen"]) == (acme.agent_id, vid, False)
    assert api.get_message(sent["_id"]) == sent
    edited = api.edit_message(sent["_id"], "Good evening! Can I help you?")
    assert edited["text"] == "Good evening! Can I help you?" and edited["_id"] == sent["_id"]
    assert api.delete_message(sent["_id"]) == edited
    with pytest.raises(NotFound) as caught:
        api.get_message(sent["_id"])
    assert caught.value.status == 404


def test_logo_and_avatar_through_the_client(botaz, acme, api) -> None:
    from test_widget_features import PNG

    assert api.images() == {"logoUrl": None, "avatarUrl": None}
    logo = api.set_logo(PNG, "image/png")["url"]
    avatar = api.set_avatar(PNG, "image/png")["url"]
    assert api.images() == {"logoUrl": logo, "avatarUrl": avatar}
    assert api.download_image(logo.rsplit("/", 1)[1]) == PNG
    with pytest.raises(BadRequest):
        api.set_logo(b"<svg/>", "image/png")  # the bytes decide, not the header
    assert api.remove_logo()["url"] is None and api.remove_avatar()["url"] is None
    assert api.images() == {"logoUrl": None, "avatarUrl": None}

    async def run() -> None:
        async with AsyncClient(botaz.url, acme.token) as client:
            url = (await client.set_avatar(PNG, "image/png"))["url"]
            assert (await client.images())["avatarUrl"] == url
            assert await client.download_image(url.rsplit("/", 1)[1]) == PNG
            await client.remove_avatar()

    asyncio.run(run())


def test_visitor_messages_cannot_be_edited_or_deleted(botaz, acme, api) -> None:
    with VisitorClient(botaz.url) as visitor:
        visitor.create_visitor(acme.site_key)
        theirs = visitor.send_message("Hello?")
    assert theirs["userId"] is None
    with pytest.raises(Forbidden) as caught:
        api.edit_message(theirs["_id"], "changed")
    assert caught.value.status == 403 and caught.value.message
    with pytest.raises(Forbidden):
        api.delete_message(theirs["_id"])


# visitors

def test_update_visitor_unset_leaves_keys_out_and_none_removes(botaz, acme, api) -> None:
    vid = new_visitor(botaz, acme)
    full = api.update_visitor(vid, name="Anar Hasanzade", email="anar@example.com",
                              phone="+994124801574", notes="Asked about new functionality")
    assert (full["name"], full["email"], full["phone"], full["notes"]) == (
        "Anar Hasanzade", "anar@example.com", "+994124801574", "Asked about new functionality")
    requests = count_requests(api)
    changed = api.update_visitor(vid, email=None, phone="+994124801575")
    assert json.loads(requests[-1].content) == {"email": None, "phone": "+994124801575"}
    assert changed["email"] is None and changed["phone"] == "+994124801575"
    assert changed["name"] == "Anar Hasanzade" and changed["notes"] == full["notes"]
    assert api.get_visitor(vid) == changed
    assert api.update_visitor(vid) == changed  # an empty body changes nothing
    with pytest.raises(BadRequest) as caught:
        api.update_visitor(vid, email="not an email")
    assert "email" in caught.value.message


def test_ban_unban_seen_typing_and_pages(botaz, acme, api) -> None:
    with VisitorClient(botaz.url) as visitor:
        created = visitor.create_visitor(acme.site_key, user_agent="pytest")
        vid = created["visitorId"]
        for n in range(3):
            page = visitor.report_page(f"https://shop.example/p/{n}", title=f"Page {n}",
                                       referrer=None)
            assert page["url"] == f"https://shop.example/p/{n}" and page["visitedAt"]
        first = visitor.send_message("one")
        second = visitor.send_message("two")
        assert api.seen(vid, second["_id"]) == {"seen": [first["_id"], second["_id"]]}
        assert api.seen(vid, second["_id"]) == {"seen": []}
        assert api.send_typing(vid) is None and api.send_typing(vid, False) is None

        assert api.ban_visitor(vid)["banned"] is True
        with pytest.raises(Forbidden):
            visitor.send_message("let me in")
        assert api.unban_visitor(vid)["banned"] is False
        assert visitor.send_message("thanks")["text"] == "thanks"

    urls = [p["url"] for p in api.iter_visitor_pages(vid, page_size=2)]
    assert urls == [f"https://shop.example/p/{n}" for n in (2, 1, 0)]
    page = api.visitor_pages(vid, limit=2)
    assert len(page["items"]) == 2 and page["next"]


# pagination

def test_iter_visitors_follows_next_until_null(botaz, acme, api) -> None:
    botaz.visitor(botaz.account("Other"))
    ids = [new_visitor(botaz, acme) for _ in range(5)]
    first = api.list_visitors(limit=2)
    assert [v["_id"] for v in first["items"]] == ids[:-3:-1] and first["next"]
    second = api.list_visitors(limit=2, cursor=first["next"])
    assert [v["_id"] for v in second["items"]] == ids[2:0:-1]
    requests = count_requests(api)
    assert [v["_id"] for v in api.iter_visitors(page_size=2)] == ids[::-1]
    assert len(requests) == 3
    assert all(r.url.params["limit"] == "2" for r in requests)
    assert "cursor" not in requests[0].url.params and requests[1].url.params["cursor"]


def test_iterators_are_lazy(botaz, acme, api) -> None:
    for _ in range(3):
        new_visitor(botaz, acme)
    requests = count_requests(api)
    visitors = api.iter_visitors(page_size=1)
    assert requests == []
    next(visitors)
    assert len(requests) == 1


def test_iter_visitor_messages_and_agents(botaz, acme, api) -> None:
    vid = new_visitor(botaz, acme)
    sent = [api.send_message(acme.agent_id, vid, f"message {i}")["_id"] for i in range(5)]
    assert [m["_id"] for m in api.iter_visitor_messages(vid, page_size=2)] == sent[::-1]
    page = api.visitor_messages(vid, limit=2)
    assert [m["_id"] for m in page["items"]] == sent[:-3:-1] and page["next"]

    leyla = api.add_agent("Leyla", "leyla@example.com", password="long-enough-pw")
    bot = api.add_agent("Helper", "helper@example.com", bot=True)
    assert leyla["apiToken"].startswith("btz_") and leyla["agent"]["role"] == "agent"
    assert bot["agent"]["bot"] is True
    agents = list(api.iter_agents(page_size=2))
    assert [a["_id"] for a in agents] == [bot["agent"]["_id"], leyla["agent"]["_id"], acme.agent_id]
    assert api.list_agents(limit=2)["next"]


def test_conversations_assign_status_notes(botaz, acme, api) -> None:
    vids = [new_visitor(botaz, acme) for _ in range(3)]
    for vid in vids:
        api.send_message(acme.agent_id, vid, "Hi")
    conversations = list(api.iter_conversations(page_size=2))
    assert [c["visitor"]["_id"] for c in conversations] == vids[::-1]
    assert conversations[0]["lastMessage"]["text"] == "Hi"

    helper = acme.add_agent("Leyla")
    assigned = api.assign_conversation(vids[0], helper["agentId"])
    assert assigned["assigneeId"] == helper["agentId"]
    mine = list(api.iter_conversations(assignee=helper["agentId"], page_size=2))
    assert [c["visitor"]["_id"] for c in mine] == [vids[0]]
    assert api.assign_conversation(vids[0], None)["assigneeId"] is None

    assert api.set_conversation_status(vids[1], "resolved")["status"] == "resolved"
    resolved = api.list_conversations(status="resolved")
    assert [c["visitor"]["_id"] for c in resolved["items"]] == [vids[1]]
    assert resolved["next"] is None
    assert len(list(api.iter_conversations(status="open"))) == 2
    assert api.get_conversation(vids[1])["status"] == "resolved"

    note = api.add_note(vids[2], "Wants a refund")
    assert note["text"] == "Wants a refund" and note["userId"] == acme.agent_id
    api.add_note(vids[2], "Sent the form")
    assert [n["text"] for n in api.list_notes(vids[2])] == ["Wants a refund", "Sent the form"]


# canned responses, tokens, agents, settings

def test_canned_responses(api) -> None:
    hello = api.add_canned("hello", "Hello! How can I help?")
    bye = api.add_canned("bye", "Goodbye!")
    assert {c["_id"] for c in api.list_canned()} == {hello["_id"], bye["_id"]}
    with pytest.raises(Conflict) as caught:
        api.add_canned("hello", "again")
    assert caught.value.status == 409
    edited = api.edit_canned(hello["_id"], text="Hi there!")
    assert edited == {"_id": hello["_id"], "shortcut": "hello", "text": "Hi there!"}
    assert api.delete_canned(bye["_id"]) is None
    assert [c["_id"] for c in api.list_canned()] == [hello["_id"]]
    with pytest.raises(NotFound):
        api.delete_canned(bye["_id"])


def test_tokens_and_agents_management(botaz, acme, api) -> None:
    me = api.me()
    assert me["agent"]["_id"] == acme.agent_id and me["account"]["siteKey"] == acme.site_key
    created = api.create_token("CRM sync")
    assert created["token"].startswith("btz_") and created["agentId"] == acme.agent_id
    assert created["_id"] in {t["_id"] for t in api.list_tokens()}
    with Client(botaz.url, created["token"]) as crm:
        assert crm.me()["agent"]["_id"] == acme.agent_id
        assert api.revoke_token(created["_id"]) is None
        with pytest.raises(Unauthorized) as caught:
            crm.me()
    assert caught.value.message == LOGGED_OUT

    helper = api.add_agent("Leyla", "leyla@example.com")
    with pytest.raises(Conflict):
        api.add_agent("Leyla again", "leyla@example.com")
    with Client(botaz.url, helper["apiToken"]) as leyla:
        with pytest.raises(Forbidden):
            leyla.create_token("not mine to make")
        with pytest.raises(Forbidden):
            leyla.update_settings(widget={"title": "Nope"})
    assert api.remove_agent(helper["agent"]["_id"]) is None
    assert helper["agent"]["_id"] not in {a["_id"] for a in api.iter_agents()}


def test_settings_and_the_widget_config(botaz, acme, api) -> None:
    settings = api.get_settings()
    assert {"allowedOrigins", "preform", "widget"} <= set(settings)  # and what later features add
    changed = api.update_settings(widget={"title": "Talk to Acme", "color": "#112233"},
                                  preform={"enabled": True, "fields": ["name"]})
    assert changed["widget"]["title"] == "Talk to Acme"
    assert changed["widget"]["greeting"] == settings["widget"]["greeting"]
    assert api.get_settings() == changed
    with pytest.raises(BadRequest) as caught:
        api.update_settings(widget={"color": "blue"})
    assert "color" in caught.value.message

    with VisitorClient(botaz.url) as visitor:
        config = visitor.config(acme.site_key)
        assert config["widget"]["title"] == "Talk to Acme" and config["preform"]["enabled"]
        visitor.create_visitor(acme.site_key)
        with pytest.raises(BadRequest) as caught:
            visitor.preform(email="anar@example.com")
        assert "name" in caught.value.message
        filled = visitor.preform(name="Anar", email="anar@example.com")
        assert filled["preformFilled"] is True and filled["name"] == "Anar"


def test_availability_capacity_and_assignment_settings(botaz, acme, api) -> None:
    assert api.availability() == {"status": "online", "auto": False, "available": False}
    assert api.set_availability("away")["status"] == "away"
    assert api.set_availability("online", auto=True)["status"] == "away"  # by hand stays
    assert api.set_availability("online")["status"] == "online"
    assert api.update_preferences(idleAwayMinutes=15)["idleAwayMinutes"] == 15
    assert api.preferences()["idleAwayMinutes"] == 15
    with pytest.raises(BadRequest):
        api.update_preferences(idleAwayMinutes=5000)
    agent = api.set_agent_capacity(acme.agent_id, 4)
    assert agent["maxConversations"] == 4 and agent["availability"] == "away"
    assert api.set_agent_capacity(acme.agent_id, None)["maxConversations"] is None
    hours = {"enabled": True, "timezone": "Asia/Baku", "days": {"mon": [["09:00", "18:00"]]}}
    changed = api.update_settings(business_hours=hours, auto_assign=True)
    assert changed["businessHours"] == hours and changed["autoAssign"] is True
    assert api.update_settings(business_hours=None)["businessHours"]["enabled"] is False


# bots

def test_bot_configuration_and_an_external_bot(botaz, acme, api, receiver) -> None:
    assert api.get_bot()["enabled"] is False
    bot = api.update_bot(enabled=True, greeting=None, idle_minutes=5, faq=[
        {"keywords": ["price"], "pattern": None, "answer": "Plans start at 10 AZN."}])
    assert bot["enabled"] is True and bot["agentId"] and bot["greeting"] is None
    assert bot["faq"][0]["answer"] == "Plans start at 10 AZN." and bot["idleMinutes"] == 5
    assert "externalSecret" not in bot
    with pytest.raises(BadRequest) as caught:
        api.update_bot(idle_minutes=-1)
    assert "idleMinutes" in caught.value.message

    external = api.update_bot(external_url=receiver.url + "/bot")
    secret = external["externalSecret"]
    assert external["externalUrl"] == receiver.url + "/bot" and external["faq"] == bot["faq"]
    assert "externalSecret" not in api.get_bot()
    with VisitorClient(botaz.url) as visitor:
        vid = visitor.create_visitor(acme.site_key)["visitorId"]
        visitor.send_message("What is the price?")
    call = receiver.wait_for(1)[0]
    assert verify_signature(secret, call["body"], call["headers"]["X-Botaz-Signature"])
    assert json.loads(call["body"])["data"]["text"] == "What is the price?"

    assert api.update_bot(external_url=None, enabled=False)["externalUrl"] is None
    hidden = api.show_bot_messages(vid, False)
    assert hidden["_id"] == vid and hidden["showBotMessages"] is False
    assert api.show_bot_messages(vid, True)["showBotMessages"] is True
    with Client(botaz.url, acme.add_agent()["apiToken"]) as helper, pytest.raises(Forbidden):
        helper.update_bot(enabled=True)


# attachments

def test_attachments_both_ways(botaz, acme, api) -> None:
    with VisitorClient(botaz.url) as visitor:
        vid = visitor.create_visitor(acme.site_key)["visitorId"]
        theirs = visitor.upload_attachment(b"order 42\n", "my order.txt", "text/plain")
        assert theirs["attachment"]["name"] == "my order.txt" and theirs["userId"] is None
        assert api.download_attachment(theirs["attachment"]["id"]) == b"order 42\n"

        ours = api.upload_attachment(vid, b"%PDF-1.4 invoice", "invoice.pdf", "application/pdf")
        assert ours["userId"] == acme.agent_id and ours["attachment"]["type"] == "application/pdf"
        assert visitor.download_attachment(ours["attachment"]["id"]) == b"%PDF-1.4 invoice"
        with pytest.raises(UnsupportedMediaType) as caught:
            visitor.upload_attachment(b"MZ...", "setup.exe", "application/x-msdownload")
        assert caught.value.status == 415
    with pytest.raises(NotFound):
        Client(botaz.url, botaz.account("Other").token).download_attachment(
            ours["attachment"]["id"])


# the visitor's side

def test_visitor_client_conversation(botaz, acme, api) -> None:
    with VisitorClient(botaz.url) as visitor:
        created = visitor.create_visitor(acme.site_key, user_agent="Mozilla/5.0 (X11)",
                                         app_name="Netscape", platform="Linux x86_64",
                                         cookie_enabled=True)
        assert visitor.token == created["visitorToken"] and visitor.visitor_id
        vid = created["visitorId"]
        assert created["visitor"]["platform"] == "Linux x86_64"
        assert visitor.me()["_id"] == vid
        assert visitor.config()["accountName"] == "Acme"
        question = visitor.send_message("Do you ship to Baku?")
        answer = api.send_message(acme.agent_id, vid, "We do!")
        assert [m["_id"] for m in visitor.messages()] == [question["_id"], answer["_id"]]
        assert visitor.messages(after=question["_id"]) == [answer]
        assert visitor.seen(answer["_id"]) == {"seen": [answer["_id"]]}
        assert api.get_message(answer["_id"])["seen"] is True
        assert visitor.preform(phone="+994124801574")["phone"] == "+994124801574"
    with VisitorClient(botaz.url, created["visitorToken"]) as again:
        assert again.me()["_id"] == vid


def test_episodes_ratings_labels_and_reports(botaz, acme, api) -> None:
    with VisitorClient(botaz.url) as visitor:
        vid = visitor.create_visitor(acme.site_key)["visitorId"]
        with pytest.raises(Conflict):
            visitor.rate(5)
        visitor.send_message("Is my order late?")
        api.send_message(acme.agent_id, vid, "It left today.")
        api.set_conversation_status(vid, "resolved")
        assert visitor.rating()["ask"] is True
        with pytest.raises(BadRequest):
            visitor.rate(9)
        assert visitor.rate(4, "Quick")["score"] == 4
    label = api.create_label("shipping", "#0f766e")
    assert api.edit_label(label["_id"], color="#115e59")["color"] == "#115e59"
    assert api.list_labels()[0]["name"] == "shipping"
    episode = api.add_conversation_label(vid, label["_id"])
    assert [x["name"] for x in episode["labels"]] == ["shipping"] and episode["rating"]["score"] == 4
    history = api.conversation_history(vid)
    assert history["items"][0]["_id"] == episode["_id"] and history["next"] is None
    assert api.remove_conversation_label(vid, label["_id"])["labels"] == []
    api.delete_label(label["_id"])
    assert api.list_labels() == []
    summary = api.report_summary()
    assert summary["conversations"] == 1 and summary["csat"] == {"average": 4.0, "count": 1}
    window = {"start": summary["from"], "end": summary["to"]}  # type: ignore[typeddict-item]
    assert api.report_breakdown(tz="Asia/Baku", **window)["summary"] == summary
    csv_text = api.export_conversations_csv().decode()
    assert csv_text.startswith("conversationId,") and episode["_id"] in csv_text
    with pytest.raises(BadRequest):
        api.report_summary(start="tomorrow")


# errors

def test_errors_map_to_exceptions(botaz, acme, api) -> None:
    vid = new_visitor(botaz, acme)
    with Client(botaz.url, "btz_not-a-real-token") as stranger:
        with pytest.raises(Unauthorized) as caught:
            stranger.get_visitor(vid)
    error = caught.value
    assert (error.status, error.message) == (401, LOGGED_OUT)
    assert isinstance(error, BotazError) and str(error) == f"401: {LOGGED_OUT}"
    assert error.response is not None and error.response.status_code == 401
    with VisitorClient(botaz.url) as nobody, pytest.raises(Unauthorized) as caught:
        nobody.messages()
    assert caught.value.message == LOGGED_OUT

    other_vid = new_visitor(botaz, botaz.account("Other"))
    with pytest.raises(NotFound) as caught:
        api.get_visitor(other_vid)
    assert caught.value.status == 404
    with pytest.raises(NotFound):
        api.send_message(acme.agent_id, other_vid, "Hi")
    with pytest.raises(NotFound):
        api.get_visitor("../agents")  # one path segment, not a way to another endpoint

    with pytest.raises(BadRequest) as caught:
        api.list_visitors(limit=0)
    assert caught.value.status == 400 and "limit" in caught.value.message
    with pytest.raises(BadRequest) as caught:
        api.send_message(botaz.account("Other").agent_id, vid, "Hi")
    assert "userId" in caught.value.message
    with pytest.raises(BadRequest) as caught:
        api.send_message(acme.agent_id, vid, "")
    assert "text" in caught.value.message
    with pytest.raises(PayloadTooLarge) as caught:
        api.send_message(acme.agent_id, vid, "x" * 1_100_000)
    assert caught.value.status == 413


# retries, against a local stand-in server

class Scripted:
    """A tiny HTTP server on 127.0.0.1 that answers from a script, the last entry repeating.

    An entry is (status, headers, body), or "drop" to close the connection without answering.
    """

    def __init__(self, *script: tuple[int, dict[str, str], Any] | str) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []
        scripted = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                scripted.requests.append({"method": self.command, "path": self.path,
                                          "headers": dict(self.headers), "body": body})
                step = scripted.script[min(len(scripted.requests), len(scripted.script)) - 1]
                if step == "drop":
                    self.close_connection = True
                    return
                status, headers, payload = step
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> "Scripted":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


SLOW_DOWN = (429, {"Retry-After": "0"}, {"status": "error", "message": "Slow down."})
MESSAGE = {"_id": "qZkS5QLZSBLKzYAwm", "userId": "MvSzqx36KksKNxHmK",
           "visitorId": "BtR7qAyvZfTWoaC7a", "text": "Good morning! Can I help you?",
           "seen": False, "sentAt": "2019-01-03T07:14:07.438Z"}


def test_429_is_retried_after_retry_after_then_succeeds() -> None:
    with Scripted(SLOW_DOWN, SLOW_DOWN, (200, {}, MESSAGE)) as server, \
            Client(server.url, "btz_x") as client:
        assert client.get_message(MESSAGE["_id"]) == MESSAGE
    assert [r["path"] for r in server.requests] == [f"/api/messages/{MESSAGE['_id']}"] * 3
    assert server.requests[0]["headers"]["Authorization"] == "Bearer btz_x"


def test_429_retries_resend_the_same_body() -> None:
    with Scripted(SLOW_DOWN, (201, {}, MESSAGE)) as server, Client(server.url, "btz_x") as client:
        assert client.send_message("MvSzqx36KksKNxHmK", "BtR7qAyvZfTWoaC7a", "Hi") == MESSAGE
    assert len(server.requests) == 2
    assert server.requests[0]["body"] == server.requests[1]["body"]
    assert json.loads(server.requests[1]["body"])["text"] == "Hi"


def test_429_every_time_raises_rate_limited_after_max_retries() -> None:
    with Scripted(SLOW_DOWN) as server, Client(server.url, "btz_x") as client:
        with pytest.raises(RateLimited) as caught:
            client.get_visitor("BtR7qAyvZfTWoaC7a")
    assert len(server.requests) == 4  # the first try and 3 retries
    error = caught.value
    assert (error.status, error.message, error.retry_after) == (429, "Slow down.", 0.0)
    with Scripted(SLOW_DOWN) as server, Client(server.url, "btz_x", max_retries=0) as client:
        with pytest.raises(RateLimited):
            client.list_visitors()
    assert len(server.requests) == 1


def test_a_retry_after_longer_than_max_retry_wait_raises_at_once() -> None:
    later = (429, {"Retry-After": "120"}, {"status": "error", "message": "Slow down."})
    with Scripted(later) as server, Client(server.url, "btz_x", max_retry_wait=30) as client:
        started = time.monotonic()
        with pytest.raises(RateLimited) as caught:
            client.list_agents()
    assert time.monotonic() - started < 5
    assert caught.value.retry_after == 120.0 and len(server.requests) == 1


def test_429_without_retry_after_backs_off() -> None:
    bare = (429, {}, {"status": "error", "message": "Slow down."})
    with Scripted(bare, (200, {}, {"items": [], "next": None})) as server, \
            Client(server.url, "btz_x", max_retries=1) as client:
        started = time.monotonic()
        assert client.list_visitors() == {"items": [], "next": None}
    assert time.monotonic() - started >= 0.4 and len(server.requests) == 2


def test_other_errors_are_not_retried() -> None:
    crash = (500, {}, {"status": "error", "message": "Something went wrong on our side."})
    with Scripted(crash) as server, Client(server.url, "btz_x") as client:
        with pytest.raises(ServerError) as caught:
            client.get_settings()
    assert (caught.value.status, caught.value.message) == (500, "Something went wrong on our side.")
    assert len(server.requests) == 1
    proxy = (502, {"Content-Type": "text/html"}, b"<html><body>Bad gateway</body></html>")
    with Scripted(proxy) as server, Client(server.url, "btz_x") as client:
        with pytest.raises(ServerError) as caught:
            client.get_settings()
    assert caught.value.status == 502 and caught.value.message == "Bad Gateway"
    teapot = (418, {}, {"status": "error", "message": "I'm a teapot."})
    with Scripted(teapot) as server, Client(server.url, "btz_x") as client:
        with pytest.raises(BotazError) as caught:
            client.get_settings()
    assert type(caught.value) is BotazError and caught.value.status == 418


def test_a_dropped_connection_is_retried_once_for_gets_only() -> None:
    with Scripted("drop", (200, {}, MESSAGE)) as server, Client(server.url, "btz_x") as client:
        assert client.get_message(MESSAGE["_id"]) == MESSAGE
    assert len(server.requests) == 2
    with Scripted("drop") as server, Client(server.url, "btz_x") as client:
        with pytest.raises(httpx.TransportError):
            client.get_message(MESSAGE["_id"])
    assert len(server.requests) == 2
    with Scripted("drop", (201, {}, MESSAGE)) as server, Client(server.url, "btz_x") as client:
        with pytest.raises(httpx.TransportError):
            client.send_message("MvSzqx36KksKNxHmK", "BtR7qAyvZfTWoaC7a", "Hi")
    assert len(server.requests) == 1


def test_base_url_may_carry_a_path_prefix_and_ids_are_escaped() -> None:
    with Scripted((200, {}, MESSAGE)) as server, \
            Client(server.url + "/chat/", "btz_x") as client:
        client.get_message("a/b c")
        client.list_visitors(limit=5, cursor="czEw")
    assert [r["path"] for r in server.requests] == [
        "/chat/api/messages/a%2Fb%20c", "/chat/api/visitors?limit=5&cursor=czEw"]
    assert server.requests[0]["headers"]["User-Agent"].startswith("botaz-client/")


def test_retry_after_parsing() -> None:
    def answer(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert parse_retry_after(answer("3")) == 3.0
    assert parse_retry_after(answer("1.5")) == 1.5
    assert parse_retry_after(answer("-4")) == 0.0
    date = "Wed, 21 Oct 2015 07:28:30 GMT"
    assert parse_retry_after(answer(date), now=1445412480.0) == 30.0
    assert parse_retry_after(answer("soon")) is None
    assert parse_retry_after(httpx.Response(429)) is None


# the async client

def test_async_client(botaz, acme) -> None:
    async def scenario() -> None:
        async with AsyncVisitorClient(botaz.url) as visitor, \
                AsyncClient(botaz.url, acme.token) as api:
            created = await visitor.create_visitor(acme.site_key, platform="Linux x86_64")
            vid = created["visitorId"]
            question = await visitor.send_message("Hello?")
            sent = [await api.send_message(acme.agent_id, vid, f"answer {i}") for i in range(3)]
            assert await api.get_message(sent[0]["_id"]) == sent[0]
            assert (await api.edit_message(sent[0]["_id"], "edited"))["text"] == "edited"
            assert (await api.delete_message(sent[2]["_id"]))["_id"] == sent[2]["_id"]
            got = [m["_id"] async for m in api.iter_visitor_messages(vid, page_size=1)]
            assert got == [sent[1]["_id"], sent[0]["_id"], question["_id"]]
            assert [m["_id"] for m in await visitor.messages()] == got[::-1]
            assert (await visitor.seen(sent[1]["_id"]))["seen"] == [sent[0]["_id"], sent[1]["_id"]]
            assert (await visitor.preform(name="Anar"))["name"] == "Anar"

            updated = await api.update_visitor(vid, notes="VIP", name=None)
            assert updated["notes"] == "VIP" and updated["name"] is None
            assert (await api.get_visitor(vid))["notes"] == "VIP"
            async with AsyncVisitorClient(botaz.url) as other:
                others = [await other.create_visitor(acme.site_key) for _ in range(2)]
            ids = [v["_id"] async for v in api.iter_visitors(page_size=2)]
            assert ids == [others[1]["visitorId"], others[0]["visitorId"], vid]
            conversations = [c async for c in api.iter_conversations(page_size=2)]
            # The two others have not written: visitors on the site, not conversations.
            assert {c["visitor"]["_id"] for c in conversations} == {vid}
            assert [a["_id"] async for a in api.iter_agents()] == [acme.agent_id]
            assert (await api.ban_visitor(vid))["banned"] is True
            try:
                await visitor.send_message("banned?")
            except Forbidden as exc:
                assert exc.status == 403
            else:
                raise AssertionError("a banned visitor could write")
            assert (await api.unban_visitor(vid))["banned"] is False
            note = await api.add_note(vid, "async note")
            assert await api.list_notes(vid) == [note]
            canned = await api.add_canned("hi", "Hello!")
            assert await api.list_canned() == [canned]
            assert (await api.update_bot(greeting="Hi!"))["greeting"] == "Hi!"
            assert (await api.get_bot())["greeting"] == "Hi!"
            assert (await api.show_bot_messages(vid, False))["showBotMessages"] is False
            try:
                await api.get_visitor("AAAAAAAAAAAAAAAAA")
            except NotFound as exc:
                assert exc.status == 404
            else:
                raise AssertionError("no NotFound")
        async with AsyncClient(botaz.url, "btz_nope") as stranger:
            try:
                await stranger.me()
            except Unauthorized as exc:
                assert exc.message == LOGGED_OUT
            else:
                raise AssertionError("no Unauthorized")

    asyncio.run(scenario())


def test_async_client_retries_429() -> None:
    async def scenario(url: str, **options: Any) -> Any:
        async with AsyncClient(url, "btz_x", **options) as client:
            return await client.get_message(MESSAGE["_id"])

    with Scripted(SLOW_DOWN, SLOW_DOWN, (200, {}, MESSAGE)) as server:
        assert asyncio.run(scenario(server.url)) == MESSAGE
    assert len(server.requests) == 3
    with Scripted(SLOW_DOWN) as server, pytest.raises(RateLimited) as caught:
        asyncio.run(scenario(server.url, max_retries=2))
    assert len(server.requests) == 3 and caught.value.retry_after == 0.0
    with Scripted("drop", (200, {}, MESSAGE)) as server:
        assert asyncio.run(scenario(server.url)) == MESSAGE


def public_methods(cls: type) -> dict[str, Any]:
    return {name: member for name, member in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_")}


@pytest.mark.parametrize("sync_cls, async_cls", [(Client, AsyncClient),
                                                 (VisitorClient, AsyncVisitorClient)])
def test_sync_and_async_clients_match(sync_cls: type, async_cls: type) -> None:
    sync_methods, async_methods = public_methods(sync_cls), public_methods(async_cls)
    assert set(sync_methods) - {"close"} == set(async_methods) - {"aclose"}
    for name, method in async_methods.items():
        if name == "aclose":
            continue
        if name.startswith("iter_"):
            assert inspect.isasyncgenfunction(method), name
        else:
            assert inspect.iscoroutinefunction(method), name
        sync_params = inspect.signature(sync_methods[name]).parameters
        assert inspect.signature(method).parameters.keys() == sync_params.keys(), name


# every endpoint has a method

COVERED = {
    "POST /api/messages": "send_message",  # also served at /api/messages/, documented once
    "GET /api/messages/{id}": "get_message", "PUT /api/messages/{id}": "edit_message",
    "DELETE /api/messages/{id}": "delete_message",
    "GET /api/visitors": "list_visitors iter_visitors",
    "GET /api/visitors/online": "online_visitors",
    "GET /api/visitors/attribute-keys": "visitor_attribute_keys",
    "GET /api/settings/images": "images", "PUT /api/settings/logo": "set_logo",
    "DELETE /api/settings/logo": "remove_logo", "PUT /auth/me/avatar": "set_avatar",
    "DELETE /auth/me/avatar": "remove_avatar", "GET /images/{id}": "download_image",
    "GET /api/visitors/{id}": "get_visitor", "PUT /api/visitors/{id}": "update_visitor",
    "GET /api/visitors/{id}/messages": "visitor_messages iter_visitor_messages",
    "POST /api/visitors/{id}/seen": "seen", "POST /api/visitors/{id}/ban": "ban_visitor",
    "POST /api/visitors/{id}/unban": "unban_visitor",
    "GET /api/visitors/{id}/pages": "visitor_pages iter_visitor_pages",
    "POST /api/visitors/{id}/typing": "send_typing",
    "POST /api/visitors/{id}/attachments": "upload_attachment",
    "GET /attachments/{id}": "download_attachment",
    "GET /auth/me": "me",
    "GET /api/agents": "list_agents iter_agents", "POST /api/agents": "add_agent",
    "DELETE /api/agents/{id}": "remove_agent", "PUT /api/agents/{id}": "set_agent_capacity",
    "GET /auth/me/availability": "availability", "PUT /auth/me/availability": "set_availability",
    "GET /auth/me/preferences": "preferences", "PUT /auth/me/preferences": "update_preferences",
    "GET /api/settings": "get_settings", "PUT /api/settings": "update_settings",
    "POST /api/settings/identity-secret": "rotate_identity_secret",
    "GET /api/visitors/{id}/attributes": "visitor_attributes",
    "GET /api/conversations": "list_conversations iter_conversations",
    "GET /api/conversations/{visitorId}": "get_conversation",
    "POST /api/conversations/{visitorId}/assign": "assign_conversation",
    "POST /api/conversations/{visitorId}/status": "set_conversation_status",
    "GET /api/conversations/{visitorId}/notes": "list_notes",
    "POST /api/conversations/{visitorId}/notes": "add_note",
    "GET /api/canned": "list_canned", "POST /api/canned": "add_canned",
    "PUT /api/canned/{id}": "edit_canned", "DELETE /api/canned/{id}": "delete_canned",
    "GET /api/bot": "get_bot", "PUT /api/bot": "update_bot",
    "PUT /api/visitors/{id}/bot": "show_bot_messages",
    "GET /api/tokens": "list_tokens", "POST /api/tokens": "create_token",
    "DELETE /api/tokens/{id}": "revoke_token",
    "POST /api/webhooks": "create_webhook", "GET /api/webhooks": "list_webhooks",
    "GET /api/webhooks/{id}": "get_webhook", "PUT /api/webhooks/{id}": "update_webhook",
    "DELETE /api/webhooks/{id}": "delete_webhook",
    "DELETE /api/visitors/{id}": "delete_visitor", "GET /api/visitors/{id}/export": "export_visitor",
    "GET /api/audit": "audit_log",
    "GET /api/email/status": "email_status", "GET /api/emails": "email_log",
    "POST /api/articles": "create_article", "GET /api/articles": "list_articles",
    "GET /api/articles/{id}": "get_article", "PUT /api/articles/{id}": "update_article",
    "DELETE /api/articles/{id}": "delete_article", "POST /api/articles/preview": "preview_article",
    "GET /api/webhooks/{id}/deliveries": "webhook_deliveries iter_webhook_deliveries",
    "POST /api/webhooks/{id}/deliveries/{deliveryId}/redeliver": "redeliver",
    "GET /api/conversations/{visitorId}/history": "conversation_history",
    "GET /api/labels": "list_labels", "POST /api/labels": "create_label",
    "PUT /api/labels/{id}": "edit_label", "DELETE /api/labels/{id}": "delete_label",
    "POST /api/conversations/{visitorId}/labels": "add_conversation_label",
    "DELETE /api/conversations/{visitorId}/labels/{id}": "remove_conversation_label",
    "GET /api/reports/summary": "report_summary", "GET /api/reports/breakdown": "report_breakdown",
    "GET /api/reports/conversations.csv": "export_conversations_csv",
}
VISITOR_COVERED = {
    "POST /widget/v1/visitors": "create_visitor", "GET /widget/v1/config": "config",
    "GET /widget/v1/me": "me", "POST /widget/v1/messages": "send_message",
    "GET /widget/v1/messages": "messages", "POST /widget/v1/preform": "preform",
    "POST /widget/v1/seen": "seen", "POST /widget/v1/pages": "report_page",
    "POST /widget/v1/attachments": "upload_attachment",
    "GET /attachments/{id}": "download_attachment",
    "POST /widget/v1/email": "leave_email", "POST /widget/v1/transcript": "request_transcript",
    "GET /widget/v1/articles": "search_help", "GET /widget/v1/articles/{id}": "help_article",
    "GET /widget/v1/rating": "rating", "POST /widget/v1/rating": "rate",
    "POST /widget/v1/identify": "identify", "POST /widget/v1/attributes": "set_attributes",
    "POST /widget/v1/proactive": "fire_proactive",
}
# A browser's business, not an API client's: the dashboard's cookie sign-in and password reset,
# Web Push subscriptions (made by a browser's PushManager) and taking over an emailed link.
NOT_COVERED = {"POST /auth/login", "POST /auth/logout", "POST /auth/password",
               "POST /auth/password-reset", "POST /auth/password-reset/confirm",
               "GET /api/push/key", "GET /api/push/subscriptions", "POST /api/push/subscriptions",
               "DELETE /api/push/subscriptions/{id}", "POST /api/push/test",
               "POST /widget/v1/link"}


def test_every_endpoint_in_the_openapi_document_has_a_method(botaz) -> None:
    document = botaz.client.get("/api/openapi.json").json()
    operations = {f"{method.upper()} {path}" for path, item in document["paths"].items()
                  for method in item if method in ("get", "post", "put", "delete", "patch")}
    missing = operations - set(COVERED) - set(VISITOR_COVERED) - NOT_COVERED
    assert not missing, f"endpoints without a client method: {sorted(missing)}"
    assert not (set(COVERED) | set(VISITOR_COVERED)) - operations, "stale entries"
    for table, classes in ((COVERED, (Client, AsyncClient)),
                           (VISITOR_COVERED, (VisitorClient, AsyncVisitorClient))):
        for names in table.values():
            for name in names.split():
                assert all(hasattr(cls, name) for cls in classes), name


# webhooks

def settled_deliveries(api: Client, hook_id: str, count: int) -> list[Any]:
    """The delivery log once `count` deliveries have an answer recorded (the receiver sees the
    request a moment before botaz writes down the response)."""
    deadline = time.monotonic() + 10
    while True:
        deliveries = list(api.iter_webhook_deliveries(hook_id, page_size=2))
        if len(deliveries) >= count and all(d["responseCode"] for d in deliveries):
            return deliveries
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries did not settle: {deliveries}")
        time.sleep(0.05)


def test_webhooks_management_and_deliveries(botaz, acme, api, receiver) -> None:
    hook = api.create_webhook(receiver.url + "/botaz", ["message.created", "visitor.updated"])
    assert hook["secret"] and hook["enabled"] is True
    assert hook["events"] == ["message.created", "visitor.updated"]
    listed = api.list_webhooks()
    assert [h["_id"] for h in listed] == [hook["_id"]] and "secret" not in listed[0]
    assert api.get_webhook(hook["_id"])["url"] == receiver.url + "/botaz"

    vid = new_visitor(botaz, acme)
    sent = [api.send_message(acme.agent_id, vid, f"m{i}") for i in range(3)]
    requests = receiver.wait_for(4)  # three messages, and the visitor's first agent
    events = [verify_webhook(hook["secret"], r["body"], r["headers"]["X-Botaz-Signature"])
              for r in requests]
    created = [e["data"] for e in events if e["event"] == "message.created"]
    assert created == sent
    assert not verify_signature("whsec_wrong", requests[0]["body"],
                                requests[0]["headers"]["X-Botaz-Signature"])

    deliveries = settled_deliveries(api, hook["_id"], 4)
    assert len(deliveries) == 4
    assert {d["status"] for d in deliveries} == {"delivered"}
    page = api.webhook_deliveries(hook["_id"], limit=2)
    assert len(page["items"]) == 2 and page["next"]
    again = api.redeliver(hook["_id"], deliveries[-1]["_id"])
    assert again["eventId"] == deliveries[-1]["eventId"] and again["_id"] != deliveries[-1]["_id"]
    replayed = receiver.wait_for(5)[-1]
    assert json.loads(replayed["body"])["id"] == deliveries[-1]["eventId"]

    changed = api.update_webhook(hook["_id"], events=["message.deleted"], enabled=False)
    assert changed["events"] == ["message.deleted"] and changed["enabled"] is False
    assert api.update_webhook(hook["_id"], enabled=True)["events"] == ["message.deleted"]
    with pytest.raises(BadRequest) as caught:
        api.update_webhook(hook["_id"], events=["message.exploded"])
    assert "events" in caught.value.message
    assert api.delete_webhook(hook["_id"]) is None
    with pytest.raises(NotFound):
        api.get_webhook(hook["_id"])
    assert api.list_webhooks() == []


def test_async_webhooks(botaz, acme, receiver) -> None:
    async def scenario() -> None:
        async with AsyncClient(botaz.url, acme.token) as api:
            hook = await api.create_webhook(receiver.url, ["message.created"])
            assert [h["_id"] for h in await api.list_webhooks()] == [hook["_id"]]
            assert (await api.get_webhook(hook["_id"]))["enabled"] is True
            vid = new_visitor(botaz, acme)
            await api.send_message(acme.agent_id, vid, "Hi")
            receiver.wait_for(1)
            with Client(botaz.url, acme.token) as sync_api:
                settled_deliveries(sync_api, hook["_id"], 1)
            deliveries = [d async for d in api.iter_webhook_deliveries(hook["_id"])]
            assert len(deliveries) == 1
            assert (await api.webhook_deliveries(hook["_id"]))["items"] == deliveries
            await api.redeliver(hook["_id"], deliveries[0]["_id"])
            assert (await api.update_webhook(hook["_id"], url=receiver.url + "/v2"))["url"] \
                == receiver.url + "/v2"
            await api.delete_webhook(hook["_id"])
            assert await api.list_webhooks() == []

    asyncio.run(scenario())


# webhook signatures

SECRET = "whsec_0123456789abcdef"
BODY = b'{"id":"evt","event":"message.created","data":{"_id":"qZkS5QLZSBLKzYAwm"},' \
       b'"createdAt":"2019-01-03T07:14:07.438Z"}'
T = 1_546_499_647


def header_for(secret: str, body: bytes, t: int) -> str:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def test_a_good_signature_verifies() -> None:
    header = header_for(SECRET, BODY, T)
    assert sign_webhook(SECRET, BODY, timestamp=T) == header
    assert verify_signature(SECRET, BODY, header, now=T + 10)
    assert verify_signature(SECRET.encode(), BODY, header, now=T + 10)
    assert verify_signature(SECRET, BODY, header.replace(",", " , "), now=T)
    assert verify_signature(SECRET, BODY, header[:-64] + header[-64:].upper(), now=T)
    event = verify_webhook(SECRET, BODY, header, now=T)
    assert event["event"] == "message.created" and event["data"]["_id"] == "qZkS5QLZSBLKzYAwm"
    assert verify_signature(SECRET, BODY, sign_webhook(SECRET, BODY))


def test_tampered_body_and_wrong_secret_fail() -> None:
    header = header_for(SECRET, BODY, T)
    tampered = BODY.replace(b"qZkS5QLZSBLKzYAwm", b"qZkS5QLZSBLKzYAwn")
    assert not verify_signature(SECRET, tampered, header, now=T)
    assert not verify_signature("whsec_other", BODY, header, now=T)
    assert not verify_signature(SECRET, BODY, header.replace(f"t={T}", f"t={T + 1}"), now=T)
    with pytest.raises(WebhookSignatureError, match="No signature matches"):
        verify_webhook(SECRET, tampered, header, now=T)
    with pytest.raises(WebhookSignatureError):
        verify_webhook("", BODY, header, now=T)


def test_stale_and_future_timestamps_fail() -> None:
    header = header_for(SECRET, BODY, T)
    assert verify_signature(SECRET, BODY, header, now=T + 300)
    assert not verify_signature(SECRET, BODY, header, now=T + 301)
    assert not verify_signature(SECRET, BODY, header, now=T - 301)
    assert verify_signature(SECRET, BODY, header, now=T + 3000, tolerance=3600)
    assert verify_signature(SECRET, BODY, header, now=T + 10 ** 6, tolerance=None)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        check_signature(SECRET, BODY, header, now=T + 301)
    assert not verify_signature(SECRET, BODY, header)  # 2019 is long past


def test_several_v1_values_any_may_match() -> None:
    good = header_for(SECRET, BODY, T).split(",")[1]
    old = header_for("whsec_previous", BODY, T).split(",")[1]
    assert verify_signature(SECRET, BODY, f"t={T},{old},{good}", now=T)
    assert verify_signature(SECRET, BODY, f"t={T},{good},{old}", now=T)
    assert verify_signature("whsec_previous", BODY, f"t={T},{good},{old}", now=T)
    assert not verify_signature(SECRET, BODY, f"t={T},{old},v0={good[3:]}", now=T)


@pytest.mark.parametrize("header", [
    None, "", "garbage", f"v1={'0' * 64}", f"t={T}", f"t=soon,v1={'0' * 64}",
    f"t={T},t={T},v1={'0' * 64}", f"t=١٢٣,v1={'0' * 64}", f"t={T},v1=",
])
def test_malformed_headers_fail(header: str | None) -> None:
    assert verify_signature(SECRET, BODY, header, now=T) is False
    with pytest.raises(WebhookSignatureError):
        verify_webhook(SECRET, BODY, header, now=T)


def test_verify_webhook_wants_a_json_event() -> None:
    for body in (b"not json", b"[1, 2]", b'{"data": {}}'):
        with pytest.raises(WebhookSignatureError):
            verify_webhook(SECRET, body, header_for(SECRET, body, T), now=T)


def test_signatures_agree_with_the_server_signer() -> None:
    signing = pytest.importorskip("botaz.webhooks.signing")
    header = signing.signature_header(SECRET, BODY, T)
    assert header == sign_webhook(SECRET, BODY, timestamp=T)
    assert verify_signature(SECRET, BODY, header, now=T)


# docs/client.md

def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_docs_examples_run(botaz, acme) -> None:
    blocks = python_blocks(DOCS.read_text())
    assert len(blocks) >= 5
    namespace: dict[str, Any] = {"__name__": "docs_example", "BASE_URL": botaz.url,
                                 "TOKEN": acme.token, "AGENT_ID": acme.agent_id,
                                 "SITE_KEY": acme.site_key}
    for block in blocks:
        if 'TOKEN = "btz_' in block:
            continue  # the values a reader fills in; the test supplied its own
        exec(compile(block, str(DOCS), "exec"), namespace)

    # The external bot's handler, called as botaz would call it.
    with Client(botaz.url, acme.token) as api:
        vid = new_visitor(botaz, acme)
        body = json.dumps({"event": "message.created", "botId": api.get_bot()["agentId"],
                           "data": {"visitorId": vid, "text": "hi"}}).encode()
        namespace["on_bot_call"](body, sign_webhook("botsec_x", body), "botsec_x")
        assert api.visitor_messages(vid)["items"][0]["text"] == "You said: hi"
        with pytest.raises(PermissionError):
            namespace["on_bot_call"](body, sign_webhook("botsec_y", body), "botsec_x")

    # The receiver example, run for real: botaz delivers to it and it answers 204.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), namespace["Receiver"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Client(botaz.url, acme.token) as api:
            hook = api.create_webhook(f"http://127.0.0.1:{server.server_address[1]}/botaz",
                                      ["message.created"])
            namespace["WEBHOOK_SECRET"] = hook["secret"]
            vid = new_visitor(botaz, acme)
            api.send_message(acme.agent_id, vid, "Checked by the receiver")
            first = settled_deliveries(api, hook["_id"], 1)[0]
            assert first["status"] == "delivered" and first["responseCode"] == 204
            namespace["WEBHOOK_SECRET"] = "whsec_wrong"
            api.redeliver(hook["_id"], first["_id"])
            assert settled_deliveries(api, hook["_id"], 2)[0]["responseCode"] == 400
            api.delete_webhook(hook["_id"])
    finally:
        server.shutdown()
        server.server_close()


def test_erase_export_and_audit(botaz) -> None:
    from botaz.client import Client, NotFound

    acme = botaz.account()
    v = botaz.visitor(acme)
    with Client(botaz.url, acme.token) as client:
        sent = client.send_message(acme.agent_id, v["visitorId"], "hello")
        client.update_settings(allowed_origins=[])
        export = client.export_visitor(v["visitorId"])
        assert export["messages"][0]["_id"] == sent["_id"]
        assert client.delete_visitor(v["visitorId"])["_id"] == v["visitorId"]
        with pytest.raises(NotFound):
            client.get_visitor(v["visitorId"])
        actions = [e["action"] for e in client.audit_log()["items"]]
        assert actions[:2] == ["visitor.delete", "visitor.export"]


def test_email_status_offline_form_and_transcript_without_mail(botaz, acme, api) -> None:
    # The test server has no BOTAZ_SMTP_URL: email is off, and says so.
    assert api.email_status()["enabled"] is False
    assert api.email_log()["items"] == []
    with VisitorClient(botaz.url) as visitor:
        vid = visitor.create_visitor(acme.site_key, user_agent="pytest")["visitorId"]
        saved = visitor.leave_email("leyla@example.com", locale="az")
        assert saved["email"] == "leyla@example.com"
        assert api.get_visitor(vid)["email"] == "leyla@example.com"
        with pytest.raises(BadRequest):
            visitor.leave_email("not an email")
        with pytest.raises(Conflict):
            visitor.request_transcript()



def test_knowledge_base_through_the_client(botaz, acme, api) -> None:
    made = api.create_article("Çatdırılma Gəncəyə", "Gəncəyə **iki gün** ərzində çatdırırıq.",
                              locale="az", category="Çatdırılma")
    assert made["slug"] == "chatdirilma-genceye" and made["url"].endswith("/chatdirilma-genceye")
    assert api.get_article(made["_id"])["title"] == "Çatdırılma Gəncəyə"
    assert "<strong>iki gün</strong>" in api.preview_article("**iki gün**")["html"]
    assert [a["_id"] for a in api.list_articles(q="gence")["items"]] == [made["_id"]]
    assert api.update_article(made["_id"], title="Çatdırılma: Gəncə")["title"] == "Çatdırılma: Gəncə"
    with VisitorClient(botaz.url) as visitor:
        found = visitor.search_help("GƏNCƏ", site_key=acme.site_key)
        assert [a["_id"] for a in found["items"]] == [made["_id"]]
        html = visitor.help_article(made["_id"], site_key=acme.site_key)["html"]
        assert "<strong>iki gün</strong>" in html
    api.delete_article(made["_id"])
    with pytest.raises(NotFound):
        api.get_article(made["_id"])
