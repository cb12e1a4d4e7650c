#!/usr/bin/env python3
"""botaz on PostgreSQL against a bare Starlette + asyncpg app, both on one uvicorn process.

    .venv/bin/python bench/pg_run.py --pg-admin-url postgresql://postgres@127.0.0.1:5432/postgres

A fresh database is created through --pg-admin-url (and dropped afterwards); botaz migrates it,
`botaz create-account` and the widget API seed one account, agent and visitor. Then, with
`wrk -t1 -c50` (bench/wrk.lua), rounds interleaved, medians reported:

  GET  /api/visitors/:id   botaz          against  GET /visitors/{id}  bare (one primary-key SELECT)
  POST /api/messages/      botaz          against  POST /messages/     bare (BEGIN, INSERT, COMMIT)

The bare app runs twice: with asyncpg's pool as it comes, and with BENCH_POOL_RESET=off (no reset
round trip when a connection goes back); the faster one is the reference of the ratio.

Goals (issue 14): GET at least 0.7x, POST at least 0.5x the bare endpoint. CPU per request is
given for the server process (with its workers) and for the PostgreSQL backends connected to
the benchmark's database (not the server's background writers, which other work shares). Nothing is written to the docs:
bench/README.md says where the tables go.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import pg_drivers  # noqa: E402
import run as base  # noqa: E402

GOALS = {"GET /api/visitors/:id": 0.7, "POST /api/messages/": 0.5}


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (uvicorn's workers, if any)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += base.cpu_seconds(p)
        except OSError:
            continue
        todo += children.get(p, [])
    return total


def measure(args: argparse.Namespace, label: str, server: base.Server, url: str,
            env: dict[str, str], database: str) -> dict[str, float]:
    if args.warmup > 0:
        base.run_wrk(args, url, args.warmup, env, None)
    assert server.proc is not None
    pids = pg_drivers.backends(args.pg_admin_url, database)  # this benchmark's backends only
    cpu0, pg0 = tree_cpu(server.proc.pid), pg_drivers.server_cpu(pids)
    r = base.run_wrk(args, url, args.duration, env, None)
    cpu, pg = tree_cpu(server.proc.pid) - cpu0, pg_drivers.server_cpu(pids) - pg0
    n = max(r["requests"], 1)
    out = {"rps": r["requests"] / (r["duration_us"] / 1e6), "p50": r["p50_us"], "p99": r["p99_us"],
           "errors": r["status"] + r["connect"] + r["read"] + r["write"] + r["timeout"],
           "cpu_us": cpu * 1e6 / n, "pg_us": pg * 1e6 / n}
    print(f"  {label:34} {out['rps']:7.0f} req/s  p50 {base.fmt_ms(out['p50']):>8}  p99 "
          f"{base.fmt_ms(out['p99']):>9}  CPU/req {out['cpu_us']:5.0f} us  PostgreSQL "
          f"{out['pg_us']:5.0f} us  errors {out['errors']}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    default_python = base.ROOT / ".venv" / "bin" / "python"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", default=str(default_python) if default_python.exists() else sys.executable)
    p.add_argument("--pg-admin-url", default=os.environ.get(
        "BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--wrk", default=shutil.which("wrk"))
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    import psycopg

    name = "botaz_pgrun_" + secrets.token_hex(5)
    admin = urlsplit(args.pg_admin_url)
    url = urlunsplit(admin._replace(path="/" + name))
    with psycopg.connect(args.pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base.RESULTS.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="botaz-pgrun-", dir="/tmp"))
    started: list[base.Server] = []
    results: dict[str, list[dict[str, float]]] = {}
    print(f"load average before: {base.loadavg()}", flush=True)
    try:
        env0 = {k: v for k, v in os.environ.items() if not k.startswith("BOTAZ_")}
        env = env0 | {"BOTAZ_DATABASE_URL": url, "BOTAZ_RATE_LIMITS": "off",
                      "BOTAZ_DATA_DIR": str(tmp)}
        account = base.create_account(args.python, env)
        port = base.free_port()
        botaz = base.Server("botaz", [args.python, "-m", "botaz", "serve", "--port", str(port)],
                            env, port, base.RESULTS / "pg-botaz.log")
        started.append(botaz)
        botaz.start()
        visitor_id, _ = base.seed_data(botaz.base, account)
        port = base.free_port()
        bare_argv = base.uvicorn_argv(args.python, port)
        bare_argv[bare_argv.index("bare_app:app")] = "pg_bare_app:app"
        bare = base.Server("bare_app", bare_argv, env0 | {"BENCH_DATABASE_URL": url}, port,
                           base.RESULTS / "pg-bare.log")
        started.append(bare)
        bare.start()
        port = base.free_port()
        lean_argv = base.uvicorn_argv(args.python, port)
        lean_argv[lean_argv.index("bare_app:app")] = "pg_bare_app:app"
        lean = base.Server("bare_app", lean_argv, env0 | {"BENCH_DATABASE_URL": url,
                                                          "BENCH_POOL_RESET": "off"},
                           port, base.RESULTS / "pg-bare-lean.log")
        started.append(lean)
        lean.start()
        token = account["apiToken"]
        body = json.dumps({"userId": account["agentId"], "visitorId": visitor_id,
                           "text": base.MESSAGE_TEXT})
        for path, want in ((f"/visitors/{visitor_id}", 200),):
            status, answer = base.http("GET", bare.base + path)
            if status != want:
                raise SystemExit(f"bare GET {path} answered {status}: {answer}")
        cases = [
            ("GET  bare  /visitors/{id}", bare, f"{bare.base}/visitors/{visitor_id}", {}),
            ("GET  bare-lean /visitors/{id}", lean, f"{lean.base}/visitors/{visitor_id}", {}),
            ("GET  botaz /api/visitors/:id", botaz, f"{botaz.base}/api/visitors/{visitor_id}",
             {"BENCH_TOKEN": token}),
            ("POST bare  /messages/", bare, f"{bare.base}/messages/",
             {"BENCH_METHOD": "POST", "BENCH_BODY": body}),
            ("POST bare-lean /messages/", lean, f"{lean.base}/messages/",
             {"BENCH_METHOD": "POST", "BENCH_BODY": body}),
            ("POST botaz /api/messages/", botaz, f"{botaz.base}/api/messages/",
             {"BENCH_METHOD": "POST", "BENCH_BODY": body, "BENCH_TOKEN": token}),
        ]
        for rnd in range(1, args.rounds + 1):
            print(f"round {rnd}/{args.rounds}", flush=True)
            for label, server, target, extra in cases:
                results.setdefault(label, []).append(measure(args, label, server, target, extra, name))
    finally:
        for server in reversed(started):
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        with psycopg.connect(args.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"load average after: {base.loadavg()}\n")

    def med(label: str, key: str) -> float:
        return statistics.median(r[key] for r in results[label])

    print("| endpoint | server | req/s | p50 | p99 | CPU/request: server | PostgreSQL | botaz / bare | goal |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    met = True
    for endpoint, bares, botaz_label in (
            ("GET /api/visitors/:id", ("GET  bare  /visitors/{id}", "GET  bare-lean /visitors/{id}"),
             "GET  botaz /api/visitors/:id"),
            ("POST /api/messages/", ("POST bare  /messages/", "POST bare-lean /messages/"),
             "POST botaz /api/messages/")):
        # The reference is the faster bare variant (by median req/s).
        ref = max(bares, key=lambda label: med(label, "rps"))
        ratios = [b["rps"] / a["rps"] for a, b in zip(results[ref], results[botaz_label])]
        ratio = statistics.median(ratios)
        goal = GOALS[endpoint]
        met = met and ratio >= goal
        for label in (*bares, botaz_label):
            server = label.split()[1]
            if label == botaz_label:
                mark = (f"{ratio:.2f}x (rounds: {', '.join(f'{r:.2f}' for r in ratios)}) | "
                        f"{goal}x: {'met' if ratio >= goal else 'NOT met'}")
            elif label == ref:
                mark = "1.00x (reference) | "
            else:
                mark = f"{med(label, 'rps') / med(ref, 'rps'):.2f}x | "
            print(f"| `{endpoint}` | {server} | {med(label, 'rps'):,.0f} | "
                  f"{base.fmt_ms(med(label, 'p50'))} | {base.fmt_ms(med(label, 'p99'))} | "
                  f"{med(label, 'cpu_us'):.0f} µs | {med(label, 'pg_us'):.0f} µs | {mark} |")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
