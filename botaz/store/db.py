"""Two small database drivers behind one interface: SQL is written once with `?` placeholders.

SQLite runs on the event loop thread with the stdlib driver: its calls take microseconds, and a
thread hop would cost more than the query. PostgreSQL uses psycopg's async pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from typing import Any, AsyncIterator, Protocol, Sequence
from urllib.parse import urlsplit

from ..chat.errors import Unavailable

Row = Any  # sqlite3.Row or a dict: both are read by column name

log = logging.getLogger("botaz.store")

# How long a request may wait for a PostgreSQL connection (pool) or for a new one to open: with the
# database down, requests answer 503 within seconds instead of hanging.
POOL_TIMEOUT = 5.0
CONNECT_TIMEOUT = 3


class StoreUnavailable(Unavailable):
    """The database cannot serve now: down, unreachable, read-only or full. Raised by the drivers
    below, the one place that knows which driver errors mean that; answered 503 + Retry-After."""


# SQLite result codes (primary) of an outage, rather than of a bad statement.
SQLITE_OUTAGES = {5: "busy", 8: "read-only", 10: "failing to read or write", 13: "full",
                  14: "impossible to open"}


def sqlite_unavailable(exc: sqlite3.Error) -> None:
    """Raises StoreUnavailable when `exc` says the SQLite database cannot serve now."""
    code = getattr(exc, "sqlite_errorcode", None)
    what = SQLITE_OUTAGES.get(code & 0xFF) if isinstance(code, int) else None
    if what is None:
        message = str(exc)
        if "readonly database" in message:
            what = "read-only"
        elif "disk is full" in message:
            what = "full"
        else:
            return
    log.error("database %s: %s", what, exc)
    raise StoreUnavailable(f"The database is {what}; retry shortly.") from exc


def _pg_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    # OperationalError: the connection failed or broke, the pool timed out, the server shut
    # down, ran out of resources or cancelled us; InterfaceError: the connection was closed.
    return (psycopg.OperationalError, psycopg.InterfaceError)


def pg_unavailable(exc: BaseException) -> StoreUnavailable:
    log.error("database unreachable: %s", exc)
    return StoreUnavailable("The database is unreachable; retry shortly.")


class Conn(Protocol):
    dialect: str

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """INSERT into a table keyed by `seq`; returns the new row's seq."""


class Database(Conn, Protocol):
    url: str

    def transaction(self) -> contextlib.AbstractAsyncContextManager[Conn]: ...
    async def executescript(self, sql: str) -> None: ...
    async def close(self) -> None: ...


def sqlite_path(url: str) -> str:
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    elif url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
    else:
        raise ValueError(f"not a sqlite URL: {url}")
    return path or ":memory:"


class Checkpointer:
    """Checkpoints the WAL from a thread with its own connection, so the event loop never waits
    for it. PASSIVE never blocks readers or writers; a checkpoint runs every `interval` seconds
    at most, and not at all while nothing was written."""

    def __init__(self, path: str, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="botaz-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # e.g. busy: the next round tries again
                    log.debug("checkpoint skipped: %s", exc)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               cached_statements=512)
        conn.row_factory = sqlite3.Row
        # WAL lets readers run beside the writer; synchronous=NORMAL keeps every committed
        # transaction through a process crash (SIGKILL), losing at most the last ones on power loss.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        self._checkpointer: Checkpointer | None = None
        if self.path != ":memory:" and not self.path.startswith("file::memory:"):
            # Copying the WAL back into the database (and its fsync) would otherwise happen on
            # the event loop, inside whichever commit crosses 1,000 pages: a stall of several
            # milliseconds every few seconds under load. A thread of our own does it instead.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute("PRAGMA journal_size_limit=67108864")
            self._checkpointer = Checkpointer(self.path)
        self._conn = conn
        self._batch: asyncio.Future[None] | None = None
        # Savepoint names are reused once released: each distinct name is a distinct statement
        # to SQLite, and a new name per request would defeat (and flush) the statement cache.
        self._free_names: list[str] = []
        self._names = 0

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        try:
            return self._conn.execute(sql, params).fetchone()
        except sqlite3.OperationalError as exc:
            self._failed(exc)
            raise

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            self._failed(exc)
            raise

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self._conn.execute(sql, params).rowcount
        except sqlite3.OperationalError as exc:
            self._failed(exc)
            raise

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            seq = self._conn.execute(sql, params).lastrowid  # seq is the rowid
            assert seq is not None
            return seq
        except sqlite3.OperationalError as exc:
            self._failed(exc)
            raise

    def transaction(self) -> "_Savepoint":
        """A savepoint inside a shared transaction that commits once per event-loop pass.

        Commits cost far more than the inserts they make durable, so concurrent requests join one
        open transaction (each in its own savepoint, rolled back alone on error) and every one of
        them waits for the common COMMIT before it answers: nothing is acknowledged unstored.
        """
        return _Savepoint(self)

    def _join(self) -> tuple[asyncio.Future[None], str]:
        try:
            return self._join_batch()
        except sqlite3.OperationalError as exc:
            self._failed(exc)
            raise

    def _failed(self, exc: sqlite3.OperationalError) -> None:
        """After a failed statement: SQLite may have rolled the whole transaction back (it may on
        a full disk), taking every savepoint of the batch with it; then the batch fails at once
        and the next write starts a new one. Raises StoreUnavailable for an outage."""
        batch = self._batch
        if batch is not None and not self._conn.in_transaction:
            self._batch = None
            try:
                sqlite_unavailable(exc)
                failure: BaseException = exc
            except StoreUnavailable as unavailable:
                failure = unavailable
            batch.set_exception(failure)
            batch.exception()  # retrieved: the waiters raise it themselves
        sqlite_unavailable(exc)

    def _join_batch(self) -> tuple[asyncio.Future[None], str]:
        if self._batch is None:
            self._conn.execute("BEGIN IMMEDIATE")
            loop = asyncio.get_running_loop()
            self._batch = loop.create_future()
            # Two passes of the loop let requests already read from the network join in.
            loop.call_soon(loop.call_soon, self._commit, self._batch)
        if self._free_names:
            name = self._free_names.pop()
        else:
            self._names += 1
            name = f"sp{self._names}"
        self._conn.execute(f"SAVEPOINT {name}")
        return self._batch, name

    def _commit(self, batch: asyncio.Future[None] | None = None) -> None:
        if batch is None:
            batch = self._batch
        if batch is None or batch is not self._batch:
            return  # failed already (see _failed)
        self._batch = None
        try:
            self._conn.execute("COMMIT")
        except Exception as exc:  # every request in the batch fails; none was acknowledged
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.OperationalError):
                try:
                    sqlite_unavailable(exc)
                except StoreUnavailable as unavailable:
                    exc = unavailable
            batch.set_exception(exc)
            batch.exception()  # retrieved: the waiters raise it themselves
            return
        batch.set_result(None)

    async def executescript(self, sql: str) -> None:
        self._conn.executescript(sql)

    async def close(self) -> None:
        if self._batch is not None:
            self._commit()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._conn.close()


class _Savepoint:
    """`async with db.transaction() as tx` for SQLite (a class: this runs on every write)."""

    __slots__ = ("db", "batch", "name")

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def __aenter__(self) -> SqliteDatabase:
        self.batch, self.name = self.db._join()
        return self.db

    async def __aexit__(self, kind: Any, exc: Any, tb: Any) -> None:
        db = self.db
        try:
            if self.batch is db._batch:  # else SQLite rolled the batch back: no savepoint left
                try:
                    if kind is not None:
                        db._conn.execute(f"ROLLBACK TO {self.name}")
                    db._conn.execute(f"RELEASE {self.name}")
                except sqlite3.OperationalError as err:
                    db._failed(err)
                    raise
        finally:
            db._free_names.append(self.name)
        if kind is None:
            await asyncio.shield(self.batch)


PG_ERRORS: tuple[type[BaseException], ...] = ()  # set when the first pool opens


def _pg_sql(sql: str) -> str:
    return sql.replace("?", "%s")


class _PgConn:
    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        try:
            cur = await self._conn.execute(_pg_sql(sql), params)
            return await cur.fetchone()
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            cur = await self._conn.execute(_pg_sql(sql), params)
            return await cur.fetchall()
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            cur = await self._conn.execute(_pg_sql(sql), params)
            return cur.rowcount
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            cur = await self._conn.execute(_pg_sql(sql) + " RETURNING seq", params)
            return int((await cur.fetchone())["seq"])
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, pool: Any) -> None:
        self.url = url
        self._pool = pool

    @classmethod
    async def open(cls, url: str, min_size: int = 2, max_size: int = 20) -> "PostgresDatabase":
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        global PG_ERRORS
        PG_ERRORS = _pg_errors()
        pool = AsyncConnectionPool(
            url, min_size=min_size, max_size=max_size, open=False, timeout=POOL_TIMEOUT,
            kwargs={"row_factory": dict_row, "autocommit": True, "connect_timeout": CONNECT_TIMEOUT,
                    # A peer that stopped answering (a network cut) is noticed in seconds.
                    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 2,
                    "keepalives_count": 3, "tcp_user_timeout": 15000},
        )
        await pool.open(wait=True, timeout=10)
        return cls(url, pool)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(_pg_sql(sql), params)
                return await cur.fetchone()
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(_pg_sql(sql), params)
                return await cur.fetchall()
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(_pg_sql(sql), params)
                return cur.rowcount
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(_pg_sql(sql) + " RETURNING seq", params)
                return int((await cur.fetchone())["seq"])
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PgConn]:
        try:
            async with self._pool.connection() as conn:
                async with conn.transaction():
                    yield _PgConn(conn)
        except PG_ERRORS as exc:  # getting a connection, BEGIN or COMMIT
            raise pg_unavailable(exc) from exc

    async def executescript(self, sql: str) -> None:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(sql)
        except PG_ERRORS as exc:
            raise pg_unavailable(exc) from exc

    async def close(self) -> None:
        await self._pool.close()


async def open_database(url: str) -> SqliteDatabase | PostgresDatabase:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return SqliteDatabase(url)
    if scheme in {"postgresql", "postgres"}:
        return await PostgresDatabase.open(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://...")
