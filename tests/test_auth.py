"""Dashboard sign-in: cookie flags, CSRF, throttling, session fixation, password change."""

from __future__ import annotations

import json

import httpx
import pytest


def owner_email(botaz, acme) -> str:
    agents = botaz.client.get("/api/agents", headers=acme.headers).json()["items"]
    return next(a["email"] for a in agents if a["_id"] == acme.agent_id)


def login(botaz, email: str, password: str, client: httpx.Client | None = None) -> httpx.Response:
    return (client or botaz.client).post("/auth/login", json={"email": email, "password": password})


@pytest.fixture
def browser(botaz):
    with httpx.Client(base_url=botaz.url, timeout=10) as client:
        yield client


def test_login_sets_a_safe_cookie_and_csrf_is_enforced(botaz, browser) -> None:
    acme = botaz.account()
    email = owner_email(botaz, acme)
    r = login(botaz, email.upper(), "secret-pass", browser)
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["agent"]["_id"] == acme.agent_id and me["account"]["siteKey"] == acme.site_key
    cookie = r.headers["set-cookie"].lower()
    assert "botaz_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    csrf = me["csrfToken"]
    assert browser.get("/auth/me").json()["agent"]["_id"] == acme.agent_id
    assert browser.get("/api/agents").status_code == 200
    vid = botaz.visitor(acme)["visitorId"]
    body = {"userId": acme.agent_id, "visitorId": vid, "text": "from the dashboard"}
    r = browser.post("/api/messages/", json=body)
    assert r.status_code == 403 and "CSRF" in r.json()["message"]
    r = browser.post("/api/messages/", json=body, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    r = browser.post("/api/messages/", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    r = browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    assert browser.get("/auth/me").status_code == 401


def test_wrong_password_and_throttling(botaz) -> None:
    acme = botaz.account()
    email = owner_email(botaz, acme)
    r = login(botaz, email, "wrong")
    assert r.status_code == 401 and r.json()["status"] == "error"
    assert login(botaz, "nobody@example.com", "x").status_code == 401
    for _ in range(9):
        login(botaz, email, "wrong")
    r = login(botaz, email, "secret-pass")
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["status"] == "error"


def test_session_fixation_is_not_possible(botaz, browser) -> None:
    acme = botaz.account()
    email = owner_email(botaz, acme)
    browser.cookies.set("botaz_session", "planted-by-attacker")
    r = login(botaz, email, "secret-pass", browser)
    assert r.status_code == 200
    issued = r.cookies.get("botaz_session")
    assert issued and issued != "planted-by-attacker"
    with httpx.Client(base_url=botaz.url, cookies={"botaz_session": "planted-by-attacker"}) as attacker:
        assert attacker.get("/auth/me").status_code == 401


def test_password_change_ends_other_sessions(botaz, browser) -> None:
    acme = botaz.account()
    email = owner_email(botaz, acme)
    with httpx.Client(base_url=botaz.url, timeout=10) as other:
        assert login(botaz, email, "secret-pass", other).status_code == 200
        csrf = login(botaz, email, "secret-pass", browser).json()["csrfToken"]
        h = {"X-CSRF-Token": csrf}
        assert browser.post("/auth/password", json={"current": "nope", "new": "longer-pass"},
                            headers=h).status_code == 403
        assert browser.post("/auth/password", json={"current": "secret-pass", "new": "short"},
                            headers=h).status_code == 400
        assert browser.post("/auth/password", json={"current": "secret-pass", "new": "new-secret-1"},
                            headers=h).status_code == 204
        assert browser.get("/auth/me").status_code == 200
        assert other.get("/auth/me").status_code == 401
    assert login(botaz, email, "secret-pass").status_code == 401
    assert login(botaz, email, "new-secret-1").status_code == 200


def test_revoking_credentials_closes_open_sockets(botaz, browser) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    acme = botaz.account()
    ws_base = botaz.url.replace("http", "ws")
    made = botaz.client.post("/api/tokens", headers=acme.headers, json={"label": "socket"}).json()
    by_token = connect(f"{ws_base}/api/ws?token={made['token']}")
    other = connect(f"{ws_base}/api/ws?token={acme.token}")
    email = owner_email(botaz, acme)
    csrf = login(botaz, email, "secret-pass", browser).json()["csrfToken"]
    cookie = f"botaz_session={browser.cookies.get('botaz_session')}"
    by_session = connect(f"{ws_base}/api/ws", additional_headers={"Cookie": cookie})
    try:
        def only_availability(ws, timeout: float) -> None:
            """Reads until the socket closes or goes quiet; the owner's dashboard opening and
            closing (agent.availability) is all it may hear."""
            while True:
                assert json.loads(ws.recv(timeout=timeout))["event"] == "agent.availability"

        assert botaz.client.delete(f"/api/tokens/{made['_id']}", headers=acme.headers).status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            only_availability(by_token, 5)
        assert closed.value.rcvd.code == 4401
        assert browser.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            only_availability(by_session, 5)
        assert closed.value.rcvd.code == 4401
        with pytest.raises(TimeoutError):
            only_availability(other, 0.5)  # the owner's own token still holds
    finally:
        for ws in (by_token, other, by_session):
            ws.close()


def test_foreign_origin_cannot_use_the_session_socket(botaz, browser) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    acme = botaz.account()
    login(botaz, owner_email(botaz, acme), "secret-pass", browser)
    cookie = {"Cookie": f"botaz_session={browser.cookies.get('botaz_session')}"}
    url = botaz.url.replace("http", "ws") + "/api/ws"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=cookie, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    connect(url, additional_headers=cookie, origin=botaz.url).close()


def test_tokens_are_stored_only_as_hashes(botaz) -> None:
    import asyncio
    import hashlib

    from tests.conftest import _run

    acme = botaz.account()

    async def stored(chat):
        rows = await chat.store.db.fetchall("SELECT token_hash FROM api_tokens WHERE account_id = ?", (acme.id,))
        return [r["token_hash"] for r in rows]

    hashes = asyncio.run(_run(acme.database_url, stored))
    assert hashlib.sha256(acme.token.encode()).hexdigest() in hashes
    assert all(acme.token not in h for h in hashes)
