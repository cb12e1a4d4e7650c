#!/usr/bin/env python3
"""WebSocket benchmark of botaz: many visitor sockets on ONE server process, and the delay from an
agent's `POST /api/messages/` to the `message.created` frame on the visitor's socket.

    .venv/bin/python bench/sockets.py            # 18,000 sockets, 500 msg/s for 20 s; updates docs/benchmarks.md
    .venv/bin/python bench/sockets.py --help     # sockets, rate, duration, client processes, ...

Everything runs on 127.0.0.1 with a fresh temporary SQLite database; see bench/README.md. Like
bench/run.py, this orchestrator uses only the standard library: the visitor seeding, the socket
clients and the message sender are child processes of --python (default .venv/bin/python, which
has botaz, websockets, uvloop and orjson). bench/cluster.py reuses the pieces below.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as httpbench  # noqa: E402  (bench/run.py: Server, machine(), create_account(), ...)
from run import ROOT, RESULTS, Server, cpu_seconds, free_port, loadavg, loadavg_warning, sh, shown_command  # noqa: E402

SCRIPT = Path(__file__).resolve()
DOC = ROOT / "docs" / "benchmarks.md"
MIB = 1024 * 1024
GOALS = {"sockets": 18_000, "rss_mib": 400, "p99_ms": 10.0}
FD_LIMIT = 20_000


# --------------------------------------------------------------------------------------------
# small helpers (orchestrator side, standard library only)


def raise_fd_limit(want: int = FD_LIMIT) -> int:
    """Raise this process's soft RLIMIT_NOFILE (inherited by every child we start)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proc_status_kib(pid: int, key: str) -> int:
    """A kB field of /proc/<pid>/status (VmRSS: resident now, VmHWM: peak resident)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    try:
        out = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(p) for p in out]


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its direct children (the workers of `botaz serve --workers N`)."""
    total = 0.0
    for p in [pid, *children(pid)]:
        try:
            total += cpu_seconds(p)
        except OSError:
            pass
    return total


def cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from the first line of /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Share of all the machine's cores that were busy between two cpu_jiffies() readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else float("nan")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def fmt_ms(ns: float) -> str:
    return f"{ns / 1e6:.2f} ms"


def open_sockets(base: str) -> int:
    """Visitor sockets the server reports in /metrics (botaz_open_sockets{kind="visitor"})."""
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return -1
    for line in text.splitlines():
        if line.startswith('botaz_open_sockets{kind="visitor"}'):
            return int(float(line.split()[-1]))
    return -1


def write_section(path: Path, key: str, text: str) -> None:
    """Replace this script's section of the doc (between its markers), or append it at the end.

    The file is re-read right before writing, so sections written by others are kept as they are.
    """
    begin, end = f"<!-- {key}: begin -->", f"<!-- {key}: end -->"
    block = f"{begin}\n{text.strip()}\n{end}\n"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + block + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)


def machine_lines(python: str) -> list[str]:
    info = httpbench.machine(python)
    ws = subprocess.run([python, "-c", "import importlib.metadata as m; print(', '.join("
                         "f'{p} {m.version(p)}' for p in ('websockets', 'redis', 'psycopg')))"],
                        capture_output=True, text=True).stdout.strip() or "?"
    return [f"- CPUs (`nproc`): {info['nproc_cmd'] or info['nproc']}",
            f"- CPU: {info['cpu']}",
            f"- Memory: {info['memory']}",
            f"- OS: {info['os']}",
            f"- Python: {info['python']} ({info['packages']}, {ws})",
            f"- botaz commit: {info['commit']}"]


# --------------------------------------------------------------------------------------------
# child processes: seeding, socket clients, sender


class Child:
    """A helper process of --python speaking JSON lines: commands on stdin, answers on stdout."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(RESULTS / f"{name}.log", "wb"), env=env,
                                     cwd=ROOT, text=True, bufsize=1)

    def tell(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def answer(self, timeout: float) -> dict[str, Any]:
        """The next JSON line, waiting at most `timeout` seconds."""
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not box:
            raise SystemExit(f"{self.name}: no answer after {timeout:g}s; see bench/results/{self.name}.log")
        if not box[0]:
            raise SystemExit(f"{self.name} exited ({self.proc.poll()}); see bench/results/{self.name}.log")
        return json.loads(box[0])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def seed_visitors(python: str, database_url: str, site_key: str, count: int, out: Path) -> float:
    """Create `count` visitors through botaz's own do_create_visitor (as POST /widget/v1/visitors
    does); writes [[visitorId, visitorToken], ...] to `out`; returns the seconds it took."""
    started = time.monotonic()
    proc = subprocess.run([python, str(SCRIPT), "_seed", "--database-url", database_url,
                           "--site-key", site_key, "--count", str(count), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"seeding visitors failed:\n{proc.stdout}{proc.stderr}")
    return time.monotonic() - started


@dataclass
class Connected:
    sockets: int
    failed: int
    seconds: float  # first connect attempt to last socket open, over all client processes
    errors: list[str]
    failed_ids: set[str]

    @property
    def rate(self) -> float:
        return self.sockets / self.seconds if self.seconds > 0 else float("nan")


class SocketClients:
    """`processes` client processes holding one visitor socket each for a slice of visitors.json."""

    def __init__(self, python: str, port: int, visitors_file: Path, total: int, processes: int,
                 concurrency: int, compression: str, tag: str = "clients") -> None:
        self.children: list[Child] = []
        per = -(-total // processes)
        for n in range(processes):
            start, count = n * per, min(per, total - n * per)
            if count <= 0:
                break
            self.children.append(Child(f"{tag}-{n}", [
                python, str(SCRIPT), "_clients", "--port", str(port), "--visitors", str(visitors_file),
                "--start", str(start), "--count", str(count), "--concurrency", str(concurrency),
                "--compression", compression]))

    def connect(self, timeout: float) -> Connected:
        for child in self.children:
            child.answer(60)  # {"ready": n}: visitors loaded, event loop running
        for child in self.children:
            child.tell("connect")
        answers = [child.answer(timeout) for child in self.children]
        start = min(a["start_ns"] for a in answers)
        end = max(a["end_ns"] for a in answers)
        return Connected(sum(a["connected"] for a in answers), sum(a["failed"] for a in answers),
                         (end - start) / 1e9, [e for a in answers for e in a["errors"]][:5],
                         {v for a in answers for v in a["failed_ids"]})

    def report(self, timeout: float = 120) -> dict[str, Any]:
        for child in self.children:
            child.tell("report")
        answers = [child.answer(timeout) for child in self.children]
        closed: dict[str, int] = {}
        for a in answers:
            for code, n in a["closed"].items():
                closed[code] = closed.get(code, 0) + n
        return {"received": [r for a in answers for r in a["received"]],
                "wrong_visitor": sum(a["wrong_visitor"] for a in answers),
                "other_frames": sum(a["other_frames"] for a in answers),
                "closed": closed,
                "client_rss_kib": [a["rss_kib"] for a in answers]}

    def stop(self) -> None:
        for child in self.children:
            child.stop()


def run_sender(python: str, base_port: int, token: str, agent_id: str, targets_file: Path,
               rate: float, duration: float, connections: int, seed: int, out: Path,
               timeout: float, tag: str = "sender", warmup: float = 0) -> dict[str, Any]:
    """Send `rate` messages per second for `warmup` + `duration` s from a separate process (only
    the last `duration` s are recorded); returns its log."""
    proc = subprocess.run(
        [python, str(SCRIPT), "_sender", "--port", str(base_port), "--token", token,
         "--agent", agent_id, "--targets", str(targets_file), "--rate", str(rate),
         "--duration", str(duration), "--warmup", str(warmup), "--connections", str(connections),
         "--seed", str(seed), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=open(RESULTS / f"{tag}.log", "wb"), text=True, cwd=ROOT,
        timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"sender failed ({proc.returncode}); see bench/results/{tag}.log")
    return json.loads(out.read_text())


@dataclass
class Delivery:
    """What happened to the messages of one sender run."""

    sent: int  # POSTs made
    accepted: int  # answered 201
    http_errors: dict[str, int]
    delivered: int  # accepted messages whose frame arrived on the right visitor's socket
    lost: int  # accepted but never arrived
    duplicates: int
    wrong_visitor: int
    latencies_ns: list[int] = field(repr=False)  # sorted, one per delivered message
    http_ns: list[int] = field(repr=False)  # sorted POST response times
    achieved_rate: float
    max_slip_ns: int  # worst lateness of a send against its schedule
    warmup: int  # messages sent before the measured ones (not in any count above)
    connections: int  # keep-alive connections the sender needed to keep to the schedule

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ns, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ns, 99)

    @property
    def max(self) -> float:
        return self.latencies_ns[-1] if self.latencies_ns else float("nan")


def delivery(sender: dict[str, Any], clients: dict[str, Any]) -> Delivery:
    sent = sender["sent"]  # [i, visitorId, status, send_ns, done_ns, due_ns]
    accepted = {row[0] for row in sent if row[2] == 201}
    errors: dict[str, int] = {}
    for row in sent:
        if row[2] != 201:
            errors[str(row[2])] = errors.get(str(row[2]), 0) + 1
    seen: dict[int, int] = {}
    duplicates = 0
    for i, latency in clients["received"]:
        if i in seen:
            duplicates += 1
            continue
        seen[i] = latency
    latencies = sorted(v for i, v in seen.items() if i in accepted)
    sends = sorted(row[3] for row in sent)
    span = (sends[-1] - sends[0]) / 1e9 if len(sends) > 1 else float("nan")
    return Delivery(
        sent=len(sent), accepted=len(accepted), http_errors=errors, delivered=len(latencies),
        lost=len(accepted - seen.keys()), duplicates=duplicates,
        wrong_visitor=clients["wrong_visitor"], latencies_ns=latencies,
        http_ns=sorted(row[4] - row[3] for row in sent if row[2] == 201),
        achieved_rate=(len(sends) - 1) / span if span and span == span else float("nan"),
        max_slip_ns=max((row[3] - row[5] for row in sent), default=0),
        connections=sender.get("connections", 0), warmup=sender.get("warmup", 0))


def save_raw(label: str, sender: dict[str, Any], report: dict[str, Any]) -> Path:
    """Every message's send time, POST time and delivery latency, for a look at the slow ones:
    bench/results/<label>-messages-<time>.json, rows [n, visitorId, status, send_ns, post_ns,
    latency_ns or null] in sending order."""
    latency = {n: ns for n, ns in report["received"]}
    rows = [[row[0], row[1], row[2], row[3], row[4] - row[3], latency.get(row[0])]
            for row in sorted(sender["sent"], key=lambda r: r[0])]
    out = RESULTS / f"{label}-messages-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(rows))
    return out


def start_py_spy(args: argparse.Namespace, pid: int, seconds: float, label: str) -> tuple[Any, Path] | None:
    if not args.py_spy:
        return None
    suffix = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}[args.py_spy_format]
    out = RESULTS / f"py-spy-{label}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.{suffix}"
    proc = subprocess.Popen([args.py_spy, "record", "--pid", str(pid), "--duration",
                             str(max(1, int(seconds))), "--rate", "200", "--nonblocking",
                             "--format", args.py_spy_format, "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, out


# --------------------------------------------------------------------------------------------
# the benchmark


@dataclass
class Outcome:
    visitors: int
    seed_seconds: float
    connected: Connected
    server_sockets: int  # what /metrics says after connecting
    rss_start_kib: int
    rss_connected_kib: int
    rss_after_kib: int
    hwm_kib: int
    connect_cpu_s: float
    idle_cpu_per_s: float
    send_cpu_s: float
    send_busy: float  # share of all cores busy while sending (everything on the machine)
    delivery: Delivery
    closed: dict[str, int]
    other_frames: int
    client_rss_kib: list[int]
    load: tuple[str, str]

    def verdicts(self) -> list[tuple[str, str, bool]]:
        d = self.delivery
        return [
            (f"{GOALS['sockets']:,} visitor sockets open on one process",
             f"{self.connected.sockets:,} open ({self.server_sockets:,} in /metrics), "
             f"{self.connected.failed} failed",
             self.connected.sockets >= GOALS["sockets"] and self.server_sockets >= GOALS["sockets"]),
            (f"server RSS < {GOALS['rss_mib']} MiB with them connected",
             f"{self.rss_connected_kib / 1024:,.0f} MiB", self.rss_connected_kib < GOALS["rss_mib"] * 1024),
            (f"delivery p99 < {GOALS['p99_ms']:g} ms at the target rate, nothing lost",
             f"p99 {fmt_ms(d.p99)}, {d.lost} lost, {sum(d.http_errors.values())} POST errors",
             d.p99 < GOALS["p99_ms"] * 1e6 and d.lost == 0 and not d.http_errors
             and d.delivered > 0),
        ]


def benchmark(args: argparse.Namespace, tmp: Path, started: list[Any]) -> Outcome:
    python = args.python
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTAZ_")}
    env |= {"BOTAZ_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "BOTAZ_RATE_LIMITS": "off"}
    account = httpbench.create_account(python, env)
    visitors_file = tmp / "visitors.json"
    print(f"seeding {args.sockets:,} visitors (do_create_visitor, in-process) ...", flush=True)
    seed_s = seed_visitors(python, env["BOTAZ_DATABASE_URL"], account["siteKey"], args.sockets,
                           visitors_file)
    print(f"  {seed_s:.1f} s", flush=True)

    port = free_port()
    server = Server("botaz-sockets", [python, "-m", "botaz", "serve", "--port", str(port)], env,
                    port, RESULTS / "botaz-sockets.log")
    started.append(server)
    server.start()
    assert server.proc is not None
    pid = server.proc.pid
    rss_start = proc_status_kib(pid, "VmRSS")

    clients = SocketClients(python, port, visitors_file, args.sockets, args.clients,
                            args.concurrency, args.compression)
    started.append(clients)
    print(f"connecting {args.sockets:,} sockets from {len(clients.children)} client processes "
          f"(compression: {args.compression}) ...", flush=True)
    cpu0 = cpu_seconds(pid)
    connected = clients.connect(args.connect_timeout)
    print(f"  {connected.sockets:,} open, {connected.failed} failed in {connected.seconds:.1f} s "
          f"({connected.rate:,.0f}/s)" + (f"; errors: {connected.errors}" if connected.errors else ""),
          flush=True)
    deadline = time.monotonic() + 120
    server_sockets = open_sockets(server.base)
    while server_sockets < connected.sockets and time.monotonic() < deadline:
        time.sleep(0.5)
        server_sockets = open_sockets(server.base)
    connect_cpu = cpu_seconds(pid) - cpu0
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    time.sleep(args.settle)
    idle_cpu = (cpu_seconds(pid) - cpu1) / (time.monotonic() - t1)
    rss_connected = proc_status_kib(pid, "VmRSS")
    print(f"  server: {server_sockets:,} visitor sockets in /metrics, RSS {rss_connected / 1024:,.0f} MiB "
          f"(at start {rss_start / 1024:,.0f} MiB), idle CPU {idle_cpu * 100:.1f}%", flush=True)

    targets = sorted({v for v, _ in json.loads(visitors_file.read_text())} - connected.failed_ids)
    targets_file = tmp / "targets.json"
    targets_file.write_text(json.dumps(targets))
    print(f"sending {args.rate:g} msg/s for {args.duration:g} s to random connected visitors ...",
          flush=True)
    spy = start_py_spy(args, pid, args.warmup + args.duration, "sockets-send")
    cpu2, jiffies = cpu_seconds(pid), cpu_jiffies()
    sender = run_sender(python, port, account["apiToken"], account["agentId"], targets_file,
                        args.rate, args.duration, args.sender_connections, args.seed,
                        tmp / "sent.json", timeout=args.warmup + args.duration + 120,
                        warmup=args.warmup)
    send_cpu = cpu_seconds(pid) - cpu2
    send_busy = busy_share(jiffies, cpu_jiffies())
    time.sleep(args.grace)
    report = clients.report()
    save_raw("sockets", sender, report)
    rss_after = proc_status_kib(pid, "VmRSS")
    hwm = proc_status_kib(pid, "VmHWM")
    if spy is not None:
        spy[0].wait()
        print(f"  py-spy: {os.path.relpath(spy[1], ROOT)}", flush=True)
    clients.stop()
    return Outcome(args.sockets, seed_s, connected, server_sockets, rss_start, rss_connected,
                   rss_after, hwm, connect_cpu, idle_cpu, send_cpu, send_busy, delivery(sender, report),
                   report["closed"], report["other_frames"], report["client_rss_kib"], ("", ""))


def result_table(o: Outcome) -> str:
    d = o.delivery
    rows = [
        ("visitor sockets open", f"{o.connected.sockets:,} of {o.visitors:,} "
                                 f"({o.server_sockets:,} in the server's /metrics), {o.connected.failed} failed"),
        ("connect rate", f"{o.connected.rate:,.0f} sockets/s ({o.connected.seconds:.1f} s for all; "
                         f"server CPU {o.connect_cpu_s * 1e3 / max(o.connected.sockets, 1):.2f} ms per socket)"),
        ("server RSS: started / all connected / after sending / peak",
         f"{o.rss_start_kib / 1024:,.0f} / **{o.rss_connected_kib / 1024:,.0f}** / "
         f"{o.rss_after_kib / 1024:,.0f} / {o.hwm_kib / 1024:,.0f} MiB"),
        ("server RSS per socket", f"{(o.rss_connected_kib - o.rss_start_kib) * 1024 / max(o.connected.sockets, 1) / 1024:,.1f} KiB"),
        ("server CPU with all connected, no traffic", f"{o.idle_cpu_per_s * 100:.1f}% of a core"),
        ("messages sent / answered 201", f"{d.sent:,} / {d.accepted:,} at {d.achieved_rate:,.0f} msg/s "
                                         f"(worst send {fmt_ms(d.max_slip_ns)} behind schedule; {d.connections} connections)"),
        ("delivered / lost / duplicated / wrong socket", f"{d.delivered:,} / {d.lost} / {d.duplicates} / {d.wrong_visitor}"),
        ("delivery latency p50 / p99 / max", f"{fmt_ms(d.p50)} / **{fmt_ms(d.p99)}** / {fmt_ms(d.max)}"),
        ("POST /api/messages/ response p50 / p99", f"{fmt_ms(percentile(d.http_ns, 50))} / "
                                                   f"{fmt_ms(percentile(d.http_ns, 99))}"),
        ("server CPU while sending", f"{o.send_cpu_s * 1e6 / max(d.sent + d.warmup, 1):,.0f} µs per message "
                                     f"({o.send_cpu_s / max((d.sent + d.warmup) / max(d.achieved_rate, 1), 1e-9) * 100:.0f}% of a core; "
                                     f"whole machine {o.send_busy * 100:.0f}% busy)"),
        ("sockets closed during the run", ", ".join(f"{n} with {c}" for c, n in o.closed.items()) or "none"),
    ]
    lines = ["| measure | result |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


def doc_text(args: argparse.Namespace, o: Outcome, date: str, command: str) -> str:
    verdicts = o.verdicts()
    return f"""## WebSockets: {o.visitors:,} visitor sockets on one process

Generated by `bench/sockets.py` (see [bench/README.md](../bench/README.md#websocket-benchmark)).
Goals: {GOALS['sockets']:,} visitor sockets connected to ONE `botaz serve` process, its RSS under
{GOALS['rss_mib']} MiB, and, while they are connected, delivery p99 under {GOALS['p99_ms']:g} ms at
{args.rate:g} messages per second: the time from just before an agent's `POST /api/messages/` is
written to the `message.created` frame arriving on that visitor's socket.

Date: {date}

Command (from the repository root):

```sh
{command}
```

{result_table(o)}

""" + "\n".join(f"- {goal}: {got}: **{'met' if ok else 'NOT met'}**." for goal, got, ok in verdicts) + f"""

Machine:

{chr(10).join(machine_lines(args.python))}
- Load average (1, 5, 15 min) before / after the run: {o.load[0]} / {o.load[1]}

Method:

- A fresh SQLite database in `/tmp`; `botaz create-account --json`; {o.visitors:,} visitors made with
  botaz's `do_create_visitor` (what `POST /widget/v1/visitors` runs) in one process before the
  server starts ({o.seed_seconds:.0f} s). Then `BOTAZ_RATE_LIMITS=off botaz serve --port P`: one
  process, uvloop, httptools, uvicorn's default WebSocket implementation (websockets sans-I/O).
  Every process runs with `RLIMIT_NOFILE` {FD_LIMIT:,}.
- {len(o.client_rss_kib)} client processes (`websockets` asyncio client on uvloop) open one socket per
  visitor, `/widget/v1/ws?token=...`, at most {args.concurrency} handshakes in flight per process,
  compression `{args.compression}` ({'permessage-deflate offered, as browsers do' if args.compression == 'deflate' else 'no extension offered'}),
  no client pings (browsers send none; the server pings every 20 s). Connect rate = sockets
  open / time from the first attempt to the last open socket.
- After all are open and the server's `/metrics` counts them, {args.settle:g} s of quiet, then the
  server's RSS (`VmRSS` of `/proc/<pid>/status`; "peak" is `VmHWM`).
- A separate sender process (uvloop; {args.sender_connections} keep-alive HTTP/1.1 connections, one
  more opened whenever all are waiting for an answer at a send's due time, up to 128; a minimal
  client written on asyncio streams so that the load generator costs little CPU) sends
  {args.rate:g} `POST /api/messages/` per second on a fixed schedule, each to a random connected
  visitor (seed {args.seed}): {args.warmup:g} s of warm-up (not recorded), then {args.duration:g} s
  measured, with the text `bench <n> <send time>`; the send
  time is `CLOCK_MONOTONIC` (shared by all processes) read just before the request is written.
  Each client stamps a frame on arrival; latency = arrival - send time. A message answered 201
  whose frame has not arrived {args.grace:g} s after the last send counts as lost.
- Everything (server, clients, sender) shares the machine's {httpbench.sh('nproc') or os.cpu_count()} cores.
"""


# --------------------------------------------------------------------------------------------
# roles run under --python (they import botaz, websockets, uvloop, orjson)


def role_seed(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="sockets.py _seed")
    p.add_argument("--database-url", required=True)
    p.add_argument("--site-key", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    import asyncio

    from botaz.chat.context import Chat
    from botaz.chat.schemas import WidgetVisitorCreate
    from botaz.chat.visitors import do_create_visitor
    from botaz.schema import convert
    from botaz.config import Settings
    from botaz.events import EventBus
    from botaz.store import Store

    async def main() -> list[list[str]]:
        store = await Store.open(a.database_url)
        chat = Chat(store, EventBus(), Settings(database_url=a.database_url))
        body = {"siteKey": a.site_key, "userAgent": "Mozilla/5.0 (X11; Linux x86_64) botaz-bench",
                "appName": "Netscape", "appVersion": "5.0 (X11; Linux x86_64)",
                "platform": "Linux x86_64", "cookieEnabled": True}
        out = []
        try:
            for _ in range(a.count):
                made = await do_create_visitor(chat, convert(WidgetVisitorCreate, body))
                out.append([made["visitorId"], made["visitorToken"]])
        finally:
            await store.close()
        return out

    Path(a.out).write_text(json.dumps(asyncio.run(main())))
    return 0


def role_clients(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="sockets.py _clients")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--visitors", required=True)
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    p.add_argument("--open-timeout", type=float, default=120)
    a = p.parse_args(argv)
    import asyncio
    import gc

    import orjson
    import uvloop
    from websockets.asyncio.client import connect

    def say(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stdin = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
        visitors = json.loads(Path(a.visitors).read_text())[a.start:a.start + a.count]
        received: list[tuple[int, int]] = []
        state = {"connected": 0, "failed": 0, "wrong": 0, "other": 0, "end_ns": 0}
        closed: dict[str, int] = {}
        errors: list[str] = []
        failed_ids: list[str] = []
        sockets = []
        all_done = asyncio.Event()
        gate = asyncio.Semaphore(a.concurrency)
        compression = "deflate" if a.compression == "deflate" else None

        def settled() -> None:
            if state["connected"] + state["failed"] == len(visitors):
                all_done.set()

        async def hold(visitor_id: str, token: str) -> None:
            url = f"ws://{a.host}:{a.port}/widget/v1/ws?token={token}"
            try:
                async with gate:
                    ws = await connect(url, compression=compression, ping_interval=None,
                                       open_timeout=a.open_timeout, close_timeout=2,
                                       max_queue=64, user_agent_header="botaz-bench")
            except Exception as exc:
                state["failed"] += 1
                failed_ids.append(visitor_id)
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                settled()
                return
            sockets.append(ws)
            state["connected"] += 1
            state["end_ns"] = time.monotonic_ns()
            settled()
            try:
                async for raw in ws:
                    now = time.monotonic_ns()
                    frame = orjson.loads(raw)
                    if frame.get("event") == "message.created":
                        data = frame.get("data") or {}
                        text = data.get("text") or ""
                        if text.startswith("bench "):
                            _, n, sent = text.split()
                            received.append((int(n), now - int(sent)))
                            if data.get("visitorId") != visitor_id:
                                state["wrong"] += 1
                            continue
                    state["other"] += 1
            except Exception:
                pass
            key = str(ws.close_code) if ws.close_code is not None else "none"
            closed[key] = closed.get(key, 0) + 1

        say({"ready": len(visitors)})
        await stdin.readline()  # "connect"
        start_ns = time.monotonic_ns()
        tasks = [loop.create_task(hold(v, t)) for v, t in visitors]
        await all_done.wait()
        # Our own collector pauses would show up as delivery latency of the server: with
        # thousands of sockets a full collection here takes hundreds of milliseconds (a browser
        # holds one socket). The clients live for minutes, so they just stop collecting.
        gc.collect()
        gc.freeze()
        gc.disable()
        say({"connected": state["connected"], "failed": state["failed"], "errors": errors,
             "failed_ids": failed_ids, "start_ns": start_ns, "end_ns": state["end_ns"] or start_ns})
        await stdin.readline()  # "report"
        rss = proc_status_kib(os.getpid(), "VmRSS")
        say({"received": received, "wrong_visitor": state["wrong"], "other_frames": state["other"],
             "closed": closed, "rss_kib": rss})
        del tasks
        os._exit(0)  # the kernel closes the sockets; no 18k closing handshakes to wait for

    uvloop.run(main())
    return 0


class HttpConn:
    """One keep-alive HTTP/1.1 connection on asyncio streams: cheap enough that the sender's CPU
    does not compete with the server for the machine's two cores."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> "HttpConn":
        import asyncio

        return cls(*await asyncio.open_connection(host, port))

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, (await self.reader.readexactly(length) if length else b"")

    def close(self) -> None:
        self.writer.close()


def role_sender(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="sockets.py _sender")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--agent", required=True)
    p.add_argument("--targets", required=True, help="JSON list of visitor IDs to write to")
    p.add_argument("--rate", type=float, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--warmup", type=float, default=0,
                   help="seconds of the same traffic first, on the same connections, not recorded")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--max-connections", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    import asyncio

    import orjson
    import uvloop

    targets = json.loads(Path(a.targets).read_text())
    rnd = random.Random(a.seed)
    warm = int(a.rate * a.warmup)
    total = int(a.rate * a.duration)
    plan = [rnd.choice(targets) for _ in range(warm + total)]
    head = (f"POST /api/messages/ HTTP/1.1\r\nHost: {a.host}:{a.port}\r\n"
            f"Authorization: Bearer {a.token}\r\nContent-Type: application/json\r\n").encode()

    async def main() -> dict[str, Any]:
        pool: asyncio.Queue[HttpConn] = asyncio.Queue()
        for _ in range(a.connections):
            pool.put_nowait(await HttpConn.open(a.host, a.port))
        opened = a.connections
        sent: list[list[Any]] = []
        errors: list[str] = []

        async def one(n: int, visitor_id: str, due: int, conn: HttpConn) -> None:
            send_ns = time.monotonic_ns()
            label = "bench" if n >= 0 else "warmup"  # clients record "bench" frames only
            body = orjson.dumps({"userId": a.agent, "visitorId": visitor_id,
                                 "text": f"{label} {n} {send_ns}"})
            try:
                status, answer = await conn.request(head, body)
            except Exception as exc:
                status = 0
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                conn.close()
                conn = await HttpConn.open(a.host, a.port)
            else:
                if status != 201 and len(errors) < 5:
                    errors.append(f"{status}: {answer[:200]!r}")
            if n >= 0:
                sent.append([n, visitor_id, status, send_ns, time.monotonic_ns(), due])
            pool.put_nowait(conn)

        tasks = set()
        step = 1e9 / a.rate
        t0 = time.monotonic_ns() + 50_000_000
        for k, visitor_id in enumerate(plan):
            n = k - warm  # warm-up messages are numbered below 0
            due = t0 + int(k * step)
            wait = (due - time.monotonic_ns()) / 1e9
            if wait > 0:
                await asyncio.sleep(wait)
            if pool.empty() and opened < a.max_connections:
                opened += 1  # every connection is waiting for an answer: keep the schedule
                pool.put_nowait(await HttpConn.open(a.host, a.port))
            conn = await pool.get()
            task = asyncio.get_running_loop().create_task(one(n, visitor_id, due, conn))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
        return {"sent": sent, "errors": errors, "connections": opened, "warmup": warm}

    result = uvloop.run(main())
    Path(a.out).write_text(json.dumps(result))
    ok = sum(1 for row in result["sent"] if row[2] == 201)
    print(json.dumps({"sent": len(result["sent"]), "ok": ok, "errors": result["errors"]}))
    return 0


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    default_python = ROOT / ".venv" / "bin" / "python"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", default=str(default_python) if default_python.exists() else sys.executable,
                   help="interpreter with botaz, websockets and uvloop (default: .venv/bin/python)")
    p.add_argument("--sockets", type=int, default=18_000, help="visitor sockets to hold open (18000)")
    p.add_argument("--clients", type=int, default=3, help="client processes holding them (3)")
    p.add_argument("--concurrency", type=int, default=100,
                   help="handshakes in flight per client process (100)")
    p.add_argument("--compression", choices=["deflate", "none"], default="deflate",
                   help="offer permessage-deflate like browsers do (deflate), or not (none)")
    p.add_argument("--rate", type=float, default=500, help="messages per second (500)")
    p.add_argument("--duration", type=float, default=20, help="seconds of sending, measured (20)")
    p.add_argument("--warmup", type=float, default=5,
                   help="seconds of the same traffic before the measured part (5)")
    p.add_argument("--sender-connections", type=int, default=16,
                   help="keep-alive HTTP connections of the sender (16)")
    p.add_argument("--settle", type=float, default=10,
                   help="quiet seconds after connecting, before RSS is read (10)")
    p.add_argument("--grace", type=float, default=2,
                   help="seconds after the last send before a missing frame counts as lost (2)")
    p.add_argument("--connect-timeout", type=float, default=600,
                   help="give up when the sockets are not all open (or failed) after this (600 s)")
    p.add_argument("--seed", type=int, default=1, help="random seed choosing the visitors (1)")
    p.add_argument("--doc", default=str(DOC), help="markdown file to update (docs/benchmarks.md)")
    p.add_argument("--no-doc", action="store_true", help="print the table only")
    p.add_argument("--keep", action="store_true", help="keep the temporary database directory")
    venv_spy = ROOT / ".venv" / "bin" / "py-spy"
    p.add_argument("--py-spy", nargs="?", metavar="PATH",
                   const=str(venv_spy) if venv_spy.exists() else (shutil.which("py-spy") or "py-spy"),
                   help="record py-spy of the server while messages are sent, into bench/results/ "
                        "(perturbs the numbers: the doc is not written)")
    p.add_argument("--py-spy-format", choices=["flamegraph", "raw", "speedscope"], default="flamegraph")
    return p.parse_args(argv)


def check_python(python: str, modules: str) -> None:
    check = subprocess.run([python, "-c", f"import {modules}"], capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"{python} cannot import {modules}; run ./dev serve once (it creates "
                         f".venv) or pass --python.\n{check.stderr}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    roles = {"_seed": role_seed, "_clients": role_clients, "_sender": role_sender}
    if argv and argv[0] in roles:
        return roles[argv[0]](argv[1:])
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    check_python(args.python, "botaz, uvicorn, uvloop, websockets, orjson")
    if args.py_spy and not Path(args.py_spy).exists():
        print(f"py-spy not found at {args.py_spy}: `.venv/bin/pip install py-spy`", file=sys.stderr)
        return 2
    fds = raise_fd_limit()
    need = args.sockets + 200
    if fds < need:
        print(f"RLIMIT_NOFILE is {fds}; the server needs about {need} for {args.sockets} sockets",
              file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    date = sh("date -u")
    command = shown_command(args.python, "bench/sockets.py", argv)
    load_before = loadavg_warning()
    tmp = Path(tempfile.mkdtemp(prefix="botaz-sockets-", dir="/tmp"))
    started: list[Any] = []
    try:
        outcome = benchmark(args, tmp, started)
    finally:
        for thing in reversed(started):
            if isinstance(thing, Server):
                code = thing.stop(timeout=60)
                if code not in (0, None):
                    print(f"warning: botaz serve exited with {code} after SIGTERM (expected 0); "
                          f"see {os.path.relpath(thing.log_path, ROOT)}", file=sys.stderr)
            else:
                thing.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    outcome.load = (load_before, loadavg())
    print()
    print(result_table(outcome))
    print()
    verdicts = outcome.verdicts()
    for goal, got, ok in verdicts:
        print(f"- {goal}: {got}: {'met' if ok else 'NOT met'}")
    if args.py_spy:
        print("\n(py-spy was sampling the server: numbers perturbed, docs not written)")
    elif not args.no_doc:
        write_section(Path(args.doc), "bench/sockets.py", doc_text(args, outcome, date, command))
        print(f"\nupdated {os.path.relpath(args.doc, ROOT)}")
    return 0 if all(ok for _, _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
