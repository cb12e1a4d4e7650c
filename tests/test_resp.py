"""botaz/events/resp.py, the event bus's own Redis connection, against a real Redis
(BOTAZ_TEST_REDIS_URL): replies in order, error replies, pub/sub pushes, a closed connection."""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest

from botaz.events.resp import Connection, RedisError, command
from conftest import REDIS_ENV

URL = os.environ.get(REDIS_ENV)
pytestmark = pytest.mark.skipif(not URL, reason=f"{REDIS_ENV} is not set")


def test_command_is_a_resp_array() -> None:
    assert command(b"PUBLISH", b"c", b"hi") == b"*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n$2\r\nhi\r\n"
    assert command(b"PING", b"") == b"*2\r\n$4\r\nPING\r\n$0\r\n\r\n"


def test_publish_reaches_a_subscriber_in_order() -> None:
    async def main() -> None:
        channel = f"botaz-test:{secrets.token_hex(4)}".encode()
        pushes: list[object] = []
        subscribed = asyncio.Event()
        got_all = asyncio.Event()

        def on_push(reply: object) -> None:
            pushes.append(reply)
            if isinstance(reply, list) and reply[0] == b"subscribe":
                subscribed.set()
            if sum(1 for p in pushes if isinstance(p, list) and p[0] == b"message") == 300:
                got_all.set()

        sub = await Connection.open(URL, on_push=on_push)
        pub = await Connection.open(URL)
        try:
            sub.send(b"SUBSCRIBE", channel)
            await asyncio.wait_for(subscribed.wait(), 5)
            # one write of 300 commands; the last reply is the last PUBLISH's receiver count
            assert await asyncio.wait_for(pub.request(
                [[b"PUBLISH", channel, str(i).encode()] for i in range(300)]), 5) == 1
            await asyncio.wait_for(got_all.wait(), 5)
            messages = [p[2] for p in pushes if isinstance(p, list) and p[0] == b"message"]
            assert messages == [str(i).encode() for i in range(300)]
            # replies of separate requests come back to their own futures
            first = pub.request([[b"ECHO", b"one"]])
            second = pub.request([[b"ECHO", b"two"], [b"ECHO", b"three"]])
            assert await asyncio.wait_for(first, 5) == b"one"
            assert await asyncio.wait_for(second, 5) == b"three"
        finally:
            sub.close()
            pub.close()

    asyncio.run(main())


def test_an_error_reply_fails_its_request_only() -> None:
    async def main() -> None:
        conn = await Connection.open(URL)
        try:
            with pytest.raises(RedisError, match="unknown command"):
                await asyncio.wait_for(conn.request([[b"ECHO", b"x"], [b"NO-SUCH-COMMAND"]]), 5)
            assert await asyncio.wait_for(conn.request([[b"PING"]]), 5) == b"PONG"
        finally:
            conn.close()

    asyncio.run(main())


def test_a_closed_connection_fails_what_waits_and_refuses_more() -> None:
    async def main() -> None:
        conn = await Connection.open(URL)
        waiting = conn.request([[b"BLPOP", f"botaz-test:{secrets.token_hex(4)}".encode(), b"5"]])
        conn.close()
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(waiting, 5)
        await asyncio.wait_for(conn.closed, 5)
        with pytest.raises(RedisError, match="closed"):
            conn.request([[b"PING"]])

    asyncio.run(main())


def test_an_unreachable_redis_fails_to_open() -> None:
    async def main() -> None:
        with pytest.raises(OSError):
            await Connection.open("redis://127.0.0.1:1/0", timeout=2)
        with pytest.raises(ValueError, match="scheme"):
            await Connection.open("http://127.0.0.1:6379")

    asyncio.run(main())
