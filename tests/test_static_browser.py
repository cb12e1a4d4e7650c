"""What a page load costs, in Chromium: the widget's first load on a website (widget.js and one
small request), and the dashboard's first screen (its own modules only, compressed, immutable).

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


def test_the_widgets_first_load_costs_one_small_request(botaz, widget, host_site) -> None:
    acme = new_account(botaz, "Acme Light")
    w = widget(acme)
    w.url = host_site.embed(botaz, acme)  # another origin: CORS preflights would show up too
    botaz_origin = urlsplit(botaz.url).netloc
    requests: list[Any] = []
    sockets: list[str] = []
    w.page.on("request", lambda r: requests.append(r) if urlsplit(r.url).netloc == botaz_origin else None)
    w.page.on("websocket", lambda ws: sockets.append(ws.url))
    w.goto()
    w.page.wait_for_timeout(2000)  # anything deferred (timers, idle callbacks) would show by now

    seen = [(r.method, urlsplit(r.url).path) for r in requests]
    assert seen == [("GET", "/widget.js"), ("GET", "/widget/v1/config")], seen
    assert sockets == []
    config = requests[1].response()
    assert config.status == 200
    assert len(config.body()) < 2048, len(config.body())  # small: a few hundred bytes
    script = requests[0].response()
    assert script.header_value("content-encoding") in ("br", "gzip")  # Chromium: gzip over http
    assert int(script.header_value("content-length")) < 40_000
    assert w.page.evaluate(
        f"localStorage.getItem('botaz:{acme.site_key}:visitor')") is None  # no visitor yet
    expect(w.launcher()).to_be_visible()

    # The first open makes the visitor; the conversation then works both ways, live.
    w.open()
    w.say("Hello after a light start")
    assert [m["text"] for m in agent_messages(botaz, acme, w.visitor_id)] == ["Hello after a light start"]
    botaz.send(acme, w.visitor_id, "Hello back")
    expect(w.log.get_by_text("Hello back")).to_be_visible()
    assert len(sockets) == 1

    # The next page of the same visitor: the socket at once (replies arrive while closed).
    requests.clear()
    w.reload()
    w.wait_connected(resumes=2)
    botaz.send(acme, w.visitor_id, "While the panel is closed")
    expect(w.launcher("Open chat (1 unread message)")).to_be_visible()
    paths = [urlsplit(r.url).path for r in requests]
    assert "/widget/v1/rating" not in paths  # asked on the first open, not on every page


def test_a_new_browser_identifies_without_an_anonymous_visitor(botaz, widget, host_site) -> None:
    """A signed-in user's first page: identify makes (or finds) the user's visitor directly."""
    import hashlib
    import hmac

    acme = new_account(botaz, "Acme Known")
    secret = botaz.client.get("/api/settings", headers=acme.headers).json()["identitySecret"]
    user = {"id": "user-7", "hash": hmac.new(secret.encode(), b"user-7", hashlib.sha256).hexdigest()}
    w = widget(acme)
    w.url = host_site.embed(botaz, acme)
    created: list[str] = []
    w.page.on("request", lambda r: created.append(r.url) if r.url.endswith("/widget/v1/visitors") else None)
    w.goto()
    assert w.page.evaluate("u => Botaz.identify(u)", user) is True
    assert w.saved["userId"] == "user-7"
    assert created == []
    w.open()
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
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    page.wait_for_timeout(300)
    assert not [r.url for r in loaded if r.url.endswith(".js")]
    # Straight to /settings on a fresh load: its module is preloaded and the page works.
    page.goto(f"{botaz.url}/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
