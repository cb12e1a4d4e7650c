"""The `botaz` command as users run it: separate processes, JSON output, graceful serve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx

from tests.conftest import free_port

BOTAZ = [sys.executable, "-m", "botaz"]


def run(args: list[str], db: str) -> subprocess.CompletedProcess:
    env = os.environ | {"BOTAZ_DATABASE_URL": db}
    return subprocess.run(BOTAZ + args, env=env, capture_output=True, text=True, timeout=60)


def test_create_account_and_agent_print_json(database_url) -> None:
    r = run(["create-account", "--name", "Acme", "--agent-name", "Anar", "--agent-email",
             "anar@example.com", "--agent-password", "pw-123456", "--json"], database_url)
    assert r.returncode == 0, r.stderr
    account = json.loads(r.stdout)
    assert set(account) == {"accountId", "siteKey", "agentId", "apiToken"}
    r = run(["create-agent", "--account", account["accountId"], "--name", "Bot", "--email",
             "bot@example.com", "--bot", "--json"], database_url)
    assert r.returncode == 0, r.stderr
    agent = json.loads(r.stdout)
    assert set(agent) == {"agentId", "apiToken"}
    # The same email twice in one account is refused with a JSON error and a non-zero exit.
    r = run(["create-agent", "--account", account["accountId"], "--name", "Bot", "--email",
             "bot@example.com", "--json"], database_url)
    assert r.returncode != 0 and json.loads(r.stderr)["status"] == "error"
    r = run(["create-agent", "--account", "nonexistent", "--name", "X", "--email",
             "x@example.com", "--json"], database_url)
    assert r.returncode != 0
    r = run(["migrate"], database_url)
    assert r.returncode == 0 and json.loads(r.stdout)["applied"] == []


def test_serve_creates_demo_account_and_stops_gracefully(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/serve.db"
    port = free_port()
    env = os.environ | {"BOTAZ_DATABASE_URL": db}
    proc = subprocess.Popen(BOTAZ + ["serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "API docs" in line:
                break
        out = "".join(lines)
        assert "/demo" in out and "/login" in out
        token = next(l.split()[-1] for l in lines if "API token" in l)
        agent_id = next(l.split()[2] for l in lines if "agent ID" in l)
        for _ in range(100):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/agents",
                              headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 200
        assert r.json()["items"][0]["_id"] == agent_id
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    # A second start finds the account and does not print secrets again.
    proc = subprocess.Popen(BOTAZ + ["serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline() + proc.stdout.readline()
        assert "existing accounts" in first
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
