"""``LockedScheduler(redis=client)``: a ready redis-py asyncio client instead of a URL."""

from __future__ import annotations

import pytest
import redis
import redis.asyncio as aredis
import redis.sentinel
from async_helpers import asyncio_test, wait_until
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from locked_scheduler import JobSpec, LockedScheduler, current_run


@asyncio_test
async def test_a_client_passed_in_coordinates_and_stays_open(redis_server) -> None:
    client = aredis.Redis.from_url(redis_server.url, retry=Retry(NoBackoff(), 0))
    ran: list[tuple[str, int]] = []
    schedulers = []
    for name in ("a", "b"):
        scheduler = LockedScheduler(redis=client, namespace="passed", replica_id=name)

        @scheduler.job("interval", seconds=0.5, id="static")
        async def static() -> None:
            ran.append(("static", current_run().tick_ms))

        @scheduler.task("dynamic")
        async def dynamic() -> None:
            ran.append(("dynamic", current_run().tick_ms))

        schedulers.append(scheduler)
        scheduler.start()
    try:
        await schedulers[0].schedule(
            JobSpec(id="dyn", task="dynamic", trigger="interval", seconds=0.5)
        )
        await wait_until(
            lambda: {"static", "dynamic"} <= {kind for kind, _ in ran}, 15, "both jobs run"
        )
    finally:
        for scheduler in schedulers:
            await scheduler.shutdown()
    assert len(ran) == len(set(ran)), "a tick ran twice"
    assert schedulers[0].status()["backend"] == "redis"
    # Both replicas used the client passed in, and neither closed it.
    assert await client.ping()
    assert await client.hexists("passed:jobs", "dyn")
    keys = {key.decode() for key in await client.keys("passed:claim:static:*")}
    assert keys
    await client.aclose()


def test_redis_and_redis_url_are_exclusive(redis_server) -> None:
    client = aredis.Redis.from_url(redis_server.url)
    with pytest.raises(ValueError, match="not both"):
        LockedScheduler(redis_server.url, redis=client)
    with pytest.raises(TypeError, match=r"redis\.asyncio\.Redis"):
        LockedScheduler(redis=redis.Redis.from_url(redis_server.url))


def test_a_sentinel_client_needs_a_sync_twin_passed_too() -> None:
    from redis.asyncio.sentinel import Sentinel

    master = Sentinel([("127.0.0.1", 1)]).master_for("mymaster")
    with pytest.raises(ValueError, match="pass sync_redis="):
        LockedScheduler(redis=master)
    # With both, nothing is contacted before start().
    sync_master = redis.sentinel.Sentinel([("127.0.0.1", 1)]).master_for("mymaster")
    scheduler = LockedScheduler(redis=master, sync_redis=sync_master)
    assert scheduler.status()["backend"] == "redis"
