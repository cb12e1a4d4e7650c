"""psycopg 3 against asyncpg on botaz's own hottest PostgreSQL statements.

Each case runs one of botaz's statements (the SQL of botaz/store/repo.py, byte for byte apart
from the placeholders) from `--concurrency` tasks sharing a pool of `--pool` connections, for
`--duration` seconds, and reports operations per second and CPU per operation: of this process
(the driver's work, what a botaz worker would spend) and of the PostgreSQL server's processes.

    python bench/pg_drivers.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

A fresh database is created (and dropped) on that server and migrated with botaz's migrations;
it holds one account, one agent and its token, 1,000 visitors and 10,000 messages.

Drivers:
  psycopg        psycopg 3's AsyncConnectionPool, autocommit, dict rows: botaz before this change
                 (prepare_threshold 5: a statement is prepared on its 5th run on a connection)
  psycopg-prep0  the same with prepare_threshold=0 (prepared on first use)
  psycopg-pipe   the same as psycopg-prep0, with the transaction's BEGIN/INSERT/COMMIT sent in
                 pipeline mode (one round trip instead of three; insert case only)
  asyncpg        asyncpg's pool (its per-connection prepared-statement cache, 100 statements)
  botaz          botaz.store.db.open_database: the driver botaz uses now, through its interface
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botaz.store import repo  # noqa: E402

TOKEN_SQL = ("SELECT t.id AS token_id, t.account_id, t.agent_id, t.last_used_at, a.role, a.is_bot "
             "FROM api_tokens t JOIN agents a ON a.id = t.agent_id "
             "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND a.removed_at IS NULL")
MESSAGE_SQL = (f"SELECT {repo.MESSAGE_COLUMNS} FROM messages WHERE id = ? AND account_id = ? "
               "AND deleted_at IS NULL")
VISITOR_SQL = f"SELECT {repo.VISITOR_COLUMNS} FROM visitors WHERE id = ? AND account_id = ?"
LIST_SQL = f"SELECT {repo.VISITOR_COLUMNS} FROM visitors WHERE account_id = ? ORDER BY seq DESC LIMIT ?"
INSERT_SQL = ("INSERT INTO messages (id, account_id, visitor_id, user_id, text, seen, sent_at, "
              "attachment, by_bot, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq")
CASES = ["token", "message", "visitor", "insert", "list"]


def dollar(sql: str) -> str:
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], 1))


def percent(sql: str) -> str:
    return sql.replace("?", "%s")


def backends(admin_url: str, database: str) -> list[int]:
    """The PIDs of the PostgreSQL backends connected to `database` now."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                            (database,)).fetchall()
    return [r[0] for r in rows]


def server_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes (PostgreSQL backends; a process that has
    exited since counts nothing, so take the difference over the same list)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class Data:
    def __init__(self) -> None:
        from botaz.chat.accounts import hash_token

        self.account = "bench" + secrets.token_hex(6)
        self.agent = "agent" + secrets.token_hex(6)
        self.token_hash = hash_token("bench-token")
        self.visitors = [secrets.token_hex(9) for _ in range(1000)]
        self.messages = [secrets.token_hex(9) for _ in range(10000)]


async def seed(url: str, data: Data) -> None:
    from botaz.store.repo import Store

    store = await Store.open(url)
    try:
        now = int(time.time() * 1000)
        await store.insert_account({"id": data.account, "name": "Bench", "site_key": data.account,
                                    "created_at": now})
        await store.insert_agent({"id": data.agent, "account_id": data.account, "name": "A",
                                  "email": "a@example.com", "role": "owner", "created_at": now})
        await store.insert_token({"id": "tok" + data.agent, "account_id": data.account,
                                  "agent_id": data.agent, "token_hash": data.token_hash,
                                  "created_at": now})
        for i, vid in enumerate(data.visitors):
            await store.insert_visitor({"id": vid, "account_id": data.account,
                                        "token_hash": "v" + vid, "user_agent": "bench",
                                        "added_at": now + i})
        for i, mid in enumerate(data.messages):
            await store.insert_message({"id": mid, "account_id": data.account,
                                        "visitor_id": data.visitors[i % 1000], "user_id": None,
                                        "text": "hello there", "sent_at": now + i,
                                        "search": "hello there"})
    finally:
        await store.close()


def insert_params(data: Data, i: int) -> tuple[Any, ...]:
    return (secrets.token_hex(9), data.account, data.visitors[i % 1000], data.agent,
            "Good morning! Can I help you?", 0, int(time.time() * 1000), None, 0, "good morning can i help you")


def read_params(case: str, data: Data, i: int) -> tuple[str, tuple[Any, ...]]:
    if case == "token":
        return TOKEN_SQL, (data.token_hash,)
    if case == "message":
        return MESSAGE_SQL, (data.messages[i % len(data.messages)], data.account)
    if case == "visitor":
        return VISITOR_SQL, (data.visitors[i % len(data.visitors)], data.account)
    return LIST_SQL, (data.account, 50)


Op = Callable[[int], Awaitable[Any]]


async def psycopg_ops(url: str, pool_size: int, prepare: int | None, pipeline: bool,
                      data: Data) -> tuple[dict[str, Op], Callable[[], Awaitable[None]]]:
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    async def configure(conn: Any) -> None:
        conn.prepare_threshold = prepare

    pool = AsyncConnectionPool(url, min_size=pool_size, max_size=pool_size, open=False,
                               kwargs={"row_factory": dict_row, "autocommit": True},
                               configure=configure)
    await pool.open(wait=True)

    def reader(case: str) -> Op:
        async def op(i: int) -> Any:
            sql, params = read_params(case, data, i)
            async with pool.connection() as conn:
                cur = await conn.execute(percent(sql), params)
                return await (cur.fetchall() if case == "list" else cur.fetchone())
        return op

    async def insert(i: int) -> Any:
        async with pool.connection() as conn:
            if pipeline:
                async with conn.pipeline():
                    async with conn.transaction():
                        cur = await conn.execute(percent(INSERT_SQL), insert_params(data, i))
                return await cur.fetchone()
            async with conn.transaction():
                cur = await conn.execute(percent(INSERT_SQL), insert_params(data, i))
                return await cur.fetchone()

    ops = {case: reader(case) for case in CASES if case != "insert"}
    ops["insert"] = insert
    return ops, pool.close


async def asyncpg_ops(url: str, pool_size: int,
                      data: Data) -> tuple[dict[str, Op], Callable[[], Awaitable[None]]]:
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=pool_size, max_size=pool_size)

    def reader(case: str) -> Op:
        async def op(i: int) -> Any:
            sql, params = read_params(case, data, i)
            async with pool.acquire() as conn:
                if case == "list":
                    return await conn.fetch(dollar(sql), *params)
                return await conn.fetchrow(dollar(sql), *params)
        return op

    async def insert(i: int) -> Any:
        async with pool.acquire() as conn:
            async with conn.transaction():
                return await conn.fetchrow(dollar(INSERT_SQL), *insert_params(data, i))

    ops = {case: reader(case) for case in CASES if case != "insert"}
    ops["insert"] = insert
    return ops, pool.close


async def botaz_ops(url: str, data: Data) -> tuple[dict[str, Op], Callable[[], Awaitable[None]]]:
    from botaz.store.db import open_database

    db = await open_database(url)
    insert_sql = INSERT_SQL.removesuffix(" RETURNING seq")

    def reader(case: str) -> Op:
        async def op(i: int) -> Any:
            sql, params = read_params(case, data, i)
            return await (db.fetchall(sql, params) if case == "list" else db.fetchone(sql, params))
        return op

    async def insert(i: int) -> Any:
        async with db.transaction() as tx:
            return await tx.insert(insert_sql, insert_params(data, i))

    ops = {case: reader(case) for case in CASES if case != "insert"}
    ops["insert"] = insert
    return ops, db.close


async def measure(op: Op, concurrency: int, duration: float, warmup: float,
                  pids: Callable[[], list[int]]) -> dict[str, float]:
    counter = [0]
    stop = [False]

    async def worker(w: int) -> None:
        i = w
        while not stop[0]:
            await op(i)
            i += concurrency
            counter[0] += 1

    tasks = [asyncio.create_task(worker(w)) for w in range(concurrency)]
    await asyncio.sleep(warmup)
    backend_pids = await asyncio.to_thread(pids)
    n0, t0, c0, s0 = counter[0], time.perf_counter(), time.process_time(), server_cpu(backend_pids)
    await asyncio.sleep(duration)
    n1, t1, c1, s1 = counter[0], time.perf_counter(), time.process_time(), server_cpu(backend_pids)
    stop[0] = True
    await asyncio.gather(*tasks)
    ops = n1 - n0
    return {"ops": ops / (t1 - t0), "client_us": (c1 - c0) / ops * 1e6,
            "server_us": (s1 - s0) / ops * 1e6}


async def run(args: argparse.Namespace) -> list[tuple[str, str, dict[str, float]]]:
    import psycopg

    name = "botaz_bench_" + secrets.token_hex(5)
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_db(args.database_url, name)
    results: list[tuple[str, str, dict[str, float]]] = []
    try:
        data = Data()
        await seed(url, data)
        pids = lambda: backends(args.database_url, name)  # noqa: E731
        runs: dict[tuple[str, str], list[dict[str, float]]] = {}
        # Rounds interleave the drivers, so that a change in the machine's load (it is shared)
        # falls on all of them; the medians are reported.
        for rnd in range(1, args.rounds + 1):
            print(f"round {rnd}/{args.rounds}", flush=True)
            for driver in args.drivers:
                if driver == "psycopg":
                    ops, close = await psycopg_ops(url, args.pool, 5, False, data)
                elif driver == "psycopg-prep0":
                    ops, close = await psycopg_ops(url, args.pool, 0, False, data)
                elif driver == "psycopg-pipe":
                    ops, close = await psycopg_ops(url, args.pool, 0, True, data)
                    ops = {"insert": ops["insert"]}
                elif driver == "asyncpg":
                    ops, close = await asyncpg_ops(url, args.pool, data)
                else:
                    ops, close = await botaz_ops(url, data)
                try:
                    for case in args.cases:
                        if case in ops:
                            r = await measure(ops[case], args.concurrency, args.duration,
                                              args.warmup, pids)
                            runs.setdefault((driver, case), []).append(r)
                            print(f"  {driver:14} {case:8} {r['ops']:9.0f} ops/s  client "
                                  f"{r['client_us']:6.0f} us/op  server {r['server_us']:6.0f} us/op",
                                  flush=True)
                finally:
                    await close()
        print("\n| statement | driver | ops/s | CPU/op: client | PostgreSQL backend |")
        print("|---|---|---:|---:|---:|")
        for case in args.cases:
            for driver in args.drivers:
                if (driver, case) not in runs:
                    continue
                rs = runs[(driver, case)]
                med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
                results.append((driver, case, med))
                print(f"| {case} | {driver} | {med['ops']:,.0f} | {med['client_us']:.0f} µs | "
                      f"{med['server_us']:.0f} µs |")
    finally:
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default=os.environ.get("BOTAZ_TEST_DATABASE_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--drivers", nargs="+", default=["psycopg", "psycopg-prep0", "psycopg-pipe", "asyncpg"],
                   choices=["psycopg", "psycopg-prep0", "psycopg-pipe", "asyncpg", "botaz"])
    p.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    p.add_argument("--pool", type=int, default=20, help="connections in the pool (20, botaz's maximum)")
    p.add_argument("--concurrency", type=int, default=50, help="concurrent tasks (50, like wrk -c50)")
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--warmup", type=float, default=0.5)
    p.add_argument("--rounds", type=int, default=3, help="rounds, drivers interleaved; medians (3)")
    args = p.parse_args(argv)
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
