#!/usr/bin/env python3
"""HTTP benchmark of botaz against a bare Starlette+orjson app, both on one uvicorn process.

    .venv/bin/python bench/run.py            # measure, print the table, refresh docs/benchmarks.md
    .venv/bin/python bench/run.py --help     # durations, connections, threads, rounds, ...

Everything runs on 127.0.0.1 with a fresh temporary SQLite database; see bench/README.md.
Only the standard library is used here; botaz and uvicorn are run with --python (by default the
repository's .venv/bin/python).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
LUA = BENCH / "wrk.lua"
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = BENCH / "results"  # raw wrk output and server logs (git-ignored)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Every seed endpoint and GET /api/visitors, as a share of the bare GET's req/s (issue 14):
# reads 0.5x, writes 0.35x, and the two message calls no lower than their own former hot path.
GOALS = {"GET /api/messages/:id": 0.75, "POST /api/messages/": 0.40,
         "PUT /api/messages/:id": 0.35, "DELETE /api/messages/:id": 0.35,
         "GET /api/visitors/:id": 0.50, "PUT /api/visitors/:id": 0.35, "GET /api/visitors": 0.50}
MESSAGE_TEXT = "Good morning! Can I help you?"


# --------------------------------------------------------------------------------------------
# processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: Any = None, token: str | None = None,
         timeout: float = 5.0) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


class Server:
    """One server process: started, awaited on /healthz, stopped with SIGTERM."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int,
                 log_path: Path) -> None:
        self.name, self.argv, self.env, self.port, self.log_path = name, argv, env, port, log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 30.0) -> None:
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.proc.returncode} before it was "
                                 f"ready; log:\n{self.log_path.read_text()}")
            try:
                if http("GET", self.base + "/healthz", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{self.name} not ready after {timeout}s; log:\n{self.log_path.read_text()}")

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.returncode is not None:  # already reaped (exited early)
            self.log.close()
            return self.proc.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"warning: {self.name} ignored SIGTERM for {timeout}s; killing it",
                      file=sys.stderr)
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


# --------------------------------------------------------------------------------------------
# wrk


@dataclass
class Result:
    endpoint: str
    server: str
    requests: int
    duration_us: int
    p50_us: int
    p90_us: int
    p99_us: int
    non2xx: int
    socket_errors: int
    cpu_us: float  # server process CPU time (user + system) per completed request
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / (self.duration_us / 1e6)


def run_wrk(args: argparse.Namespace, url: str, duration: float, env_extra: dict[str, str],
            raw_log: Path | None) -> dict[str, Any]:
    argv = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s",
            f"--timeout={args.timeout:g}s", "--latency", "-s", str(LUA), url]
    env = os.environ | env_extra
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if raw_log is not None:
        with open(raw_log, "a") as f:
            f.write(f"$ {shlex.join(argv)}\n{proc.stdout}{proc.stderr}\n")
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    raise SystemExit(f"wrk printed no BENCH_RESULT line:\n{proc.stdout}{proc.stderr}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def measure(args: argparse.Namespace, endpoint: str, server: Server, url: str,
            env_extra: dict[str, str] | Any, raw_log: Path) -> Result:
    if callable(env_extra):  # a pool of one-use paths (DELETE), made right before its run
        env_extra = env_extra()
    elif args.warmup > 0:
        run_wrk(args, url, args.warmup, env_extra, None)
    assert server.proc is not None
    spy = None
    if args.py_spy and server.name == "botaz":
        method = env_extra.get("BENCH_METHOD", "GET")
        svg = RESULTS / f"py-spy-{method}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.svg"
        spy = subprocess.Popen([args.py_spy, "record", "--pid", str(server.proc.pid),
                                "--duration", str(max(1, int(args.duration) - 1)), "--rate", "250",
                                "--nonblocking", "--output", str(svg)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu_before = cpu_seconds(server.proc.pid)
    r = run_wrk(args, url, args.duration, env_extra, raw_log)
    cpu = cpu_seconds(server.proc.pid) - cpu_before
    if spy is not None:
        spy.wait()
        print(f"  py-spy flame graph: {os.path.relpath(svg, ROOT)}", flush=True)
    sock = r["connect"] + r["read"] + r["write"] + r["timeout"]
    name = "bare" if server.name == "bare_app" else server.name
    res = Result(endpoint, name, r["requests"], r["duration_us"], r["p50_us"], r["p90_us"],
                 r["p99_us"], r["status"], sock, cpu * 1e6 / max(r["requests"], 1), r)
    print(f"  {name:5} {endpoint:24} {res.rps:9.0f} req/s  p50 {fmt_ms(res.p50_us):>8}"
          f"  p99 {fmt_ms(res.p99_us):>9}  CPU/req {res.cpu_us:5.0f} us  non-2xx {res.non2xx}"
          f"  socket errors {sock}", flush=True)
    return res


# --------------------------------------------------------------------------------------------
# setup


def uvicorn_argv(python: str, port: int) -> list[str]:
    """The bare app with the settings of `botaz serve` (botaz/cli.py: uvicorn.Config)."""
    return [python, "-m", "uvicorn", "bare_app:app", "--app-dir", str(BENCH),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--loop", "uvloop", "--http", "httptools", "--no-access-log",
            "--log-level", "warning", "--lifespan", "on", "--proxy-headers",
            "--timeout-graceful-shutdown", "10"]


def create_account(python: str, env: dict[str, str]) -> dict[str, str]:
    proc = subprocess.run(
        [python, "-m", "botaz", "create-account", "--name", "Bench", "--agent-name", "Bench Agent",
         "--agent-email", "bench@example.com", "--json"],
        env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"botaz create-account failed:\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def seed_data(base: str, account: dict[str, str]) -> tuple[str, str]:
    """A visitor (as the widget makes one) and one agent message to GET; returns their IDs."""
    status, visitor = http("POST", base + "/widget/v1/visitors", {
        "siteKey": account["siteKey"],
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) botaz-bench",
        "appName": "Netscape", "appVersion": "5.0 (X11; Linux x86_64)",
        "platform": "Linux x86_64", "cookieEnabled": True})
    if status != 201:
        raise SystemExit(f"POST /widget/v1/visitors answered {status}: {visitor}")
    status, message = http("POST", base + "/api/messages/", {
        "userId": account["agentId"], "visitorId": visitor["visitorId"], "text": MESSAGE_TEXT},
        token=account["apiToken"])
    if status != 201:
        raise SystemExit(f"POST /api/messages/ answered {status}: {message}")
    status, got = http("GET", base + f"/api/messages/{message['_id']}", token=account["apiToken"])
    if status != 200 or got != message:
        raise SystemExit(f"GET /api/messages/:id answered {status}: {got}")
    return visitor["visitorId"], message["_id"]


# --------------------------------------------------------------------------------------------
# report


def fmt_ms(us: float) -> str:
    return f"{us / 1000:.2f} ms"


def sh(cmd: str) -> str:
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def machine(python: str) -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    versions = subprocess.run(
        [python, "-c", "import sys, importlib.metadata as m; print(sys.version.split()[0]); "
         "print(', '.join(f'{p} {m.version(p)}' for p in "
         "('uvicorn', 'starlette', 'orjson', 'uvloop', 'httptools')))"],
        capture_output=True, text=True).stdout.splitlines() or ["?", "?"]
    wrk_version = sh(f"{shlex.quote(shutil.which('wrk') or 'wrk')} -v 2>&1 | head -1")
    commit = sh(f"git -C {shlex.quote(str(ROOT))} rev-parse --short HEAD")
    dirty = sh(f"git -C {shlex.quote(str(ROOT))} status --porcelain -- botaz")
    return {
        "nproc": str(os.cpu_count()),
        "nproc_cmd": sh("nproc"),
        "cpu": cpu,
        "memory": mem,
        "python": versions[0],
        "packages": versions[1] if len(versions) > 1 else "?",
        "os": f"{os_name}, Linux {platform.release()}",
        "wrk": wrk_version.split(" Copyright")[0],
        "commit": commit + (" (botaz/ has uncommitted changes)" if dirty else ""),
    }


@dataclass
class Row:
    """One line of the table: a case measured over every round."""

    endpoint: str
    server: str
    rounds: list[Result]
    ratios: list[float]  # per round: this case's req/s / the bare GET's req/s of the same round

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.rounds)

    @property
    def typical(self) -> Result:
        """The round with the (lower) median req/s: its latencies are the ones reported."""
        ordered = sorted(self.rounds, key=lambda r: r.rps)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def cpu_us(self) -> float:
        return statistics.median(r.cpu_us for r in self.rounds)

    @property
    def non2xx(self) -> int:
        return sum(r.non2xx for r in self.rounds)

    @property
    def socket_errors(self) -> int:
        return sum(r.socket_errors for r in self.rounds)

    @property
    def goal(self) -> float | None:
        return GOALS.get(self.endpoint) if self.server == "botaz" else None

    @property
    def met(self) -> bool:
        return self.goal is not None and self.ratio >= self.goal and \
            self.non2xx == 0 and self.socket_errors == 0


def table(rows: list[Row]) -> str:
    lines = ["| endpoint | server | req/s | p50 | p99 | errors (non-2xx / socket) | ratio vs bare GET "
             "| goal | server CPU/request |",
             "|---|---|---:|---:|---:|---:|---:|---|---:|"]
    for row in rows:
        if row.goal is None:
            verdict = "reference" if row.server == "bare" and row.endpoint.startswith("GET") else "info"
        else:
            verdict = f"≥ {row.goal:.2f}x: {'met' if row.met else 'NOT met'}"
        t = row.typical
        lines.append(f"| `{row.endpoint}` | {row.server} | {row.rps:,.0f} | {fmt_ms(t.p50_us)} | "
                     f"{fmt_ms(t.p99_us)} | {row.non2xx} / {row.socket_errors} | {row.ratio:.2f}x | "
                     f"{verdict} | {row.cpu_us:.0f} µs |")
    return "\n".join(lines)


def verdicts(rows: list[Row]) -> list[str]:
    bare_cpu = next(r.cpu_us for r in rows if r.server == "bare" and r.endpoint.startswith("GET"))
    out = []
    for row in rows:
        if row.goal is None:
            continue
        errors = row.non2xx + row.socket_errors
        out.append(f"- `{row.endpoint}`: {row.ratio:.2f}x the bare endpoint (goal ≥ {row.goal:.2f}x), "
                   f"{errors} errors: **{'met' if row.met else 'not met'}**. By CPU per request "
                   f"({bare_cpu:.0f} µs bare vs {row.cpu_us:.0f} µs): {bare_cpu / row.cpu_us:.2f}x.")
    return out


def per_round(rows: list[Row]) -> str:
    lines = ["| endpoint | server | " + " | ".join(f"round {i + 1}" for i in range(len(rows[0].rounds))) + " |",
             "|---|---|" + "---:|" * len(rows[0].rounds)]
    for row in rows:
        cells = [f"{r.rps:,.0f}" + (f" ({q:.2f}x)" if row.server == "botaz" else "")
                 for r, q in zip(row.rounds, row.ratios)]
        lines.append(f"| `{row.endpoint}` | {row.server} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def busy_note(load: str) -> str:
    try:
        busy = float(load.split()[0]) > 0.5
    except (ValueError, IndexError):
        busy = False
    if not busy:
        return ""
    return (f"\nThe machine was not idle (load average {load} before the run): req/s and p99 are "
            "noisy; the CPU-per-request ratio is the steadier estimate.\n")


def write_doc(path: Path, info: dict[str, str], date: str, command: str, args: argparse.Namespace,
              rows: list[Row], load: tuple[str, str]) -> None:
    n = len(rows[0].rounds)
    text = f"""# Benchmarks

Throughput and latency of every endpoint of the Bot.Az REST API and `GET /api/visitors` on
SQLite, measured against a bare Starlette + orjson JSON endpoint on the same machine, in the same
run, with the same uvicorn settings. Generated by `bench/run.py` (see [bench/README.md](../bench/README.md)); rerun it
to refresh this page.

## Goals

With one server process and {args.connections} concurrent connections:

- reads (`GET /api/visitors/:id`, `GET /api/visitors`) at ≥ 0.5x the bare endpoint's requests
  per second, writes (`PUT`/`DELETE /api/messages/:id`, `PUT /api/visitors/:id`) at ≥ 0.35x,
- `GET /api/messages/:id` at ≥ 0.75x and `POST /api/messages/` at ≥ 0.40x (what the former
  hand-written path for these two reached),
- zero errors: no non-2xx response and no socket error.

The bare endpoint is `GET /api/messages/{{id}}` of [bench/bare_app.py](../bench/bare_app.py): a
fixed message object rendered with orjson, no authentication, storage or validation. Every ratio
is relative to it. The bare app's `POST` (parse the JSON body, answer 201) is shown for
information only.

## Result

Date: {date}

Command (from the repository root):

```sh
{command}
```

{table(rows)}

{chr(10).join(verdicts(rows))}
{busy_note(load[0])}
req/s is the median of {n} round(s); p50/p99 come from the median round; errors are summed over
all rounds; the ratio is the median of the per-round ratios (each botaz run divided by the bare
GET run of the same round, measured seconds apart). "server CPU/request" is the server process's
user + system CPU time during the measured run divided by the requests completed (median of the
rounds): it moves much less than req/s when something else competes for the cores. Every round
(req/s, and the ratio for botaz):

{per_round(rows)}

## Machine

- CPUs (`nproc`): {info['nproc_cmd'] or info['nproc']}
- CPU: {info['cpu']}
- Memory: {info['memory']}
- OS: {info['os']}
- Python: {info['python']} ({info['packages']})
- wrk: {info['wrk']}
- botaz commit: {info['commit']}
- Load average (1, 5, 15 min) before / after the run: {load[0]} / {load[1]}

## Method

- Both servers run on 127.0.0.1 for the whole run, each one uvicorn process with uvloop,
  httptools, access log off and log level warning: `botaz serve --port P` with
  `BOTAZ_RATE_LIMITS=off` on a fresh temporary SQLite database, and `bench/bare_app.py` under
  `python -m uvicorn` with the settings `botaz serve` passes to uvicorn. Only one is under load
  at a time.
- Data: `botaz create-account --json`, then a visitor through `POST /widget/v1/visitors` and
  one agent message through `POST /api/messages/`; the GET benchmark reads that message, the POST
  benchmark sends `{{"userId", "visitorId", "text"}}` as that agent (a new row per request, so
  the database grows during the run). The PUTs rewrite that message's text and the visitor's
  name; DELETE deletes each message the POST runs stored, once (a second DELETE would be a 404),
  with no warm-up run, and stops when they run out (its measured run can be shorter).
- Each round runs, in this order, bare GET, botaz GET, bare POST, botaz POST, then botaz PUT
  message, DELETE message, GET visitor, PUT visitor and GET /api/visitors, each as
  `wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency -s bench/wrk.lua`
  after a {args.warmup:g} s warm-up run of the same command (not counted). The Lua script sets the
  method, body and `Authorization` header and prints the request count, p50/p99 and error counts
  from wrk's `done` callback. req/s = requests / measured duration.
- "non-2xx" is wrk's status error count (responses with status ≥ 400); every endpoint is also
  checked once for the exact 200/201 answer before the load. Socket errors are wrk's connect,
  read, write and timeout errors.
- The machine has {info['nproc_cmd'] or info['nproc']} cores shared by wrk and the server (and
  anything else running), so absolute numbers are for comparing runs on this machine; the ratios
  are the meaningful part.
"""
    # This script owns the top of the file; the sections other scripts and people wrote below
    # it, each between <!-- ... --> markers, are kept as they are.
    old = path.read_text() if path.exists() else ""
    marker = old.find("\n<!-- ")
    kept = old[marker:] if marker >= 0 else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n" + kept)


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    default_python = ROOT / ".venv" / "bin" / "python"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", default=str(default_python) if default_python.exists() else sys.executable,
                   help="interpreter with botaz and uvicorn installed (default: .venv/bin/python)")
    p.add_argument("--wrk", default=shutil.which("wrk"), help="wrk binary (default: from PATH)")
    p.add_argument("--duration", type=float, default=10, help="measured seconds per run (10)")
    p.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each run (2)")
    p.add_argument("--connections", type=int, default=50, help="concurrent connections (50)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (1; the machine has 2 cores)")
    p.add_argument("--timeout", type=float, default=5, help="wrk socket/request timeout in s (5)")
    p.add_argument("--messages-only", action="store_true",
                   help="only GET and POST /api/messages (not every seed endpoint)")
    p.add_argument("--rounds", type=int, default=3,
                   help="rounds of the four cases, interleaved; medians are reported (3)")
    p.add_argument("--doc", default=str(DOC), help="markdown file to write (docs/benchmarks.md)")
    p.add_argument("--no-doc", action="store_true", help="print the table only")
    p.add_argument("--keep", action="store_true", help="keep the temporary database directory")
    venv_spy = ROOT / ".venv" / "bin" / "py-spy"
    p.add_argument("--py-spy", nargs="?", metavar="PATH",
                   const=str(venv_spy) if venv_spy.exists() else (shutil.which("py-spy") or "py-spy"), help="record a py-spy flame graph of botaz during each measured "
                   "run into bench/results/ (perturbs the numbers: docs/benchmarks.md is not written)")
    return p.parse_args(argv)


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def loadavg_warning() -> str:
    """The load average before a run, with a warning when something else is already busy."""
    load = loadavg()
    if float(load.split()[0] if load != "?" else 0) > 0.5:
        print(f"warning: load average is {load}: something else is using the CPU, the "
              "numbers will be noisy", file=sys.stderr)
    return load


def shown_command(python: str, script: str, argv: list[str]) -> str:
    """The command line to print in the docs, with the interpreter relative to the repository."""
    shown = os.path.relpath(python, ROOT) if python.startswith(str(ROOT) + os.sep) else python
    return shlex.join([shown, script, *argv])


def start_servers(args: argparse.Namespace, tmp: Path,
                  started: list[Server]) -> list[tuple[str, Server, str, dict[str, str]]]:
    """Start both servers (appended to `started` at once, so the caller always stops them) and
    seed botaz's data; return the cases of one round."""
    python = args.python
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("BOTAZ_")}

    port = free_port()
    bare = Server("bare_app", uvicorn_argv(python, port), base_env, port, RESULTS / "bare_app.log")
    started.append(bare)
    bare.start()

    env = base_env | {"BOTAZ_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
                      "BOTAZ_RATE_LIMITS": "off"}
    account = create_account(python, env)
    port = free_port()
    server = Server("botaz", [python, "-m", "botaz", "serve", "--port", str(port)], env, port,
                    RESULTS / "botaz.log")
    started.append(server)
    server.start()

    bare_body = {"userId": "MvSzqx36KksKNxHmK", "visitorId": "BtR7qAyvZfTWoaC7a",
                 "text": MESSAGE_TEXT}
    for method, path, body, want in (("GET", "/api/messages/qZkS5QLZSBLKzYAwm", None, 200),
                                     ("POST", "/api/messages/", bare_body, 201)):
        status, answer = http(method, bare.base + path, body)
        if status != want:
            raise SystemExit(f"bare {method} {path} answered {status}: {answer}")
    visitor_id, message_id = seed_data(server.base, account)
    token = account["apiToken"]
    botaz_body = {"userId": account["agentId"], "visitorId": visitor_id, "text": MESSAGE_TEXT}

    get, post = "GET /api/messages/:id", "POST /api/messages/"
    auth = {"BENCH_TOKEN": token}
    cases = [
        (get, bare, f"{bare.base}/api/messages/qZkS5QLZSBLKzYAwm", {}),
        (get, server, f"{server.base}/api/messages/{message_id}", auth),
        (post, bare, f"{bare.base}/api/messages/",
         {"BENCH_METHOD": "POST", "BENCH_BODY": json.dumps(bare_body)}),
        (post, server, f"{server.base}/api/messages/",
         {"BENCH_METHOD": "POST", "BENCH_BODY": json.dumps(botaz_body)} | auth),
    ]
    if args.messages_only:
        return cases
    visitor = f"{server.base}/api/visitors/{visitor_id}"
    for method, path, body, want in (
            ("PUT", f"/api/messages/{message_id}", {"text": MESSAGE_TEXT}, 200),
            ("PUT", f"/api/visitors/{visitor_id}", {"name": "Bench Visitor"}, 200),
            ("GET", f"/api/visitors/{visitor_id}", None, 200),
            ("GET", "/api/visitors", None, 200)):
        status, answer = http(method, server.base + path, body, token=token)
        if status != want:
            raise SystemExit(f"botaz {method} {path} answered {status}: {answer}")

    def delete_pool() -> dict[str, str]:
        """The agent messages the POST runs created, each deleted once (a second DELETE would
        be a 404); wrk stops when they run out, then GETs the seed message."""
        ids = message_ids(server.base, visitor_id, token, keep=message_id)
        pool = tmp / "delete-paths.txt"
        pool.write_text("".join(f"/api/messages/{i}\n" for i in ids))
        print(f"  DELETE pool: {len(ids)} messages (no warm-up run: it would spend them)", flush=True)
        return {"BENCH_METHOD": "DELETE", "BENCH_PATHS": str(pool),
                "BENCH_AFTER": f"/api/messages/{message_id}"} | auth

    return cases + [
        ("PUT /api/messages/:id", server, f"{server.base}/api/messages/{message_id}",
         {"BENCH_METHOD": "PUT", "BENCH_BODY": json.dumps({"text": MESSAGE_TEXT})} | auth),
        ("DELETE /api/messages/:id", server, f"{server.base}/api/messages/{message_id}", delete_pool),
        ("GET /api/visitors/:id", server, visitor, auth),
        ("PUT /api/visitors/:id", server, visitor,
         {"BENCH_METHOD": "PUT", "BENCH_BODY": json.dumps({"name": "Bench Visitor"})} | auth),
        ("GET /api/visitors", server, f"{server.base}/api/visitors", auth),
    ]


def message_ids(base: str, visitor_id: str, token: str, keep: str) -> list[str]:
    """Every message of the visitor but `keep`, newest first, through the paginated list."""
    ids: list[str] = []
    cursor = ""
    while True:
        status, page = http("GET", f"{base}/api/visitors/{visitor_id}/messages?limit=100"
                            + (f"&cursor={cursor}" if cursor else ""), token=token)
        if status != 200:
            raise SystemExit(f"GET /api/visitors/:id/messages answered {status}: {page}")
        ids += [m["_id"] for m in page["items"] if m["_id"] != keep]
        cursor = page.get("next")
        if not cursor:
            return ids


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # a `kill` of this script still stops the servers (the finally below)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if not args.wrk or not Path(args.wrk).exists():
        print("wrk is not installed: `apt-get install wrk` (Debian/Ubuntu), then rerun.",
              file=sys.stderr)
        return 2
    if args.py_spy and not Path(args.py_spy).exists():
        print(f"py-spy not found at {args.py_spy}: `.venv/bin/pip install py-spy`", file=sys.stderr)
        return 2
    check = subprocess.run([args.python, "-c", "import botaz, uvicorn, uvloop, httptools"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        print(f"{args.python} cannot import botaz/uvicorn/uvloop/httptools; run ./dev serve once "
              f"(it creates .venv) or pass --python.\n{check.stderr}", file=sys.stderr)
        return 2

    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    raw_log = RESULTS / f"wrk-{stamp}.txt"
    date = sh("date -u") or dt.datetime.now(dt.timezone.utc).isoformat()
    command = shown_command(args.python, "bench/run.py", argv if argv is not None else sys.argv[1:])
    load_before = loadavg_warning()
    print(f"botaz benchmark: {args.rounds} round(s) of wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration:g}s (+{args.warmup:g}s warm-up) per case; raw output in "
          f"{os.path.relpath(raw_log, ROOT)}", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="botaz-bench-", dir="/tmp"))
    results: dict[tuple[str, str], list[Result]] = {}
    started: list[Server] = []
    try:
        cases = start_servers(args, tmp, started)
        for rnd in range(1, args.rounds + 1):
            print(f"round {rnd}/{args.rounds}", flush=True)
            for endpoint, server, url, env in cases:
                result = measure(args, endpoint, server, url, env, raw_log)
                results.setdefault((endpoint, result.server), []).append(result)
    finally:
        for server in reversed(started):
            code = server.stop()
            if server.name == "botaz" and code not in (0, None):
                print(f"warning: botaz serve exited with {code} after SIGTERM (expected 0); "
                      f"see {os.path.relpath(server.log_path, ROOT)}", file=sys.stderr)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    load_after = loadavg()

    reference = results[("GET /api/messages/:id", "bare")]
    rows = [Row(endpoint, name, runs, [r.rps / ref.rps for r, ref in zip(runs, reference)])
            for (endpoint, name), runs in results.items()]
    print()
    print(table(rows))
    print()
    print("\n".join(verdicts(rows)))
    if args.py_spy:
        print("\n(py-spy was sampling botaz: numbers perturbed, docs not written)")
    elif not args.no_doc:
        write_doc(Path(args.doc), machine(args.python), date, command, args, rows,
                  (load_before, load_after))
        print(f"\nwrote {os.path.relpath(args.doc, ROOT)}")
    return 0 if all(row.met for row in rows if row.goal is not None) else 1


if __name__ == "__main__":
    raise SystemExit(main())
