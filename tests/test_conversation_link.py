"""Conversation links over real HTTP: /c/<token> and POST /widget/v1/link, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from botaz.chat import links

from conftest import _run
from test_sockets import Socket, vheaders


def link_token(botaz, visitor_id: str, ttl_s: int = 3600) -> str:
    return asyncio.run(_run(botaz.database_url, lambda chat: links.link_token(chat, visitor_id, ttl_s)))


def forged(token: str) -> str:
    flip = "A" if token[-3] != "A" else "B"
    return token[:-3] + flip + token[-2:]


def test_a_link_gives_another_browser_the_same_conversation(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    mine = botaz.client.post("/widget/v1/messages", headers=vheaders(v), json={"text": "From the laptop"})
    reply = botaz.send(acme, v["visitorId"], "We'll email you")
    token = link_token(botaz, v["visitorId"])
    r = botaz.client.post("/widget/v1/link", json={"token": token, "siteKey": acme.site_key})
    assert r.status_code == 200, r.text
    other = r.json()
    assert other["visitorId"] == v["visitorId"] and other["visitor"]["_id"] == v["visitorId"]
    assert other["visitorToken"].startswith("btzv_") and other["visitorToken"] != v["visitorToken"]
    history = botaz.client.get("/widget/v1/messages", headers=vheaders(other)).json()
    assert [m["_id"] for m in history] == [mine.json()["_id"], reply["_id"]]
    agent = Socket(botaz, "/api/ws", acme.token, resume=None)
    first_browser = Socket(botaz, "/widget/v1/ws", v["visitorToken"])
    try:
        sent = botaz.client.post("/widget/v1/messages", headers=vheaders(other),
                                 json={"text": "From the phone"}).json()
        assert sent["visitorId"] == v["visitorId"] and sent["userId"] is None
        assert agent.next("message.created")["data"] == sent
        assert first_browser.next("message.created")["data"] == sent  # the old token still works
    finally:
        agent.close()
        first_browser.close()
    assert botaz.client.get("/widget/v1/me", headers=vheaders(v)).status_code == 200


def test_bad_links_are_refused_and_tell_nothing(botaz) -> None:
    acme, other = botaz.account("Acme Secret Shop"), botaz.account("Other")
    v = botaz.visitor(acme)
    token = link_token(botaz, v["visitorId"])
    cases = [
        ({"token": forged(token), "siteKey": acme.site_key}, 404),
        ({"token": "not-a-link-at-all-really", "siteKey": acme.site_key}, 404),
        ({"token": token, "siteKey": other.site_key}, 404),  # another account's widget
        ({"token": link_token(botaz, v["visitorId"], ttl_s=-60), "siteKey": acme.site_key}, 410),
    ]
    for body, status in cases:
        r = botaz.client.post("/widget/v1/link", json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["status"] == "error" and v["visitorId"] not in r.text
    r = botaz.client.post("/widget/v1/link", json={"token": token})
    assert r.status_code == 400 and "siteKey" in r.json()["message"]
    for path, status in ((f"/c/{forged(token)}", 404), ("/c/x%22%3E%3Cscript%3E", 404),
                         (f"/c/{link_token(botaz, v['visitorId'], ttl_s=-60)}", 410)):
        r = botaz.client.get(path, headers={"Accept-Language": "az,en;q=0.5"})
        assert r.status_code == status and r.headers["content-type"].startswith("text/html")
        assert "Acme Secret Shop" not in r.text and acme.site_key not in r.text
        assert "<script" not in r.text and "keçid" in r.text.lower()
    page = botaz.client.get(f"/c/{token}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Acme Secret Shop" in page.text and f'data-site-key="{acme.site_key}"' in page.text
    assert f'data-link="{token}"' in page.text


def test_ban_and_erase_revoke_links_and_the_tokens_they_gave(botaz) -> None:
    acme = botaz.account()
    banned, erased = botaz.visitor(acme), botaz.visitor(acme)
    tokens = {}
    for v in (banned, erased):
        tokens[v["visitorId"]] = link_token(botaz, v["visitorId"])
        r = botaz.client.post("/widget/v1/link", json={"token": tokens[v["visitorId"]],
                                                       "siteKey": acme.site_key})
        assert r.status_code == 200
        v["linked"] = r.json()
    assert botaz.client.post(f"/api/visitors/{banned['visitorId']}/ban", headers=acme.headers).status_code == 200
    assert botaz.client.delete(f"/api/visitors/{erased['visitorId']}", headers=acme.headers).status_code == 200
    for v, status in ((banned, 403), (erased, 401)):
        token = tokens[v["visitorId"]]
        assert botaz.client.post("/widget/v1/link", json={"token": token, "siteKey": acme.site_key}).status_code == 410
        assert botaz.client.get(f"/c/{token}").status_code == 410
        r = botaz.client.get("/widget/v1/messages", headers=vheaders(v["linked"]))
        assert r.status_code == status


def test_allowed_origins_apply_to_websites_not_to_botaz_own_page(botaz) -> None:
    acme = botaz.account()
    owner = acme.headers
    assert botaz.client.put("/api/settings", headers=owner,
                            json={"allowedOrigins": ["https://shop.example"]}).status_code == 200
    v = botaz.visitor(acme)
    token = link_token(botaz, v["visitorId"])
    body = {"token": token, "siteKey": acme.site_key}
    r = botaz.client.post("/widget/v1/link", json=body, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = botaz.client.post("/widget/v1/link", json=body, headers={"Origin": "https://shop.example"})
    assert r.status_code == 200
    own = botaz.url  # the conversation page is served by botaz itself
    r = botaz.client.post("/widget/v1/link", json=body, headers={"Origin": own})
    assert r.status_code == 200
    linked = r.json()
    r = botaz.client.post("/widget/v1/messages", headers={**vheaders(linked), "Origin": own},
                          json={"text": "from the link page"})
    assert r.status_code == 201
    r = botaz.client.post("/widget/v1/messages", headers={**vheaders(linked), "Origin": "https://evil.example"},
                          json={"text": "from elsewhere"})
    assert r.status_code == 403


def test_each_visitor_keeps_its_newest_link_tokens(botaz) -> None:
    from botaz.chat.resume import MAX_ADDED_TOKENS

    acme = botaz.account()
    v = botaz.visitor(acme)
    token = link_token(botaz, v["visitorId"])
    issued = [botaz.client.post("/widget/v1/link", json={"token": token, "siteKey": acme.site_key}).json()
              for _ in range(MAX_ADDED_TOKENS + 1)]
    assert botaz.client.get("/widget/v1/me", headers=vheaders(issued[0])).status_code == 401
    assert botaz.client.get("/widget/v1/me", headers=vheaders(issued[-1])).status_code == 200
    assert botaz.client.get("/widget/v1/me", headers=vheaders(v)).status_code == 200
