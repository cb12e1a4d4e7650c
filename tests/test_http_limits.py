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


# The one-write response path (OneWriteCycle): what goes on the wire, byte for byte where it
# matters, for the cases it writes itself and those it leaves to uvicorn.

def exchange(server: ServerThread, raw: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes; everything the server answers until it closes (or the timeout)."""
    sock = connect(server)
    try:
        sock.sendall(raw)
        data, _ = read_all(sock, timeout)
        return data
    finally:
        sock.close()


def responses(data: bytes) -> list[tuple[bytes, dict[bytes, bytes], bytes]]:
    """Split keep-alive responses with Content-Length bodies: (status line, headers, body)."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        headers = {k.lower(): v for k, _, v in (line.partition(b": ") for line in lines[1:])}
        length = int(headers.get(b"content-length", b"0"))
        out.append((lines[0], headers, rest[:length]))
        data = rest[length:]
    return out


def test_json_answers_are_whole_and_pipelined_ones_in_order(server) -> None:
    data = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                            b"GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc-1\r\n\r\n"
                            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    got = responses(data)
    assert [status for status, _, _ in got] == [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found",
                                               b"HTTP/1.1 200 OK"]
    assert got[0][2] == b'{"status":"ok"}'
    assert got[1][2] == b'{"status":"error","message":"Not found."}'
    assert got[1][1][b"x-request-id"] == b"abc-1"
    assert got[1][1][b"content-type"] == b"application/json"
    assert got[1][1][b"x-content-type-options"] == b"nosniff"
    assert got[2][1][b"connection"] == b"close"  # asked to close: said so, and closed
    assert b"transfer-encoding" not in got[0][1]


def test_head_and_http_1_0_answers(server) -> None:
    data = exchange(server, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"content-length: 15" in head  # the GET's length, no body
    assert body == b""
    data = exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in head
    assert body == b'{"status":"ok"}'


def test_a_preflight_is_204_without_a_body(server) -> None:
    data = exchange(server, b"OPTIONS /widget/v1/visitors HTTP/1.1\r\nHost: x\r\n"
                            b"Origin: https://shop.example\r\nConnection: close\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 204 No Content")
    assert b"access-control-allow-origin: *" in head
    assert b"content-length" not in head and b"transfer-encoding" not in head
    assert body == b""


def test_a_request_id_with_a_line_break_is_never_echoed_raw(server) -> None:
    # httptools refuses the head itself; no header line of ours can be split by a client.
    data = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\rb\r\n\r\n")
    assert not data.startswith(b"HTTP/1.1 200"), data[:200]


def test_streamed_and_file_answers_still_take_uvicorns_path(server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        r = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200 and len(r.content) > 1000
        assert r.headers["content-length"] == str(len(r.content))
        assert r.content.startswith(b"/*") or b"Botaz" in r.content[:5000]
        assert r.headers["etag"]
        again = client.get("/widget.js", headers={"Accept-Encoding": "identity",
                                                  "If-None-Match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
