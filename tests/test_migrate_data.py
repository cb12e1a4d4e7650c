"""`botaz migrate-data`: a SQLite installation made through the API moves to PostgreSQL intact.

The source is filled by a real server (accounts, agents, tokens, visitors, messages edited, deleted
and seen, attachments, pages, notes, canned responses, settings, bot, webhooks with deliveries,
dashboard sessions), the command runs as users run it, and a server on PostgreSQL must then answer
every read exactly as the SQLite server did, with the same tokens, and carry on writing.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from botaz.config import Settings
from botaz.store.transfer import SKIPPED_PREFIXES
from tests.conftest import Botaz, Receiver, ServerThread, drop_pg_database, pg_admin_url

pytestmark = pytest.mark.skipif(not pg_admin_url(), reason="BOTAZ_TEST_DATABASE_URL is not set")

BOTAZ = [sys.executable, "-m", "botaz"]
# The tables this test fills; every table of the schema is copied and compared, these too.
FILLED = {"accounts", "agents", "api_tokens", "visitors", "visitor_agents", "messages",
          "visitor_pages", "attachments", "sessions", "throttle", "notes", "canned", "events",
          "webhooks", "deliveries", "bots"}


def run(args: list[str], database_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BOTAZ_DATABASE_URL"}
    if database_url:
        env["BOTAZ_DATABASE_URL"] = database_url
    return subprocess.run(BOTAZ + args, env=env, capture_output=True, text=True, timeout=180)


def migrate_data(source: str, target: str) -> subprocess.CompletedProcess:
    return run(["migrate-data", "--from", source, "--to", target])


def error_of(r: subprocess.CompletedProcess) -> dict[str, Any]:
    """The JSON error: the last line of stderr (progress lines may come before it)."""
    return json.loads(r.stderr.strip().splitlines()[-1])


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; sorting text like most installations do (ICU en-US,
    where 'B' sorts between 'a' and 'c', unlike SQLite), when the server has ICU."""
    admin = pg_admin_url()
    assert admin
    name = "botaz_test_" + secrets.token_hex(6)
    with psycopg.connect(admin, autocommit=True) as conn:
        try:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                         "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
        except psycopg.Error:
            conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    try:
        yield url
    finally:
        drop_pg_database(url)


def tables_of(url: str) -> set[str]:
    """Every table of the schema, as the source has it (the schema grows with migrations)."""
    conn = sqlite3.connect(url[len("sqlite:///"):])
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    # articles_fts*, messages_fts*...: SQLite's full-text indexes, which PostgreSQL keeps on the
    # tables themselves
    return {name for (name,) in rows if not name.startswith(SKIPPED_PREFIXES)} - {
        "sqlite_sequence", "schema_migrations"}


def counts_sqlite(url: str) -> dict[str, int]:
    conn = sqlite3.connect(url[len("sqlite:///"):])
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables_of(url)}
    finally:
        conn.close()


def counts_pg(url: str, tables: set[str]) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


def settings_for(database_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=database_url, rate_limits=False, data_dir=str(data_dir),
                    webhooks_allow_private=True, webhook_poll_interval=0.05,
                    webhook_backoff_scale=0.001)


def vheaders(v: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {v['visitorToken']}"}


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


# --- the installation ------------------------------------------------------------------------

def populate(b: Botaz, receiver: Receiver) -> dict[str, Any]:
    """Everything an installation holds, made through the API as users make it."""
    c = b.client
    acme = b.account("Acme")
    other = b.account("Other Ltd")
    owner = acme.headers

    hook = ok(c.post("/api/webhooks", headers=owner, json={
        "url": receiver.url + "/hook", "events": ["message.created", "message.updated",
                                                  "message.deleted", "visitor.updated"]}), 201)
    ok(c.put("/api/settings", headers=owner, json={
        "preform": {"enabled": True, "fields": ["name", "email"]},
        "widget": {"greeting": "Salam! Necə kömək edək?", "color": "#2563eb", "title": "Chat"}}))
    ok(c.put("/api/bot", headers=owner, json={"greeting": "Hi from the bot", "idleMinutes": 5}))

    second = ok(c.post("/api/agents", headers=owner, json={
        "name": "Leyla", "email": "leyla@example.com", "password": "leyla-pass-1"}), 201)
    second_token = second["apiToken"]
    extra = acme.add_agent("Rauf")
    made = ok(c.post("/api/tokens", headers=owner, json={"label": "CRM sync"}), 201)
    revoked = ok(c.post("/api/tokens", headers=owner, json={"label": "old"}), 201)
    ok(c.delete(f"/api/tokens/{revoked['_id']}", headers=owner), 204)
    agents = ok(c.get("/api/agents", headers=owner))["items"]
    second_id = next(a["_id"] for a in agents if a["name"] == "Leyla")

    visitors = []
    for i in range(7):
        visitors.append(b.visitor(acme, userAgent=f"Mozilla/5.0 visitor {i}"))
    b.visitor(other)
    v0, v1, v2 = (v["visitorId"] for v in visitors[:3])

    # A conversation: the visitor writes, two agents answer (the second agent first, so the
    # visitor's agents list is not alphabetical), one answer is edited, one deleted.
    asked = ok(c.post("/widget/v1/messages", headers=vheaders(visitors[0]),
                      json={"text": "Salam, I need help 🙂 with \"quotes\", \\backslash\\ and\ttabs"}), 201)
    first = b.send(acme, v0, "Hello from Leyla", user_id=second_id)
    time.sleep(0.01)
    answer = b.send(acme, v0, "Line one\nline two — ünicode ə ğ ş", user_id=acme.agent_id)
    edited = b.send(acme, v0, "Tpyo here")
    ok(c.put(f"/api/messages/{edited['_id']}", headers=owner, json={"text": "Typo fixed"}))
    deleted = b.send(acme, v0, "This goes away")
    ok(c.delete(f"/api/messages/{deleted['_id']}", headers=owner), 200)
    # The agent sees the visitor's message; the visitor sees the agents' answers.
    ok(c.post(f"/api/visitors/{v0}/seen", headers=owner, json={"messageId": asked["_id"]}))
    ok(c.post("/widget/v1/seen", headers=vheaders(visitors[0]), json={"messageId": answer["_id"]}))
    for i in range(5):
        b.send(acme, v1, f"message {i}")
    ok(c.post("/widget/v1/messages", headers=vheaders(visitors[1]), json={"text": "thanks"}), 201)
    upload = ok(c.post("/widget/v1/attachments", headers=vheaders(visitors[1]) | {
        "Content-Type": "text/plain", "X-Filename": "notes.txt"}, content=b"file body\n"), 201)
    ok(c.post("/widget/v1/pages", headers=vheaders(visitors[2]), json={
        "url": "https://shop.example/cart", "title": "Cart", "referrer": "https://search.example/"}), 201)
    ok(c.post("/widget/v1/pages", headers=vheaders(visitors[2]), json={"url": "https://shop.example/pay"}), 201)

    ok(c.put(f"/api/visitors/{v0}", headers=owner, json={
        "name": "Anar Hasanzade", "email": "anar@example.com", "phone": "+994124801574",
        "notes": "Asked about new functionality"}))
    ok(c.put(f"/api/visitors/{v1}", headers=owner, json={"email": None, "phone": "+1 555 0100"}))
    ok(c.post(f"/api/visitors/{visitors[3]['visitorId']}/ban", headers=owner))
    ok(c.post(f"/api/conversations/{v0}/assign", headers=owner, json={"agentId": second_id}))
    ok(c.post(f"/api/conversations/{v1}/status", headers=owner, json={"status": "resolved"}))
    ok(c.post(f"/api/conversations/{v0}/notes", headers=owner, json={"text": "VIP customer"}), 201)
    ok(c.post(f"/api/conversations/{v0}/notes", headers=owner, json={"text": "Called back"}), 201)
    for shortcut in ("hello", "bye", "price"):
        ok(c.post("/api/canned", headers=owner, json={"shortcut": shortcut, "text": f"{shortcut}!"}), 201)
    canned = ok(c.get("/api/canned", headers=owner))["items"]
    ok(c.put(f"/api/canned/{canned[0]['_id']}", headers=owner, json={"text": "edited canned"}))
    ok(c.delete(f"/api/canned/{canned[1]['_id']}", headers=owner), 204)

    # A dashboard session and a throttled failed sign-in.
    session = httpx.Client(base_url=b.url, timeout=10)
    email = ok(c.get("/auth/me", headers=owner))["agent"]["email"]
    assert session.post("/auth/login", json={"email": email, "password": "secret-pass"}).status_code == 200
    assert c.post("/auth/login", json={"email": email, "password": "wrong"}).status_code == 401
    cookies = dict(session.cookies)
    session.close()

    # Webhook deliveries settle (delivered) before the server stops.
    deadline = time.monotonic() + 20
    while True:
        items = ok(c.get(f"/api/webhooks/{hook['_id']}/deliveries?limit=100", headers=owner))["items"]
        if items and all(d["status"] == "delivered" for d in items):
            break
        assert time.monotonic() < deadline, items
        time.sleep(0.05)

    tokens = {"owner": acme.token, "other": other.token, "second": second_token,
              "extra": extra["apiToken"], "made": made["token"], "revoked": revoked["token"]}
    for token in tokens.values():  # every live token has been used once
        c.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    return {
        "acme": acme, "other": other, "tokens": tokens,
        "visitors": visitors, "hook": hook["_id"], "cookies": cookies,
        "messages": [asked["_id"], first["_id"], answer["_id"], edited["_id"], deleted["_id"],
                     upload["_id"]],
    }


def walk(c: httpx.Client, path: str, headers: dict[str, str], limit: int) -> list[Any]:
    """Every page of a cursor-paginated list, as answered."""
    pages, cursor = [], None
    while True:
        url = f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = ok(c.get(url, headers=headers))
        pages.append(page)
        cursor = page.get("next")
        if not cursor:
            return pages


def snapshot(c: httpx.Client, data: dict[str, Any]) -> dict[str, Any]:
    """What the installation answers: every read the data feeds, keyed by request."""
    owner = data["acme"].headers
    out: dict[str, Any] = {}

    def get(path: str, headers: dict[str, str] = owner, **kw: Any) -> None:
        r = c.get(path, headers=headers, **kw)
        out[path + " " + json.dumps(sorted(headers.items()))[:40]] = (r.status_code, r.json())

    for mid in data["messages"]:
        get(f"/api/messages/{mid}")
    for v in data["visitors"]:
        vid = v["visitorId"]
        get(f"/api/visitors/{vid}")
        get(f"/api/conversations/{vid}")
        get(f"/api/conversations/{vid}/notes")
        out[f"messages of {vid}"] = walk(c, f"/api/visitors/{vid}/messages", owner, 2)
        out[f"pages of {vid}"] = walk(c, f"/api/visitors/{vid}/pages", owner, 1)
        get("/widget/v1/me", vheaders(v))
        get("/widget/v1/messages", vheaders(v))
    out["visitors"] = walk(c, "/api/visitors", owner, 3)
    out["agents"] = walk(c, "/api/agents", owner, 2)
    out["conversations"] = walk(c, "/api/conversations", owner, 2)
    # A token's lastUsedAt moves on as the token is used (at most once a minute), reads
    # included: compare whether each was used, its other fields exactly.
    tokens = ok(c.get("/api/tokens", headers=owner))
    out["tokens"] = [t | {"lastUsedAt": t["lastUsedAt"] is not None} for t in tokens["items"]]
    for path in ("/api/canned", "/api/settings", "/api/bot", "/api/webhooks",
                 f"/api/webhooks/{data['hook']}"):
        get(path)
    out["deliveries"] = walk(c, f"/api/webhooks/{data['hook']}/deliveries", owner, 3)
    get(f"/widget/v1/config?siteKey={data['acme'].site_key}", {})
    for name, token in data["tokens"].items():
        get("/auth/me", {"Authorization": f"Bearer {token}"})
    r = c.get("/auth/me", cookies=data["cookies"])
    out["session"] = (r.status_code, r.json())
    attachment = next(m for m in out[f"messages of {data['visitors'][1]['visitorId']}"][0]["items"]
                      if m.get("attachment"))
    r = c.get(attachment["attachment"]["url"], headers=owner)
    out["attachment file"] = (r.status_code, r.content.decode())
    return out


# --- tests -----------------------------------------------------------------------------------

def test_sqlite_installation_moves_to_postgresql(tmp_path: Path, pg_url: str, receiver: Receiver) -> None:
    source = f"sqlite:///{tmp_path}/botaz.db"
    data_dir = tmp_path / "data"
    with ServerThread(settings_for(source, data_dir)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        b = Botaz(server.url, source, client, server)
        data = populate(b, receiver)
        before = snapshot(client, data)
    source_counts = counts_sqlite(source)
    tables = set(source_counts)
    assert FILLED <= tables and all(source_counts[t] > 0 for t in FILLED), source_counts

    r = migrate_data(source, pg_url)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["ok"] is True
    assert set(result["tables"]) == tables
    assert {t: v["rows"] for t, v in result["tables"].items()} == source_counts
    assert all(len(v["checksum"]) == 64 for v in result["tables"].values())
    assert counts_pg(pg_url, tables) == source_counts
    assert "verified" in r.stderr

    with ServerThread(settings_for(pg_url, data_dir)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        after = snapshot(client, data)
        assert after.keys() == before.keys()
        for key in before:
            assert after[key] == before[key], key
        # Spot checks of what the comparison covers.
        v0 = data["visitors"][0]["visitorId"]
        visitor = ok(client.get(f"/api/visitors/{v0}", headers=data["acme"].headers))
        assert len(visitor["agents"]) == 2 and visitor["name"] == "Anar Hasanzade"
        assert client.get("/auth/me", headers={
            "Authorization": f"Bearer {data['tokens']['revoked']}"}).status_code == 401

        # Writing carries on after the copied rows: the identity sequences were moved on.
        b = Botaz(server.url, pg_url, client, server)
        new = b.send(data["acme"], v0, "After the move")
        newest = ok(client.get(f"/api/visitors/{v0}/messages?limit=1", headers=data["acme"].headers))
        assert newest["items"][0]["_id"] == new["_id"]
        ok(client.post("/widget/v1/messages", headers=vheaders(data["visitors"][0]),
                       json={"text": "and the visitor too"}), 201)
        fresh = b.visitor(data["acme"])
        listed = ok(client.get("/api/visitors?limit=1", headers=data["acme"].headers))
        assert listed["items"][0]["_id"] == fresh["visitorId"]
        ok(client.post(f"/api/conversations/{v0}/notes", headers=data["acme"].headers,
                       json={"text": "after"}), 201)
        ok(client.post("/api/canned", headers=data["acme"].headers,
                       json={"shortcut": "after", "text": "after"}), 201)
        b.account("Newcomer")

    # A second run into the now-filled database is refused and changes nothing.
    counts = counts_pg(pg_url, tables)
    r = migrate_data(source, pg_url)
    assert r.returncode == 2 and r.stdout == ""
    error = json.loads(r.stderr)
    assert error["status"] == "error" and "not empty" in error["message"]
    assert counts_pg(pg_url, tables) == counts


def create_account(database_url: str, name: str) -> dict[str, str]:
    r = run(["create-account", "--name", name, "--agent-name", "Anar", "--agent-email",
             f"{secrets.token_hex(4)}@example.com", "--json"], database_url)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_refuses_a_target_that_already_has_accounts(tmp_path: Path, pg_url: str) -> None:
    source = f"sqlite:///{tmp_path}/botaz.db"
    create_account(source, "Acme")
    create_account(pg_url, "Already here")
    before = counts_pg(pg_url, tables_of(source))
    r = migrate_data(source, pg_url)
    assert r.returncode == 2 and r.stdout == ""
    error = json.loads(r.stderr)
    assert error["status"] == "error" and "accounts" in error["message"]
    assert counts_pg(pg_url, tables_of(source)) == before


def test_refuses_a_missing_source_without_creating_it(tmp_path: Path, pg_url: str) -> None:
    r = migrate_data(f"sqlite:///{tmp_path}/typo.db", pg_url)
    assert r.returncode == 2 and error_of(r)["status"] == "error"
    assert not (tmp_path / "typo.db").exists()
    r = migrate_data(pg_url, pg_url)
    assert r.returncode == 2 and "--from" in error_of(r)["message"]


def test_a_failed_copy_leaves_the_target_empty(tmp_path: Path, pg_url: str) -> None:
    """PostgreSQL cannot store a NUL character: the copy fails part-way and is rolled back."""
    source = f"sqlite:///{tmp_path}/botaz.db"
    create_account(source, "Acme")
    acme = create_account(source, "Beta")
    conn = sqlite3.connect(source[len("sqlite:///"):])
    with conn:
        conn.execute("UPDATE agents SET name = ? WHERE id = ?", ("bad\x00name", acme["agentId"]))
    conn.close()
    r = migrate_data(source, pg_url)
    assert r.returncode == 1 and r.stdout == ""
    error = error_of(r)
    assert error["status"] == "error" and "agents" in error["message"]
    assert set(counts_pg(pg_url, tables_of(source)).values()) == {0}
    # Once the row is fixed, the same target takes the copy.
    conn = sqlite3.connect(source[len("sqlite:///"):])
    with conn:
        conn.execute("UPDATE agents SET name = 'good name' WHERE id = ?", (acme["agentId"],))
    conn.close()
    r = migrate_data(source, pg_url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tables"]["accounts"]["rows"] == 2
    assert counts_pg(pg_url, tables_of(source)) == counts_sqlite(source)


def test_a_difference_found_by_verification_rolls_back(tmp_path: Path, pg_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """If the target read back differs from the source in any table, nothing is committed."""
    import asyncio

    from botaz.store import transfer

    source = f"sqlite:///{tmp_path}/botaz.db"
    create_account(source, "Acme")
    real = transfer.pg_checksum

    async def altered(conn: Any, table: Any, text_columns: set[str]) -> Any:
        checksum = await real(conn, table, text_columns)
        if table.name == "agents":  # as if one value had changed on the way
            checksum.add(["changed"])
        return checksum

    monkeypatch.setattr(transfer, "pg_checksum", altered)
    with pytest.raises(transfer.TransferError) as caught:
        asyncio.run(transfer.migrate_data(source, pg_url))
    assert caught.value.exit_code == 1
    assert "verification failed" in caught.value.message and "agents" in caught.value.message
    assert set(counts_pg(pg_url, tables_of(source)).values()) == {0}
