"""What a page load costs, in Chromium: the widget's first load on a website (widget.js and one
WebSocket), and the dashboard's first screen (its own modules only, compressed, immutable).

Uses the fixtures of test_widget_browser and test_dashboard_browser (SQLite only)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from test_dashboard_browser import dashboard, owner_email  # noqa: F401  (fixture)
from test_widget_browser import (  # noqa: F401  (fixtures)
    agent_messages, browser, database_url, eventually, expect, host_site, new_account, widget)

LATER_PAGES = ("agents.js", "visitors.js", "settings.js", "reports.js", "articles.js", "charts.js",
               "settings-bot.js", "settings-webhooks.js")


class Network:
    """What the page asks of botaz, as Chromium's DevTools protocol sees it: every HTTP request
    (CORS preflights included) and every WebSocket."""

    def __init__(self, page: Any, origin: str) -> None:
        self.origin = origin
        self.requests: list[tuple[str, str]] = []
        self.sockets: list[str] = []
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.webSocketCreated", self._socket)
        cdp.send("Network.enable")

    def _request(self, event: dict[str, Any]) -> None:
        r = event["request"]
        if urlsplit(r["url"]).netloc == self.origin:
            self.requests.append((r["method"], urlsplit(r["url"]).path))

    def _socket(self, event: dict[str, Any]) -> None:
        if urlsplit(event["url"]).netloc == self.origin:
            self.sockets.append(event["url"])

    def clear(self) -> None:
        self.requests.clear()
        self.sockets.clear()


def test_the_widgets_first_load_is_one_socket_and_no_request(botaz, widget, host_site) -> None:
    acme = new_account(botaz, "Acme Light")
    w = widget(acme)
    w.url = host_site.embed(botaz, acme)  # another origin: CORS preflights would show up too
    net = Network(w.page, urlsplit(botaz.url).netloc)
    responses: list[Any] = []
    w.page.on("response", lambda r: responses.append(r) if r.url.endswith("/widget.js") else None)
    w.goto()
    w.wait_connected()
    w.page.wait_for_timeout(2000)  # anything deferred (timers, idle callbacks) would show by now

    # widget.js, then one WebSocket (?siteKey=: it makes the visitor); no HTTP request at all.
    assert net.requests == [("GET", "/widget.js")], net.requests
    assert len(net.sockets) == 1 and "/widget/v1/ws?siteKey=" in net.sockets[0], net.sockets
    script = responses[0]
    assert script.header_value("content-encoding") in ("br", "gzip")  # Chromium: gzip over http
    assert int(script.header_value("content-length")) < 40_000
    expect(w.launcher()).to_be_visible()

    # The page view made a visitor on the site, with its page: not a conversation.
    vid = w.visitor_id
    online = eventually(w.page, lambda: [i for i in botaz.client.get(
        "/api/visitors/online", headers=acme.headers).json()["items"]
        if i["visitor"]["_id"] == vid and i["page"]], "the visitor and its page in Visitors now")
    assert online[0]["page"]["url"] == w.url and online[0]["page"]["title"] == "Shop"
    assert online[0]["visitor"]["userAgent"]  # from the handshake
    convs = botaz.client.get("/api/conversations", headers=acme.headers).json()["items"]
    assert vid not in [c["visitor"]["_id"] for c in convs]

    # The first open loads the history; the conversation then works both ways, live.
    net.clear()
    w.open()
    eventually(w.page, lambda: ("GET", "/widget/v1/messages") in net.requests, "the history")
    w.say("Hello after a light start")
    assert [m["text"] for m in agent_messages(botaz, acme, vid)] == ["Hello after a light start"]
    botaz.send(acme, vid, "Hello back")
    expect(w.log.get_by_text("Hello back")).to_be_visible()
    assert net.sockets == []  # still the first socket

    # The next page of the same visitor: one socket (?token=), still no HTTP request; a reply
    # while the panel is closed counts as unread, and the count survives the next page too.
    net.clear()
    w.reload()
    w.wait_connected(resumes=2)
    botaz.send(acme, vid, "While the panel is closed")
    expect(w.launcher("Open chat (1 unread message)")).to_be_visible()
    w.page.wait_for_timeout(500)
    assert net.requests == [("GET", "/widget.js")], net.requests
    assert len(net.sockets) == 1 and "/widget/v1/ws?token=" in net.sockets[0], net.sockets
    w.reload()
    expect(w.launcher("Open chat (1 unread message)")).to_be_visible()  # from widget.ready
    assert w.visitor_id == vid


def test_the_widget_works_over_http_when_its_socket_is_blocked(botaz, widget, host_site) -> None:
    acme = new_account(botaz, "Acme Blocked")
    w = widget(acme)
    w.url = host_site.embed(botaz, acme)
    w.page.route_web_socket(re.compile(r".*/widget/v1/ws.*"), lambda ws: ws.close())
    net = Network(w.page, urlsplit(botaz.url).netloc)
    w.goto()
    assert ("GET", "/widget/v1/config") in net.requests  # the look, over HTTP
    assert ("POST", "/widget/v1/visitors") not in net.requests  # made when needed, as before
    w.open()
    w.say("Hello without a socket")
    key = f"botaz:{acme.site_key}:visitor"
    eventually(w.page, lambda: w.page.evaluate(f"localStorage.getItem('{key}')"), "the visitor")
    vid = w.visitor_id
    eventually(w.page, lambda: [m["text"] for m in agent_messages(botaz, acme, vid)] == [
        "Hello without a socket"], "the message")
    pages = botaz.client.get(f"/api/visitors/{vid}/pages", headers=acme.headers).json()["items"]
    assert [p["url"] for p in pages] == [w.url]  # reported over HTTP


def test_a_new_browser_identifies_without_an_anonymous_visitor(botaz, widget, host_site) -> None:
    """A signed-in user's first page calls identify as the widget loads (the snippet's queue):
    the widget's socket waits for it, so no anonymous visitor is made and merged."""
    import hashlib
    import hmac
    import json

    acme = new_account(botaz, "Acme Known")
    secret = botaz.client.get("/api/settings", headers=acme.headers).json()["identitySecret"]
    user = {"id": "user-7", "hash": hmac.new(secret.encode(), b"user-7", hashlib.sha256).hexdigest()}
    path = "/known-user"
    host_site.pages[path] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Shop</title></head>"
        "<body><h1>Signed in</h1><script>window.Botaz = window.Botaz || { q: [] };"
        "['identify', 'open'].forEach(function (m) { Botaz[m] = Botaz[m] || function () {"
        " Botaz.q.push([m, [].slice.call(arguments)]); }; });"
        f"Botaz.identify({json.dumps(user)}); Botaz.open();</script>"
        f'<script src="{botaz.url}/widget.js" data-site-key="{acme.site_key}" async></script>'
        "</body></html>")
    w = widget(acme)
    w.url = host_site.origin + path
    net = Network(w.page, urlsplit(botaz.url).netloc)
    w.goto()
    w.wait_connected()
    assert w.saved["userId"] == "user-7"
    assert ("POST", "/widget/v1/visitors") not in net.requests
    assert all("siteKey=" not in url for url in net.sockets), net.sockets
    listed = botaz.client.get("/api/visitors", headers=acme.headers).json()["items"]
    assert [v["_id"] for v in listed] == [w.visitor_id]  # the user's visitor only
    expect(w.dialog).to_be_visible()  # the queued open() waited for the user's visitor
    w.say("Hello as a known user")
    r = botaz.client.get(f"/api/visitors/{w.visitor_id}/attributes", headers=acme.headers)
    assert r.json()["externalId"] == "user-7"


def test_the_inbox_loads_only_its_own_modules(botaz, dashboard) -> None:
    acme = new_account(botaz)
    board = dashboard()
    page = board.page
    loaded: list[Any] = []
    page.on("response", lambda r: loaded.append(r) if "/dashboard/assets/" in r.url else None)
    board.sign_in(owner_email(botaz, acme))
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    page.wait_for_timeout(500)

    names = {r.url.rsplit("/", 1)[1] for r in loaded}
    assert {"app.js", "inbox.js", "chat.js", "api.js", "dashboard.css"} <= names, names
    assert not names & set(LATER_PAGES), names & set(LATER_PAGES)
    for r in loaded:
        if r.url.endswith((".js", ".css")):
            assert re.search(r"/dashboard/assets/v/[0-9a-f]{12}/", r.url), r.url
            assert r.header_value("cache-control") == "public, max-age=31536000, immutable", r.url
            if r.url.endswith(("/app.js", "/inbox.js", "/chat.js", "/dashboard.css")):
                assert r.header_value("content-encoding") in ("br", "gzip"), r.url

    # Reports load on the way there, and work.
    loaded.clear()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.wait_for_url(f"{botaz.url}/reports")
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    names = {r.url.rsplit("/", 1)[1] for r in loaded}
    assert {"reports.js", "charts.js"} <= names, names
    # Back to the inbox: nothing loads again.
    loaded.clear()
    page.go_back()
    expect(page.get_by_role("heading", name="Conversations", exact=True)).to_be_visible()
    page.wait_for_timeout(300)
    assert not [r.url for r in loaded if r.url.endswith(".js")]
    # Straight to /settings on a fresh load: its module is preloaded and the page works.
    page.goto(f"{botaz.url}/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
