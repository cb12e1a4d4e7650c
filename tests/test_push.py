"""Web Push end to end: botaz pushes to a push service on 127.0.0.1 that checks what a real one
checks (the VAPID JWT of RFC 8292) and a browser that decrypts the payload (RFC 8291, written here
with `cryptography` alone, not with the library botaz encrypts with)."""

from __future__ import annotations

import base64
import http.server
import json
import os
import secrets
import threading
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


class Browser:
    """A subscribed browser: its P-256 key pair and auth secret, as pushManager.subscribe() makes."""

    def __init__(self, service: "PushService", name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                         serialization.PublicFormat.UncompressedPoint)
        self.auth = secrets.token_bytes(16)
        self.endpoint = f"{service.url}/push/{name}"
        self.name = name

    def subscription(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(self.public), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        """RFC 8291 with RFC 8188's aes128gcm: one record, padding delimiter 2."""
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        server_public = body[21:21 + idlen]
        ciphertext = body[21 + idlen:]
        assert idlen == 65 and rs >= 18 and len(ciphertext) <= rs
        shared = self.key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), server_public))
        ikm = hkdf(self.auth, shared, b"WebPush: info\x00" + self.public + server_public, 32)
        cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
        assert padded.endswith(b"\x02"), "the last record ends with delimiter 2"
        return json.loads(padded[:-1])


class PushService:
    """A push service on 127.0.0.1: refuses a push whose VAPID JWT is not valid (RFC 8292)."""

    def __init__(self) -> None:
        self.pushes: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.answers: dict[str, list[int]] = {}  # browser name -> statuses to answer, in order
        self.vapid_key: str | None = None  # the server's public key, once the test knows it
        self.lock = threading.Lock()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                name = self.path.rsplit("/", 1)[-1]
                problem = service.check(dict(self.headers), body)
                with service.lock:
                    if problem:
                        service.refused.append(problem)
                        status = 403
                    else:
                        queued = service.answers.get(name) or []
                        status = queued.pop(0) if queued else 201
                        service.pushes.append({"browser": name, "headers": dict(self.headers),
                                               "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, headers: dict[str, str], body: bytes) -> str | None:
        auth = headers.get("Authorization", "")
        if not auth.startswith("vapid "):
            return f"no vapid authorization: {auth!r}"
        params = dict(part.strip().split("=", 1) for part in auth[len("vapid "):].split(","))
        token, key = params.get("t", ""), params.get("k", "")
        if self.vapid_key is not None and key != self.vapid_key:
            return "k is not the server's VAPID public key"
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            header = json.loads(unb64url(head_b64))
            claims = json.loads(unb64url(claims_b64))
            sig = unb64url(sig_b64)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            public.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                               int.from_bytes(sig[32:], "big")),
                          f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except Exception as exc:  # noqa: BLE001 - any flaw is a refusal
            return f"bad JWT: {exc!r}"
        if header.get("alg") != "ES256" or len(sig) != 64:
            return f"bad JWT header {header}"
        if claims.get("aud") != self.url:
            return f"aud {claims.get('aud')} is not {self.url}"
        if not (time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600):
            return f"exp {claims.get('exp')} not within 24 hours"
        if claims.get("sub") != "mailto:botaz@localhost":  # the default: mailto: BOTAZ_MAIL_FROM
            return f"sub {claims.get('sub')} is not mailto:botaz@localhost"
        if headers.get("Content-Encoding") != "aes128gcm" or not headers.get("TTL", "").isdigit():
            return "Content-Encoding aes128gcm and TTL are required"
        if not body:
            return "empty body"
        return None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                assert not self.refused, self.refused
                if len(self.pushes) >= count:
                    return list(self.pushes)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} pushes, got {len(self.pushes)}: {self.refused}")

    def quiet(self, seconds: float = 0.4) -> list[dict[str, Any]]:
        time.sleep(seconds)
        with self.lock:
            return list(self.pushes)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service() -> Any:
    s = PushService()
    yield s
    s.close()


def agent_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def subscribe(botaz, token: str, browser: Browser) -> dict[str, Any]:
    r = botaz.client.post("/api/push/subscriptions", headers=agent_headers(token),
                          json=browser.subscription())
    assert r.status_code == 201, r.text
    return r.json()


def set_prefs(botaz, token: str, **prefs: Any) -> None:
    r = botaz.client.put("/auth/me/preferences", headers=agent_headers(token), json=prefs)
    assert r.status_code == 200, r.text


def visitor_writes(botaz, acme, text: str, visitor: dict | None = None) -> dict[str, Any]:
    if visitor is None:
        visitor = botaz.visitor(acme)
        r = botaz.client.put(f"/api/visitors/{visitor['visitorId']}", headers=acme.headers,
                             json={"name": "Aysel"})
        assert r.status_code == 200, r.text
    r = botaz.client.post("/widget/v1/messages", json={"text": text},
                          headers={"Authorization": f"Bearer {visitor['visitorToken']}"})
    assert r.status_code == 201, r.text
    return visitor


def test_push_end_to_end_verified_and_decrypted(botaz, service) -> None:
    acme = botaz.account()
    key = botaz.client.get("/api/push/key", headers=acme.headers)
    assert key.status_code == 200
    public = key.json()["publicKey"]
    assert len(unb64url(public)) == 65 and unb64url(public)[0] == 4
    # The same key on every call (kept per installation), and only for agents.
    assert botaz.client.get("/api/push/key", headers=acme.headers).json()["publicKey"] == public
    assert botaz.client.get("/api/push/key").status_code == 401
    service.vapid_key = public

    browser = Browser(service, "owner-laptop")
    sub = subscribe(botaz, acme.token, browser)
    assert sub["endpoint"] == browser.endpoint and sub["lastSuccessAt"] is None
    long_text = "Salam! " + "I need help with my order, please. " * 20
    visitor = visitor_writes(botaz, acme, long_text)
    push = service.wait_for(1)[0]
    assert push["browser"] == "owner-laptop"
    assert push["headers"]["Urgency"] == "high" and push["headers"]["Topic"] == visitor["visitorId"]
    payload = browser.decrypt(push["body"])
    assert payload["title"] == "Aysel"
    assert payload["body"].startswith("Salam! I need help") and payload["body"].endswith("…")
    assert len(payload["body"]) <= 180
    assert payload["url"] == f"/chat/{visitor['visitorId']}"
    assert payload["tag"] == f"botaz-{visitor['visitorId']}" and payload["kind"] == "message"
    # The push service's acceptance is recorded on the subscription.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        items = botaz.client.get("/api/push/subscriptions", headers=acme.headers).json()["items"]
        if items[0]["lastSuccessAt"]:
            break
        time.sleep(0.05)
    assert items[0]["lastSuccessAt"] and items[0]["lastError"] is None
    # A test push reaches the same browser.
    r = botaz.client.post("/api/push/test", headers=acme.headers)
    assert r.status_code == 202 and r.json() == {"queued": 1}
    assert browser.decrypt(service.wait_for(2)[1]["body"])["kind"] == "test"


def test_each_agent_choice_is_respected(botaz, service) -> None:
    acme = botaz.account()
    mine = acme.add_agent("Mina")
    unassigned = acme.add_agent("Umid")
    everything = acme.add_agent("Hamid")
    bot = acme.add_agent("Bot", bot=True)
    browsers = {}
    for name, agent, scope in (("mina", mine, "mine"), ("umid", unassigned, "unassigned"),
                               ("hamid", everything, "all")):
        set_prefs(botaz, agent["apiToken"], alertsFor=scope)
        browsers[name] = Browser(service, name)
        subscribe(botaz, agent["apiToken"], browsers[name])
    # A bot cannot be alerted even if it subscribed; the owner switched pushes off.
    subscribe(botaz, bot["apiToken"], Browser(service, "bot"))
    set_prefs(botaz, acme.token, alertPush=False)
    subscribe(botaz, acme.token, Browser(service, "owner"))

    visitor = visitor_writes(botaz, acme, "Is anyone there?")
    service.wait_for(2)
    got = service.quiet()
    assert sorted(p["browser"] for p in got) == ["hamid", "umid"]

    # Assigned to Mina by the owner: Mina is told so, whatever her choice.
    r = botaz.client.post(f"/api/conversations/{visitor['visitorId']}/assign",
                          headers=acme.headers, json={"agentId": mine["agentId"]})
    assert r.status_code == 200, r.text
    assigned = service.wait_for(3)[2]
    assert assigned["browser"] == "mina"
    payload = browsers["mina"].decrypt(assigned["body"])
    assert payload["kind"] == "assigned" and payload["title"] == "Conversation assigned to you"
    assert payload["body"] == "Anar assigned Aysel to you." and payload["url"] == f"/chat/{visitor['visitorId']}"
    assert len(service.quiet()) == 3

    # Now the conversation is Mina's: Mina and Hamid (all) hear of the next message, Umid not.
    visitor_writes(botaz, acme, "Hello again", visitor)
    service.wait_for(5)
    got = service.quiet()
    assert sorted(p["browser"] for p in got[3:]) == ["hamid", "mina"]
    assert browsers["mina"].decrypt(got[3]["body"] if got[3]["browser"] == "mina" else got[4]["body"])["body"] == "Hello again"

    # Assigning a conversation to yourself alerts no one.
    r = botaz.client.post(f"/api/conversations/{visitor['visitorId']}/assign",
                          headers=agent_headers(unassigned["apiToken"]),
                          json={"agentId": unassigned["agentId"]})
    assert r.status_code == 200
    assert len(service.quiet()) == 5


def test_gone_subscription_is_removed_and_failures_retried(botaz, service) -> None:
    acme = botaz.account()
    gone = Browser(service, "gone")
    flaky = Browser(service, "flaky")
    subscribe(botaz, acme.token, gone)
    subscribe(botaz, acme.token, flaky)
    service.answers = {"gone": [410], "flaky": [503, 500]}
    visitor_writes(botaz, acme, "Anyone?")
    pushes = service.wait_for(4)
    assert [p["status"] for p in pushes if p["browser"] == "flaky"] == [503, 500, 201]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        items = botaz.client.get("/api/push/subscriptions", headers=acme.headers).json()["items"]
        if [i["endpoint"] for i in items] == [flaky.endpoint]:
            break
        time.sleep(0.05)
    assert [i["endpoint"] for i in items] == [flaky.endpoint]
    # The browser that is gone gets nothing more.
    visitor_writes(botaz, acme, "Still there?")
    service.wait_for(5)
    assert [p["browser"] for p in service.quiet()[4:]] == ["flaky"]


def test_no_push_while_a_dashboard_is_open(botaz, service) -> None:
    from websockets.sync.client import connect

    acme = botaz.account()
    subscribe(botaz, acme.token, Browser(service, "phone"))
    email = next(a["email"] for a in botaz.client.get("/api/agents", headers=acme.headers).json()["items"])
    with httpx.Client(base_url=botaz.url) as browser:  # the dashboard's own sign-in and socket
        r = browser.post("/auth/login", json={"email": email, "password": "secret-pass"})
        assert r.status_code == 200, r.text
        ws_url = botaz.url.replace("http://", "ws://") + "/api/ws"
        with connect(ws_url, additional_headers={"Cookie": f"botaz_session={browser.cookies['botaz_session']}",
                                                 "Origin": botaz.url}) as ws:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if botaz.client.get("/auth/me", headers=acme.headers).json()["agent"]["online"]:
                    break
                time.sleep(0.05)
            visitor_writes(botaz, acme, "You are online, no push needed")
            ws.recv(timeout=5)
            assert service.quiet() == []
    time.sleep(0.3)
    visitor_writes(botaz, acme, "Now the dashboard is closed")
    assert len(service.wait_for(1)) == 1


def _hub_tells_dashboards_apart() -> bool:
    from botaz.api.hub import Hub

    return hasattr(Hub, "dashboard_online")


@pytest.mark.skipif(not _hub_tells_dashboards_apart(),
                    reason="presence does not tell dashboard sockets from API-token sockets here")
def test_an_integrations_socket_does_not_stop_pushes(botaz, service) -> None:
    from websockets.sync.client import connect

    acme = botaz.account()
    subscribe(botaz, acme.token, Browser(service, "phone"))
    ws_url = botaz.url.replace("http://", "ws://") + f"/api/ws?token={acme.token}"
    with connect(ws_url) as ws:
        time.sleep(0.3)
        visitor_writes(botaz, acme, "The owner's server listens with the owner's token")
        ws.recv(timeout=5)
        assert len(service.wait_for(1)) == 1


def test_subscription_validation_and_ownership(botaz) -> None:
    acme = botaz.account()
    other = acme.add_agent("Other")
    good = {"endpoint": "http://127.0.0.1:9/push/x",
            "keys": {"p256dh": b64url(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)),
                "auth": b64url(os.urandom(16))}}
    cases = [
        ({**good, "endpoint": "ftp://push.example/x"}, "endpoint must be an https:// push service address."),
        ({"endpoint": good["endpoint"]}, "keys is required."),
        ({**good, "keys": {"auth": good["keys"]["auth"]}}, "keys.p256dh is required"),
        ({**good, "keys": {**good["keys"], "p256dh": b64url(b"\x04" + b"\x01" * 64)}},
         "keys.p256dh must be an uncompressed P-256 public key in base64url."),
        ({**good, "keys": {**good["keys"], "auth": b64url(b"short")}}, "keys.auth must be 16 bytes in base64url."),
        ({**good, "colour": "red"}, "colour is not an accepted field here"),
    ]
    for body, message in cases:
        r = botaz.client.post("/api/push/subscriptions", headers=acme.headers, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["status"] == "error" and r.json()["message"].startswith(message), r.text
    sub = botaz.client.post("/api/push/subscriptions", headers=acme.headers, json=good).json()
    # Another agent can neither see nor remove it.
    assert botaz.client.get("/api/push/subscriptions",
                            headers=agent_headers(other["apiToken"])).json() == {"items": []}
    r = botaz.client.delete(f"/api/push/subscriptions/{sub['_id']}", headers=agent_headers(other["apiToken"]))
    assert r.status_code == 404 and r.json()["message"] == "Push subscription not found."
    assert botaz.client.delete(f"/api/push/subscriptions/{sub['_id']}", headers=acme.headers).status_code == 204
    assert botaz.client.get("/api/push/subscriptions", headers=acme.headers).json() == {"items": []}
    # Preferences refuse a choice that does not exist.
    r = botaz.client.put("/auth/me/preferences", headers=acme.headers, json={"alertsFor": "some"})
    assert r.status_code == 400 and "alertsFor must be one of: mine, unassigned, all." in r.text
    prefs = botaz.client.get("/auth/me/preferences", headers=acme.headers).json()
    assert prefs | {"emailAlerts": True} == {"emailAlerts": True, "alertsFor": "unassigned",
                                             "alertSound": True, "alertDesktop": True, "alertPush": True}


def test_private_push_endpoints_refused_by_default(tmp_path) -> None:
    from botaz.config import Settings
    from tests.conftest import Botaz, ServerThread

    settings = Settings(database_url=f"sqlite:///{tmp_path}/p.db", rate_limits=False,
                        data_dir=str(tmp_path / "d"))
    with ServerThread(settings) as server, httpx.Client(base_url=server.url) as client:
        acme = Botaz(server.url, settings.database_url, client, server).account()
        body = {"endpoint": "https://127.0.0.1/push/1",
                "keys": {"p256dh": b64url(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)),
                    "auth": b64url(os.urandom(16))}}
        for endpoint in ("https://127.0.0.1/push/1", "https://localhost/p", "https://10.0.0.8/p",
                         "https://[::1]/p"):
            r = client.post("/api/push/subscriptions", json={**body, "endpoint": endpoint},
                            headers=acme.headers)
            assert r.status_code == 400, endpoint
            assert r.json()["message"] == "endpoint points to a private or loopback address."
        r = client.post("/api/push/subscriptions", json={**body, "endpoint": "http://push.example.com/1"},
                        headers=acme.headers)
        assert r.json()["message"] == "endpoint must be an https:// push service address."


def test_manifest_icons_and_service_worker(botaz) -> None:
    r = botaz.client.get("/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"] == "application/manifest+json"
    manifest = r.json()
    assert manifest["name"] == "botaz" and manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        got = botaz.client.get(icon["src"])
        assert got.status_code == 200 and got.headers["content-type"] == icon["type"], icon
        if icon["type"] == "image/png":
            png = got.content
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    r = botaz.client.get("/sw.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["service-worker-allowed"] == "/" and "showNotification" in r.text
    # The pages link the manifest; their CSP lets the worker and the manifest load from here.
    page = botaz.client.get("/login")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_vapid_subject_setting() -> None:
    from botaz.config import Settings

    assert Settings().vapid_contact() == "mailto:botaz@localhost"
    assert Settings(mail_from="ops@example.com").vapid_contact() == "mailto:ops@example.com"
    assert Settings(public_url="https://chat.example.com").vapid_contact() == "https://chat.example.com"
    assert Settings(public_url="http://chat.example.com").vapid_contact() == "mailto:botaz@localhost"
    env = {"BOTAZ_VAPID_SUBJECT": "mailto:push@example.com"}
    assert Settings.from_env(env).vapid_contact() == "mailto:push@example.com"
    with pytest.raises(ValueError, match="BOTAZ_VAPID_SUBJECT must be a mailto: or https://"):
        Settings.from_env({"BOTAZ_VAPID_SUBJECT": "push@example.com"})


def test_two_nodes_share_the_key_and_push_once(tmp_path_factory, service) -> None:
    from botaz.config import Settings
    from tests.conftest import (REDIS_ENV, Botaz, ServerThread, create_pg_database, drop_pg_database,
                                pg_admin_url)

    redis = os.environ.get(REDIS_ENV)
    if not redis or not pg_admin_url():
        pytest.skip(f"{REDIS_ENV} and BOTAZ_TEST_DATABASE_URL are needed")
    db = create_pg_database()
    settings = Settings(database_url=db, redis_url=redis, rate_limits=False,
                        data_dir=str(tmp_path_factory.mktemp("push-cluster")),
                        webhooks_allow_private=True, webhook_poll_interval=0.05,
                        webhook_backoff_scale=0.001)
    try:
        with ServerThread(settings) as a, ServerThread(settings) as b, \
                httpx.Client(base_url=a.url, timeout=10) as ca, httpx.Client(base_url=b.url, timeout=10) as cb:
            node_a, node_b = Botaz(a.url, db, ca, a), Botaz(b.url, db, cb, b)
            acme = node_a.account()
            key_a = ca.get("/api/push/key", headers=acme.headers).json()["publicKey"]
            assert cb.get("/api/push/key", headers=acme.headers).json()["publicKey"] == key_a
            service.vapid_key = key_a
            browser = Browser(service, "desk")
            subscribe(node_a, acme.token, browser)
            visitor = visitor_writes(node_b, acme, "one")
            for text in ("two", "three"):
                visitor_writes(node_a, acme, text, visitor)
            service.wait_for(3)
            pushes = service.quiet(0.6)
            assert sorted(browser.decrypt(p["body"])["body"] for p in pushes) == ["one", "three", "two"]
    finally:
        drop_pg_database(db)
