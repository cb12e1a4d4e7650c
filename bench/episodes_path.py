#!/usr/bin/env python3
"""What episodes cost POST /api/messages/: the domain call that stores an agent's message
(do_send_agent_message, SQLite, in this process), timed with the episode hook and with it
replaced by a no-op, in alternating rounds.

    nice .venv/bin/python bench/episodes_path.py [--messages 3000] [--rounds 6]

The conversation is ongoing (its episode is open and answered), which is the common case: the
hook then runs no statement. CPU time of this process per message, median over the rounds.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botaz.chat import episodes, messages  # noqa: E402
from botaz.chat.accounts import Principal, do_create_account  # noqa: E402
from botaz.chat.context import Chat  # noqa: E402
from botaz.chat.schemas import MessageCreate, WidgetVisitorCreate  # noqa: E402
from botaz.chat.visitors import do_create_visitor  # noqa: E402
from botaz.config import Settings  # noqa: E402
from botaz.events import EventBus  # noqa: E402
from botaz.store import Store  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp(prefix="botaz-episodes-")
    url = f"sqlite:///{tmp}/bench.db"
    store = await Store.open(url)
    chat = Chat(store, EventBus(), Settings(database_url=url))
    acct = await do_create_account(chat, name="A", agent_name="Anar", agent_email="a@example.com",
                                   agent_password=None)
    me = Principal(account_id=acct["accountId"], agent_id=acct["agentId"], role="owner",
                   is_bot=False, token_id=None)
    visitor = (await do_create_visitor(chat, WidgetVisitorCreate(siteKey=acct["siteKey"]), None))["visitorId"]
    body = MessageCreate(userId=acct["agentId"], visitorId=visitor, text="hello")
    await messages.do_send_agent_message(chat, me, body)  # opens and answers the episode
    hook = episodes.on_message

    async def nothing(*args: object) -> None:
        return None

    results: dict[str, list[float]] = {"with episodes": [], "without": []}
    for i in range(args.rounds * 2):
        name = "with episodes" if i % 2 == 0 else "without"
        episodes.on_message = hook if name == "with episodes" else nothing  # type: ignore[assignment]
        started = time.process_time()
        for _ in range(args.messages):
            await messages.do_send_agent_message(chat, me, body)
        results[name].append((time.process_time() - started) / args.messages * 1e6)
    episodes.on_message = hook  # type: ignore[assignment]
    await store.close()
    shutil.rmtree(tmp)
    for name, values in results.items():
        print(f"{name:14} {statistics.median(values):7.1f} µs CPU per message "
              f"(rounds: {', '.join(f'{v:.0f}' for v in values)})")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=6)
    asyncio.run(main(p.parse_args()))
