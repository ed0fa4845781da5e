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


@pytest.fixture
def sentinel(redis_server, tmp_path):
    """A real `redis-server --sentinel` watching the test's redis-server as `mymaster`."""
    import shutil
    import subprocess
    import time

    from redis_server_process import free_port

    port = free_port()
    config = tmp_path / "sentinel.conf"  # sentinel rewrites its own configuration file
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor mymaster 127.0.0.1 {redis_server.port} 1\n"
        "sentinel down-after-milliseconds mymaster 5000\n"
    )
    binary = shutil.which("redis-server")
    assert binary is not None
    process = subprocess.Popen(
        [binary, str(config), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        probe = redis.sentinel.Sentinel([("127.0.0.1", port)], socket_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                if probe.discover_master("mymaster"):
                    break
            except (redis.ConnectionError, redis.sentinel.MasterNotFoundError):
                pass
            assert time.monotonic() < deadline, "sentinel did not come up"
            time.sleep(0.05)
        yield port
    finally:
        process.kill()
        process.wait()


@asyncio_test
async def test_two_replicas_through_a_real_sentinel_run_each_tick_once(sentinel) -> None:
    from redis.asyncio.sentinel import Sentinel

    ran: list[int] = []
    schedulers = []
    for name in ("a", "b"):
        master = Sentinel([("127.0.0.1", sentinel)], socket_timeout=1.0).master_for("mymaster")
        sync_master = redis.sentinel.Sentinel(
            [("127.0.0.1", sentinel)], socket_timeout=1.0
        ).master_for("mymaster")
        scheduler = LockedScheduler(
            redis=master, sync_redis=sync_master, namespace="sentinel", replica_id=name
        )

        @scheduler.job("interval", seconds=0.5, id="through-sentinel")
        async def through_sentinel() -> None:
            ran.append(current_run().tick_ms)

        schedulers.append(scheduler)
        scheduler.start()
    try:
        await wait_until(lambda: len(ran) >= 4, 20, "four ticks run")
    finally:
        for scheduler in schedulers:
            await scheduler.shutdown()
    assert len(ran) == len(set(ran)), "a tick ran twice"
    assert schedulers[0].status()["backend"] == "redis"
