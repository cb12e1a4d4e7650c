"""Two small database drivers behind one interface: SQL is written once with `?` placeholders.

SQLite runs on the event loop thread with the stdlib driver: its calls take microseconds, and a
thread hop would cost more than the query. PostgreSQL uses asyncpg, with a small pool of its own.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import sqlite3
import threading
from typing import Any, AsyncIterator, Protocol, Sequence
from urllib.parse import urlsplit

from ..chat.errors import Unavailable

Row = Any  # sqlite3.Row or asyncpg.Record: both are read by column name

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
        self._open: list[str] = []  # savepoints of the batch not yet released, oldest first
        # Messages whose words the full-text index takes at the batch's COMMIT (seq -> the
        # savepoint that wrote them; "" once released). FTS5 writes a new index segment at every
        # savepoint release it saw a change in: one per message made a message's indexing cost
        # more than the rest of its insert; one per batch costs a fraction.
        self._index_due: dict[int, str] = {}

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

    def index_later(self, seq: int) -> None:
        """Index message `seq` (its `search` words as they are then) when the batch commits."""
        if self._open:
            self._index_due[seq] = self._open[-1]
        else:  # outside a batch: now
            self._index_now([seq])

    def forget_index(self, seqs: Sequence[int]) -> list[int]:
        """Of `seqs`, those already in the index; the others are no longer due."""
        indexed = []
        for seq in seqs:
            if self._index_due.pop(seq, None) is None:
                indexed.append(seq)
        return indexed

    def _index_now(self, seqs: Sequence[int]) -> None:
        self._conn.executemany("INSERT INTO messages_fts (rowid, search) SELECT seq, search "
                               "FROM messages WHERE seq = ?", [(seq,) for seq in seqs])

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
            self._index_due.clear()
            self._open.clear()
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
        self._open.append(name)
        return self._batch, name

    def _commit(self, batch: asyncio.Future[None] | None = None) -> None:
        if batch is None:
            batch = self._batch
        if batch is None or batch is not self._batch:
            return  # failed already (see _failed)
        self._batch = None
        due, self._index_due = self._index_due, {}
        self._open.clear()
        try:
            if due:
                self._index_now(list(due))
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

    def _released(self, name: str, rolled_back: bool) -> None:
        """A request's savepoint ended: what it (and savepoints inside it) left to index is the
        batch's now, or, rolled back, never was."""
        if name not in self._open:
            return
        inner = set(self._open[self._open.index(name):])
        del self._open[self._open.index(name):]
        for seq, owner in list(self._index_due.items()):
            if owner in inner:
                if rolled_back:
                    del self._index_due[seq]
                else:
                    self._index_due[seq] = ""

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
                    db._released(self.name, kind is not None)
                except sqlite3.OperationalError as err:
                    db._failed(err)
                    raise
        finally:
            db._free_names.append(self.name)
        if kind is None:
            await asyncio.shield(self.batch)


def _outage_errors() -> tuple[type[BaseException], ...]:
    import asyncpg

    # Class 08 (the connection failed or broke), 53 (out of connections, memory or disk), 57 (the
    # server shut down, is starting, or cancelled us), 58 (an I/O error on the server), 25006
    # (a read-only standby); OSError covers refused connections, resets and timeouts.
    return (OSError, asyncpg.PostgresConnectionError, asyncpg.InsufficientResourcesError,
            asyncpg.OperatorInterventionError, asyncpg.PostgresSystemError,
            asyncpg.ReadOnlySQLTransactionError, asyncpg.InterfaceError)


PG_ERRORS: tuple[type[BaseException], ...] = ()  # set when the first pool opens


def _outage(exc: BaseException) -> bool:
    """True when `exc` says the server cannot serve now (not a bad statement or argument)."""
    import asyncpg

    if isinstance(exc, asyncpg.InterfaceError):
        # "connection is closed", "pool is closing"; not a bad argument (its DataError subclass).
        return not isinstance(exc, ValueError)
    return isinstance(exc, PG_ERRORS)


# SQL is written with `?`; asyncpg wants $1, $2...: translated once per distinct statement.
_PG_SQL: dict[str, str] = {}


def _pg_sql(sql: str) -> str:
    translated = _PG_SQL.get(sql)
    if translated is None:
        parts = sql.split("?")
        translated = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
        if len(_PG_SQL) > 4096:  # statements built per call (IN lists) must not grow it forever
            _PG_SQL.clear()
        _PG_SQL[sql] = translated
    return translated


def _rowcount(status: str) -> int:
    """asyncpg answers a command with its tag ("UPDATE 3", "INSERT 0 1", "SELECT 2")."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


class _PgStatements:
    """The Conn interface over `_run(call, sql, params)`, which runs asyncpg's `call` (fetchrow,
    fetch, execute, fetchval) and turns an outage into StoreUnavailable."""

    dialect = "postgresql"

    async def _run(self, call: str, sql: str, params: Sequence[Any]) -> Any:
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._run("fetchrow", _pg_sql(sql), params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._run("fetch", _pg_sql(sql), params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _rowcount(await self._run("execute", _pg_sql(sql), params))

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(await self._run("fetchval", _pg_sql(sql + " RETURNING seq"), params))


class _PgConn(_PgStatements):
    """The connection of one transaction (`async with db.transaction() as tx`)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def _run(self, call: str, sql: str, params: Sequence[Any]) -> Any:
        try:
            return await getattr(self._conn, call)(sql, *params)
        except Exception as exc:
            if _outage(exc):
                raise pg_unavailable(exc) from exc
            raise


class _Pool:
    """Connections to PostgreSQL, reused LIFO; at most `max_size`, opened on demand.

    asyncpg's own pool costs two extra tasks (a timeout around the wait, a shield around the
    release) and a round trip (a session reset) for every statement; botaz keeps no session
    state (no LISTEN, advisory locks, SET or cursors), so its pool hands a connection back as it
    is, unless a transaction was left open (a cancelled request), which closes it instead.
    Waiting for a connection is bounded by POOL_TIMEOUT, opening one by CONNECT_TIMEOUT.
    """

    def __init__(self, url: str, max_size: int) -> None:
        self.url = url
        self.max_size = max_size
        self.size = 0  # open or opening
        self.idle: list[Any] = []
        self.waiters: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.closed = False

    async def _connect(self) -> Any:
        import asyncpg

        conn = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT, statement_cache_size=512)
        transport = getattr(conn, "_transport", None)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            # A peer that stopped answering (a network cut) is noticed in seconds.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 2), ("TCP_KEEPCNT", 3),
                                ("TCP_USER_TIMEOUT", 15000)):
                if hasattr(socket, name):
                    sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
        return conn

    async def acquire(self) -> Any:
        if self.closed:
            raise StoreUnavailable("The database is closing; retry shortly.")
        idle = self.idle
        while idle:
            conn = idle.pop()
            if not conn.is_closed():
                return conn
            self.size -= 1
        if self.size < self.max_size:
            self.size += 1  # this slot is ours: open a connection in it
        else:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                async with asyncio.timeout(POOL_TIMEOUT):
                    conn = await waiter
            except BaseException:
                if not waiter.done():
                    waiter.cancel()
                elif not waiter.cancelled():  # handed over just as the wait ended
                    if waiter.result() is not None:
                        self.release(waiter.result())
                    else:
                        self._free_slot()
                raise
            if conn is not None:
                return conn
            # else a connection closed and its slot was handed to us
        try:
            return await self._connect()
        except BaseException:
            self._free_slot()
            raise

    def _free_slot(self) -> None:
        """A connection closed (or failed to open): the first waiter opens one in its slot."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.size -= 1

    def release(self, conn: Any) -> None:
        if (conn.is_closed() or conn.is_in_transaction() or self.closed
                or conn._protocol._is_cancelling()):
            # Left mid-transaction or mid-statement (a cancelled request): not reusable as is.
            if not conn.is_closed():
                conn.terminate()
            self._free_slot()
            return
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append(conn)

    async def close(self) -> None:
        self.closed = True
        idle, self.idle = self.idle, []
        for conn in idle:
            self.size -= 1
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:
                conn.terminate()
        for waiter in self.waiters:
            waiter.cancel()


class _PgTransaction:
    """`async with db.transaction() as tx` for PostgreSQL: one connection, BEGIN ... COMMIT."""

    __slots__ = ("pool", "conn")

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.conn: Any = None

    async def __aenter__(self) -> _PgConn:
        try:
            self.conn = await self.pool.acquire()
        except Exception as exc:
            if _outage(exc):
                raise pg_unavailable(exc) from exc
            raise
        try:
            await self.conn.execute("BEGIN")
        except BaseException as exc:
            self.pool.release(self.conn)
            if isinstance(exc, Exception) and _outage(exc):
                raise pg_unavailable(exc) from exc
            raise
        return _PgConn(self.conn)

    async def __aexit__(self, kind: Any, exc: Any, tb: Any) -> None:
        conn = self.conn
        try:
            # On a connection that broke, COMMIT raises (an outage): nothing unstored is acknowledged.
            await conn.execute("COMMIT" if kind is None else "ROLLBACK")
        except Exception as err:
            if kind is None:
                if _outage(err):
                    raise pg_unavailable(err) from err
                raise
            # A failed rollback loses nothing (the server rolls back a broken transaction);
            # the request's own error is the one to report.
        finally:
            self.pool.release(conn)


class PostgresDatabase(_PgStatements):
    """PostgreSQL through asyncpg: prepared statements cached per connection (each distinct
    SQL string is parsed and planned once per connection), rows as asyncpg Records (read by
    column name). bench/pg_drivers.py measured it against psycopg 3 (docs/benchmarks.md)."""

    def __init__(self, url: str, pool: _Pool) -> None:
        self.url = url
        self._pool = pool

    @classmethod
    async def open(cls, url: str, min_size: int = 2, max_size: int = 20) -> "PostgresDatabase":
        global PG_ERRORS
        PG_ERRORS = _outage_errors()
        pool = _Pool(url, max_size)
        opened = []
        try:
            for _ in range(min_size):  # fails now if unreachable
                opened.append(await pool.acquire())
        finally:
            for conn in opened:
                pool.release(conn)
            if len(opened) < min_size:  # acquire raised: close what did open
                await pool.close()
        return cls(url, pool)

    async def _run(self, call: str, sql: str, params: Sequence[Any]) -> Any:
        """One statement on a pooled connection (asyncpg's `call`: fetchrow, fetch, ...)."""
        pool = self._pool
        try:
            conn = await pool.acquire()
            try:
                return await getattr(conn, call)(sql, *params)
            finally:
                pool.release(conn)
        except Exception as exc:
            if _outage(exc):
                raise pg_unavailable(exc) from exc
            raise

    def transaction(self) -> _PgTransaction:
        return _PgTransaction(self._pool)

    async def executescript(self, sql: str) -> None:
        """Several statements in one string (migrations): the simple query protocol."""
        await self._run("execute", sql, ())

    async def close(self) -> None:
        await self._pool.close()


async def open_database(url: str) -> SqliteDatabase | PostgresDatabase:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return SqliteDatabase(url)
    if scheme in {"postgresql", "postgres"}:
        return await PostgresDatabase.open(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://...")
