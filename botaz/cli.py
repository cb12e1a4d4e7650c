"""The `botaz` command: serve, create-account, create-agent, reset-password, import-articles, migrate."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
from typing import Any, Sequence

from .chat.accounts import do_create_account, do_create_agent, new_password
from .chat.context import Chat
from .chat.errors import DomainError
from .config import Settings
from .events import EventBus
from .observability import configure_logging
from .store import Store

DEMO_EMAIL = "demo@example.com"


async def _with_chat(settings: Settings, action: Any) -> Any:
    store = await Store.open(settings.database_url)
    try:
        return await action(Chat(store, EventBus(), settings))
    finally:
        await store.close()


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(data))
    else:
        for key, value in data.items():
            print(f"{key}: {value}")


def cmd_create_account(args: argparse.Namespace, settings: Settings) -> int:
    result = asyncio.run(_with_chat(settings, lambda chat: do_create_account(
        chat, name=args.name, agent_name=args.agent_name, agent_email=args.agent_email,
        agent_password=args.agent_password)))
    _print(result, args.json)
    return 0


def cmd_create_agent(args: argparse.Namespace, settings: Settings) -> int:
    result = asyncio.run(_with_chat(settings, lambda chat: do_create_agent(
        chat, account_id=args.account, name=args.name, email=args.email, password=args.password,
        bot=args.bot)))
    _print(result, args.json)
    return 0


def cmd_reset_password(args: argparse.Namespace, settings: Settings) -> int:
    """A new password for an agent, printed: for installations that send no email."""
    from .chat.password_reset import do_reset_password_cli

    result = asyncio.run(_with_chat(settings, lambda chat: do_reset_password_cli(
        chat, args.email, args.account)))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"New password for {result['email']} (account {result['accountId']}): "
              f"{result['password']}")
        print("Every session of this agent was signed out; sign in with the new password and "
              "change it under Settings.")
    return 0
def cmd_import_articles(args: argparse.Namespace, settings: Settings) -> int:
    from .chat.article_import import import_folder

    result = asyncio.run(_with_chat(settings, lambda chat: import_folder(chat, args.account, args.folder)))
    if args.json:
        print(json.dumps(result))
    else:
        for item in result["created"]:
            print(f"created {item['file']}: {item['url']}")
        for item in result["updated"]:
            print(f"updated {item['file']}: {item['url']}")
        for item in result["unchanged"]:
            print(f"unchanged {item['file']}: {item['url']}")
        for item in result["failed"]:
            print(f"FAILED {item['file']}: {item['message']}", file=sys.stderr)
    return 1 if result["failed"] else 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from .store import LATEST, migrate
    from .store.db import open_database

    async def run() -> list[int]:
        db = await open_database(settings.database_url)
        try:
            return await migrate(db)
        finally:
            await db.close()

    applied = asyncio.run(run())
    print(json.dumps({"applied": applied, "version": LATEST}))
    return 0


def cmd_migrate_data(args: argparse.Namespace, settings: Settings) -> int:
    """Copy a SQLite installation into an empty PostgreSQL database, verified, all or nothing."""
    from .store.transfer import TransferError, migrate_data

    def progress(line: str) -> None:
        print(f"migrate-data: {line}", file=sys.stderr, flush=True)

    try:
        result = asyncio.run(migrate_data(args.source, args.target, progress))
    except TransferError as exc:
        print(json.dumps({"status": "error", "message": exc.message}), file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a driver or connection error: still one JSON line
        message = f"{type(exc).__name__}: {str(exc).strip()}"
        print(json.dumps({"status": "error", "message": message}), file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


async def ensure_demo_account(chat: Chat) -> dict[str, str] | None:
    """On an empty database, make the demo account and return its one-time secrets."""
    if await chat.store.count_accounts() > 0:
        return None
    from .ids import now_ms

    if not await chat.store.claim_flag("demo-account", now_ms()):
        return None  # another node starting at the same moment makes it
    password = new_password()
    result = await do_create_account(chat, name="Demo", agent_name="Demo Agent",
                                     agent_email=DEMO_EMAIL, agent_password=password)
    return result | {"email": DEMO_EMAIL, "password": password}


def base_url(settings: Settings) -> str:
    return settings.base_url()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How botaz runs under uvicorn; the tests' servers use the same."""
    from .api.http_guard import protocol_for
    from .api.ws_protocol import PROTOCOL

    # No permessage-deflate: its zlib state costs ~43 KiB per socket, and chat frames are small.
    # The connection limits are docs/security.md's "Connection limits".
    http = protocol_for(settings.max_header_bytes, settings.header_timeout, settings.body_timeout)
    return dict(host=settings.host, port=settings.port, lifespan="on", access_log=False,
                log_config=None, timeout_graceful_shutdown=10, loop="uvloop", http=http,
                timeout_keep_alive=settings.keep_alive_timeout,
                proxy_headers=True, ws=PROTOCOL, ws_per_message_deflate=False,
                ws_max_size=settings.ws_max_frame_bytes,
                ws_ping_interval=settings.ws_ping_interval, ws_ping_timeout=settings.ws_ping_interval)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .app import create_app

    GracefulServer = _graceful_server_class()

    if args.workers < 1:
        print(json.dumps({"status": "error", "message": "--workers must be at least 1."}), file=sys.stderr)
        return 2
    if args.workers > 1 and not settings.redis_url:
        print(json.dumps({"status": "error", "message":
                          "--workers above 1 needs BOTAZ_REDIS_URL: without Redis, a socket on one "
                          "worker would not hear changes made through another."}), file=sys.stderr)
        return 2
    demo = asyncio.run(_with_chat(settings, ensure_demo_account))
    url = base_url(settings)
    print(f"botaz serving on {url} (database: {settings.database_url})", flush=True)
    if demo:
        print("Demo account created. These secrets are shown once; keep them:")
        print(f"  sign in:    {url}/login  email {demo['email']}  password {demo['password']}")
        print(f"  API token:  {demo['apiToken']}")
        print(f"  agent ID:   {demo['agentId']}  (userId for POST /api/messages/)")
        print(f"  site key:   {demo['siteKey']}")
    else:
        print("Using the existing accounts (demo secrets were printed on the first start).")
    print(f"  dashboard:  {url}/")
    print(f"  demo page:  {url}/demo")
    print(f"  API docs:   {url}/api/docs", flush=True)
    if settings.smtp_port is not None:
        print(f"  mail in:    smtp://{settings.host}:{settings.smtp_port}  "
              f"(replies to *@{settings.mail_domain()})", flush=True)
    configure_logging(settings.log_level)
    common = uvicorn_options(settings)
    if args.workers > 1:
        # Workers are separate processes: they read the settings from the environment.
        os.environ.update(settings_env(settings))
        if settings.smtp_port is not None:
            # Every worker binds the SMTP port with SO_REUSEPORT; a port another program holds
            # is found here, once, rather than as N workers failing to start.
            from .api.smtp import REUSE_PORT_ENV

            try:
                probe = socket.create_server((settings.host, settings.smtp_port))
                probe.close()
            except OSError as exc:
                print(json.dumps({"status": "error", "message":
                                  f"--smtp-port {settings.smtp_port} cannot be used: {exc.strerror}."}),
                      file=sys.stderr)
                return 2
            os.environ[REUSE_PORT_ENV] = "1"
        from uvicorn.supervisors import Multiprocess

        from .api.http_guard import PROTOCOL as HTTP_PROTOCOL

        # Workers are spawned: their protocol class is imported by name and reads its limits
        # from the same environment as the app.
        common["http"] = HTTP_PROTOCOL
        config = uvicorn.Config("botaz.app:app_from_env", factory=True, workers=args.workers, **common)
        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
        return 0
    config = uvicorn.Config(create_app(settings), **common)
    GracefulServer(config).run()
    return 0


def _graceful_server_class() -> type:
    import contextlib
    import signal

    import uvicorn

    class GracefulServer(uvicorn.Server):
        """Stops on SIGTERM/SIGINT after in-flight requests finish, then exits 0.

        uvicorn re-raises the signal after shutting down, which makes a clean stop look like a
        crash to systemd and to shells; a stop that was asked for is a success.
        """

        @contextlib.contextmanager
        def capture_signals(self):
            previous = {sig: signal.signal(sig, self.handle_exit)
                        for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return GracefulServer


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes Settings.from_env() in a worker equal `settings` here."""
    from dataclasses import fields

    env: dict[str, str] = {}
    for field in fields(settings):
        value = getattr(settings, field.name)
        if value is None or field.name in ("host", "port"):
            continue
        if isinstance(value, bool):
            text = ("on" if value else "off") if field.name == "rate_limits" else ("1" if value else "0")
        else:
            text = str(value)
        env["BOTAZ_" + field.name.upper()] = text
    return env


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botaz", description="Self-hosted live chat with the Bot.Az REST API.")
    parser.add_argument("--database-url", help="overrides BOTAZ_DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply migrations and serve HTTP and WebSocket")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--database-url", dest="database_url_sub", metavar="URL",
                       help="overrides BOTAZ_DATABASE_URL")
    serve.add_argument("--redis-url", help="overrides BOTAZ_REDIS_URL")
    serve.add_argument("--rate-limits", choices=["on", "off"], help="overrides BOTAZ_RATE_LIMITS")
    serve.add_argument("--public-url", help="overrides BOTAZ_PUBLIC_URL (the URL users open)")
    serve.add_argument("--smtp-port", type=int, metavar="PORT",
                       help="also receive email replies on this port (overrides BOTAZ_SMTP_PORT)")
    workers = os.environ.get("BOTAZ_WORKERS", "1")
    serve.add_argument("--workers", type=int, default=int(workers) if workers.isdigit() else 1,
                       help="processes sharing the port (needs BOTAZ_REDIS_URL when above 1)")
    serve.set_defaults(func=cmd_serve)

    account = sub.add_parser("create-account", help="create an account with its first (owner) agent")
    account.add_argument("--name", required=True)
    account.add_argument("--agent-name", required=True)
    account.add_argument("--agent-email", required=True)
    account.add_argument("--agent-password")
    account.add_argument("--json", action="store_true", help="print one JSON object")
    account.add_argument("--database-url", dest="database_url_sub", metavar="URL")
    account.set_defaults(func=cmd_create_account)

    agent = sub.add_parser("create-agent", help="add an agent (or a bot) to an account")
    agent.add_argument("--account", required=True, help="account ID")
    agent.add_argument("--name", required=True)
    agent.add_argument("--email", required=True)
    agent.add_argument("--password")
    agent.add_argument("--bot", action="store_true", help="the agent is a bot")
    agent.add_argument("--json", action="store_true", help="print one JSON object")
    agent.add_argument("--database-url", dest="database_url_sub", metavar="URL")
    agent.set_defaults(func=cmd_create_agent)

    reset = sub.add_parser("reset-password", help="give an agent a new random password and print it")
    reset.add_argument("--email", required=True, help="the email the agent signs in with")
    reset.add_argument("--account", help="account ID, needed when the email is an agent's in "
                                         "several accounts")
    reset.add_argument("--json", action="store_true", help="print one JSON object")
    reset.add_argument("--database-url", dest="database_url_sub", metavar="URL")
    reset.set_defaults(func=cmd_reset_password)
    kb = sub.add_parser("import-articles", help="import a folder of Markdown files as help articles")
    kb.add_argument("--account", required=True, help="account ID")
    kb.add_argument("folder", metavar="DIR", help="folder of *.md files (front matter optional)")
    kb.add_argument("--json", action="store_true", help="print one JSON object")
    kb.add_argument("--database-url", dest="database_url_sub", metavar="URL")
    kb.set_defaults(func=cmd_import_articles)

    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    migrate.add_argument("--database-url", dest="database_url_sub", metavar="URL")
    migrate.set_defaults(func=cmd_migrate)

    move = sub.add_parser("migrate-data", help="copy a SQLite installation into an empty PostgreSQL database")
    move.add_argument("--from", dest="source", required=True, metavar="SQLITE_URL",
                      help="sqlite:///path/to/botaz.db")
    move.add_argument("--to", dest="target", required=True, metavar="POSTGRESQL_URL",
                      help="postgresql://user@host/db (must hold no data)")
    move.set_defaults(func=cmd_migrate_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides: dict[str, Any] = {
        "database_url": getattr(args, "database_url_sub", None) or args.database_url,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "redis_url": getattr(args, "redis_url", None),
        "public_url": getattr(args, "public_url", None),
        "smtp_port": getattr(args, "smtp_port", None),
    }
    if getattr(args, "rate_limits", None):
        overrides["rate_limits"] = args.rate_limits == "on"
    try:
        settings = Settings.from_env(os.environ, **overrides)
    except ValueError as exc:
        print(json.dumps({"status": "error", "message": f"Bad setting: {exc}"}), file=sys.stderr)
        return 2
    try:
        return args.func(args, settings)
    except DomainError as exc:
        print(json.dumps({"status": "error", "message": exc.message}), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = database_problem(exc, settings.database_url)
        if message is None:
            raise
        print(json.dumps({"status": "error", "message": message}), file=sys.stderr)
        return 1


def database_problem(exc: BaseException, url: str) -> str | None:
    """One sentence for a database that cannot be opened or written; None for anything else."""
    import sqlite3

    try:
        import asyncpg
        pg_errors: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError)
    except ImportError:  # pragma: no cover
        pg_errors = ()
    shown = redact_url(url)
    reason = str(exc).strip().rstrip(".") or type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        if "readonly" in reason or "read-only" in reason:
            return (f"The database {shown} is read-only: botaz must be able to write the file "
                    f"and its folder (SQLite keeps -wal and -shm files beside it).")
        if "unable to open" in reason:
            return (f"The database {shown} cannot be opened ({reason}): check that its folder "
                    f"exists and that botaz may write to it.")
        return f"The database {shown} cannot be used: {reason}."
    if pg_errors and isinstance(exc, pg_errors):
        return f"The database {shown} cannot be used: {reason.splitlines()[0]}."
    if isinstance(exc, OSError) and url.startswith(("sqlite", "postgres")):  # refused, timed out...
        return f"The database {shown} cannot be used: {reason}."
    return None


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


if __name__ == "__main__":
    raise SystemExit(main())
