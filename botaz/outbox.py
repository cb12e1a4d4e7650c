"""The loop every outbox sender runs (webhooks, email, Web Push): one per node.

A subclass says what one round does (`tick`: claim due rows with a lease, start their sends);
this class runs it now, then again when woken or after its interval, keeps a failing round from
ending the loop, runs the sends as tasks it can count (the room left under a limit), and on stop
cancels the loop and gives the sends in flight time to finish.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Coroutine


class Poller:
    log = logging.getLogger("botaz.outbox")
    what = "outbox"  # in the log line of a failed round

    def __init__(self, *, interval: float, drain_timeout: float) -> None:
        self.interval = interval  # seconds between rounds when nothing wakes the loop
        self.drain_timeout = drain_timeout  # how long stop() waits for sends in flight
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def wake(self) -> None:
        """Run the next round now (new work was queued, or a send freed a slot)."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self.stopping()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.drain_timeout)
        await self.stopped()

    def stopping(self) -> None:
        """Before the loop stops (a subclass stops listening to the bus here)."""

    async def stopped(self) -> None:
        """After the sends in flight finished or timed out (a subclass closes its client here)."""

    async def tick(self) -> None:
        raise NotImplementedError

    def room(self, most: int) -> int:
        """How many more sends may start now, with at most `most` in flight."""
        return most - len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Runs a send (or other work) as a task stop() waits for."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.log.exception("%s tick failed", self.what)
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()


def backoff_ms(delays_s: tuple[int, ...], attempts: int, scale: float) -> int:
    """The wait before attempt `attempts + 1`: the table's entry, its last one after that."""
    return int(delays_s[min(attempts - 1, len(delays_s) - 1)] * 1000 * scale)
