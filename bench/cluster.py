#!/usr/bin/env python3
"""Scale-out benchmark of botaz with Redis: `botaz serve --workers 2` against `--workers 1`, and
the delivery delay between two nodes.

    .venv/bin/python bench/cluster.py            # both parts, SQLite and PostgreSQL; updates docs/benchmarks.md
    .venv/bin/python bench/cluster.py --help

1. Throughput: `POST /api/messages/` under `wrk -t1 -c50 -d10s` (bench/wrk.lua, as bench/run.py
   does) against `botaz serve --workers 1` and `--workers 2`, both with BOTAZ_REDIS_URL, on SQLite
   and on PostgreSQL; rounds interleaved, medians reported. Goal: workers 2 >= 1.7x workers 1.
2. CPU per request at a fixed rate: `POST /api/messages/` at the same steady rate (default 1,000 a
   second, below what either saturates) to `--workers 1` and to `--workers 2` on PostgreSQL, and
   the CPU time the botaz processes and the PostgreSQL backends spend per message. Issue 14's goal:
   `--workers 2` within 10% of `--workers 1`. (Under wrk's closed loop the machine is saturated
   with two workers and not with one, and every process on it, PostgreSQL's included, then spends
   more CPU per unit of work: a comparison of load, not of what botaz does per request.)
3. Cross-node delivery: two `botaz serve` nodes on different ports sharing PostgreSQL and Redis;
   visitor sockets on node A, `POST /api/messages/` at a steady rate to node B; latency from just
   before the POST is written to the `message.created` frame on the visitor's socket. Goal: p99
   under 30 ms at 500 messages per second.

Redis is a private `redis-server` started on a free port for the run (Redis pub/sub channels are
global to a server: a shared one would carry other botaz processes' events into the benchmark, and
ours into theirs); --redis-url uses an existing one instead. PostgreSQL gets a fresh database per
run, created through --pg-admin-url and dropped afterwards. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as httpbench  # noqa: E402
import sockets as sockbench  # noqa: E402
from run import ROOT, RESULTS, Server, free_port, loadavg, loadavg_warning, sh, shown_command  # noqa: E402
from sockets import fmt_ms, percentile, tree_cpu_seconds  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
RATIO_GOAL = 1.7
CROSS_P99_GOAL_MS = 30.0
CPU_GOAL = 0.10  # --workers 2 within 10% of --workers 1, CPU per request at a fixed rate
MESSAGE_TEXT = "Good morning! Can I help you?"


# --------------------------------------------------------------------------------------------
# Redis and PostgreSQL for the run


class PrivateRedis:
    """`redis-server` on a free port, no persistence; stopped with SIGTERM."""

    def __init__(self, binary: str) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = open(RESULTS / "cluster-redis.log", "wb")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--daemonize", "no"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if sh(f"redis-cli -p {self.port} ping") == "PONG":
                return
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"redis-server did not start; see {RESULTS / 'cluster-redis.log'}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class PgDatabase:
    """A fresh database on the PostgreSQL server of `admin_url`, dropped by drop()."""

    def __init__(self, admin_url: str, label: str) -> None:
        self.admin_url = admin_url
        self.name = f"botaz_bench_{label}_{secrets.token_hex(4)}"
        parts = urlsplit(admin_url)
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        self._psql(f'CREATE DATABASE "{self.name}"')

    def _psql(self, sql: str) -> str:
        proc = subprocess.run(["psql", self.admin_url, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise SystemExit(f"psql failed: {sql}\n{proc.stderr}")
        return proc.stdout

    def backend_pids(self) -> list[int]:
        out = self._psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.name}'")
        return [int(p) for p in out.split()]

    def drop(self) -> None:
        self._psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def cpu_of(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            out[pid] = httpbench.cpu_seconds(pid)
        except OSError:
            pass
    return out


class Meter:
    """CPU seconds, from now to stop(), of the botaz processes (pid and its children), of Redis and
    of the PostgreSQL backends of our database; and the share of the machine that was busy."""

    def __init__(self, pid: int, redis: PrivateRedis | None, pg: PgDatabase | None) -> None:
        self.pid, self.redis, self.pg = pid, redis, pg
        self.botaz0 = tree_cpu_seconds(pid)
        self.redis0 = httpbench.cpu_seconds(redis.pid) if redis else 0.0
        self.db0 = cpu_of(pg.backend_pids()) if pg else {}
        self.jiffies0 = sockbench.cpu_jiffies()

    def stop(self) -> tuple[float, float, float, float]:
        """(botaz, Redis, PostgreSQL) CPU seconds and the machine's busy share."""
        busy = sockbench.busy_share(self.jiffies0, sockbench.cpu_jiffies())
        botaz = tree_cpu_seconds(self.pid) - self.botaz0
        redis = (httpbench.cpu_seconds(self.redis.pid) - self.redis0) if self.redis else 0.0
        db = 0.0
        if self.pg:
            db = sum(v - self.db0.get(p, 0.0) for p, v in cpu_of(self.pg.backend_pids()).items())
        return botaz, redis, db, busy


def stop_server(server: Server) -> None:
    code = server.stop(timeout=60)
    if code not in (0, None):
        print(f"warning: {server.name} exited with {code} after SIGTERM (expected 0); see "
              f"{os.path.relpath(server.log_path, ROOT)}", file=sys.stderr)


def database_env(args: argparse.Namespace, database: str, redis_url: str, tmp: Path,
                 cleanup: list[Any], name: str) -> tuple[dict[str, str], PgDatabase | None]:
    """The environment of a part's servers: a fresh SQLite file or PostgreSQL database, Redis,
    rate limits off; and the PostgreSQL database, if any (dropped by the cleanup)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTAZ_")}
    pg = None
    if database == "sqlite":
        db_url = f"sqlite:///{tmp / f'{name}.db'}"
    else:
        pg = PgDatabase(args.pg_admin_url, name)
        cleanup.append(pg)
        db_url = pg.url
    env |= {"BOTAZ_DATABASE_URL": db_url, "BOTAZ_REDIS_URL": redis_url, "BOTAZ_RATE_LIMITS": "off"}
    return env, pg


# --------------------------------------------------------------------------------------------
# part 1: throughput, --workers 1 against --workers 2


@dataclass
class Run:
    database: str
    workers: int
    rps: float
    p50_us: int
    p99_us: int
    non2xx: int
    socket_errors: int
    server_cpu_us: float  # botaz processes (supervisor + workers), per request
    wrk_cpu_us: float  # the load generator, per request
    machine_busy: float  # share of all cores busy during the run (everything on the machine)
    worker_cpu_s: list[float]  # each worker's CPU seconds in the run (balance)
    redis_cpu_us: float
    db_cpu_us: float  # PostgreSQL backends of our database, per request (0 on SQLite)


@dataclass
class Pair:
    database: str
    runs: dict[int, list[Run]] = field(default_factory=dict)

    def median(self, workers: int) -> Run:
        ordered = sorted(self.runs[workers], key=lambda r: r.rps)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def ratios(self) -> list[float]:
        return [two.rps / one.rps for one, two in zip(self.runs[1], self.runs[2])]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def serve(args: argparse.Namespace, name: str, workers: int, env: dict[str, str]) -> Server:
    port = free_port()
    argv = [args.python, "-m", "botaz", "serve", "--port", str(port), "--workers", str(workers)]
    return Server(name, argv, env, port, RESULTS / f"{name}.log")


def measure_throughput(args: argparse.Namespace, database: str, workers: int, env: dict[str, str],
                       redis: PrivateRedis | None, pg: PgDatabase | None, account: dict[str, str],
                       raw_log: Path) -> Run:
    server = serve(args, f"cluster-{database}-w{workers}", workers, env)
    try:
        server.start(timeout=60)
        assert server.proc is not None
        time.sleep(1)  # every worker through its lifespan, not only the first to answer
        visitor_id, _ = httpbench.seed_data(server.base, account)
        body = {"userId": account["agentId"], "visitorId": visitor_id, "text": MESSAGE_TEXT}
        wrk_env = {"BENCH_METHOD": "POST", "BENCH_BODY": json.dumps(body),
                   "BENCH_TOKEN": account["apiToken"]}
        url = f"{server.base}/api/messages/"
        if args.warmup > 0:
            httpbench.run_wrk(args, url, args.warmup, wrk_env, None)
        pid = server.proc.pid
        workers_pids = [p for p in sockbench.children(pid) if b"resource_tracker" not in
                        Path(f"/proc/{p}/cmdline").read_bytes()]
        w_before = cpu_of(workers_pids)
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        meter = Meter(pid, redis, pg)
        r = httpbench.run_wrk(args, url, args.duration, wrk_env, raw_log)
        cpu, redis_cpu, db_cpu, busy = meter.stop()
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        w_after = cpu_of(workers_pids)
    finally:
        stop_server(server)
    n = max(r["requests"], 1)
    run = Run(database, workers, r["requests"] / (r["duration_us"] / 1e6), r["p50_us"], r["p99_us"],
              r["status"], r["connect"] + r["read"] + r["write"] + r["timeout"], cpu * 1e6 / n,
              wrk_cpu * 1e6 / n, busy,
              [round(w_after.get(p, 0) - w_before.get(p, 0), 2) for p in workers_pids
               if p in w_after] if workers > 1 else [round(cpu, 2)],
              redis_cpu * 1e6 / n, db_cpu * 1e6 / n)
    print(f"  {database:10} --workers {workers}: {run.rps:8.0f} req/s  p50 {run.p50_us / 1000:6.2f} ms"
          f"  p99 {run.p99_us / 1000:7.2f} ms  CPU/req botaz {run.server_cpu_us:4.0f} us, wrk "
          f"{run.wrk_cpu_us:3.0f} us, redis "
          f"{run.redis_cpu_us:3.0f} us, db {run.db_cpu_us:4.0f} us  non-2xx {run.non2xx}  socket "
          f"errors {run.socket_errors}  workers' CPU {run.worker_cpu_s}  machine busy "
          f"{run.machine_busy * 100:.0f}%", flush=True)
    return run


def throughput(args: argparse.Namespace, database: str, redis_url: str, redis: PrivateRedis | None,
               tmp: Path, cleanup: list[Any], raw_log: Path) -> Pair:
    env, pg = database_env(args, database, redis_url, tmp, cleanup, "tp")
    account = httpbench.create_account(args.python, env)
    pair = Pair(database, {1: [], 2: []})
    for rnd in range(1, args.rounds + 1):
        print(f"{database}: round {rnd}/{args.rounds}", flush=True)
        for workers in (1, 2):
            pair.runs[workers].append(measure_throughput(args, database, workers, env, redis, pg,
                                                         account, raw_log))
    return pair


# --------------------------------------------------------------------------------------------
# part 2: CPU per request at a fixed rate, --workers 1 against --workers 2


@dataclass
class RateRun:
    workers: int
    sent: int
    accepted: int
    achieved_rate: float
    server_cpu_us: float  # botaz processes (supervisor + workers), per message
    db_cpu_us: float  # PostgreSQL backends of our database, per message
    redis_cpu_us: float
    machine_busy: float
    http_p99_ns: float


@dataclass
class RatePair:
    database: str
    rate: float
    runs: dict[int, list[RateRun]] = field(default_factory=dict)

    def cpu(self, workers: int) -> float:
        return statistics.median(r.server_cpu_us for r in self.runs[workers])

    @property
    def change(self) -> float:
        return self.cpu(2) / self.cpu(1) - 1

    @property
    def met(self) -> bool:
        return (abs(self.change) <= CPU_GOAL
                and all(r.accepted == r.sent > 0 for w in (1, 2) for r in self.runs[w]))


def measure_at_rate(args: argparse.Namespace, database: str, workers: int, env: dict[str, str],
                    redis: PrivateRedis | None, pg: PgDatabase | None, account: dict[str, str],
                    tmp: Path) -> RateRun:
    server = serve(args, f"cluster-rate-{database}-w{workers}", workers, env)
    try:
        server.start(timeout=60)
        assert server.proc is not None
        time.sleep(1)  # every worker through its lifespan, not only the first to answer
        targets = [httpbench.seed_data(server.base, account)[0] for _ in range(20)]
        targets_file = tmp / "rate-targets.json"
        targets_file.write_text(json.dumps(targets))

        def send(seconds: float, out: str) -> dict[str, Any]:
            return sockbench.run_sender(args.python, server.port, account["apiToken"], account["agentId"],
                                        targets_file, args.cpu_rate, seconds, args.sender_connections,
                                        args.seed, tmp / out, timeout=seconds + 120,
                                        tag="cluster-rate-sender")

        send(args.warmup + 1, "rate-warmup.json")  # pools, caches, prepared statements
        meter = Meter(server.proc.pid, redis, pg)
        sent = send(args.duration, "rate-sent.json")
        cpu, redis_cpu, db_cpu, busy = meter.stop()
    finally:
        stop_server(server)
    rows = sent["sent"]  # [i, visitorId, status, send_ns, done_ns, due_ns]
    n = max(len(rows), 1)
    span = (max(r[4] for r in rows) - min(r[3] for r in rows)) / 1e9 if rows else 1.0
    run = RateRun(workers, len(rows), sum(1 for r in rows if r[2] == 201), len(rows) / max(span, 1e-9),
                  cpu * 1e6 / n, db_cpu * 1e6 / n, redis_cpu * 1e6 / n, busy,
                  percentile(sorted(r[4] - r[3] for r in rows), 99))
    print(f"  {database:10} --workers {workers} at {args.cpu_rate:g}/s: {run.sent} sent, {run.accepted} "
          f"answered 201  CPU/message botaz {run.server_cpu_us:4.0f} us, db {run.db_cpu_us:4.0f} us, "
          f"redis {run.redis_cpu_us:3.0f} us  POST p99 {fmt_ms(run.http_p99_ns)}  machine busy "
          f"{run.machine_busy * 100:.0f}%", flush=True)
    return run


def cpu_at_rate(args: argparse.Namespace, database: str, redis_url: str, redis: PrivateRedis | None,
                tmp: Path, cleanup: list[Any]) -> RatePair:
    env, pg = database_env(args, database, redis_url, tmp, cleanup, "rate")
    account = httpbench.create_account(args.python, env)
    pair = RatePair(database, args.cpu_rate, {1: [], 2: []})
    for rnd in range(1, args.rounds + 1):
        print(f"{database} at {args.cpu_rate:g} msg/s: round {rnd}/{args.rounds}", flush=True)
        for workers in (1, 2):
            pair.runs[workers].append(measure_at_rate(args, database, workers, env, redis, pg,
                                                      account, tmp))
    return pair


def rate_table(pairs: list[RatePair]) -> str:
    lines = ["| database | server | messages sent / answered 201 | CPU per message: botaz | "
             "PostgreSQL | Redis | POST p99 | machine busy | botaz CPU vs `--workers 1` | goal |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for pair in pairs:
        for workers in (1, 2):
            runs = pair.runs[workers]
            sent = sum(r.sent for r in runs)
            ok = sum(r.accepted for r in runs)
            if workers == 1:
                change, goal = "reference", ""
            else:
                change = f"{pair.change * 100:+.0f}%"
                goal = f"within ±{CPU_GOAL * 100:.0f}%: {'met' if pair.met else 'NOT met'}"
            lines.append(
                f"| {pair.database} | `--workers {workers}` | {sent:,} / {ok:,} | {pair.cpu(workers):.0f} µs | "
                f"{statistics.median(r.db_cpu_us for r in runs):.0f} µs | "
                f"{statistics.median(r.redis_cpu_us for r in runs):.0f} µs | "
                f"{fmt_ms(statistics.median(r.http_p99_ns for r in runs))} | "
                f"{statistics.median(r.machine_busy for r in runs) * 100:.0f}% | {change} | {goal} |")
        lines.append("")
        lines.append("Every round, botaz CPU per message (`--workers 1` / `--workers 2`): " + "; ".join(
            f"{one.server_cpu_us:.0f} / {two.server_cpu_us:.0f} µs"
            for one, two in zip(pair.runs[1], pair.runs[2])) + ".")
    return "\n".join(lines).rstrip()


# --------------------------------------------------------------------------------------------
# part 3: cross-node delivery


@dataclass
class Cross:
    sockets: int
    connected: sockbench.Connected
    delivery: sockbench.Delivery
    node_a_cpu_s: float
    node_b_cpu_s: float
    redis_cpu_s: float
    closed: dict[str, int]

    @property
    def met(self) -> bool:
        d = self.delivery
        return (d.p99 < CROSS_P99_GOAL_MS * 1e6 and d.lost == 0 and not d.http_errors
                and d.delivered > 0 and self.connected.sockets == self.sockets)


def cross_node(args: argparse.Namespace, redis_url: str, redis: PrivateRedis | None, tmp: Path,
               cleanup: list[Any]) -> Cross:
    pg = PgDatabase(args.pg_admin_url, "x")
    cleanup.append(pg)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTAZ_")}
    env |= {"BOTAZ_DATABASE_URL": pg.url, "BOTAZ_REDIS_URL": redis_url, "BOTAZ_RATE_LIMITS": "off"}
    account = httpbench.create_account(args.python, env)
    visitors_file = tmp / "cross-visitors.json"
    sockbench.seed_visitors(args.python, pg.url, account["siteKey"], args.sockets, visitors_file)
    node_a = serve(args, "cluster-node-a", 1, env)
    cleanup.append(node_a)
    node_a.start(timeout=60)
    node_b = serve(args, "cluster-node-b", 1, env)
    cleanup.append(node_b)
    node_b.start(timeout=60)
    assert node_a.proc is not None and node_b.proc is not None
    clients = sockbench.SocketClients(args.python, node_a.port, visitors_file, args.sockets, 1, 100,
                                      args.compression, tag="cluster-clients")
    cleanup.append(clients)
    connected = clients.connect(120)
    print(f"  {connected.sockets} sockets open on node A (port {node_a.port}), {connected.failed} failed",
          flush=True)
    time.sleep(args.settle)  # presence snapshots have crossed; the nodes are quiet
    targets = sorted({v for v, _ in json.loads(visitors_file.read_text())} - connected.failed_ids)
    targets_file = tmp / "cross-targets.json"
    targets_file.write_text(json.dumps(targets))
    print(f"  sending {args.rate:g} msg/s for {args.send_duration:g} s to node B (port {node_b.port}) ...",
          flush=True)
    a0, b0 = httpbench.cpu_seconds(node_a.proc.pid), httpbench.cpu_seconds(node_b.proc.pid)
    r0 = httpbench.cpu_seconds(redis.pid) if redis else 0.0
    sent = sockbench.run_sender(args.python, node_b.port, account["apiToken"], account["agentId"],
                                targets_file, args.rate, args.send_duration, args.sender_connections,
                                args.seed, tmp / "cross-sent.json",
                                timeout=args.send_warmup + args.send_duration + 120,
                                tag="cluster-sender", warmup=args.send_warmup)
    a1, b1 = httpbench.cpu_seconds(node_a.proc.pid), httpbench.cpu_seconds(node_b.proc.pid)
    r1 = httpbench.cpu_seconds(redis.pid) if redis else 0.0
    time.sleep(args.grace)
    report = clients.report()
    sockbench.save_raw("cluster-cross", sent, report)
    clients.stop()
    return Cross(args.sockets, connected, sockbench.delivery(sent, report), a1 - a0, b1 - b0,
                 r1 - r0, report["closed"])


# --------------------------------------------------------------------------------------------
# report


def throughput_table(pairs: list[Pair]) -> str:
    lines = ["| database | server | req/s | p50 | p99 | errors (non-2xx / socket) | CPU/request: botaz | "
             "wrk | Redis | PostgreSQL | machine busy | workers 2 / workers 1 | goal |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for pair in pairs:
        for workers in (1, 2):
            runs = pair.runs[workers]
            m = pair.median(workers)
            errors = f"{sum(r.non2xx for r in runs)} / {sum(r.socket_errors for r in runs)}"
            rps = statistics.median(r.rps for r in runs)
            cpu = statistics.median(r.server_cpu_us for r in runs)
            redis = statistics.median(r.redis_cpu_us for r in runs)
            db = statistics.median(r.db_cpu_us for r in runs)
            wrk = statistics.median(r.wrk_cpu_us for r in runs)
            busy = statistics.median(r.machine_busy for r in runs)
            if workers == 1:
                ratio, goal = "1.00x", "reference"
            else:
                ok = pair.ratio >= RATIO_GOAL and all(r.non2xx + r.socket_errors == 0
                                                      for w in (1, 2) for r in pair.runs[w])
                ratio, goal = f"{pair.ratio:.2f}x", f"≥ {RATIO_GOAL:.1f}x: {'met' if ok else 'NOT met'}"
            lines.append(f"| {pair.database} | `--workers {workers}` | {rps:,.0f} | {m.p50_us / 1000:.2f} ms | "
                         f"{m.p99_us / 1000:.2f} ms | {errors} | {cpu:.0f} µs | {wrk:.0f} µs | {redis:.0f} µs | "
                         f"{db:.0f} µs | {busy * 100:.0f}% | {ratio} | {goal} |")
    return "\n".join(lines)


def rounds_table(pairs: list[Pair]) -> str:
    n = len(pairs[0].runs[1])
    lines = ["| database | server | " + " | ".join(f"round {i + 1}" for i in range(n)) + " |",
             "|---|---|" + "---:|" * n]
    for pair in pairs:
        for workers in (1, 2):
            cells = []
            for i, r in enumerate(pair.runs[workers]):
                cell = f"{r.rps:,.0f}"
                if workers == 2:
                    cell += f" ({pair.ratios[i]:.2f}x; workers' CPU {' + '.join(f'{c:.1f}' for c in r.worker_cpu_s)} s)"
                cells.append(cell)
            lines.append(f"| {pair.database} | `--workers {workers}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cross_table(c: Cross, args: argparse.Namespace) -> str:
    d = c.delivery
    secs = max((d.sent + d.warmup) / max(d.achieved_rate, 1), 1e-9)  # CPU was read around both parts
    rows = [
        ("visitor sockets on node A", f"{c.connected.sockets} of {c.sockets} ({c.connected.failed} failed)"),
        ("messages sent to node B / answered 201", f"{d.sent:,} / {d.accepted:,} at {d.achieved_rate:,.0f} msg/s "
                                                   f"(worst send {fmt_ms(d.max_slip_ns)} behind schedule; {d.connections} connections)"),
        ("delivered on node A / lost / duplicated / wrong socket",
         f"{d.delivered:,} / {d.lost} / {d.duplicates} / {d.wrong_visitor}"),
        ("delivery latency p50 / p99 / max", f"{fmt_ms(d.p50)} / **{fmt_ms(d.p99)}** / {fmt_ms(d.max)}"),
        ("POST /api/messages/ response on node B p50 / p99",
         f"{fmt_ms(percentile(d.http_ns, 50))} / {fmt_ms(percentile(d.http_ns, 99))}"),
        ("CPU while sending: node B / node A / Redis",
         f"{c.node_b_cpu_s / secs * 100:.0f}% / {c.node_a_cpu_s / secs * 100:.0f}% / "
         f"{c.redis_cpu_s / secs * 100:.0f}% of a core"),
        ("sockets closed during the run", ", ".join(f"{n} with {k}" for k, n in c.closed.items()) or "none"),
    ]
    return "\n".join(["| measure | result |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows]])


def doc_text(args: argparse.Namespace, pairs: list[Pair], rate_pairs: list[RatePair],
             cross: Cross | None, date: str,
             command: str, load: tuple[str, str], redis_note: str) -> str:
    parts = [f"""## Scale-out: `--workers 2` and two nodes with Redis

Generated by `bench/cluster.py` (see [bench/README.md](../bench/README.md#scale-out-benchmark)).
Goals: `POST /api/messages/` throughput of `botaz serve --workers 2` at ≥ {RATIO_GOAL:.1f}x that of
`--workers 1` (both with `BOTAZ_REDIS_URL`); at a fixed rate, CPU per message with `--workers 2`
within {CPU_GOAL * 100:.0f}% of `--workers 1` (issue 14); and cross-node delivery p99 under
{CROSS_P99_GOAL_MS:g} ms at {args.rate:g} messages per second.

Date: {date}

Command (from the repository root):

```sh
{command}
```
"""]
    if pairs:
        verdicts = "\n".join(
            f"- {p.database}: `--workers 2` makes {p.ratio:.2f}x the requests per second of "
            f"`--workers 1` (goal ≥ {RATIO_GOAL:.1f}x): **{'met' if p.ratio >= RATIO_GOAL else 'NOT met'}**."
            for p in pairs)
        parts.append(f"""### Throughput: `POST /api/messages/`, `--workers 1` against `--workers 2`

{throughput_table(pairs)}

{verdicts}

req/s is the median of {args.rounds} rounds; p50/p99 come from the median round; errors are summed
over all rounds; the ratio is the median of the per-round ratios (each `--workers 2` run divided by
the `--workers 1` run just before it). CPU per request: user + system CPU time of the botaz
processes (the supervisor and its workers), of wrk, of the Redis server, and of the PostgreSQL
backends serving the benchmark's database, during the measured run, divided by the requests
completed. "Machine busy" is the share of all {sh('nproc') or os.cpu_count()} cores that was busy
during the run (`/proc/stat`, everything on the machine): at 100% the ratio is bounded by the
machine, not by botaz.
Every round (req/s; for `--workers 2` the ratio and each worker's CPU seconds, which shows how
evenly the kernel spread the 50 connections):

{rounds_table(pairs)}
""")
    if rate_pairs:
        verdicts = "\n".join(
            f"- {p.database}: CPU per message with `--workers 2` {p.change * 100:+.0f}% of `--workers 1` "
            f"at {p.rate:g} messages a second (goal within ±{CPU_GOAL * 100:.0f}%): "
            f"**{'met' if p.met else 'NOT met'}**." for p in rate_pairs)
        parts.append(f"""### CPU per message at a fixed rate: `--workers 1` against `--workers 2`

{rate_table(rate_pairs)}

{verdicts}

A sender process (bench/sockets.py's, {args.sender_connections} keep-alive connections) posts
{args.cpu_rate:g} `POST /api/messages/` a second, spread over 20 visitors, to a fresh `botaz serve
--workers N` ({args.warmup + 1:g} s of warm-up, then {args.duration:g} s measured), {args.rounds} rounds of
`--workers 1` then `--workers 2`, medians. CPU per message: user + system CPU time of the botaz
processes (supervisor and workers), of the PostgreSQL backends serving the benchmark's database and
of Redis during the measured part, divided by the messages sent. The same load for both, below
what either saturates: under wrk's closed loop (the table above) the machine is 100% busy with two
workers and not with one, and then every process on it, PostgreSQL's included, spends more CPU
per unit of work.
""")
    if cross is not None:
        parts.append(f"""### Cross-node delivery: sockets on node A, messages posted to node B

{cross_table(cross, args)}

- delivery p99 < {CROSS_P99_GOAL_MS:g} ms at {args.rate:g} msg/s, nothing lost: p99 {fmt_ms(cross.delivery.p99)},
  {cross.delivery.lost} lost: **{'met' if cross.met else 'NOT met'}**.
""")
    parts.append(f"""### Machine

{chr(10).join(sockbench.machine_lines(args.python))}
- wrk: {httpbench.machine(args.python)['wrk']}; Redis: {sh('redis-server --version').split(' sha=')[0]}; PostgreSQL: {sh(f"psql {shlex.quote(args.pg_admin_url)} -Atc 'SHOW server_version'")}
- Load average (1, 5, 15 min) before / after the run: {load[0]} / {load[1]}

### Method

- Redis: {redis_note}. PostgreSQL: a fresh database per part on the local server
  (`CREATE DATABASE`, dropped afterwards); SQLite: a fresh file in `/tmp`. Each database gets
  `botaz create-account --json`.
- Throughput: for each database, {args.rounds} rounds of `--workers 1` then `--workers 2`. Each run
  starts `BOTAZ_RATE_LIMITS=off BOTAZ_REDIS_URL=... botaz serve --workers N --port P` afresh, makes a
  visitor with `POST /widget/v1/visitors`, runs a {args.warmup:g} s warm-up and then
  `wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency -s bench/wrk.lua` with the body
  `{{"userId", "visitorId", "text"}}` of the account's agent (a new message per request), and stops
  the server with SIGTERM. With `--workers 2` uvicorn's supervisor shares one listening socket
  between two worker processes; each event also goes through Redis to the other worker.
- Cross-node: two `botaz serve` processes (`--workers 1` each) on two ports, sharing the PostgreSQL
  database and Redis. {args.sockets} visitors (made with `do_create_visitor`) connect their sockets to
  node A (one client process, `websockets` on uvloop, compression `{args.compression}`); after
  {args.settle:g} s, a sender process (bench/sockets.py's: {args.sender_connections} keep-alive connections, more
  when all are busy at a send's due time)
  sends {args.rate:g} `POST /api/messages/` per second to node B, each to a random one of those
  visitors: {args.send_warmup:g} s of warm-up (connection pools, caches and prepared statements fill;
  not recorded), then {args.send_duration:g} s measured, with the text `bench <n> <send time>`. Latency = arrival of the
  `message.created` frame on node A's socket - `CLOCK_MONOTONIC` read just before the POST was
  written; a message answered 201 whose frame has not arrived {args.grace:g} s after the last send
  is lost.
- Everything (wrk or the sender and the socket clients, botaz, Redis, PostgreSQL) shares the
  machine's {sh('nproc') or os.cpu_count()} cores: a second worker can only use what `--workers 1`,
  wrk and the databases leave idle ("machine busy" in the table).
""")
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    default_python = ROOT / ".venv" / "bin" / "python"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", default=str(default_python) if default_python.exists() else sys.executable,
                   help="interpreter with botaz installed (default: .venv/bin/python)")
    p.add_argument("--part", choices=["all", "throughput", "cpu", "cross"], default="all")
    p.add_argument("--databases", default="sqlite,postgresql",
                   help="throughput part: comma-separated, from sqlite and postgresql (both)")
    p.add_argument("--pg-admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/postgres"),
                   help="PostgreSQL server where a fresh database is created and dropped")
    p.add_argument("--redis-url", help="use this Redis instead of a private redis-server")
    p.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    p.add_argument("--wrk", default=shutil.which("wrk"), help="wrk binary (default: from PATH)")
    p.add_argument("--duration", type=float, default=10, help="measured seconds per wrk run (10)")
    p.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each run (2)")
    p.add_argument("--connections", type=int, default=50, help="wrk connections (50)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    p.add_argument("--timeout", type=float, default=5, help="wrk request timeout in s (5)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    p.add_argument("--sockets", type=int, default=200, help="cross-node: visitor sockets on node A (200)")
    p.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    p.add_argument("--cpu-rate", type=float, default=1000,
                   help="CPU part: messages per second to each server (1000)")
    p.add_argument("--cpu-databases", default="postgresql",
                   help="CPU part: comma-separated, from sqlite and postgresql (postgresql)")
    p.add_argument("--rate", type=float, default=500, help="cross-node: messages per second (500)")
    p.add_argument("--send-duration", type=float, default=20,
                   help="cross-node: seconds of sending, measured (20)")
    p.add_argument("--send-warmup", type=float, default=5,
                   help="cross-node: seconds of the same traffic before the measured part (5)")
    p.add_argument("--sender-connections", type=int, default=16)
    p.add_argument("--settle", type=float, default=6,
                   help="cross-node: seconds between connecting and sending (6)")
    p.add_argument("--grace", type=float, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--doc", default=str(DOC), help="markdown file to update (docs/benchmarks.md)")
    p.add_argument("--no-doc", action="store_true", help="print the tables only")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory and databases")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if set(databases) - {"sqlite", "postgresql"}:
        print("--databases takes sqlite and/or postgresql", file=sys.stderr)
        return 2
    if args.part in ("all", "throughput") and (not args.wrk or not Path(args.wrk).exists()):
        print("wrk is not installed: `apt-get install wrk` (Debian/Ubuntu), then rerun.", file=sys.stderr)
        return 2
    sockbench.check_python(args.python, "botaz, uvicorn, uvloop, websockets, orjson, redis, psycopg")
    cpu_databases = [d.strip() for d in args.cpu_databases.split(",") if d.strip()]
    if set(cpu_databases) - {"sqlite", "postgresql"}:
        print("--cpu-databases takes sqlite and/or postgresql", file=sys.stderr)
        return 2
    needs_pg = (args.part in ("all", "cross")
                or (args.part == "throughput" and "postgresql" in databases)
                or (args.part == "cpu" and "postgresql" in cpu_databases))
    if needs_pg and subprocess.run(["psql", args.pg_admin_url, "-Atc", "SELECT 1"],
                                   capture_output=True).returncode != 0:
        print(f"cannot reach PostgreSQL at {args.pg_admin_url} with psql (--pg-admin-url)", file=sys.stderr)
        return 2
    sockbench.raise_fd_limit()
    RESULTS.mkdir(exist_ok=True)
    raw_log = RESULTS / f"cluster-wrk-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.txt"
    date = sh("date -u")
    command = shown_command(args.python, "bench/cluster.py", argv)
    load_before = loadavg_warning()
    tmp = Path(tempfile.mkdtemp(prefix="botaz-cluster-", dir="/tmp"))
    cleanup: list[Any] = []
    redis = None
    if args.redis_url:
        redis_url, redis_note = args.redis_url, f"the existing server at `{args.redis_url}`"
    else:
        redis = PrivateRedis(args.redis_server)
        redis_url = redis.url
        redis_note = ("a private `redis-server --save '' --appendonly no` on a free port, started for "
                      "the run (pub/sub channels are global to a Redis server: a shared one would mix "
                      "other botaz processes' events with the benchmark's)")
    pairs: list[Pair] = []
    rate_pairs: list[RatePair] = []
    cross = None
    try:
        if args.part in ("all", "throughput"):
            for database in databases:
                pairs.append(throughput(args, database, redis_url, redis, tmp, cleanup, raw_log))
        if args.part in ("all", "cpu"):
            for database in cpu_databases:
                rate_pairs.append(cpu_at_rate(args, database, redis_url, redis, tmp, cleanup))
        if args.part in ("all", "cross"):
            print(f"cross-node: {args.sockets} sockets on node A, {args.rate:g} msg/s to node B", flush=True)
            cross = cross_node(args, redis_url, redis, tmp, cleanup)
    finally:
        for thing in reversed(cleanup):
            if isinstance(thing, Server):
                thing.stop(timeout=60)
            elif isinstance(thing, PgDatabase):
                if args.keep:
                    print(f"kept database {thing.url}")
                else:
                    thing.drop()
            else:
                thing.stop()
        if redis is not None:
            redis.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    load = (load_before, loadavg())
    print()
    if pairs:
        print(throughput_table(pairs))
        print()
        print(rounds_table(pairs))
        print()
    if rate_pairs:
        print(rate_table(rate_pairs))
        print()
    if cross is not None:
        print(cross_table(cross, args))
        print()
    ok = True
    for pair in pairs:
        met = pair.ratio >= RATIO_GOAL
        ok &= met
        print(f"- {pair.database}: --workers 2 / --workers 1 = {pair.ratio:.2f}x (goal >= {RATIO_GOAL}x): "
              f"{'met' if met else 'NOT met'}")
    for rp in rate_pairs:
        ok &= rp.met
        print(f"- {rp.database} at {rp.rate:g} msg/s: CPU per message with --workers 2 "
              f"{rp.change * 100:+.0f}% of --workers 1 (goal within ±{CPU_GOAL * 100:.0f}%): "
              f"{'met' if rp.met else 'NOT met'}")
    if cross is not None:
        ok &= cross.met
        print(f"- cross-node delivery p99 {fmt_ms(cross.delivery.p99)}, {cross.delivery.lost} lost "
              f"(goal < {CROSS_P99_GOAL_MS:g} ms): {'met' if cross.met else 'NOT met'}")
    if not args.no_doc:
        sockbench.write_section(Path(args.doc), "bench/cluster.py",
                                doc_text(args, pairs, rate_pairs, cross, date, command, load, redis_note))
        print(f"\nupdated {os.path.relpath(args.doc, ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
