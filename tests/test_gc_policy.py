"""Frozen objects are never collected: closing sockets must free them by reference counting."""

from __future__ import annotations

import gc
import time
import weakref

import httpx
from websockets.sync.client import connect

from botaz.config import Settings
from tests.conftest import Botaz, ServerThread


def test_closed_sockets_free_everything_even_when_frozen(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path}/botaz.db"
    settings = Settings(database_url=database_url, rate_limits=False, data_dir=str(tmp_path / "data"))
    with ServerThread(settings) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        botaz = Botaz(server.url, database_url, client, server)
        acme = botaz.account()
        base = server.url.replace("http://", "ws://")
        visitors = [botaz.visitor(acme) for _ in range(20)]
        sockets = [connect(f"{base}/widget/v1/ws?token={v['visitorToken']}", open_timeout=5) for v in visitors]
        sockets.append(connect(f"{base}/api/ws?token={acme.token}", open_timeout=5))
        hub = server.app.state.hub
        deadline = time.monotonic() + 5
        while hub.open_sockets < len(sockets) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert hub.open_sockets == len(sockets)
        sent = botaz.send(acme, visitors[0]["visitorId"], "hello")
        frames = []
        while sent["_id"] not in "".join(frames):
            frames.append(sockets[0].recv(timeout=5))
        sockets[1].send('{"type": "resume", "after": null}')
        sockets[2].send('{"type": "typing", "typing": true}')
        sockets[3].send('not json')

        protocols = [weakref.ref(p) for p in server.server.server_state.connections
                     if type(p).__name__ == "LeanWebSocketProtocol"]
        assert len(protocols) == len(sockets)
        gc.collect(1)
        gc.freeze()  # what gc_policy.keep_freezing does every few seconds
        try:
            for ws in sockets:
                ws.close()
            deadline = time.monotonic() + 5
            while any(ref() is not None for ref in protocols) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert hub.open_sockets == 0
            left = [ref() for ref in protocols if ref() is not None]
            assert left == []
        finally:
            gc.unfreeze()


def test_the_hourly_full_collection_frees_cycles_that_were_frozen() -> None:
    import asyncio

    from botaz import gc_policy

    class Node:
        def __init__(self) -> None:
            self.me = self  # a reference cycle: only the collector can free it

    async def scenario() -> None:
        gc.collect()
        node = Node()
        ref = weakref.ref(node)
        gc.freeze()
        del node
        gc.collect()
        assert ref() is not None  # frozen: out of the collector's sight
        task = asyncio.get_running_loop().create_task(
            gc_policy.keep_freezing(interval=0.01, full_every=0.05))
        try:
            deadline = time.monotonic() + 5
            while ref() is not None and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert ref() is None
        finally:
            task.cancel()
            gc.unfreeze()

    asyncio.run(scenario())
