"""with_redis_lock: a mutex that prevents overlap (and, honestly, nothing more)."""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis
import redis.asyncio as aredis
from async_helpers import asyncio_test

from locked_scheduler import with_redis_lock


def test_sync_call_is_skipped_while_another_holds_the_lock(redis_server) -> None:
    inside = threading.Event()
    leave = threading.Event()

    @with_redis_lock("report", timeout=10, redis_url=redis_server.url)
    def report() -> str:
        inside.set()
        leave.wait(5)
        return "done"

    results = []
    first = threading.Thread(target=lambda: results.append(report()))
    first.start()
    inside.wait(5)
    assert report() is None  # busy: skipped
    leave.set()
    first.join()
    assert results == ["done"]
    assert not redis_server.client().exists("report")
    leave.set()
    assert report() == "done"  # released: the next call runs


@asyncio_test
async def test_async_call_is_skipped_while_another_holds_the_lock(redis_server) -> None:
    client = aredis.Redis.from_url(redis_server.url)
    inside = asyncio.Event()
    leave = asyncio.Event()

    @with_redis_lock("rebuild", timeout=10, client=client)
    async def rebuild() -> str:
        inside.set()
        await leave.wait()
        return "done"

    first = asyncio.create_task(rebuild())
    await inside.wait()
    assert await rebuild() is None
    leave.set()
    assert await first == "done"
    assert not await client.exists("rebuild")
    assert await rebuild() == "done"
    await client.aclose()


def test_needs_exactly_one_connection_source() -> None:
    with pytest.raises(ValueError):
        with_redis_lock("k", timeout=1)
    with pytest.raises(ValueError):
        with_redis_lock("k", timeout=1, redis_url="redis://x", client=redis.Redis())
