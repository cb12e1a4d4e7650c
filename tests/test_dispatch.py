"""The one dispatcher (botaz/api/dispatch.py): routing, and what it does for every endpoint alike."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from botaz.api import deps
from botaz.api.registry import ENDPOINTS
from botaz.chat import messages as chat_messages
from botaz.chat.errors import Unavailable
from botaz.config import Settings
from tests.conftest import Botaz, ServerThread


def vheaders(visitor: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {visitor['visitorToken']}"}


def _seed_calls(b: Botaz, acme: Any) -> list[tuple[str, httpx.Response]]:
    """Every seed endpoint and GET /api/visitors, with the account's API token."""
    vid = b.visitor(acme)["visitorId"]
    h = acme.headers
    c = b.client
    calls: list[tuple[str, httpx.Response]] = []
    body = {"userId": acme.agent_id, "visitorId": vid, "text": "Hello"}
    r = c.post("/api/messages/", headers=h, json=body)
    calls.append(("POST /api/messages/", r))
    mid = r.json()["_id"]
    calls.append(("POST /api/messages", c.post("/api/messages", headers=h, json=body)))
    calls.append(("GET /api/messages/:id", c.get(f"/api/messages/{mid}", headers=h)))
    calls.append(("PUT /api/messages/:id", c.put(f"/api/messages/{mid}", headers=h,
                                                 json={"text": "Edited"})))
    calls.append(("DELETE /api/messages/:id", c.delete(f"/api/messages/{mid}", headers=h)))
    calls.append(("GET /api/visitors/:id", c.get(f"/api/visitors/{vid}", headers=h)))
    calls.append(("PUT /api/visitors/:id", c.put(f"/api/visitors/{vid}", headers=h,
                                                 json={"name": "Aysel"})))
    calls.append(("GET /api/visitors", c.get("/api/visitors", headers=h)))
    return calls


def _rate_limited_server(tmp_path) -> ServerThread:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/d.db", rate_limits=True,
                        data_dir=str(tmp_path / "data"))
    return ServerThread(settings)


def test_a_bearer_token_reaches_every_seed_endpoint(botaz) -> None:
    acme = botaz.account()
    calls = _seed_calls(botaz, acme)
    expected = {"POST /api/messages/": 201, "POST /api/messages": 201}
    for name, r in calls:
        assert r.status_code == expected.get(name, 200), (name, r.text)
        assert r.headers["content-type"] == "application/json", name
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert len(r.headers["x-request-id"]) == 16, name
    results = dict(calls)
    assert results["PUT /api/messages/:id"].json()["text"] == "Edited"
    assert results["DELETE /api/messages/:id"].json()["_id"] == results["POST /api/messages/"].json()["_id"]
    assert results["PUT /api/visitors/:id"].json()["name"] == "Aysel"
    assert any(v["_id"] == results["GET /api/visitors/:id"].json()["_id"]
               for v in results["GET /api/visitors"].json()["items"])
    # Another account's token is refused on each of them alike.
    other = botaz.account("Other")
    mid = results["POST /api/messages"].json()["_id"]
    r = botaz.client.get(f"/api/messages/{mid}", headers=other.headers)
    assert r.status_code == 404 and r.json()["status"] == "error"


def test_rate_limit_headers_on_every_seed_endpoint(tmp_path) -> None:
    with _rate_limited_server(tmp_path) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        b = Botaz(server.url, server.settings.database_url, client, server)
        acme = b.account()
        for name, r in _seed_calls(b, acme):
            assert r.status_code in (200, 201), (name, r.text)
            assert int(r.headers["x-ratelimit-limit"]) > 0, name
            assert "x-ratelimit-remaining" in r.headers, name
        # Without a token: 401, still JSON, still a request ID.
        r = client.get("/api/visitors")
        assert r.status_code == 401 and r.json()["status"] == "error"
        assert r.headers["x-request-id"]


def test_routing_literal_parameterised_slash_404_405(botaz) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    c, h = botaz.client, acme.headers
    # A literal path wins over a template of as many segments.
    r = c.get("/api/visitors/online", headers=h)
    assert r.status_code == 200 and "total" in r.json()
    assert c.get(f"/api/visitors/{vid}", headers=h).json()["_id"] == vid
    # Both spellings of the seed's POST.
    body = {"userId": acme.agent_id, "visitorId": vid, "text": "x"}
    assert c.post("/api/messages/", headers=h, json=body).status_code == 201
    assert c.post("/api/messages", headers=h, json=body).status_code == 201
    # 404: no such path; 405: the path exists, not with this method (and Allow says which).
    r = c.get("/api/messages/a/b", headers=h)
    assert r.status_code == 404 and r.json() == {"status": "error", "message": "Not found."}
    r = c.patch("/api/messages/abc", headers=h)
    assert r.status_code == 405 and r.json() == {"status": "error", "message": "Method not allowed."}
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "DELETE"}
    r = c.get("/api/messages/", headers=h)  # POST only
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    # A known path with a trailing slash added is redirected to it.
    r = c.get("/api/visitors/", headers=h)
    assert r.status_code == 307 and r.headers["location"] == "/api/visitors"
    # An empty segment is no parameter.
    assert c.get("/api/visitors//messages", headers=h).status_code == 404
    # A path parameter holding the rest of the path (dashboard assets).
    r = c.get("/dashboard/assets/nothing/here.js")
    assert r.status_code == 404 and r.json()["status"] == "error"


def test_every_registered_endpoint_is_served(botaz) -> None:
    """No endpoint of the registry answers the router's 404/405: each one has a route."""
    for ep in ENDPOINTS:
        for path in ep.paths:
            url = path.replace("{path:path}", "x/y.js")
            while "{" in url:
                start = url.index("{")
                url = url[:start] + "zz" + url[url.index("}", start) + 1:]
            r = botaz.client.request(ep.method, url)
            assert r.status_code != 405, (ep.method, path)
            if r.status_code == 404 and r.headers.get("content-type") == "application/json":
                assert r.json()["message"] != "Not found." or "{" in path, (ep.method, path, r.text)


def test_unhandled_errors_are_logged_with_the_request_id(botaz, monkeypatch, caplog) -> None:
    acme = botaz.account()
    vid = botaz.visitor(acme)["visitorId"]
    mid = botaz.send(acme, vid)["_id"]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(chat_messages, "get_message", broken)
    monkeypatch.setattr(chat_messages, "do_send_agent_message", broken)
    with caplog.at_level(logging.ERROR, logger="botaz"):
        r = botaz.client.get(f"/api/messages/{mid}", headers=acme.headers | {"X-Request-ID": "rid-get-1"})
        r2 = botaz.client.post("/api/messages/", headers=acme.headers | {"X-Request-ID": "rid-post-2"},
                               json={"userId": acme.agent_id, "visitorId": vid, "text": "x"})
    for resp, rid in ((r, "rid-get-1"), (r2, "rid-post-2")):
        assert resp.status_code == 500
        assert resp.json() == {"status": "error",
                               "message": "Something went wrong on our side; it has been logged."}
        assert resp.headers["x-request-id"] == rid
        logged = [rec for rec in caplog.records if rid in rec.getMessage()]
        assert logged and logged[0].exc_info is not None, [x.getMessage() for x in caplog.records]


def test_a_database_outage_is_503_with_retry_after_on_every_path(botaz, monkeypatch) -> None:
    acme = botaz.account()
    visitor = botaz.visitor(acme)
    vid = visitor["visitorId"]
    mid = botaz.send(acme, vid)["_id"]

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise Unavailable(retry_after=7)

    monkeypatch.setattr(deps, "authenticate_token", down)
    monkeypatch.setattr(deps, "authenticate_visitor", down)
    monkeypatch.setattr(deps, "authenticate_session", down)
    c, h = botaz.client, acme.headers
    responses = {
        "GET message": c.get(f"/api/messages/{mid}", headers=h),
        "POST message": c.post("/api/messages/", headers=h,
                               json={"userId": acme.agent_id, "visitorId": vid, "text": "x"}),
        "PUT message": c.put(f"/api/messages/{mid}", headers=h, json={"text": "y"}),
        "GET visitor": c.get(f"/api/visitors/{vid}", headers=h),
        "GET visitors": c.get("/api/visitors", headers=h),
        "widget": c.get("/widget/v1/me", headers=vheaders(visitor)),
        "session": c.get("/auth/me", cookies={"botaz_session": "x"}),
    }
    for name, r in responses.items():
        assert r.status_code == 503, (name, r.text)
        assert r.headers["retry-after"] == "7", name
        assert r.json()["status"] == "error", name
    assert responses["widget"].headers["access-control-allow-origin"] == "*"


def _observable(r: httpx.Response) -> tuple[Any, ...]:
    skip = {"x-request-id", "date", "content-length", "x-ratelimit-reset", "server"}
    headers = sorted(k for k in r.headers if k not in skip)
    body = r.json() if r.headers.get("content-type") == "application/json" else r.text
    if isinstance(body, dict):  # the same shape; IDs and times differ between two servers
        body = sorted(body)
    return r.status_code, headers, body


def test_the_access_log_changes_nothing_but_the_log(tmp_path, monkeypatch, caplog) -> None:
    def run(directory: str) -> list[tuple[Any, ...]]:
        (tmp_path / directory).mkdir()
        settings = Settings(database_url=f"sqlite:///{tmp_path}/{directory}/a.db", rate_limits=True,
                            data_dir=str(tmp_path / directory / "data"))
        with ServerThread(settings) as server, \
                httpx.Client(base_url=server.url, timeout=10) as client:
            b = Botaz(server.url, settings.database_url, client, server)
            acme = b.account()
            seen = [_observable(r) for _, r in _seed_calls(b, acme)]
            seen.append(_observable(client.get("/api/messages/nope", headers=acme.headers)))
            seen.append(_observable(client.get("/api/visitors")))
            seen.append(_observable(client.patch("/api/visitors")))
            seen.append(_observable(client.get("/healthz")))
            return seen

    without = run("off")
    monkeypatch.setenv("BOTAZ_ACCESS_LOG", "1")
    with caplog.at_level(logging.INFO, logger="botaz.access"):
        with_log = run("on")
    assert with_log == without
    lines = [rec for rec in caplog.records if rec.name == "botaz.access"]
    assert {(rec.method, rec.path.split("/")[2] if rec.path.count("/") > 1 else rec.path)
            for rec in lines} >= {("GET", "messages"), ("POST", "messages"), ("PUT", "visitors")}
    assert all(isinstance(rec.status, int) for rec in lines)


@pytest.mark.parametrize("path", ["/widget/v1/config", "/attachments/x", "/widget.js"])
def test_widget_preflight_and_cors(botaz, path: str) -> None:
    r = botaz.client.options(path)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in r.headers["access-control-allow-headers"]
    r = botaz.client.get(path)
    assert r.headers["access-control-allow-origin"] == "*"
    assert "X-Request-ID" in r.headers["access-control-expose-headers"]
    # Not on the agents' API.
    assert "access-control-allow-origin" not in botaz.client.get("/api/visitors").headers
