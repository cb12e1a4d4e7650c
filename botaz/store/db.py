"""Two small database drivers behind one interface: SQL is written once with `?` placeholders.

SQLite runs on the event loop thread with the stdlib driver: its calls take microseconds, and a
thread hop would cost more than the query. PostgreSQL uses psycopg's async pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any, AsyncIterator, Protocol, Sequence
from urllib.parse import urlsplit

Row = Any  # sqlite3.Row or a dict: both are read by column name


class Conn(Protocol):
    dialect: str

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...


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


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        # WAL lets readers run beside the writer; synchronous=NORMAL keeps every committed
        # transaction through a process crash (SIGKILL), losing at most the last ones on power loss.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        self._conn = conn
        self._lock = asyncio.Lock()
        self._depth = 0

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self._conn.execute(sql, params).fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator["SqliteDatabase"]:
        # Statements inside never suspend, so no other coroutine runs between BEGIN and COMMIT;
        # the lock only matters if a caller awaits something else inside the block.
        async with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    async def executescript(self, sql: str) -> None:
        self._conn.executescript(sql)

    async def close(self) -> None:
        self._conn.close()


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
