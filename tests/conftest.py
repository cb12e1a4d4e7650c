"""Fixtures: a real botaz server on 127.0.0.1 per database backend, and helpers to fill it.

Every API test runs against SQLite and, when BOTAZ_TEST_DATABASE_URL is set (as .ci/run does),
against a fresh PostgreSQL database created for the test module and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import uvicorn

from botaz.app import create_app
from botaz.chat.accounts import do_create_account, do_create_agent
from botaz.chat.context import Chat
from botaz.cli import uvicorn_options
from botaz.config import Settings
from botaz.events import EventBus
from botaz.store import Store

PG_ENV = "BOTAZ_TEST_DATABASE_URL"
REDIS_ENV = "BOTAZ_TEST_REDIS_URL"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """uvicorn serving create_app(settings) in a background thread: real sockets, real HTTP."""

    def __init__(self, settings: Settings, port: int | None = None) -> None:
        self.settings = settings.with_(port=port or free_port())
        self.app = create_app(self.settings)
        options = uvicorn_options(self.settings.with_(host="127.0.0.1"))
        config = uvicorn.Config(self.app, **{**options, "log_level": "warning"})
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.settings.port}"

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("botaz test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def create_pg_database() -> str:
    import psycopg

    admin = pg_admin_url()
    assert admin
    name = "botaz_test_" + secrets.token_hex(6)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def drop_pg_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("botaz")


def _database(kind: str, tmp_root) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_root}/{secrets.token_hex(6)}.db"
        return
    if not pg_admin_url():
        pytest.skip(f"{PG_ENV} is not set")
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_root) -> Iterator[str]:
    yield from _database(request.param, tmp_root)


def scratch_database(database_url: str, tmp_path: Any, name: str) -> tuple[str, Any]:
    """A second, empty database of the same kind as `database_url` (a migration test builds an
    old schema in it), and how to drop it afterwards (None for SQLite's file)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/{name}.db", None
    return create_pg_database(), drop_pg_database


async def schema_before(tx: Any, version: int) -> None:
    """A database as migrations before `version` left it (to test that migration on old data)."""
    from botaz.store.migrations import MIGRATIONS, render

    await tx.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                     "name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
    for number, name, sql in MIGRATIONS:
        if number >= version:
            continue
        for statement in render(sql, tx.dialect):
            await tx.execute(statement)
        if isinstance(sql, dict) and "then" in sql:
            await sql["then"](tx)
        await tx.execute("INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES (?, ?, 0)", (number, name))


async def _run(url: str, action: Any) -> Any:
    store = await Store.open(url)
    try:
        return await action(Chat(store, EventBus(), Settings(database_url=url)))
    finally:
        await store.close()


@dataclass
class Account:
    id: str
    site_key: str
    agent_id: str
    token: str
    database_url: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def add_agent(self, name: str = "Second Agent", bot: bool = False) -> dict[str, str]:
        email = f"{secrets.token_hex(4)}@example.com"
        return asyncio.run(_run(self.database_url, lambda chat: do_create_agent(
            chat, account_id=self.id, name=name, email=email, bot=bot)))


@dataclass
class Botaz:
    """A running server and what a test needs to talk to it."""

    url: str
    database_url: str
    client: httpx.Client
    server: ServerThread

    def account(self, name: str = "Acme") -> Account:
        email = f"owner-{secrets.token_hex(4)}@example.com"
        r = asyncio.run(_run(self.database_url, lambda chat: do_create_account(
            chat, name=name, agent_name="Anar", agent_email=email, agent_password="secret-pass")))
        return Account(r["accountId"], r["siteKey"], r["agentId"], r["apiToken"], self.database_url)

    def visitor(self, account: Account, **fields: Any) -> dict[str, Any]:
        body = {"siteKey": account.site_key, "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
                "appName": "Netscape", "appVersion": "5.0 (X11; Linux x86_64)",
                "platform": "Linux x86_64", "cookieEnabled": True, **fields}
        r = self.client.post("/widget/v1/visitors", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def send(self, account: Account, visitor_id: str, text: str = "Hello",
             user_id: str | None = None) -> dict[str, Any]:
        r = self.client.post("/api/messages/", headers=account.headers, json={
            "userId": user_id or account.agent_id, "visitorId": visitor_id, "text": text})
        assert r.status_code == 201, r.text
        return r.json()


class Receiver:
    """A real HTTP server on 127.0.0.1 standing in for a customer's webhook endpoint or bot."""

    def __init__(self) -> None:
        import http.server

        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body})
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def botaz(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Botaz]:
    settings = Settings(database_url=database_url, rate_limits=False,
                        data_dir=str(tmp_path_factory.mktemp("data")),
                        webhooks_allow_private=True, webhook_poll_interval=0.05,
                        webhook_backoff_scale=0.001)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield Botaz(server.url, database_url, client, server)
