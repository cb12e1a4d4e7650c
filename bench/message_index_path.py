#!/usr/bin/env python3
"""What the inbox search index costs POST /api/messages/: the domain call that stores an agent's
message (do_send_agent_message, in this process), timed with the index and without it (no
folding, no FTS5 statement, empty `search`), in alternating rounds.

    nice .venv/bin/python bench/message_index_path.py [--messages 3000] [--rounds 6] [--concurrency 20]
    nice .venv/bin/python bench/message_index_path.py --database-url postgresql://...

CPU time of this process and wall time per message, medians over the rounds. On PostgreSQL the
database's own work (the GIN index) is in the wall time only.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botaz.chat import messages, textsearch  # noqa: E402
from botaz.chat.accounts import Principal, do_create_account  # noqa: E402
from botaz.chat.context import Chat  # noqa: E402
from botaz.chat.schemas import MessageCreate, WidgetVisitorCreate  # noqa: E402
from botaz.chat.visitors import do_create_visitor  # noqa: E402
from botaz.config import Settings  # noqa: E402
from botaz.events import EventBus  # noqa: E402
from botaz.store import Store  # noqa: E402

TEXT = "Salam! Sifarişiniz sabah çatdırılacaq, zəhmət olmasa ünvanı təsdiqləyin (No. 4521_B)."


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp(prefix="botaz-msgindex-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    store = await Store.open(url)
    chat = Chat(store, EventBus(), Settings(database_url=url))
    acct = await do_create_account(chat, name="A", agent_name="Anar",
                                   agent_email=f"a{time.time_ns()}@example.com", agent_password=None)
    me = Principal(account_id=acct["accountId"], agent_id=acct["agentId"], role="owner",
                   is_bot=False, token_id=None)
    visitor = (await do_create_visitor(chat, WidgetVisitorCreate(siteKey=acct["siteKey"]), None))["visitorId"]
    body = MessageCreate(userId=acct["agentId"], visitorId=visitor, text=TEXT)
    await messages.do_send_agent_message(chat, me, body)
    fold, insert = textsearch.index_text, store.insert_message

    async def insert_unindexed(row: dict[str, Any], conn: Any = None) -> int:
        # the INSERT as it was before migration 19
        return await (conn or store.db).insert(
            "INSERT INTO messages (id, account_id, visitor_id, user_id, text, seen, sent_at, "
            "attachment, by_bot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], row["account_id"], row["visitor_id"], row["user_id"], row["text"],
             int(row.get("seen", False)), row["sent_at"], row.get("attachment"),
             int(row.get("by_bot", False))))

    # "fold only": the words computed, not stored (the FTS5 statement's share is the rest).
    results: dict[str, list[tuple[float, float]]] = {"with index": [], "fold only": [], "without": []}
    for i in range(args.rounds * 3):
        name = list(results)[i % 3]
        textsearch.index_text = fold if name != "without" else (lambda text: "")  # type: ignore
        store.insert_message = insert if name == "with index" else insert_unindexed  # type: ignore
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.messages // args.concurrency):
            await asyncio.gather(*(messages.do_send_agent_message(chat, me, body)
                                   for _ in range(args.concurrency)))
        results[name].append(((time.process_time() - cpu) / args.messages * 1e6,
                              (time.perf_counter() - wall) / args.messages * 1e6))
    textsearch.index_text = fold  # type: ignore
    await store.close()
    shutil.rmtree(tmp)
    print(f"{store.dialect}, {args.messages} messages a round, {args.concurrency} at once, "
          f"text of {len(TEXT)} characters")
    for name, values in results.items():
        cpu_values, wall_values = [v[0] for v in values], [v[1] for v in values]
        print(f"{name:10} {statistics.median(cpu_values):7.1f} µs CPU, "
              f"{statistics.median(wall_values):7.1f} µs wall per message "
              f"(CPU rounds: {', '.join(f'{v:.0f}' for v in cpu_values)})")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--concurrency", type=int, default=1, help="messages sent at once (on SQLite "
                   "they then share a commit, as under load)")
    p.add_argument("--database-url", help="a PostgreSQL database to write into (default: a "
                   "temporary SQLite file)")
    asyncio.run(main(p.parse_args()))
