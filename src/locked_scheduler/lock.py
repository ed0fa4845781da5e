"""Redis backend: per-tick claims, running leases and the leader lease, each one Lua call.

Every command runs without client-side retries: a retried claim could land after a Redis
restart that lost the first one, and run a tick a second time.
"""

from __future__ import annotations

import redis
import redis.asyncio as aredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .backend import BackendError, ClaimResult, ClaimStatus
from .keys import Keys

# KEYS: claim, fence, running. ARGV: token, claim ttl ms, lease ttl ms, tick ms.
# The fence starts at the first tick's epoch ms when its key is missing, so it keeps
# increasing even after a Redis restart that lost the counter (ticks only move forward).
CLAIM_LUA = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, tonumber(redis.call('GET', KEYS[2]) or '0')}
end
if not redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[3]) then
  return {2, tonumber(redis.call('GET', KEYS[2]) or '0')}
end
redis.call('SET', KEYS[2], ARGV[4], 'NX')
return {1, redis.call('INCR', KEYS[2])}
"""

# Compare-and-PEXPIRE: only the owner's token may extend a lease.
RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# Compare-and-delete: never remove a lease another replica took after ours expired.
RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# Acquire the leader lease or, when we already own it, extend it.
LEADER_LUA = """
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


def _unavailable(error: redis.RedisError) -> BackendError:
    return BackendError(str(error) or type(error).__name__)


_STATUS = {0: ClaimStatus.TAKEN, 1: ClaimStatus.WON, 2: ClaimStatus.OVERLAP}


def client_options(timeout: float) -> dict:
    """Connection options for coordination clients: short timeouts, zero retries."""
    return {
        "retry": Retry(NoBackoff(), 0),
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }


class RedisBackend:
    name = "redis"

    def __init__(self, redis_url: str, namespace: str, timeout: float = 1.0) -> None:
        self.keys = Keys(namespace)
        self._url = redis_url
        self._options = client_options(timeout)
        self._sync = redis.Redis.from_url(redis_url, **self._options)
        self._async: aredis.Redis | None = None
        self._renew = self._sync.register_script(RENEW_LUA)
        self._leader = self._sync.register_script(LEADER_LUA)
        self._release_sync = self._sync.register_script(RELEASE_LUA)

    def _async_client(self) -> aredis.Redis:
        # Created on first use inside the running loop: asyncio connections belong to
        # the loop that opened them, and the scheduler is often built at import time.
        if self._async is None:
            self._async = aredis.Redis.from_url(self._url, **self._options)
            self._claim = self._async.register_script(CLAIM_LUA)
            self._release = self._async.register_script(RELEASE_LUA)
        return self._async

    async def claim(
        self, job_id: str, tick_ms: int, token: str, claim_ttl_ms: int, lease_ttl_ms: int
    ) -> ClaimResult:
        keys = [
            self.keys.claim(job_id, tick_ms),
            self.keys.fence(job_id),
            self.keys.running(job_id),
        ]
        self._async_client()
        try:
            code, fence = await self._claim(
                keys=keys, args=[token, claim_ttl_ms, lease_ttl_ms, tick_ms]
            )
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error
        return ClaimResult(_STATUS[int(code)], int(fence))

    async def release(self, job_id: str, token: str) -> bool:
        self._async_client()
        try:
            return bool(await self._release(keys=[self.keys.running(job_id)], args=[token]))
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error

    async def ping(self) -> None:
        try:
            await self._async_client().ping()
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error

    async def claimed(self, job_id: str, tick_ms: int) -> bool:
        try:
            return bool(await self._async_client().exists(self.keys.claim(job_id, tick_ms)))
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error

    def renew(self, job_id: str, token: str, lease_ttl_ms: int) -> bool:
        try:
            return bool(self._renew(keys=[self.keys.running(job_id)], args=[token, lease_ttl_ms]))
        except redis.RedisError as error:
            self._reset_sync_pool(error)
            raise _unavailable(error) from error

    def hold_leader(self, token: str, ttl_ms: int) -> bool:
        try:
            return bool(self._leader(keys=[self.keys.leader()], args=[token, ttl_ms]))
        except redis.RedisError as error:
            self._reset_sync_pool(error)
            raise _unavailable(error) from error

    def release_leader(self, token: str) -> None:
        try:
            self._release_sync(keys=[self.keys.leader()], args=[token])
        except redis.RedisError as error:
            self._reset_sync_pool(error)
            raise _unavailable(error) from error

    async def _reset_async_pool(self, error: redis.RedisError) -> None:
        # After a Redis restart every pooled connection is dead. We do not retry the
        # command (it might have run), but we drop the pool so the next command connects
        # afresh instead of failing once per stale connection.
        if isinstance(error, redis.ConnectionError) and self._async is not None:
            await self._async.connection_pool.disconnect()

    def _reset_sync_pool(self, error: redis.RedisError) -> None:
        if isinstance(error, redis.ConnectionError):
            self._sync.connection_pool.disconnect()

    async def aclose(self) -> None:
        if self._async is not None:
            client, self._async = self._async, None
            await client.aclose()

    def close(self) -> None:
        self._sync.close()
