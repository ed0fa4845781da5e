"""Where run-time jobs live: one Redis hash of JSON documents, plus a change channel.

``{namespace}:jobs`` maps job id -> JSON (see ``StoredJob.to_json``); every write publishes
the id on ``{namespace}:jobs:changed`` so replicas reconcile at once. A missed message is
healed by each replica's periodic full reconcile. ``{namespace}:jobs:since`` is set by the
first write and never removed: when it is gone, Redis lost the store (a restart without
persistence, a flush), which tells a wiped store from one whose jobs were all removed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone

import redis
import redis.asyncio as aredis

from .backend import BackendError
from .jobspec import SCHEDULED, JobSpec, StoredJob
from .lock import async_client_options

log = logging.getLogger("locked_scheduler.store")

Change = Callable[[StoredJob | None], StoredJob | None]  # old -> new (None: delete)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def upsert(spec: JobSpec) -> Change:
    def change(old: StoredJob | None) -> StoredJob:
        if old is None:
            return StoredJob(spec)
        return StoredJob(spec, version=old.version + 1, created_at=old.created_at)

    return change


def finish(version: int, state: str, outcome: str | None) -> Change:
    """Mark a one-off job done/missed, unless it was replaced or finished meanwhile."""

    def change(old: StoredJob | None) -> StoredJob | None:
        if old is None or old.version != version or old.state != SCHEDULED:
            return old
        return old.with_changes(
            state=state, finished_at=_now(), last_outcome=outcome, updated_at=_now()
        )

    return change


def set_paused(paused: bool) -> Change:
    def change(old: StoredJob | None) -> StoredJob | None:
        if old is None:
            return None
        spec = JobSpec.from_dict({**old.spec.to_dict(), "paused": paused})
        return old.with_changes(spec=spec, version=old.version + 1, updated_at=_now())

    return change


class RedisJobStore:
    """From ``redis_url`` it opens (and closes) its own client; a ``client`` passed in is
    used as it is and left open."""

    def __init__(
        self,
        redis_url: str | None,
        namespace: str,
        timeout: float = 1.0,
        *,
        client: aredis.Redis | None = None,
    ) -> None:
        self.hash_key = f"{namespace}:jobs"
        self.channel = f"{namespace}:jobs:changed"
        self.marker_key = f"{namespace}:jobs:since"
        self._url = redis_url
        self._timeout = timeout
        self._client: aredis.Redis | None = client
        self._owned = client is None

    def _redis(self) -> aredis.Redis:
        if self._client is None:  # bound to the loop that first uses it
            assert self._url is not None
            self._client = aredis.Redis.from_url(self._url, **async_client_options(self._timeout))
        return self._client

    async def get(self, job_id: str) -> StoredJob | None:
        try:
            raw = await self._redis().hget(self.hash_key, job_id)
        except redis.RedisError as error:
            raise BackendError(str(error)) from error
        return None if raw is None else StoredJob.from_json(raw)

    async def all(self) -> dict[str, StoredJob]:
        try:
            raw = await self._redis().hgetall(self.hash_key)
        except redis.RedisError as error:
            raise BackendError(str(error)) from error
        jobs = {}
        for key, value in raw.items():
            try:
                stored = StoredJob.from_json(value)
            except (ValueError, KeyError, TypeError):
                log.error("unreadable job spec in %s: %r", self.hash_key, key)
                continue
            jobs[stored.id] = stored
        return jobs

    async def change(self, job_id: str, change: Change) -> StoredJob | None:
        """Apply ``change`` atomically (optimistic WATCH transaction) and announce it."""
        client = self._redis()
        try:
            async with client.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(self.hash_key)
                        raw = await pipe.hget(self.hash_key, job_id)
                        old = None if raw is None else StoredJob.from_json(raw)
                        new = change(old)
                        if new is old:
                            await pipe.unwatch()
                            return new
                        pipe.multi()
                        if new is None:
                            pipe.hdel(self.hash_key, job_id)
                        else:
                            pipe.hset(self.hash_key, job_id, new.to_json())
                        pipe.set(self.marker_key, _now().isoformat(), nx=True)
                        pipe.publish(self.channel, job_id)
                        await pipe.execute()
                        return new
                    except redis.WatchError:
                        continue  # another write to the hash won; nothing was applied
        except redis.RedisError as error:
            raise BackendError(str(error)) from error

    async def intact(self) -> bool:
        """False when the store was lost since its first write (see the module doc)."""
        try:
            return bool(await self._redis().exists(self.marker_key))
        except redis.RedisError as error:
            raise BackendError(str(error)) from error

    async def changes(self, stop: asyncio.Event) -> AsyncIterator[str]:
        """Ids announced on the change channel, until ``stop`` is set or Redis fails."""
        # A separate connection without a read timeout: it waits for messages. (A client
        # passed in lends a connection of its pool; get_message's timeout bounds the wait.)
        client = (
            aredis.Redis.from_url(self._url, socket_connect_timeout=self._timeout)
            if self._owned and self._url is not None
            else None
        )
        pubsub = (client or self._redis()).pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            # Polled with a short timeout and a stop flag: redis-py's get_message can
            # swallow a task cancellation, so cancelling alone may never end this loop.
            while not stop.is_set():
                message = await pubsub.get_message(timeout=0.5)
                if message is not None:
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)
        except redis.RedisError as error:
            raise BackendError(str(error)) from error
        finally:
            await pubsub.aclose()
            if client is not None:
                await client.aclose()

    async def aclose(self) -> None:
        if self._client is not None and self._owned:
            client, self._client = self._client, None
            await client.aclose()


class MemoryJobStore:
    """``redis_url=None``: the same store, in this process only."""

    def __init__(self) -> None:
        self._jobs: dict[str, str] = {}
        self._subscribers: set[asyncio.Queue[str]] = set()

    async def get(self, job_id: str) -> StoredJob | None:
        raw = self._jobs.get(job_id)
        return None if raw is None else StoredJob.from_json(raw)

    async def all(self) -> dict[str, StoredJob]:
        return {job_id: StoredJob.from_json(raw) for job_id, raw in self._jobs.items()}

    async def change(self, job_id: str, change: Change) -> StoredJob | None:
        old = await self.get(job_id)
        new = change(old)
        if new is old:
            return new
        if new is None:
            self._jobs.pop(job_id, None)
        else:
            self._jobs[job_id] = new.to_json()
        for queue in self._subscribers:
            queue.put_nowait(job_id)
        return new

    async def changes(self, stop: asyncio.Event) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            while not stop.is_set():
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)

    async def intact(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None
