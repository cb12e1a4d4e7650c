"""HTTP connection limits on the real server (uvicorn with botaz's protocol, as `botaz serve` runs):
head size (431), head and body read time (408 and closed), idle keep-alive (closed).

The server here has short timeouts so that the test is quick; docs/security.md lists the defaults.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from typing import Iterator

import httpx
import pytest

from botaz.config import Settings
from tests.conftest import ServerThread

HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 2.0
KEEP_ALIVE = 1.0


@pytest.fixture(scope="module")
def server(tmp_root) -> Iterator[ServerThread]:
    settings = Settings(database_url=f"sqlite:///{tmp_root}/limits-{secrets.token_hex(4)}.db",
                        rate_limits=False, header_timeout=HEADER_TIMEOUT,
                        body_timeout=BODY_TIMEOUT, keep_alive_timeout=KEEP_ALIVE)
    with ServerThread(settings) as running:
        yield running


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def connect(server: ServerThread) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.settings.port), timeout=10)


def read_all(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes; and how long that took."""
    started = time.monotonic()
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    return data, time.monotonic() - started


def test_normal_requests_still_work(server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/healthz").status_code == 200
        big = {"X-Padding": "p" * 8000}  # large but within 16 KiB
        assert client.get("/healthz", headers=big).status_code == 200
        r = client.post("/widget/v1/visitors", json={"siteKey": "nope", "pad": "x" * 500_000})
        assert r.status_code in (400, 404), r.text


def test_a_head_over_16_kib_is_431(server) -> None:
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
    data, _ = read_all(sock, 5)
    assert data.startswith(b"HTTP/1.1 431"), data[:200]
    assert b"headers are too large" in data


def _endless_head(server: ServerThread, total: int, results: list) -> None:
    """Sends a header of `total` bytes as fast as it can; records how much got through."""
    sock = connect(server)
    sent, started = 0, time.monotonic()
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * 65536
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        results.append((sent, time.monotonic() - started))
        sock.close()


def test_a_32_mib_header_is_refused_quickly_and_memory_stays_bounded(server) -> None:
    before = rss()
    results: list = []
    threads = [threading.Thread(target=_endless_head, args=(server, 32 * 1024 * 1024, results))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for sent, elapsed in results:
        assert sent < 8 * 1024 * 1024, f"the server read {sent} bytes of one header"
        assert elapsed < 5
    assert rss() - before < 40 * 1024 * 1024


def test_a_head_sent_byte_by_byte_is_closed_within_the_timeout(server) -> None:
    socks = [connect(server) for _ in range(3)]
    started = time.monotonic()
    closed = [False] * 3
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 1000
    for i in range(len(request)):
        if all(closed) or time.monotonic() - started > HEADER_TIMEOUT + 3:
            break
        for n, sock in enumerate(socks):
            if closed[n]:
                continue
            try:
                sock.sendall(request[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed[n] = True
        time.sleep(0.05)
    for sock in socks:
        data, _ = read_all(sock, HEADER_TIMEOUT + 3)
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:200]
        sock.close()
    assert time.monotonic() - started < HEADER_TIMEOUT + 3


def test_a_connection_that_sends_nothing_is_closed(server) -> None:
    sock = connect(server)
    data, elapsed = read_all(sock, HEADER_TIMEOUT + 3)
    assert data == b""
    assert elapsed < HEADER_TIMEOUT + 2


def test_a_slow_body_is_408_and_closed(server) -> None:
    sock = connect(server)
    sock.sendall(b"POST /widget/v1/visitors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"siteKey\":")
    data, elapsed = read_all(sock, BODY_TIMEOUT + 3)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert elapsed < BODY_TIMEOUT + 2


def test_an_idle_keep_alive_connection_is_closed(server) -> None:
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data, elapsed = read_all(sock, KEEP_ALIVE + 3)
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert elapsed < KEEP_ALIVE + 2
