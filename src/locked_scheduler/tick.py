"""Running one tick of one job on this replica: claim, run under a lease, record."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .backend import Backend, BackendError, ClaimStatus
from .clock import Clock, epoch_ms, utc_from_epoch
from .health import (
    FAILED,
    LEASE_LOST,
    RAN,
    SKIPPED_CLAIMED,
    SKIPPED_CLOCK_SKEW,
    SKIPPED_LATE,
    SKIPPED_NOT_LEADER,
    SKIPPED_OVERLAP,
    SKIPPED_REDIS,
    JobStats,
    RedisHealth,
)
from .leader import LeaderElector
from .lease import Lease, LeaseKeeper
from .logs import log_tick
from .metrics import Metrics
from .offset import ClockOffset
from .run import RunInfo, set_current_run
from .triggers import interval_after

log = logging.getLogger("locked_scheduler")


@dataclass(frozen=True)
class JobOptions:
    """Per-job coordination settings, resolved against the scheduler's defaults."""

    misfire_grace_time: int
    claim_deadline: float | None  # None: min(interval / 2, misfire_grace_time)
    on_redis_error: str  # "skip" or "run"
    is_async: bool
    # Called on the replica that claimed the tick, with the outcome (one-off jobs use it
    # to mark themselves done in the store).
    on_claimed_outcome: Callable[[str], Awaitable[None]] | None = None
    # Called on a replica that could not ask Redis about the tick (one-off jobs try again
    # while their grace lasts: a Redis pause must not lose them).
    on_redis_unavailable: Callable[[], None] | None = None


@dataclass
class TickSettings:
    replica_id: str
    lease_ttl_s: float
    min_claim_ttl_s: float
    # How long a claim may take to reach the server before it must do nothing: well under
    # the client's timeout, so a claim the client gave up on can never take effect.
    claim_flight_s: float = 0.5
    # Beyond this offset against the Redis clock the replica claims nothing: its ticks and
    # deadlines would be wrong by more than the claims' safety margins.
    max_clock_skew_s: float = 5.0


class TickRunner:
    def __init__(
        self,
        *,
        backend: Backend,
        keeper: LeaseKeeper,
        clock: Clock,
        settings: TickSettings,
        redis_health: RedisHealth,
        threads: ThreadPoolExecutor,
        leader: LeaderElector | None,
        offset: ClockOffset,
        metrics: Metrics | None = None,
    ) -> None:
        self._backend = backend
        self.metrics = metrics
        self.offset = offset
        self._keeper = keeper
        self._clock = clock
        self._settings = settings
        self._redis = redis_health
        self._threads = threads
        self._leader = leader
        self.stats: dict[str, JobStats] = {}

    def stats_for(self, job_id: str) -> JobStats:
        return self.stats.setdefault(job_id, JobStats(job_id))

    def record(
        self,
        job_id: str,
        tick: datetime,
        outcome: str,
        *,
        fence: int | None = None,
        duration_s: float | None = None,
        detail: str | None = None,
    ) -> str:
        now = self._clock()
        self.stats_for(job_id).record(
            outcome, tick, now=utc_from_epoch(now), duration_s=duration_s, fence=fence
        )
        if self.metrics is not None:
            self.metrics.tick(job_id, outcome, duration_s, now)
        log_tick(
            job_id=job_id,
            tick=tick,
            replica_id=self._settings.replica_id,
            outcome=outcome,
            fence=fence,
            duration_s=duration_s,
            detail=detail,
        )
        return outcome

    async def run(
        self, job: Any, tick: datetime, options: JobOptions, catch_up: bool = False
    ) -> str:
        """Handle ``tick`` of APScheduler job ``job``; returns the outcome.

        ``catch_up``: a tick that fell while this replica was not running; it may still be
        claimed up to ``misfire_grace_time`` after it was due.
        """
        outcome, claimed = await self._run(job, tick, options, catch_up)
        if outcome == SKIPPED_REDIS and options.on_redis_unavailable is not None:
            options.on_redis_unavailable()
        if claimed and options.on_claimed_outcome is not None:
            try:
                await options.on_claimed_outcome(outcome)
            except Exception:
                log.exception("after-run hook failed job=%s", job.id)
        return outcome

    async def _run(
        self, job: Any, tick: datetime, options: JobOptions, catch_up: bool
    ) -> tuple[str, bool]:
        if self._leader is not None and not self._leader.is_leader:
            return self.record(job.id, tick, SKIPPED_NOT_LEADER), False
        interval_s = interval_after(job.trigger, tick)
        deadline_s = options.claim_deadline
        if catch_up:
            deadline_s = float(options.misfire_grace_time)
        elif deadline_s is None:
            deadline_s = float(options.misfire_grace_time)
            if interval_s is not None:
                deadline_s = min(interval_s / 2, deadline_s)
        lateness_s = self._clock() - tick.timestamp()
        if lateness_s > deadline_s:
            return self.record(job.id, tick, SKIPPED_LATE, detail=f"late_s={lateness_s:.3f}"), False

        token = f"{self._settings.replica_id}:{uuid.uuid4().hex}"
        # A claim must outlive every replica that may still try the tick: those are at
        # most deadline_s late by their own clock, plus clock skew (covered by the
        # min_claim_ttl margin). Claims are never deleted, only expire.
        # A starting replica may still claim the latest tick within misfire_grace_time
        # (catch-up), so that bound is covered as well.
        claim_ttl_s = max(
            2 * (interval_s or 0.0),
            max(deadline_s, options.misfire_grace_time) + self._settings.min_claim_ttl_s,
        )
        lease_ttl_ms = math.ceil(self._settings.lease_ttl_s * 1000)
        started = time.perf_counter()
        try:
            if self.offset.offset_s is None:
                await self.measure_offset()
            if self.skewed():
                detail = f"clock_offset_s={self.offset.offset_s:.3f}"
                return self.record(job.id, tick, SKIPPED_CLOCK_SKEW, detail=detail), False
            sent_s = self._clock()
            sent_monotonic = time.monotonic()  # the lease's expiry is no earlier than this + ttl
            # Both deadlines on the server's clock: the tick's own, and the moment this
            # replica stops waiting for the answer (then a late claim would own a lease
            # nobody runs under, locking the job out for a whole lease ttl).
            not_after_s = self.offset.to_server(
                min(tick.timestamp() + deadline_s, sent_s + self._settings.claim_flight_s)
            )
            result = await self._backend.claim(
                job.id,
                epoch_ms(tick),
                token,
                math.ceil(claim_ttl_s * 1000),
                lease_ttl_ms,
                math.floor(not_after_s * 1000),
            )
        except BackendError as error:
            self._redis.failure(str(error), utc_from_epoch(self._clock()))
            if options.on_redis_error != "run":
                return self.record(job.id, tick, SKIPPED_REDIS, detail=str(error)), False
            # This replica ran it; nobody can tell whether others did too (Redis is down).
            return await self._execute(job, tick, options, fence=None, lease=None), True
        latency_s = time.perf_counter() - started
        self._redis.success(latency_s * 1000)
        if result.server_ms is not None:
            self.offset.observe(sent_s, self._clock(), result.server_ms / 1000)
        if self.metrics is not None:
            self.metrics.claimed(latency_s)
            self.metrics.offset(self.offset.offset_s)

        if result.status is ClaimStatus.LATE:
            late_ms = (result.server_ms or 0) - epoch_ms(tick)
            detail = f"claim reached Redis too late (server clock {late_ms} ms after the tick)"
            return self.record(job.id, tick, SKIPPED_LATE, fence=result.fence, detail=detail), False
        if result.status is ClaimStatus.TAKEN:
            return self.record(job.id, tick, SKIPPED_CLAIMED, fence=result.fence), False
        if result.status is ClaimStatus.OVERLAP:
            return self.record(job.id, tick, SKIPPED_OVERLAP, fence=result.fence), True
        lease = Lease(
            job.id, token, lease_ttl_ms, on_lost=lambda reason: None, renewed_at=sent_monotonic
        )
        lateness_s = self._clock() - tick.timestamp()
        if lateness_s > deadline_s:
            await self._release(lease)  # the claim stays: nobody runs this tick any more
            outcome = self.record(
                job.id, tick, SKIPPED_LATE, fence=result.fence, detail=f"late_s={lateness_s:.3f}"
            )
            return outcome, True
        return await self._execute(job, tick, options, fence=result.fence, lease=lease), True

    @property
    def max_clock_skew_s(self) -> float:
        return self._settings.max_clock_skew_s

    def skewed(self) -> bool:
        """This replica's clock is off by more than ``max_clock_skew`` (as last measured)."""
        offset = self.offset.offset_s
        return offset is not None and abs(offset) > self._settings.max_clock_skew_s

    async def measure_offset(self) -> None:
        """One ``TIME`` round trip; raises BackendError when the store cannot answer."""
        sent_s = self._clock()
        server_s = await self._backend.server_time()
        self.offset.observe(sent_s, self._clock(), server_s)
        if self.metrics is not None:
            self.metrics.offset(self.offset.offset_s)

    async def _execute(
        self, job: Any, tick: datetime, options: JobOptions, fence: int | None, lease: Lease | None
    ) -> str:
        run = RunInfo(job.id, tick, fence, self._settings.replica_id)
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        job_task: asyncio.Future[Any]
        thread_result: Future[Any] | None = None
        if options.is_async:
            job_task = loop.create_task(_call_async(run, job.func, job.args, job.kwargs))
        else:
            context = contextvars.copy_context()
            context.run(set_current_run, run)
            call = functools.partial(context.run, job.func, *job.args, **job.kwargs)
            # The concurrent future, not the asyncio wrapper, says when the thread ended:
            # a cancelled wrapper is "done" while the thread still runs.
            thread_result = self._threads.submit(call)
            job_task = asyncio.wrap_future(thread_result)
        if lease is not None:
            lease.on_lost = functools.partial(_on_lease_lost, loop, job_task, run)
            self._keeper.add(lease)
        still_running = False
        try:
            await self._wait(job_task, lease)
        except asyncio.CancelledError:
            job_task.cancel()  # shutdown gave up waiting: stop the job too
            if thread_result is None:
                # Let the coroutine unwind its cancellation before its lease can go.
                await asyncio.wait({job_task}, timeout=1.0)
                still_running = not job_task.done()
            else:
                still_running = not thread_result.done()
            detail = (
                "still running at shutdown; its lease is kept until its thread ends"
                if still_running
                else "cancelled at shutdown"
            )
            self.record(
                job.id,
                tick,
                FAILED,
                fence=fence,
                duration_s=time.monotonic() - started,
                detail=detail,
            )
            raise
        finally:
            if lease is not None:
                if still_running and thread_result is not None:
                    self._keeper.keep_until_done(lease, thread_result)
                elif still_running:
                    # A coroutine that ignores cancellation: never release under it; the
                    # lease expires after its ttl.
                    self._keeper.remove(lease)
                else:
                    self._keeper.remove(lease)
                    if not lease.lost:
                        await self._release(lease)
        duration_s = time.monotonic() - started
        if lease is not None and lease.lost:
            return await self._finished(job.id, tick, LEASE_LOST, fence, duration_s)
        if job_task.cancelled():
            return await self._finished(job.id, tick, FAILED, fence, duration_s, "cancelled")
        error = job_task.exception()
        if error is not None:
            log.error("job %s failed", job.id, exc_info=error)
            return await self._finished(job.id, tick, FAILED, fence, duration_s, repr(error))
        return await self._finished(job.id, tick, RAN, fence, duration_s)

    async def _finished(
        self,
        job_id: str,
        tick: datetime,
        outcome: str,
        fence: int | None,
        duration_s: float,
        detail: str | None = None,
    ) -> str:
        """Record a run here and in the cluster-wide job state (``{ns}:state``)."""
        self.record(job_id, tick, outcome, fence=fence, duration_s=duration_s, detail=detail)
        now = utc_from_epoch(self._clock()).isoformat()
        run: dict[str, Any] = {
            "last_tick": tick.isoformat(),
            "last_tick_ms": epoch_ms(tick),
            "last_outcome": outcome,
            "last_run_at": now,
            "duration_s": round(duration_s, 6),
            "replica": self._settings.replica_id,
            "fence": fence,
        }
        if outcome == RAN:
            run.update(last_success_at=now, last_success_tick=tick.isoformat())
        else:
            run.update(last_error=detail or outcome, last_error_at=now)
        try:
            await self._backend.record_run(job_id, run)
        except BackendError as error:
            log.warning("could not record the run in Redis job=%s: %s", job_id, error)
        return outcome

    async def _wait(self, job_task: asyncio.Future[Any], lease: Lease | None) -> None:
        """Wait for the job; give its lease up locally before it can expire on the server.

        Checked here on the loop as well as in the watchdog thread: the watchdog may sit in
        a renewal that waits for a partitioned Redis until its socket times out.
        """
        if lease is None:
            await asyncio.wait({job_task})
            return
        check_s = min(0.25, lease.ttl_ms / 1000 / 10)
        while not job_task.done():
            await asyncio.wait({job_task}, timeout=check_s)
            if not job_task.done() and not lease.lost and time.monotonic() >= lease.local_deadline:
                lease.lose("lease not renewed in time; given up before it expires on the server")

    async def _release(self, lease: Lease) -> None:
        try:
            await self._backend.release(lease.job_id, lease.token)
        except BackendError as error:
            # Harmless: the lease expires after its ttl.
            log.warning("could not release running lease job=%s: %s", lease.job_id, error)


async def _call_async(run: RunInfo, func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    set_current_run(run)  # this task has its own context copy
    return await func(*args, **kwargs)


def _on_lease_lost(
    loop: asyncio.AbstractEventLoop, job_task: asyncio.Future, run: RunInfo, reason: str
) -> None:
    """Watchdog thread: tell the job; cancel it when it is a coroutine (threads can't be)."""
    run.lease_lost.set()
    if isinstance(job_task, asyncio.Task):
        loop.call_soon_threadsafe(job_task.cancel)
