"""Faults injected for real against a real redis-server: pauses, partitions, skew, restarts.

Each test here failed on the scheduler before the fault was handled (base commit 8deab0f).
Assertions are about correctness (which ticks ran, where, whether runs overlapped), never
about speed; every wait is a poll with a generous deadline.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from async_helpers import asyncio_test, wait_until

from locked_scheduler import LockedScheduler, current_run

INTERVAL = 0.5


def replica(redis_server, name: str, **options) -> LockedScheduler:
    options.setdefault("lease_ttl", 3.0)
    options.setdefault("health_interval", 0.2)
    return LockedScheduler(redis_server.url, "faults", replica_id=name, **options)


@asyncio_test
async def test_claims_held_by_a_paused_redis_do_nothing_when_it_resumes(redis_server) -> None:
    # A claim sent on an open connection just as Redis stops times out on the client, but
    # Redis runs it on SIGCONT. Before the server checked the deadline, it took the running
    # lease with a token nobody owns, and the job stood still for a whole lease ttl.
    ticks: list[datetime] = []
    # No health pings: they would be the ones to hit the pause and reset the pool, and the
    # next tick's claim has to go out on an idle pooled connection, as in a busy cluster.
    scheduler = replica(redis_server, "r", redis_timeout=0.3, lease_ttl=30.0, health_interval=60)

    @scheduler.job("interval", seconds=1, id="paused")
    async def paused() -> None:
        ticks.append(current_run().tick)

    scheduler.start()
    try:
        await wait_until(lambda: ticks, 10, "a first run while Redis is healthy")
        # Pause half-way between two ticks, so the next claim goes out during the pause.
        await asyncio.sleep(max(0.0, ticks[-1].timestamp() + 0.5 - time.time()))
        redis_server.pause()
        try:
            await asyncio.sleep(2.5)
        finally:
            redis_server.resume()
        resumed = datetime.now(timezone.utc)
        await wait_until(lambda: any(tick > resumed for tick in ticks), 15, "a run after the pause")
    finally:
        await scheduler.shutdown()
    assert scheduler.status()["jobs"]["paused"]["counts"]["skipped_redis"] >= 1
