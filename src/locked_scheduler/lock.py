"""Redis backend: per-tick claims, running leases and the leader lease, each one Lua call.

Every command runs without client-side retries: a retried claim could land after a Redis
restart that lost the first one, and run a tick a second time.

A claim can also land late without any retry: a paused Redis (or a slow network) holds
the command after the client timed out and gave up, then runs it. So the script reads the
server's clock and does nothing past the deadline the client put in it.
"""

from __future__ import annotations

import json

import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from .backend import BackendError, ClaimResult, ClaimStatus
from .keys import Keys

# KEYS: claim, fence, running. ARGV: token, claim ttl ms, lease ttl ms, tick ms,
# not-after ms (server clock). Returns {code, fence, server ms}.
# The fence starts at the first tick's epoch ms when its key is missing, so it keeps
# increasing even after a Redis restart that lost the counter (ticks only move forward).
# TIME before any write is allowed in scripts (Redis >= 5 replicates effects, not scripts).
CLAIM_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[5]) then
  return {3, tonumber(redis.call('GET', KEYS[2]) or '0'), now}
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, tonumber(redis.call('GET', KEYS[2]) or '0'), now}
end
if not redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[3]) then
  return {2, tonumber(redis.call('GET', KEYS[2]) or '0'), now}
end
redis.call('SET', KEYS[2], ARGV[4], 'NX')
return {1, redis.call('INCR', KEYS[2]), now}
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


# KEYS: state hash. ARGV: job id, JSON of the run. A run of an older tick than the one
# recorded (a long run finishing after a later tick's) leaves the latest tick's fields
# alone but still counts for the success/failure history it carries.
RECORD_RUN_LUA = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
local run = cjson.decode(ARGV[2])
local state = {}
if old then state = cjson.decode(old) end
local failures = tonumber(state.consecutive_failures or 0)
if run.last_outcome == 'ran' then
  failures = 0
else
  failures = failures + 1
end
if state.last_tick_ms and tonumber(state.last_tick_ms) > tonumber(run.last_tick_ms) then
  run.last_tick = nil
  run.last_tick_ms = nil
  run.last_outcome = nil
  run.replica = nil
  run.fence = nil
  run.duration_s = nil
end
for key, value in pairs(run) do state[key] = value end
state.consecutive_failures = failures
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(state))
return 1
"""


def _unavailable(error: redis.RedisError) -> BackendError:
    return BackendError(str(error) or type(error).__name__)


_STATUS = {
    0: ClaimStatus.TAKEN,
    1: ClaimStatus.WON,
    2: ClaimStatus.OVERLAP,
    3: ClaimStatus.LATE,
}


def client_options(timeout: float) -> dict:
    """Connection options for sync coordination clients: short timeouts, zero retries."""
    return {
        "retry": Retry(NoBackoff(), 0),
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }


def async_client_options(timeout: float) -> dict:
    """The same for asyncio clients, with asyncio's own ``Retry`` class.

    Passing the sync class makes redis-py convert it and print a UserWarning per client.
    """
    return {
        "retry": AsyncRetry(NoBackoff(), 0),
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }


# Connection settings that carry over from an asyncio client to the sync one we derive.
_CARRIED = ("host", "port", "db", "username", "password", "path", "client_name")
_SYNC_CONNECTIONS = {
    aredis.Connection: redis.Connection,
    aredis.SSLConnection: redis.SSLConnection,
    aredis.UnixDomainSocketConnection: redis.UnixDomainSocketConnection,
}


def sync_twin(client: aredis.Redis, timeout: float) -> redis.Redis:
    """A sync client to the same server, for the lease and leader threads.

    Only plain, TLS and unix-socket pools can be copied; a Sentinel-managed pool (or any
    other) needs ``sync_redis=`` (e.g. ``redis.sentinel.Sentinel(...).master_for(...)``).
    """
    pool = client.connection_pool
    connection_class = _SYNC_CONNECTIONS.get(pool.connection_class)
    if type(pool) is not aredis.ConnectionPool or connection_class is None:
        raise ValueError(
            f"cannot derive a sync client from a {type(pool).__name__} of "
            f"{pool.connection_class.__name__}; pass sync_redis= as well (the lease and "
            "leader threads need one), e.g. redis.sentinel.Sentinel(...).master_for(...)"
        )
    settings = {
        key: value
        for key, value in pool.connection_kwargs.items()
        if key in _CARRIED or key.startswith("ssl_")
    }
    return redis.Redis(
        connection_pool=redis.ConnectionPool(
            connection_class=connection_class, **settings, **client_options(timeout)
        )
    )


def _text(value: str | bytes | None) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def decode_states(raw: dict) -> dict[str, dict]:
    states = {}
    for key, value in raw.items():
        job_id = key.decode() if isinstance(key, bytes) else str(key)
        try:
            states[job_id] = json.loads(value)
        except ValueError:
            continue  # not ours to judge; the CLI shows the readable ones
    return states


class RedisBackend:
    """Claims and leases in Redis.

    From ``redis_url`` it opens its own clients (and closes them). A ``client`` passed in
    (a ready ``redis.asyncio.Redis``: a shared pool, Sentinel's ``master_for``) is used as
    it is and never closed; its own timeouts and retries apply, so give it
    ``retry=Retry(NoBackoff(), 0)`` (retried claims are what the no-retry rule avoids).
    """

    name = "redis"

    def __init__(
        self,
        redis_url: str | None,
        namespace: str,
        timeout: float = 1.0,
        *,
        client: aredis.Redis | None = None,
        sync_client: redis.Redis | None = None,
    ) -> None:
        if (redis_url is None) == (client is None):
            raise ValueError("pass redis_url or client, not both")
        self.keys = Keys(namespace)
        self._url = redis_url
        self._owned = client is None
        if sync_client is None:
            sync_client = (
                redis.Redis.from_url(redis_url, **client_options(timeout))
                if redis_url is not None
                else sync_twin(client, timeout)  # type: ignore[arg-type]
            )
        self._sync = sync_client
        self._async_options = async_client_options(timeout)
        self._async: aredis.Redis | None = client
        if client is not None:
            self._register_async_scripts(client)
        self._renew = self._sync.register_script(RENEW_LUA)
        self._leader = self._sync.register_script(LEADER_LUA)
        self._release_sync = self._sync.register_script(RELEASE_LUA)

    def _async_client(self) -> aredis.Redis:
        # Created on first use inside the running loop: asyncio connections belong to
        # the loop that opened them, and the scheduler is often built at import time.
        if self._async is None:
            assert self._url is not None
            self._async = aredis.Redis.from_url(self._url, **self._async_options)
            self._register_async_scripts(self._async)
        return self._async

    def _register_async_scripts(self, client: aredis.Redis) -> None:
        self._claim = client.register_script(CLAIM_LUA)
        self._release = client.register_script(RELEASE_LUA)
        self._record_run = client.register_script(RECORD_RUN_LUA)

    async def claim(
        self,
        job_id: str,
        tick_ms: int,
        token: str,
        claim_ttl_ms: int,
        lease_ttl_ms: int,
        not_after_ms: int,
    ) -> ClaimResult:
        keys = [
            self.keys.claim(job_id, tick_ms),
            self.keys.fence(job_id),
            self.keys.running(job_id),
        ]
        self._async_client()
        try:
            code, fence, server_ms = await self._claim(
                keys=keys, args=[token, claim_ttl_ms, lease_ttl_ms, tick_ms, not_after_ms]
            )
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error
        return ClaimResult(_STATUS[int(code)], int(fence), int(server_ms))

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

    async def server_time(self) -> float:
        try:
            seconds, microseconds = await self._async_client().time()
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error
        return int(seconds) + int(microseconds) / 1_000_000

    async def record_run(self, job_id: str, run: dict) -> None:
        self._async_client()
        try:
            await self._record_run(keys=[self.keys.state()], args=[job_id, json.dumps(run)])
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error

    async def job_states(self) -> dict[str, dict]:
        try:
            raw = await self._async_client().hgetall(self.keys.state())
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error
        return decode_states(raw)

    async def persists(self) -> bool | None:
        """RDB save points or AOF configured; None when CONFIG is refused (managed Redis)."""
        client = self._async_client()
        try:
            save = await client.config_get("save")
            appendonly = await client.config_get("appendonly")
        except redis.ResponseError:
            return None
        except redis.RedisError as error:
            await self._reset_async_pool(error)
            raise _unavailable(error) from error
        settings = {_text(key): _text(value) for key, value in {**save, **appendonly}.items()}
        return bool(settings.get("save", "").strip()) or settings.get("appendonly") == "yes"

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

    def release_running(self, job_id: str, token: str) -> bool:
        try:
            return bool(self._release_sync(keys=[self.keys.running(job_id)], args=[token]))
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
        if self._async is not None and self._owned:
            client, self._async = self._async, None
            await client.aclose()

    def close(self) -> None:
        self._sync.close()  # ours, also when derived from a client passed in
