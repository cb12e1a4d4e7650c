"""Measures the answer bot's retrieval on bench/answers_set.py: right answers and right silences.

    .venv/bin/python bench/answers.py                 # SQLite in a temporary directory
    .venv/bin/python bench/answers.py --database-url postgresql://postgres@127.0.0.1/botaz_bench
    .venv/bin/python bench/answers.py --sweep         # the goals at every threshold from 30 to 90

Goals: at least 85% of the answerable questions answered from the right article, at least 90% of
the unanswerable ones left to a human. Writes its section of docs/benchmarks.md (between
<!-- bench/answers.py --> markers) unless --no-doc; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers_set import ARTICLES, QUESTIONS  # noqa: E402

from botaz.chat.accounts import do_create_account  # noqa: E402
from botaz.chat.answers import DEFAULT_THRESHOLD, find_answer  # noqa: E402
from botaz.chat.articles import create_article  # noqa: E402
from botaz.chat.context import Chat  # noqa: E402
from botaz.config import Settings  # noqa: E402
from botaz.events import EventBus  # noqa: E402
from botaz.store import Store  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench/answers.py: begin -->", "<!-- bench/answers.py: end -->"
GOAL_ANSWERED, GOAL_SILENT = 0.85, 0.90


async def run(url: str, thresholds: list[int]) -> tuple[dict[int, dict[str, Any]], float]:
    store = await Store.open(url)
    try:
        chat = Chat(store, EventBus(), Settings(database_url=url))
        made = await do_create_account(chat, name="Bazar", agent_name="Bench",
                                       agent_email="bench@example.com", agent_password=None)
        for a in ARTICLES:
            await create_article(chat, made["accountId"], dict(a))
        results: dict[int, dict[str, Any]] = {}
        started = time.perf_counter()
        for threshold in thresholds:
            right = wrong = missed = silent = spoke = 0
            failures = []
            for question, want in QUESTIONS:
                got = await find_answer(chat, made["accountId"], made["siteKey"], question, threshold)
                slug = got["url"].rsplit("/", 1)[1] if got else None
                if want is None:
                    silent += slug is None
                    spoke += slug is not None
                elif slug == want:
                    right += 1
                elif slug is None:
                    missed += 1
                else:
                    wrong += 1
                if slug != want:
                    failures.append((question, want, slug, got["confidence"] if got else None))
            results[threshold] = {"right": right, "wrong": wrong, "missed": missed,
                                  "silent": silent, "spoke": spoke, "failures": failures}
        per_question = (time.perf_counter() - started) / (len(thresholds) * len(QUESTIONS))
        return results, per_question
    finally:
        await store.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", help="default: SQLite in a temporary directory")
    p.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD)
    p.add_argument("--sweep", action="store_true", help="try thresholds 30..90 (print only)")
    p.add_argument("--no-doc", action="store_true")
    args = p.parse_args()
    answerable = sum(1 for _, want in QUESTIONS if want)
    unanswerable = len(QUESTIONS) - answerable
    thresholds = list(range(30, 95, 5)) if args.sweep else [args.threshold]
    with tempfile.TemporaryDirectory(prefix="botaz-answers-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/answers.db"
        results, per_q = asyncio.run(run(url, thresholds))
    dialect = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    for threshold, r in results.items():
        print(f"threshold {threshold}: answered right {r['right']}/{answerable} "
              f"({r['right'] / answerable:.0%}), wrong article {r['wrong']}, silent when it could "
              f"answer {r['missed']}; left to a human {r['silent']}/{unanswerable} "
              f"({r['silent'] / unanswerable:.0%})")
    r = results[thresholds[0] if not args.sweep else args.threshold] if args.threshold in results \
        else results[thresholds[0]]
    if not args.sweep:
        for question, want, slug, confidence in r["failures"]:
            print(f"  miss: {question!r}: want {want}, got {slug} ({confidence})")
    ok = r["right"] / answerable >= GOAL_ANSWERED and r["silent"] / unanswerable >= GOAL_SILENT
    print(f"{len(ARTICLES)} articles, {len(QUESTIONS)} questions on {dialect}; "
          f"{per_q * 1000:.1f} ms a question; goals {'met' if ok else 'NOT met'}")
    if not args.no_doc and not args.sweep:
        write_doc(r, answerable, unanswerable, dialect, per_q, args.threshold)
    return 0 if ok else 1


def write_doc(r: dict[str, Any], answerable: int, unanswerable: int, dialect: str, per_q: float,
              threshold: int) -> None:
    by_locale: dict[str, list[int]] = {}
    locale_of = {a["slug"]: a["locale"] for a in ARTICLES}
    failed = {(q, w) for q, w, _, _ in r["failures"]}
    for question, want in QUESTIONS:
        if want:
            counts = by_locale.setdefault(locale_of[want], [0, 0])
            counts[0] += (question, want) not in failed
            counts[1] += 1
    rows = "\n".join(f"| {loc} | {ok}/{n} ({ok / n:.0%}) |" for loc, (ok, n) in sorted(by_locale.items()))
    misses = "\n".join(f"- {q!r}: want `{w}`, got `{s}`" for q, w, s, _ in r["failures"]) or "- none"
    cpu = platform.processor() or platform.machine()
    section = f"""{BEGIN}
## Answer bot: retrieval on {len(ARTICLES)} articles and {len(QUESTIONS)} questions

Generated by `bench/answers.py` on {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}
({dialect}; {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, Python
{platform.python_version()}). The set is [bench/answers_set.py](../bench/answers_set.py): a shop's
help articles in az, en and ru and visitors' questions that paraphrase them, plus questions no
article answers. Retrieval alone (no LLM), threshold {threshold} (the default).

| goal | result |
|---|---|
| ≥ 85% of answerable questions answered from the right article | {r['right']}/{answerable} ({r['right'] / answerable:.0%}); wrong article {r['wrong']}, silent {r['missed']} |
| ≥ 90% of unanswerable questions left to a human | {r['silent']}/{unanswerable} ({r['silent'] / unanswerable:.0%}) |

| language | answered right |
|---|---|
{rows}

{per_q * 1000:.1f} ms a question (search and scoring, one process). On the other database
(`--database-url postgresql://...`) the answers are the same: both find the same candidates and
the ranking is computed in Python. Misses:

{misses}
{END}
"""
    old = DOC.read_text() if DOC.exists() else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        text = head + section.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = old.rstrip("\n") + "\n\n" + section
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
