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

Row = Any  # sqlite3.Row or a dict: both are read by column name

log = logging.getLogger("botaz.store")


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
        return self._conn.execute(sql, params).fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).lastrowid  # seq is the rowid

    def transaction(self) -> "_Savepoint":
        """A savepoint inside a shared transaction that commits once per event-loop pass.

        Commits cost far more than the inserts they make durable, so concurrent requests join one
        open transaction (each in its own savepoint, rolled back alone on error) and every one of
        them waits for the common COMMIT before it answers: nothing is acknowledged unstored.
        """
        return _Savepoint(self)

    def _join(self) -> tuple[asyncio.Future[None], str]:
        if self._batch is None:
            self._conn.execute("BEGIN IMMEDIATE")
            loop = asyncio.get_running_loop()
            self._batch = loop.create_future()
            # Two passes of the loop let requests already read from the network join in.
            loop.call_soon(loop.call_soon, self._commit)
        if self._free_names:
            name = self._free_names.pop()
        else:
            self._names += 1
            name = f"sp{self._names}"
        self._conn.execute(f"SAVEPOINT {name}")
        return self._batch, name

    def _commit(self) -> None:
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            self._conn.execute("COMMIT")
        except Exception as exc:  # every request in the batch fails; none was acknowledged
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
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
        conn = self.db._conn
        try:
            if kind is not None:
                conn.execute(f"ROLLBACK TO {self.name}")
            conn.execute(f"RELEASE {self.name}")
        finally:
            self.db._free_names.append(self.name)
        if kind is None:
            await asyncio.shield(self.batch)


def _pg_sql(sql: str) -> str:
    return sql.replace("?", "%s")


class _PgConn:
    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cur = await self._conn.execute(_pg_sql(sql), params)
        return await cur.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = await self._conn.execute(_pg_sql(sql), params)
        return await cur.fetchall()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(_pg_sql(sql), params)
        return cur.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(_pg_sql(sql) + " RETURNING seq", params)
        return int((await cur.fetchone())["seq"])


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, pool: Any) -> None:
        self.url = url
        self._pool = pool

    @classmethod
    async def open(cls, url: str, min_size: int = 2, max_size: int = 20) -> "PostgresDatabase":
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        pool = AsyncConnectionPool(
            url, min_size=min_size, max_size=max_size, open=False,
            kwargs={"row_factory": dict_row, "autocommit": True},
        )
        await pool.open(wait=True, timeout=10)
        return cls(url, pool)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(_pg_sql(sql), params)
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(_pg_sql(sql), params)
            return await cur.fetchall()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute(_pg_sql(sql), params)
            return cur.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute(_pg_sql(sql) + " RETURNING seq", params)
            return int((await cur.fetchone())["seq"])

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PgConn]:
        async with self._pool.connection() as conn:
            async with conn.transaction():
                yield _PgConn(conn)

    async def executescript(self, sql: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(sql)

    async def close(self) -> None:
        await self._pool.close()


async def open_database(url: str) -> SqliteDatabase | PostgresDatabase:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return SqliteDatabase(url)
    if scheme in {"postgresql", "postgres"}:
        return await PostgresDatabase.open(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://...")
