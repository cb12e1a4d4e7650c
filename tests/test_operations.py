"""Operations: health, readiness, metrics, request IDs, JSON logs, workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import REDIS_ENV, free_port


def test_health_ready_and_request_ids(botaz) -> None:
    assert botaz.client.get("/healthz").json() == {"status": "ok"}
    r = botaz.client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"]["database"] == "ok"
    r = botaz.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len(botaz.client.get("/healthz").headers["x-request-id"]) == 16


def test_metrics_count_requests_by_route(botaz) -> None:
    acme = botaz.account()
    v = botaz.visitor(acme)
    m = botaz.send(acme, v["visitorId"])
    botaz.client.get(f"/api/messages/{m['_id']}", headers=acme.headers)
    text = botaz.client.get("/metrics").text
    assert 'botaz_http_requests_total{method="GET",route="/api/messages/{id}",status="200"}' in text
    assert 'botaz_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/messages/"' in text
    for name in ("botaz_open_sockets", "botaz_webhook_queue_depth", "botaz_webhook_failures_total",
                 "botaz_events_published_total"):
        assert name in text


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "botaz", "serve", *args], env=os.environ | env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_logs_are_json_with_request_ids(tmp_path) -> None:
    port = free_port()
    proc = _start(["--port", str(port)], {"BOTAZ_DATABASE_URL": f"sqlite:///{tmp_path}/l.db",
                                          "BOTAZ_ACCESS_LOG": "1"})
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "req-42"})
                break
            except httpx.HTTPError:
                time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("requestId") == "req-42"]
    assert access and access[0]["path"] == "/healthz" and access[0]["status"] == 200


def test_workers_need_redis(tmp_path) -> None:
    proc = _start(["--port", str(free_port()), "--workers", "2"],
                  {"BOTAZ_DATABASE_URL": f"sqlite:///{tmp_path}/w.db", "BOTAZ_REDIS_URL": ""})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "BOTAZ_REDIS_URL" in err


def test_two_workers_share_events(tmp_path) -> None:
    from websockets.sync.client import connect

    redis = os.environ.get(REDIS_ENV)
    if not redis:
        pytest.skip(f"{REDIS_ENV} is not set")
    db = f"sqlite:///{tmp_path}/workers.db"
    account = json.loads(subprocess.run(
        [sys.executable, "-m", "botaz", "create-account", "--name", "W", "--agent-name", "A",
         "--agent-email", "w@example.com", "--json"], env=os.environ | {"BOTAZ_DATABASE_URL": db},
        capture_output=True, text=True, check=True).stdout)
    port = free_port()
    proc = _start(["--port", str(port), "--workers", "2"],
                  {"BOTAZ_DATABASE_URL": db, "BOTAZ_REDIS_URL": redis, "BOTAZ_RATE_LIMITS": "off"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        h = {"Authorization": f"Bearer {account['apiToken']}"}
        v = httpx.post(f"{base}/widget/v1/visitors", json={"siteKey": account["siteKey"]}).json()
        sockets = [connect(base.replace("http", "ws") + f"/widget/v1/ws?token={v['visitorToken']}")
                   for _ in range(4)]  # new connections spread over both workers
        time.sleep(0.7)
        sent = []
        for i in range(6):  # and so do these requests
            with httpx.Client() as client:
                sent.append(client.post(f"{base}/api/messages/", headers=h, json={
                    "userId": account["agentId"], "visitorId": v["visitorId"], "text": f"w{i}"}).json()["_id"])
        for ws in sockets:
            got = []
            while len(got) < 6:
                frame = json.loads(ws.recv(timeout=10))
                if frame["event"] == "message.created":
                    got.append(frame["data"]["_id"])
            assert got == sent
            ws.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_logs_never_carry_tokens() -> None:
    import logging

    from botaz.observability import JsonFormatter

    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1,
                               '%s - "WebSocket %s" [accepted]', ("127.0.0.1:5", "/api/ws?token=btz_secret&x=1"),
                               None)
    line = json.loads(JsonFormatter().format(record))
    assert "btz_secret" not in line["message"] and "token=[redacted]&x=1" in line["message"]


def test_rate_limiter_lets_calls_through_when_redis_is_down() -> None:
    import asyncio

    from botaz.ratelimit import RedisLimiter

    async def run() -> None:
        limiter = RedisLimiter("redis://127.0.0.1:1/0")  # nothing listens there
        try:
            verdict = await limiter.hit("k", 1, 60)
            assert verdict.allowed
        finally:
            await limiter.close()

    asyncio.run(run())


def test_demo_account_is_made_once_by_concurrent_starts(tmp_path) -> None:
    import asyncio

    from botaz.chat.context import Chat
    from botaz.cli import ensure_demo_account
    from botaz.config import Settings
    from botaz.events import EventBus
    from botaz.store import Store

    url = f"sqlite:///{tmp_path}/demo.db"

    async def one() -> object:
        store = await Store.open(url)
        try:
            return await ensure_demo_account(Chat(store, EventBus(), Settings(database_url=url)))
        finally:
            await store.close()

    async def prepare() -> None:
        first = await Store.open(url)  # schema in place before the race
        await first.close()

    asyncio.run(prepare())
    # Three "nodes": each its own thread and event loop, as separate processes would be.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: asyncio.run(one()), range(3)))
    made = [r for r in results if r]
    assert len(made) == 1


def test_http_metrics_count_like_prometheus_histograms() -> None:
    """botaz keeps the HTTP metrics itself (observability.HttpMetrics): the exposition must be
    what prometheus_client's own Histogram gives for the same observations."""
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    from botaz.observability import HttpMetrics

    ours, reference = CollectorRegistry(), CollectorRegistry()
    metrics = HttpMetrics()
    ours.register(metrics)
    theirs = Histogram("botaz_http_request_duration_seconds", "HTTP request latency", ["route", "method"],
                       buckets=HttpMetrics.BUCKETS, registry=reference)
    for seconds in (0.0, 0.001, 0.0010001, 0.3, 10, 11.5):  # bounds are inclusive (le)
        metrics.observe("/api/x/{id}", "GET", 200, seconds)
        theirs.labels("/api/x/{id}", "GET").observe(seconds)
    metrics.observe("/api/x/{id}", "GET", 404, 0.002)
    theirs.labels("/api/x/{id}", "GET").observe(0.002)

    def samples(registry: CollectorRegistry) -> list[str]:
        return [line for line in generate_latest(registry).decode().splitlines()
                if line.startswith("botaz_http_request_duration_seconds_")
                and "_created" not in line]

    assert samples(ours) == samples(reference)
    text = generate_latest(ours).decode()
    assert 'botaz_http_requests_total{method="GET",route="/api/x/{id}",status="200"} 6.0' in text
    assert 'botaz_http_requests_total{method="GET",route="/api/x/{id}",status="404"} 1.0' in text
