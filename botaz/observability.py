"""Operations: request IDs, JSON logs, Prometheus metrics, liveness and readiness."""

from __future__ import annotations

import asyncio
import bisect
import contextvars
import gc
import json
import logging
import os
import re
import sys
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from starlette.requests import Request
from starlette.responses import Response

from .api.registry import page

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

REGISTRY = CollectorRegistry(auto_describe=True)


class HttpMetrics:
    """`botaz_http_requests_total` and `botaz_http_request_duration_seconds`, by route template,
    kept in plain ints and floats and made into Prometheus families when scraped. Every request
    counts here; prometheus_client's Counter and Histogram took a lock and checked their state
    three times a request (1 to 2 µs, a few % of the cheapest calls); one event loop per process
    writes these, so no lock is needed."""

    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = {}
        # (route, method) -> [count per bucket (the last: above every bound)..., sum of seconds]
        self.latency: dict[tuple[str, str], list[float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, str(status))
        self.requests[key] = self.requests.get(key, 0) + 1
        series = self.latency.get((route, method))
        if series is None:
            series = self.latency[(route, method)] = [0.0] * (len(self.BUCKETS) + 2)
        series[bisect.bisect_left(self.BUCKETS, seconds)] += 1
        series[-1] += seconds

    def collect(self) -> Any:
        requests = CounterMetricFamily("botaz_http_requests", "HTTP requests",
                                       labels=["route", "method", "status"])
        for key, count in list(self.requests.items()):
            requests.add_metric(list(key), count)
        yield requests
        latency = HistogramMetricFamily("botaz_http_request_duration_seconds", "HTTP request latency",
                                        labels=["route", "method"])
        bounds = [str(float(b)) for b in self.BUCKETS] + ["+Inf"]  # as prometheus_client writes them
        for pair, series in list(self.latency.items()):
            total = 0
            buckets: list[tuple[str, float]] = []
            for bound, in_bucket in zip(bounds, series[:-1]):
                total += int(in_bucket)
                buckets.append((bound, total))
            latency.add_metric(list(pair), buckets, series[-1])
        yield latency


HTTP = HttpMetrics()
REGISTRY.register(HTTP)
SOCKETS = Gauge("botaz_open_sockets", "Open WebSockets on this node", ["kind"], registry=REGISTRY)
EVENTS = Gauge("botaz_events_published_total", "Events published on this node (counter)", registry=REGISTRY)
SOCKETS_DROPPED = Gauge("botaz_sockets_dropped_total", "Sockets dropped for falling behind (counter)",
                        registry=REGISTRY)
CAUGHT_UP = Gauge("botaz_messages_caught_up_total",
                  "Messages sent to sockets from the store after the bus between nodes broke (counter)",
                  registry=REGISTRY)
WEBHOOK_QUEUE = Gauge("botaz_webhook_queue_depth", "Webhook deliveries pending", registry=REGISTRY)
WEBHOOK_DELIVERED = Gauge("botaz_webhook_delivered_total", "Webhook deliveries made by this node (counter)",
                          registry=REGISTRY)
WEBHOOK_FAILURES = Gauge("botaz_webhook_failures_total", "Failed webhook attempts on this node (counter)",
                         registry=REGISTRY)
EMAIL_QUEUE = Gauge("botaz_email_queue_depth", "Emails pending (queued or being retried)",
                    registry=REGISTRY)
EMAIL_SENT = Gauge("botaz_email_sent_total", "Emails sent by this node (counter)", registry=REGISTRY)
EMAIL_FAILURES = Gauge("botaz_email_failures_total", "Failed email attempts on this node (counter)",
                       registry=REGISTRY)
GC_PAUSE = Histogram("botaz_gc_pause_seconds", "Event loop pauses for Python's cyclic garbage collector",
                     ["generation"], buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5, 1, 2.5), registry=REGISTRY)
SLOW_GC = 0.05


def watch_gc() -> None:
    """Times every collection: with many open sockets the collector, not the requests, sets the
    latency tail, and an operator should see that in /metrics and the log."""
    if any(getattr(cb, "botaz", False) for cb in gc.callbacks):
        return
    started = [0.0]
    gc_log = logging.getLogger("botaz.gc")

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = time.perf_counter() - started[0]
        GC_PAUSE.labels(str(info["generation"])).observe(took)
        if took >= SLOW_GC:
            gc_log.info("garbage collection of generation %d took %.0f ms (%d objects collected)",
                        info["generation"], took * 1000, info["collected"])

    on_gc.botaz = True  # type: ignore[attr-defined]
    gc.callbacks.append(on_gc)


# Sockets carry their token in the query string; uvicorn logs handshakes with the full URL.
SECRET_IN_URL = re.compile(r"(token=)[^&\s\"']+")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": SECRET_IN_URL.sub(r"\1[redacted]", record.getMessage()),
        }
        rid = request_id.get()
        if rid:
            entry["requestId"] = rid
        for key in ("method", "path", "status", "durationMs", "client"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every webhook and bot call with its URL at INFO; failures are logged by us.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


access_log = logging.getLogger("botaz.access")


class Observer:
    """Per-route metrics and, when asked for, one JSON access-log line a request; called by the
    dispatcher (api/dispatch.py) once per request, whichever endpoint answered."""

    def __init__(self, access: bool = False) -> None:
        self.access = access or os.environ.get("BOTAZ_ACCESS_LOG") == "1"

    def observe(self, route: Any, method: str, status: int, elapsed: float, scope: Any) -> None:
        HTTP.observe(route.template if route is not None else "unmatched", method, status, elapsed)
        if self.access:
            access_log.info("request", extra={
                "method": method, "path": scope["path"], "status": status,
                "durationMs": round(elapsed * 1000, 2),
                "client": (scope.get("client") or ("", 0))[0]})


@page("/healthz")
async def healthz(request: Request) -> Response:
    from .api.http import json_response

    return json_response({"status": "ok"})


READY_TIMEOUT = 3.0


@page("/readyz")
async def readyz(request: Request) -> Response:
    from .api.http import json_response

    state = request.app.state
    checks: dict[str, str] = {}
    try:
        # Bounded: a database that stopped answering is reported in seconds, not after 30.
        await asyncio.wait_for(state.chat.store.check_writable(), READY_TIMEOUT)
        checks["database"] = "ok"
    except asyncio.TimeoutError:
        checks["database"] = "error: no answer"
    except Exception as exc:
        checks["database"] = f"error: {getattr(exc, 'message', None) or type(exc).__name__}"
    bus = state.chat.bus
    if getattr(bus, "distributed", False):
        try:
            await bus.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return json_response({"status": "ok" if ready else "error", "checks": checks},
                         200 if ready else 503)


@page("/metrics")
async def metrics(request: Request) -> Response:
    state = request.app.state
    hub = state.hub
    SOCKETS.labels("visitor").set(sum(map(len, hub.visitors.values())))
    SOCKETS.labels("agent").set(sum(map(len, hub.agents.values())))
    SOCKETS_DROPPED.set(hub.dropped)
    CAUGHT_UP.set(hub.caught_up)
    EVENTS.set(state.chat.bus.published)
    WEBHOOK_QUEUE.set(await state.chat.store.pending_deliveries())
    WEBHOOK_DELIVERED.set(state.dispatcher.delivered)
    WEBHOOK_FAILURES.set(state.dispatcher.failed_attempts)
    EMAIL_QUEUE.set(await state.chat.store.pending_emails())
    EMAIL_SENT.set(state.mailer.sent)
    EMAIL_FAILURES.set(state.mailer.failed_attempts)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
