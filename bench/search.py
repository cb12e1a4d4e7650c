#!/usr/bin/env python3
"""The inbox's message search (GET /api/conversations?q=) with many messages, on both databases.

    nice .venv/bin/python bench/search.py                       # 1,000,000 messages, SQLite
    nice .venv/bin/python bench/search.py --pg postgresql://postgres@127.0.0.1:5432/postgres
    nice .venv/bin/python bench/search.py --messages 200000 --only postgresql --pg URL

The messages are written straight through SQL in bulk (executemany on SQLite, COPY on
PostgreSQL, the index built after), with the `search` words folded by botaz's own
textsearch.index_text, into a fresh database (a temporary file; a new PostgreSQL database that is
dropped afterwards). The search is then timed in-process through the same function the endpoint
calls (botaz.chat.team.list_conversations: the index query, the visitors, their last messages and
unread counts), so the numbers are the endpoint's minus HTTP and JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botaz.chat import team, textsearch  # noqa: E402
from botaz.chat.accounts import Principal  # noqa: E402
from botaz.chat.context import Chat  # noqa: E402
from botaz.config import Settings  # noqa: E402
from botaz.events import EventBus  # noqa: E402
from botaz.store import Store  # noqa: E402

GOAL_MS = 100.0
PER_VISITOR = 10
OLD_VISITORS = 300
ACCOUNT = "bench-account"

# A Zipf-like vocabulary: a few very common words, a long tail of rare ones, in az, en and ru.
COMMON = ("salam sifariş çatdırılma qiymət ödəniş hello order delivery price payment thanks "
          "please when where today sabah bu gün kargo заказ доставка цена оплата спасибо "
          "привет когда сегодня").split()
RARE_SYLLABLES = ("şə kə lı ğa ça ör üz in ta ma ro ve ni ka lo pe su di mə ba").split()


def make_vocabulary(rng: random.Random, size: int = 50_000) -> list[str]:
    words = set(COMMON)
    while len(words) < size:
        words.add("".join(rng.choices(RARE_SYLLABLES, k=rng.randint(2, 4))) + str(rng.randint(0, 99)))
    ordered = list(COMMON) + sorted(words - set(COMMON))
    return ordered


def make_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    vocab = make_vocabulary(rng)
    weights = [1.0 / (rank + 1) for rank in range(len(vocab))]
    cumulative = list(__import__("itertools").accumulate(weights))
    texts = []
    for _ in range(n):
        picked = rng.choices(vocab, cum_weights=cumulative, k=rng.randint(4, 14))
        texts.append(" ".join(picked).capitalize() + rng.choice((".", "?", "!", "")))
    return texts


def queries(texts: list[str]) -> dict[str, str]:
    """Kinds of search, from a word in one message to a word in a third of them."""
    unique = "Şəkİ_unikal%ılıq"  # put into one message below: `_` and `%` are text
    return {
        "rare word": unique,
        "rare word, other case": "ŞƏKI unikal",
        "common word": "salam",
        "very common word, typing a prefix": "sif",
        "two common words": "salam sifariş",
        "two-letter prefix": "ça",
        "three words, Russian": "заказ доставка сегодня",
        "no message has it": "zzzqqq",
        "only symbols (name/email only)": "%_\\",
        "a visitor's name": "Nigar Bench",
        "common, only in the oldest conversations": "köhnəsöz",
    }


def build_sqlite(path: str, texts: list[str], visitors: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO accounts (id, name, site_key, created_at) VALUES (?, 'Bench', ?, 0)",
                 (ACCOUNT, "bench-site"))
    conn.executemany(
        "INSERT INTO visitors (id, account_id, token_hash, added_at, last_activity_at, "
        "conversation_at, name, email, search) VALUES (?, ?, ?, 1, ?, 1, ?, ?, ?)",
        visitor_rows(visitors))
    conn.execute("INSERT INTO visitors_fts (rowid, search) SELECT seq, search FROM visitors "
                 "WHERE search <> ''")
    conn.executemany(
        "INSERT INTO messages (id, account_id, visitor_id, user_id, text, seen, sent_at, search) "
        "VALUES (?, ?, ?, NULL, ?, 0, ?, ?)", message_rows(texts, visitors))
    conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def visitor_rows(visitors: int) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(visitors):
        name = "Nigar Bench" if i == visitors // 2 else f"Visitor {i}"
        email = f"visitor{i}@example.com"
        rows.append((f"v{i:07d}", ACCOUNT, f"h{i}", i, name, email,
                     textsearch.index_text(f"{name} {email}")))
    return rows


def message_rows(texts: list[str], visitors: int):
    for i, text in enumerate(texts):
        if i % visitors < OLD_VISITORS:  # a word more than SEARCH_CAP messages hold, none recent
            text += " köhnəsöz"
        yield (f"m{i:08d}", ACCOUNT, f"v{i % visitors:07d}", text, i, textsearch.index_text(text))


def build_postgresql(url: str, texts: list[str], visitors: int) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("DROP INDEX messages_search")
        conn.execute("INSERT INTO accounts (id, name, site_key, created_at) VALUES (%s, 'Bench', %s, 0)",
                     (ACCOUNT, "bench-site"))
        with conn.cursor() as cur:
            with cur.copy("COPY visitors (id, account_id, token_hash, last_activity_at, name, email, "
                          "search, added_at, conversation_at) FROM STDIN") as copy:
                for row in visitor_rows(visitors):
                    copy.write_row((*row, 1, 1))
            with cur.copy("COPY messages (id, account_id, visitor_id, text, sent_at, search) "
                          "FROM STDIN") as copy:
                for row in message_rows(texts, visitors):
                    copy.write_row((row[0], row[1], row[2], row[3], row[4], row[5]))
        conn.execute("CREATE INDEX messages_search ON messages USING GIN "
                     "(array_to_tsvector(string_to_array(search, ' ')))")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


async def time_searches(url: str, rounds: int) -> list[dict[str, Any]]:
    store = await Store.open(url)
    chat = Chat(store, EventBus(), Settings(database_url=url))
    agent = await store.db.fetchone("SELECT id FROM agents LIMIT 1")
    principal = Principal(ACCOUNT, agent["id"] if agent else "bench-agent", "owner", False, None)
    out = []
    try:
        for kind, q in queries([]).items():
            found_words = textsearch.message_query_words(q)
            held = 0
            if found_words:
                held = (await store.db.fetchone(
                    "SELECT COUNT(*) AS n FROM messages_fts WHERE messages_fts MATCH ?",
                    (textsearch.fts5_all(found_words),)) if store.dialect == "sqlite" else
                    await store.db.fetchone(
                        "SELECT COUNT(*) AS n FROM messages WHERE array_to_tsvector(string_to_array("
                        "search, ' ')) @@ CAST(? AS tsquery)", (textsearch.tsquery_all(found_words),)))["n"]
            times = []
            found = 0
            for _ in range(rounds):
                start = time.perf_counter()
                page = await team.list_conversations(chat, principal, {"q": q, "limit": "20"})
                times.append((time.perf_counter() - start) * 1000)
                found = len(page.items)
            out.append({"kind": kind, "q": q, "found": found, "held": int(held),
                        "median_ms": statistics.median(times), "max_ms": max(times)})
    finally:
        await store.close()
    return out


def make_pg_database(admin_url: str) -> str:
    import psycopg

    name = f"botaz_bench_search_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(admin_url: str, url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def run(kind: str, texts: list[str], visitors: int, pg_admin: str | None, rounds: int) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="botaz-search-")
    url = f"sqlite:///{tmp}/bench.db" if kind == "sqlite" else make_pg_database(pg_admin or "")
    try:
        asyncio.run(_migrate(url))
        start = time.perf_counter()
        if kind == "sqlite":
            build_sqlite(f"{tmp}/bench.db", texts, visitors)
        else:
            build_postgresql(url, texts, visitors)
        built = time.perf_counter() - start
        print(f"{kind}: {len(texts)} messages written and indexed in {built:.0f} s", flush=True)
        results = asyncio.run(time_searches(url, rounds))
        size = None
        if kind == "sqlite":
            size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        return {"database": kind, "build_s": built, "size_mb": size, "results": results}
    finally:
        if kind == "postgresql":
            drop_pg_database(pg_admin or "", url)
        for p in Path(tmp).iterdir():
            p.unlink()
        os.rmdir(tmp)


async def _migrate(url: str) -> None:
    store = await Store.open(url)  # creates the schema, migration 19 included
    await store.close()


def report(runs: list[dict[str, Any]], messages: int, visitors: int) -> str:
    lines = [f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Machine: "
             f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}, "
             f"SQLite {sqlite3.sqlite_version}.",
             f"{messages:,} messages from {visitors:,} visitors of one account; median and maximum "
             "of the rounds; goal < 100 ms.", ""]
    header = ("| search | q | messages holding it | " +
              " | ".join(f"{r['database']} median / max ms" for r in runs) + " | found |")
    lines += [header, "|" + "---|" * (4 + len(runs))]
    for i, first in enumerate(runs[0]["results"]):
        cells = [f"{r['results'][i]['median_ms']:.1f} / {r['results'][i]['max_ms']:.1f}" for r in runs]
        q = first["q"].replace("|", "\\|")
        lines.append(f"| {first['kind']} | `{q}` | {first['held']:,} | " + " | ".join(cells)
                     + f" | {first['found']} |")
    for r in runs:
        extra = f", database {r['size_mb']:.0f} MB" if r["size_mb"] else ""
        lines.append(f"\n{r['database']}: written and indexed in {r['build_s']:.0f} s{extra}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--pg", help="an admin PostgreSQL URL (a database is created and dropped)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    visitors = max(1, args.messages // PER_VISITOR)
    start = time.perf_counter()
    texts = make_texts(args.messages)
    texts[len(texts) // 2] += " Şəki_unikal%ılıq"
    print(f"{len(texts)} texts generated in {time.perf_counter() - start:.0f} s", flush=True)
    kinds = [args.only] if args.only else ["sqlite"] + (["postgresql"] if args.pg else [])
    runs = [run(kind, texts, visitors, args.pg, args.rounds) for kind in kinds]
    print(report(runs, args.messages, visitors))


if __name__ == "__main__":
    main()
