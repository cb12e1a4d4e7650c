#!/usr/bin/env python3
"""Reports at scale: 100,000 conversations and 1,000,000 messages, then the 30-day summary.

    nice .venv/bin/python bench/reports.py                                  # SQLite (a temp file)
    nice .venv/bin/python bench/reports.py --database-url postgresql://postgres@127.0.0.1/botaz_bench
    .venv/bin/python bench/reports.py --help

What it does, on a fresh database (a PostgreSQL database named in the URL is dropped and made):

1. applies the migrations before 16 and writes an account with 10 agents and a bot, then the
   visitors and their messages as an older botaz would have stored them: each visitor's
   conversation opened at a random moment of the last `--days` days, a bot answer for some, a
   human answer after a random wait for most, more messages, and `status = resolved` for most;
2. applies migration 16, which builds the episodes from those messages (timed: the upgrade's
   cost), and rates a share of them;
3. times `GET /api/reports/summary` for the last 30 days as the domain computes it (the SQL and
   the figures; HTTP adds well under a millisecond), `--repeat` times, and the breakdown and the
   CSV export once each, and prints the query plan of the report's statement.

Only 127.0.0.1 is used. Results go to stdout; --doc PATH also appends them as a section to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from botaz.chat import reports  # noqa: E402
from botaz.chat.accounts import Principal  # noqa: E402
from botaz.chat.context import Chat  # noqa: E402
from botaz.config import Settings  # noqa: E402
from botaz.events import EventBus  # noqa: E402
from botaz.ids import new_id  # noqa: E402
from botaz.store import Store, migrations  # noqa: E402
from botaz.store.db import open_database  # noqa: E402

DAY = 86_400_000


def generate(args: argparse.Namespace, now: int, account: str, agents: list[str], bot: str):
    """Rows for visitors and messages, a conversation per visitor (as before migration 16)."""
    rnd = random.Random(args.seed)
    per = args.messages // args.conversations
    visitors, messages = [], []
    for i in range(args.conversations):
        vid = new_id()
        opened = now - rnd.randrange(args.days * DAY)
        resolved = rnd.random() < 0.8
        visitors.append((vid, account, f"h{i}", opened, opened, "resolved" if resolved else "open"))
        t = opened
        rows = [(None, 0)]
        if rnd.random() < 0.3:
            rows.append((bot, 1))
        if rnd.random() < 0.88:
            rows.append((rnd.choice(agents), 0))
        while len(rows) < per:
            rows.append((None, 0) if rnd.random() < 0.5 else (rows[-1][0], rows[-1][1]))
        for n, (user, by_bot) in enumerate(rows):
            if n:
                t += int(rnd.expovariate(1 / 90_000)) + 1000  # about a minute and a half apart
            messages.append((new_id(), account, vid, user, "message text", t, by_bot))
    return visitors, messages


async def build(args: argparse.Namespace, url: str) -> dict[str, float]:
    timings: dict[str, float] = {}
    db = await open_database(url)
    saved = migrations.MIGRATIONS
    migrations.MIGRATIONS = [m for m in saved if m[0] < 16]
    try:
        await migrations.migrate(db)
    finally:
        migrations.MIGRATIONS = saved
    now = int(time.time() * 1000)
    account = new_id()
    agents = [new_id() for _ in range(10)]
    bot = new_id()
    await db.execute("INSERT INTO accounts (id, name, site_key, created_at) VALUES (?, 'Bench', ?, ?)",
                     (account, new_id(), now))
    for i, agent in enumerate([*agents, bot]):
        await db.execute("INSERT INTO agents (id, account_id, name, email, is_bot, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         (agent, account, f"Agent {i}", f"a{i}@example.com", int(agent == bot), now))
    started = time.perf_counter()
    visitors, messages = generate(args, now, account, agents, bot)
    timings["generate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    v_sql = ("INSERT INTO visitors (id, account_id, token_hash, added_at, last_activity_at, status) "
             "VALUES (?, ?, ?, ?, ?, ?)")
    m_sql = ("INSERT INTO messages (id, account_id, visitor_id, user_id, text, sent_at, by_bot) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)")
    if db.dialect == "sqlite":
        conn = db._conn  # bulk load on the driver itself: the Database interface is one row a call
        conn.execute("BEGIN")
        conn.executemany(v_sql, visitors)
        conn.executemany(m_sql, messages)
        conn.execute("COMMIT")
    else:
        async with db._pool.connection() as conn, conn.transaction():
            async with conn.cursor() as cur:
                async with cur.copy("COPY visitors (id, account_id, token_hash, added_at, "
                                    "last_activity_at, status) FROM STDIN") as copy:
                    for row in visitors:
                        await copy.write_row(row)
                async with cur.copy("COPY messages (id, account_id, visitor_id, user_id, text, "
                                    "sent_at, by_bot) FROM STDIN") as copy:
                    for row in messages:
                        await copy.write_row(row)
    timings["load_s"] = time.perf_counter() - started
    await db.execute("ANALYZE")  # a long-lived database has statistics; a bulk load needs them made
    started = time.perf_counter()
    await migrations.migrate(db)  # 16: episodes from the messages
    timings["migration_16_s"] = time.perf_counter() - started
    rnd = random.Random(args.seed + 1)
    rows = await db.fetchall("SELECT id FROM conversations WHERE resolved_at IS NOT NULL")
    rated = [(rnd.choice((1, 2, 3, 4, 4, 5, 5, 5)), now, r["id"]) for r in rows if rnd.random() < 0.3]
    if db.dialect == "sqlite":
        conn = db._conn
        conn.execute("BEGIN")
        conn.executemany("UPDATE conversations SET rating = ?, rated_at = ? WHERE id = ?", rated)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    else:
        async with db._pool.connection() as conn:
            async with conn.transaction(), conn.cursor() as cur:
                await cur.executemany("UPDATE conversations SET rating = %s, rated_at = %s WHERE id = %s",
                                      rated)
            await conn.execute("VACUUM ANALYZE")
    await db.close()
    timings["account"] = account  # type: ignore[assignment]
    return timings


async def measure(args: argparse.Namespace, url: str, account: str) -> dict[str, object]:
    store = await Store.open(url)
    chat = Chat(store, EventBus(), Settings(database_url=url))
    principal = Principal(account_id=account, agent_id="bench", role="owner", is_bot=False, token_id=None)
    now = dt.datetime.now(dt.timezone.utc)
    window = {"from": (now - dt.timedelta(days=30)).isoformat(), "to": now.isoformat()}
    result = await reports.summary(chat, principal, window)  # warm
    times, cpu = [], []
    for _ in range(args.repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = await reports.summary(chat, principal, window)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    started = time.perf_counter()
    await reports.breakdown(chat, principal, {**window, "tz": "Asia/Baku"})
    breakdown_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    size = 0
    async for chunk in reports.export_csv(chat, principal, window):
        size += len(chunk)
    csv_ms = (time.perf_counter() - started) * 1000
    start, end = reports.check_window(window)
    sql = ("SELECT opened_at, opened_by, first_response_at, first_responder_id, first_bot_at, "
           "resolved_at, rating FROM conversations WHERE account_id = ? AND opened_at >= ? "
           "AND opened_at < ?")
    if store.dialect == "sqlite":
        plan = [" ".join(str(c) for c in r[3:]) for r in store.db._conn.execute(
            "EXPLAIN QUERY PLAN " + sql, (account, start, end)).fetchall()]
    else:
        plan = [r["QUERY PLAN"] for r in await store.db.fetchall("EXPLAIN " + sql, (account, start, end))]
    counts = await store.db.fetchone(
        "SELECT (SELECT COUNT(*) FROM conversations) AS c, (SELECT COUNT(*) FROM messages) AS m")
    await store.close()
    return {"summary_ms": times, "summary_cpu_ms": cpu, "breakdown_ms": breakdown_ms, "csv_ms": csv_ms, "csv_bytes": size,
            "in_window": result["conversations"], "plan": plan, "conversations": counts["c"],
            "messages": counts["m"], "result": result}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", help="default: a temporary SQLite file; a PostgreSQL database "
                                          "in the URL is dropped and created")
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=120, help="spread of the opening times (120)")
    p.add_argument("--repeat", type=int, default=20, help="summary calls measured (20)")
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--doc", help="append the results to this markdown file")
    p.add_argument("--keep", action="store_true", help="keep the temporary SQLite database")
    return p.parse_args(argv)


def fresh_pg(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = None
    url = args.database_url
    if not url:
        tmp = tempfile.mkdtemp(prefix="botaz-reports-")
        url = f"sqlite:///{tmp}/bench.db"
    elif url.startswith("postgresql"):
        fresh_pg(url)
    from run import loadavg_warning, machine  # bench/run.py: the machine, the load

    load = loadavg_warning()
    from run import loadavg

    timings = asyncio.run(build(args, url))
    out = asyncio.run(measure(args, url, str(timings.pop("account"))))
    load_after = loadavg()
    times = out["summary_ms"]
    med, p95 = statistics.median(times), sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    lines = [
        f"{kind}: {out['conversations']:,} conversations, {out['messages']:,} messages; "
        f"{out['in_window']:,} opened in the last 30 days",
        f"  30-day summary: median {med:.1f} ms, p95 {p95:.1f} ms, min {min(times):.1f} ms "
        f"({len(times)} calls); this process's CPU per call: median "
        f"{statistics.median(out['summary_cpu_ms']):.1f} ms",
        f"  breakdown (Asia/Baku): {out['breakdown_ms']:.1f} ms; CSV export of the window: "
        f"{out['csv_ms']:.0f} ms, {out['csv_bytes'] / 1e6:.1f} MB",
        f"  migration 16 (episodes from the messages): {timings['migration_16_s']:.1f} s; "
        f"bulk load {timings['load_s']:.1f} s",
        "  plan: " + " / ".join(out["plan"]),
        f"  goal < 200 ms: {'met' if med < 200 else 'NOT met'}",
    ]
    print("\n".join(lines))
    if args.doc:
        info = machine(sys.executable)
        date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with open(args.doc, "a") as f:
            f.write(f"\n### {kind}, {date}\n\n`nice {Path(sys.executable).name} bench/reports.py"
                    f"{' --database-url ' + args.database_url if args.database_url else ''}`; "
                    f"{info['cpu']}, {info['nproc']} cores (shared), {info['memory']}, "
                    f"Python {info['python']}, {info['os']}, commit {info['commit']}; load average "
                    f"before: {load}, after: {load_after}.\n\n```\n" + "\n".join(lines) + "\n```\n")
    if tmp and args.keep:
        print(f"kept {url}")
    elif tmp:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    return 0 if med < 200 else 1


if __name__ == "__main__":
    sys.exit(main())
