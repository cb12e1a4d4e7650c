"""Rate limits answer 429 with Retry-After and X-RateLimit-* headers; off switches them off."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from botaz.config import Settings
from botaz.ratelimit import MemoryLimiter
from tests.conftest import Botaz, ServerThread


@pytest.fixture
def limited(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/rl.db", rate_limits=True, data_dir=str(tmp_path),
                        rate_limit_visitor_create="3/60", rate_limit_token="5/60",
                        rate_limit_visitor="4/60", max_sockets_per_visitor=3)
    with ServerThread(settings) as server, httpx.Client(base_url=server.url) as client:
        yield Botaz(server.url, settings.database_url, client, server)


def test_visitor_creation_is_limited_per_address(limited) -> None:
    acme = limited.account()
    answers = [limited.client.post("/widget/v1/visitors", json={"siteKey": acme.site_key}) for _ in range(4)]
    assert [r.status_code for r in answers] == [201, 201, 201, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "3"
    assert answers[0].headers["x-ratelimit-remaining"] == "2"
    last = answers[-1]
    assert int(last.headers["retry-after"]) >= 1 and last.headers["x-ratelimit-remaining"] == "0"
    assert last.json()["status"] == "error"


def test_api_token_and_visitor_limits(limited) -> None:
    acme = limited.account()
    codes = [limited.client.get("/api/agents", headers=acme.headers).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    v = limited.visitor(acme)
    h = {"Authorization": f"Bearer {v['visitorToken']}"}
    codes = [limited.client.get("/widget/v1/messages", headers=h).status_code for _ in range(5)]
    assert codes == [200] * 4 + [429]


def test_sockets_per_visitor_are_limited(limited) -> None:
    acme = limited.account()
    v = limited.visitor(acme)
    url = limited.url.replace("http", "ws") + f"/widget/v1/ws?token={v['visitorToken']}"
    sockets = [connect(url) for _ in range(3)]
    try:
        with pytest.raises(InvalidStatus) as refused:
            connect(url)
        assert refused.value.response.status_code == 429
    finally:
        for s in sockets:
            s.close()


def test_off_means_no_limits(botaz) -> None:
    acme = botaz.account()
    for _ in range(70):
        r = botaz.client.post("/widget/v1/visitors", json={"siteKey": acme.site_key})
        assert r.status_code == 201 and "x-ratelimit-limit" not in r.headers


def test_memory_limiter_windows() -> None:
    import asyncio

    async def run() -> None:
        limiter = MemoryLimiter()
        verdicts = [await limiter.hit("k", 2, 60) for _ in range(3)]
        assert [v.allowed for v in verdicts] == [True, True, False]
        assert (await limiter.hit("other", 2, 60)).allowed

    asyncio.run(run())


def test_redis_limiter_is_shared_between_nodes() -> None:
    import asyncio
    import os
    import secrets

    from botaz.ratelimit import RedisLimiter

    url = os.environ.get("BOTAZ_TEST_REDIS_URL")
    if not url:
        pytest.skip("BOTAZ_TEST_REDIS_URL is not set")

    async def run() -> None:
        a, b = RedisLimiter(url), RedisLimiter(url)
        key = "test:" + secrets.token_hex(6)
        try:
            verdicts = [await (a if i % 2 else b).hit(key, 3, 60) for i in range(4)]
            assert [v.allowed for v in verdicts] == [True, True, True, False]
        finally:
            await a.close()
            await b.close()

    asyncio.run(run())


def test_limits_are_settings() -> None:
    s = Settings.from_env({"BOTAZ_RATE_LIMIT_TOKEN": "10/1", "BOTAZ_MAX_SOCKETS_PER_VISITOR": "2"})
    assert s.rate("token") == (10, 1) and s.max_sockets_per_visitor == 2
    with pytest.raises(ValueError):
        Settings.from_env({"BOTAZ_RATE_LIMIT_VISITOR": "lots"})
