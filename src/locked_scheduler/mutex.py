"""``with_redis_lock``: a plain Redis mutex for request-triggered work.

It prevents two runs from *overlapping*; it does not stop the same scheduled tick from
running once per replica (a replica whose clock is a little behind takes the lock right
after the first one released it). Use ``LockedScheduler`` for periodic jobs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import redis
import redis.asyncio as aredis
from apscheduler.util import iscoroutinefunction_partial

log = logging.getLogger("locked_scheduler.mutex")

F = TypeVar("F", bound=Callable[..., Any])


def with_redis_lock(
    key: str,
    *,
    timeout: float,
    redis_url: str | None = None,
    client: Any = None,
    blocking_timeout: float = 0,
) -> Callable[[F], F]:
    """Run the decorated function only while holding the Redis lock ``key``.

    ``timeout`` (seconds) is the lock's expiry, the bound on a crashed holder. When the lock
    is busy (after ``blocking_timeout``), the call is skipped and returns ``None``.
    Pass ``client`` (a ``redis.Redis`` for sync functions, ``redis.asyncio.Redis`` for
    async ones) or ``redis_url``.
    """
    if (client is None) == (redis_url is None):
        raise ValueError("pass exactly one of redis_url= or client=")

    def decorate(func: F) -> F:
        if iscoroutinefunction_partial(func):
            async_client = client or aredis.Redis.from_url(str(redis_url))

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                lock = async_client.lock(key, timeout=timeout, blocking_timeout=blocking_timeout)
                if not await lock.acquire():
                    log.info("lock busy, skipped key=%s", key)
                    return None
                try:
                    return await func(*args, **kwargs)
                finally:
                    await _release_quietly_async(lock, key)

            return async_wrapper  # type: ignore[return-value]

        sync_client = client or redis.Redis.from_url(str(redis_url))

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            lock = sync_client.lock(key, timeout=timeout, blocking_timeout=blocking_timeout)
            if not lock.acquire():
                log.info("lock busy, skipped key=%s", key)
                return None
            try:
                return func(*args, **kwargs)
            finally:
                try:
                    lock.release()
                except redis.exceptions.LockError:
                    log.warning("lock expired before release key=%s", key)

        return sync_wrapper  # type: ignore[return-value]

    return decorate


async def _release_quietly_async(lock: Any, key: str) -> None:
    try:
        await lock.release()
    except redis.exceptions.LockError:
        log.warning("lock expired before release key=%s", key)
