"""`botaz migrate-data`: move an installation from SQLite to an empty PostgreSQL database.

The copy is all or nothing. Both databases are migrated to the same schema version, then every
table of the source is read from one SQLite snapshot (a read transaction) and written to the
target inside one PostgreSQL transaction on a dedicated connection: tables in foreign-key order,
rows in batches via COPY, every column including `seq`. Before committing, the target is read
back in the same transaction and compared with the source table by table: row counts, and a
SHA-256 over the rows in primary-key order built from the Python values each driver returned.
Any difference rolls the whole transaction back, so the target keeps no rows. Last, each identity
sequence is moved past the copied `seq` values so new rows continue after them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlsplit

import psycopg

from .db import SqliteDatabase, open_database, sqlite_path
from .migrations import LATEST, MIGRATIONS, applied_versions, migrate

BATCH = 1000
# Parents first; every other table follows, still after the tables it references.
PREFERRED_ORDER = ("accounts", "agents", "api_tokens", "visitors", "visitor_agents", "messages")
SKIPPED_TABLES = {"sqlite_sequence", "schema_migrations"}
# SQLite's FTS5 indexes and their shadow tables: PostgreSQL indexes the tables themselves.
SKIPPED_PREFIXES = ("articles_fts", "messages_fts", "visitors_fts")

Progress = Callable[[str], None]


class TransferError(Exception):
    """A refusal (nothing was written, exit 2) or a failed copy (rolled back, exit 1)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def refuse(message: str) -> TransferError:
    return TransferError(message, exit_code=2)


@dataclass
class Table:
    name: str
    columns: list[str]
    pk: list[str]
    references: set[str] = field(default_factory=set)


def q(name: str) -> str:
    """A quoted SQL identifier (the same syntax in SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


# --- checksums -------------------------------------------------------------------------------

def normalise(value: Any) -> Any:
    """One JSON-able form per value, whichever driver read it: ints, text, null stay themselves."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"blob": bytes(value).hex()}
    return {type(value).__name__: str(value)}


class Checksum:
    """SHA-256 over the column names, then one canonical JSON line per row, in primary-key order."""

    def __init__(self, columns: Sequence[str]) -> None:
        self._hash = hashlib.sha256()
        self._hash.update(self._line(list(columns)))
        self.rows = 0

    @staticmethod
    def _line(values: list[Any]) -> bytes:
        return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def add(self, row: Iterable[Any]) -> None:
        self._hash.update(self._line([normalise(v) for v in row]))
        self.rows += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


# --- schema discovery ------------------------------------------------------------------------

async def sqlite_tables(src: SqliteDatabase) -> dict[str, Table]:
    rows = await src.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")
    tables: dict[str, Table] = {}
    for row in rows:
        name = row["name"]
        if name in SKIPPED_TABLES or name.startswith(SKIPPED_PREFIXES):
            continue
        info = await src.fetchall(f"PRAGMA table_info({q(name)})")
        columns = [c["name"] for c in info]
        pk = [c["name"] for c in sorted((c for c in info if c["pk"]), key=lambda c: c["pk"])]
        if not pk:
            raise refuse(f"table {name} has no primary key, so its rows cannot be compared")
        fks = await src.fetchall(f"PRAGMA foreign_key_list({q(name)})")
        references = {fk["table"] for fk in fks if fk["table"] != name}
        tables[name] = Table(name, columns, pk, references)
    return tables


def copy_order(tables: dict[str, Table]) -> list[str]:
    """Parents before children; among tables that are ready, PREFERRED_ORDER first, then by name."""
    rank = {name: i for i, name in enumerate(PREFERRED_ORDER)}
    pending = dict(tables)
    order: list[str] = []
    while pending:
        ready = [t for t in pending.values() if not (t.references & pending.keys())]
        if not ready:
            raise refuse("the foreign keys between tables form a cycle: "
                         + ", ".join(sorted(pending)))
        chosen = min(ready, key=lambda t: (rank.get(t.name, len(rank)), t.name))
        order.append(chosen.name)
        del pending[chosen.name]
    return order


async def pg_columns(conn: Any, table: str) -> list[tuple[str, str, bool]]:
    cur = await conn.execute(
        "SELECT column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,))
    return [(name, dtype, identity == "YES") for name, dtype, identity in await cur.fetchall()]


async def pg_tables(conn: Any) -> set[str]:
    cur = await conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
    return {name for (name,) in await cur.fetchall()} - SKIPPED_TABLES


# --- reading ---------------------------------------------------------------------------------

async def sqlite_batches(src: SqliteDatabase, table: Table):
    """Rows of the table in primary-key order (SQLite's BINARY collation), BATCH at a time.

    Keyset pagination over the primary key index: each batch starts after the last key seen.
    """
    cols = ", ".join(q(c) for c in table.columns)
    keys = ", ".join(q(c) for c in table.pk)
    key_index = [table.columns.index(c) for c in table.pk]
    first = f"SELECT {cols} FROM {q(table.name)} ORDER BY {keys} LIMIT {BATCH}"
    later = (f"SELECT {cols} FROM {q(table.name)} WHERE ({keys}) > ({', '.join('?' for _ in table.pk)}) "
             f"ORDER BY {keys} LIMIT {BATCH}")
    rows = await src.fetchall(first)
    while rows:
        batch = [tuple(r) for r in rows]
        yield batch
        if len(batch) < BATCH:
            return
        last = batch[-1]
        rows = await src.fetchall(later, [last[i] for i in key_index])


async def pg_checksum(conn: Any, table: Table, text_columns: set[str]) -> Checksum:
    """The target's rows in the same order as SQLite's: text keys compared byte-wise (COLLATE "C")."""
    cols = ", ".join(q(c) for c in table.columns)
    keys = ", ".join(q(c) + (' COLLATE "C"' if c in text_columns else "") for c in table.pk)
    checksum = Checksum(table.columns)
    async with conn.cursor(name=f"verify_{table.name}") as cur:
        await cur.execute(f"SELECT {cols} FROM {q(table.name)} ORDER BY {keys}")
        while batch := await cur.fetchmany(BATCH):
            for row in batch:
                checksum.add(row)
    return checksum


# --- the transfer ----------------------------------------------------------------------------

async def migrate_data(source_url: str, target_url: str,
                       progress: Progress = lambda _: None) -> dict[str, Any]:
    if urlsplit(source_url).scheme != "sqlite":
        raise refuse("--from must be a sqlite:///path URL (the database to move away from)")
    if urlsplit(target_url).scheme not in {"postgresql", "postgres"}:
        raise refuse("--to must be a postgresql:// URL (an empty database to move into)")
    path = sqlite_path(source_url)
    if path == ":memory:" or not os.path.isfile(path):
        raise refuse(f"there is no SQLite database at {path}")

    await _check_connects(target_url)
    src = await open_database(source_url)
    assert isinstance(src, SqliteDatabase)  # sqlite_path() accepted the URL
    try:
        dst = await open_database(target_url)
        try:
            await migrate(dst)
            # Refuse early, before the source is touched; checked again under lock when copying.
            early = {}
            for name in await _target_tables(dst):
                if await dst.fetchone(f"SELECT 1 AS one FROM {q(name)} LIMIT 1"):
                    early[name] = True
            if early:
                raise not_empty(early)
            await migrate(src)
            want = {version for version, _, _ in MIGRATIONS}
            src_versions = await applied_versions(src)
            dst_versions = await applied_versions(dst)
            if src_versions != want or dst_versions != want:
                raise refuse(
                    f"schema versions differ: source has {sorted(src_versions)}, target has "
                    f"{sorted(dst_versions)}; both must be exactly 1..{LATEST} (this botaz)")
        finally:
            await dst.close()
        return await _copy(src, target_url, progress)
    finally:
        await src.close()


def not_empty(occupied: dict[str, bool]) -> TransferError:
    accounts = " (it already has accounts)" if "accounts" in occupied else ""
    return refuse(f"the target database is not empty{accounts}: rows in "
                  f"{', '.join(sorted(occupied))}; migrate-data only copies into an empty "
                  "database, so nothing was written")


async def _check_connects(target_url: str) -> None:
    try:
        conn = await psycopg.AsyncConnection.connect(target_url, connect_timeout=10)
    except psycopg.Error as exc:
        raise refuse(f"cannot connect to the target {redact(target_url)}: "
                     f"{' '.join(str(exc).split())}") from exc
    await conn.close()


async def _target_tables(dst: Any) -> list[str]:
    rows = await dst.fetchall(
        "SELECT table_name AS name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
    return sorted({r["name"] for r in rows} - SKIPPED_TABLES)


async def _copy(src: SqliteDatabase, target_url: str, progress: Progress) -> dict[str, Any]:
    # One read transaction on SQLite: every table comes from the same snapshot, even if a
    # server is still writing to the file (its later writes are not part of the move).
    await src.execute("BEGIN")
    try:
        tables = await sqlite_tables(src)
        order = copy_order(tables)
        async with await psycopg.AsyncConnection.connect(target_url) as conn:
            async with conn.transaction():
                result = await _copy_into(conn, src, tables, order, progress)
        return result
    finally:
        await src.execute("ROLLBACK")


async def _copy_into(conn: Any, src: SqliteDatabase, tables: dict[str, Table], order: list[str],
                     progress: Progress) -> dict[str, Any]:
    target_tables = await pg_tables(conn)
    if target_tables != set(tables):
        raise refuse("the schemas differ: tables only in the source: "
                     f"{sorted(set(tables) - target_tables)}, only in the target: "
                     f"{sorted(target_tables - set(tables))}")
    columns: dict[str, list[tuple[str, str, bool]]] = {}
    for name in order:
        columns[name] = await pg_columns(conn, name)
        if sorted(c for c, _, _ in columns[name]) != sorted(tables[name].columns):
            raise refuse(f"the columns of {name} differ: source {tables[name].columns}, "
                         f"target {[c for c, _, _ in columns[name]]}")

    # Nobody writes to the target while we copy; readers may still read.
    await conn.execute("SET LOCAL lock_timeout = '30s'")
    await conn.execute(f"LOCK TABLE {', '.join(q(n) for n in order)} IN SHARE ROW EXCLUSIVE MODE")
    occupied = {}
    for name in order:
        cur = await conn.execute(f"SELECT EXISTS (SELECT 1 FROM {q(name)})")
        if (await cur.fetchone())[0]:
            occupied[name] = True
    if occupied:
        raise not_empty(occupied)

    report: dict[str, dict[str, Any]] = {}
    for name in order:
        table = tables[name]
        counted = await src.fetchone(f"SELECT COUNT(*) AS n FROM {q(name)}")
        assert counted is not None
        count = counted["n"]
        source_sum = Checksum(table.columns)
        cols = ", ".join(q(c) for c in table.columns)
        try:
            async with conn.cursor() as cur:
                async with cur.copy(f"COPY {q(name)} ({cols}) FROM STDIN") as copy:
                    async for batch in sqlite_batches(src, table):
                        for row in batch:
                            source_sum.add(row)
                            await copy.write_row(row)
                        if source_sum.rows % (BATCH * 50) == 0:
                            progress(f"{name}: {source_sum.rows}/{count} rows")
        except psycopg.Error as exc:
            raise TransferError(f"copying {name} failed, nothing was written: "
                                f"{str(exc).strip()}") from exc
        progress(f"{name}: {source_sum.rows} rows copied")
        if source_sum.rows != count:
            raise TransferError(f"{name}: read {source_sum.rows} rows but the source counts "
                                f"{count}; nothing was written")
        report[name] = {"rows": count, "checksum": source_sum.hexdigest()}

    mismatches = []
    for name in order:
        cur = await conn.execute(f"SELECT COUNT(*) FROM {q(name)}")
        target_count = (await cur.fetchone())[0]
        text_columns = {c for c, dtype, _ in columns[name] if dtype in ("text", "character varying")}
        target_sum = await pg_checksum(conn, tables[name], text_columns)
        expected = report[name]
        if target_count != expected["rows"] or target_sum.rows != expected["rows"]:
            mismatches.append(f"{name}: {expected['rows']} rows in the source, "
                              f"{target_count} in the target")
        elif target_sum.hexdigest() != expected["checksum"]:
            mismatches.append(f"{name}: the contents differ (checksum {expected['checksum']} "
                              f"in the source, {target_sum.hexdigest()} in the target)")
    if mismatches:
        raise TransferError("verification failed, nothing was written: " + "; ".join(mismatches))
    progress("verified: every table has the same rows and contents")

    # New rows continue after the copied ones.
    for name in order:
        for column, _, identity in columns[name]:
            if identity:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({q(column)}), 1), "
                    f"MAX({q(column)}) IS NOT NULL) FROM {q(name)}", (q(name), column))
    return {"tables": report, "version": LATEST, "ok": True}
