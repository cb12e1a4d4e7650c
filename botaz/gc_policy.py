"""How botaz uses Python's cyclic garbage collector.

A server with thousands of open sockets holds a million long-lived objects, and a full collection
has to look at every one of them: close to a second with 18,000 sockets, during which no frame
is delivered. So the objects that have survived are frozen (`gc.freeze`: moved out of the
collector's sight) every two seconds, after a young collection has freed the recent cycles;
full collections then only see what was made since, and take milliseconds.

Freezing has one cost: a reference cycle that becomes garbage after it was frozen is not freed
(objects without cycles are freed by reference counting as always). botaz's sockets, requests and
caches free themselves without the collector; tests/test_gc_policy.py checks that closing
sockets leaves nothing frozen behind. Whatever escapes that is reclaimed once an hour, when
everything is unfrozen for one full collection: one long pause an hour (about a second with
18,000 sockets open) bounds what a missed cycle can cost.
"""

from __future__ import annotations

import asyncio
import gc

FREEZE_INTERVAL = 2.0
FULL_COLLECTION_INTERVAL = 3600.0


def start() -> None:
    """At start-up: everything made so far lives as long as the process."""
    gc.collect()
    gc.freeze()
    # Young collections often and small: each is a pause of the event loop.
    gc.set_threshold(1000, 10, 10)


async def keep_freezing(interval: float = FREEZE_INTERVAL,
                        full_every: float = FULL_COLLECTION_INTERVAL) -> None:
    loop = asyncio.get_running_loop()
    next_full = loop.time() + full_every
    while True:
        await asyncio.sleep(interval)
        if loop.time() >= next_full:
            gc.unfreeze()
            gc.collect()
            next_full = loop.time() + full_every
        else:
            gc.collect(1)
        gc.freeze()
