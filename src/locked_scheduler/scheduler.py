"""``LockedScheduler``: APScheduler 3 on asyncio where each tick runs on exactly one replica."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.triggers.base import BaseTrigger
from apscheduler.util import iscoroutinefunction_partial

from .aps import (
    REFUSED_OPTIONS,
    ClockedAsyncIOScheduler,
    default_job_id,
    quiet_overlap_logger,
    whole_seconds,
)
from .backend import Backend, BackendError
from .clock import (
    Clock,
    install_apscheduler_clock_hook,
    system_clock,
    utc_from_epoch,
)
from .dynamic import DynamicJobs, SchedulerHost, describe_dynamic
from .executor import ClaimingExecutor
from .health import SKIPPED_OVERLAP, RedisHealth, overall_status, redis_fields
from .jobspec import JobSpec, StoredJob
from .leader import LeaderElector
from .lease import LeaseKeeper
from .lock import RedisBackend
from .memory import MemoryBackend
from .metrics import Metrics
from .offset import ClockOffset
from .store import MemoryJobStore, RedisJobStore
from .tick import JobOptions, TickRunner, TickSettings
from .triggers import build_trigger, interval_after, latest_fire_time

log = logging.getLogger("locked_scheduler")

F = TypeVar("F", bound=Callable[..., Any])

MODES = ("claim", "leader")
ON_REDIS_ERROR = ("skip", "run")
FAILURES_IN_A_ROW = 3  # from this many failed runs of a job in a row, health says so


class LockedScheduler:
    """Register the same jobs in every replica; each tick runs once across all of them.

    ``redis_url=None`` uses an in-process backend (one replica only, for development).
    Instead of ``redis_url``, ``redis=`` takes a ready ``redis.asyncio.Redis`` (a shared
    pool, ``redis.asyncio.sentinel.Sentinel(...).master_for(...)``); it is never closed
    here. The lease and leader threads need a sync client: derived from ``redis`` for a
    plain, TLS or unix-socket pool, else pass ``sync_redis=`` too.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        namespace: str = "locked_scheduler",
        *,
        redis: Any = None,
        sync_redis: Any = None,
        mode: str = "claim",
        replica_id: str | None = None,
        timezone: Any = "UTC",
        misfire_grace_time: int = 30,
        claim_deadline: float | None = None,
        on_redis_error: str = "skip",
        lease_ttl: float = 30.0,
        leader_ttl: float = 15.0,
        min_claim_ttl: float = 60.0,
        shutdown_grace: float = 30.0,
        redis_timeout: float = 1.0,
        health_interval: float = 5.0,
        sync_workers: int = 8,
        clock: Clock | None = None,
        backend: Backend | None = None,
        reconcile_interval: float = 30.0,
        max_clock_skew: float = 5.0,
        metrics: bool | Metrics = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if on_redis_error not in ON_REDIS_ERROR:
            raise ValueError(
                f"on_redis_error must be one of {ON_REDIS_ERROR}, not {on_redis_error!r}"
            )
        self.namespace = namespace
        self.mode = mode
        self.replica_id = (
            replica_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        )
        self.shutdown_grace = shutdown_grace
        self.health_interval = health_interval
        self._misfire_grace_time = whole_seconds(misfire_grace_time)
        self._claim_deadline = claim_deadline
        self._on_redis_error = on_redis_error
        self._clock = clock or system_clock
        if self._clock is not system_clock:
            install_apscheduler_clock_hook()
        if redis is not None:
            _check_async_client(redis, redis_url)
        if backend is None:
            backend = (
                RedisBackend(
                    redis_url or None,
                    namespace,
                    timeout=redis_timeout,
                    client=redis,
                    sync_client=sync_redis,
                )
                if redis_url or redis is not None
                else MemoryBackend(namespace)
            )
        self._backend = backend
        store: RedisJobStore | MemoryJobStore = (
            RedisJobStore(redis_url or None, namespace, redis_timeout, client=redis)
            if redis_url or redis is not None
            else MemoryJobStore()
        )
        self._static_ids: set[str] = set()
        self._redis_health = RedisHealth()
        self._keeper = LeaseKeeper(backend, lease_ttl)
        self._leader = (
            LeaderElector(backend, f"{self.replica_id}:{uuid.uuid4().hex}", leader_ttl)
            if mode == "leader"
            else None
        )
        self._threads = ThreadPoolExecutor(sync_workers, thread_name_prefix="locked-scheduler-job")
        self._runner = TickRunner(
            backend=backend,
            keeper=self._keeper,
            clock=self._clock,
            settings=TickSettings(
                self.replica_id,
                lease_ttl,
                min_claim_ttl,
                claim_flight_s=redis_timeout / 2,
                max_clock_skew_s=max_clock_skew,
            ),
            redis_health=self._redis_health,
            threads=self._threads,
            leader=self._leader,
            offset=ClockOffset(max_rtt_s=redis_timeout / 4),
            # True: prometheus_client's default registry; or a Metrics(registry=...).
            metrics=Metrics.default() if metrics is True else (metrics or None),
        )
        self._options: dict[str, JobOptions] = {}
        self._tick_tasks: set[asyncio.Task[str]] = set()
        self._health_task: asyncio.Task[None] | None = None
        self._running = False
        self._stopped = False
        self._started_at: float | None = None  # clock() at start()
        self._cluster_states: dict[str, dict] = {}  # {ns}:state, refreshed by the health loop
        self._redis_persists: bool | None = None  # checked by the health loop
        self._aps = ClockedAsyncIOScheduler(
            self._clock,
            # APScheduler's own per-tick warnings (a run still going) are folded into our
            # one line per tick (skipped_overlap); this logger drops them.
            logger=quiet_overlap_logger(),
            timezone=timezone,
            executors={"default": ClaimingExecutor(self._submit_tick)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self._misfire_grace_time,
            },
        )
        self._aps.add_listener(self._on_local_overlap, EVENT_JOB_MAX_INSTANCES)
        host = SchedulerHost(
            clock=self._clock,
            timezone=self._aps.timezone,
            default_grace=self._misfire_grace_time,
            on_redis_error=self._on_redis_error,
            static_ids=self._static_ids,
            backend=backend,
            register_job=self._register_job,
            unregister_job=self._unregister_job,
            catch_up=self._catch_up_one,
        )
        self._dynamic = DynamicJobs(host, store, reconcile_interval)

    # -- registration -----------------------------------------------------------------

    def add_job(
        self,
        func: Callable[..., Any],
        trigger: str | BaseTrigger,
        args: Any = None,
        kwargs: dict[str, Any] | None = None,
        id: str | None = None,
        name: str | None = None,
        *,
        misfire_grace_time: int | None = None,
        coalesce: bool = True,
        max_instances: int = 1,
        replace_existing: bool = True,
        claim_deadline: float | None = None,
        on_redis_error: str | None = None,
        **trigger_args: Any,
    ):
        """Same trigger words and arguments as APScheduler's ``add_job``; returns its Job."""
        for option, reason in REFUSED_OPTIONS.items():
            if option in trigger_args:
                raise ValueError(f"{option} is not supported: {reason}")
        if not coalesce:
            raise ValueError("coalesce=False would replay missed ticks; LockedScheduler needs True")
        if max_instances != 1:
            raise ValueError("max_instances must be 1: the running lease forbids overlapping runs")
        if not replace_existing:
            raise ValueError("replace_existing must be True so re-registration at start-up is safe")
        if not callable(func):
            raise TypeError("func must be a callable (string references are not supported)")
        if on_redis_error not in (None, *ON_REDIS_ERROR):
            raise ValueError(f"on_redis_error must be one of {ON_REDIS_ERROR}")
        job_id = id or default_job_id(func)
        if job_id in self._dynamic.specs:
            raise ValueError(f"job id {job_id!r} is used by a run-time (dynamic) job")
        grace = self._misfire_grace_time if misfire_grace_time is None else misfire_grace_time
        options = JobOptions(
            misfire_grace_time=whole_seconds(grace),
            claim_deadline=self._claim_deadline if claim_deadline is None else claim_deadline,
            on_redis_error=on_redis_error or self._on_redis_error,
            is_async=iscoroutinefunction_partial(func),
        )
        built = build_trigger(trigger, trigger_args, self._aps.timezone)
        self._static_ids.add(job_id)
        return self._register_job(job_id, func, built, args, kwargs, name, options)

    def _register_job(
        self,
        job_id: str,
        func: Callable[..., Any],
        trigger: BaseTrigger,
        args: Any,
        kwargs: dict[str, Any] | None,
        name: str | None,
        options: JobOptions,
    ):
        """Put a validated job into APScheduler (static and run-time jobs alike)."""
        self._options[job_id] = options
        if not self._aps.running:
            # Before start APScheduler queues jobs without replacing same-id ones.
            with contextlib.suppress(JobLookupError):
                self._aps.remove_job(job_id)
        return self._aps.add_job(
            func,
            trigger,
            args=args,
            kwargs=kwargs,
            id=job_id,
            name=name,
            misfire_grace_time=options.misfire_grace_time,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )

    def _unregister_job(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self._aps.remove_job(job_id)
        self._options.pop(job_id, None)

    def job(self, trigger: str | BaseTrigger, **options: Any) -> Callable[[F], F]:
        """Decorator form of :meth:`add_job`; returns the function unchanged."""

        def register(func: F) -> F:
            self.add_job(func, trigger, **options)
            return func

        return register

    def remove_job(self, job_id: str) -> None:
        self._aps.remove_job(job_id)
        self._options.pop(job_id, None)
        self._static_ids.discard(job_id)

    def get_jobs(self) -> list[Any]:
        return self._aps.get_jobs()

    @property
    def timezone(self) -> Any:
        return self._aps.timezone

    # -- run-time (dynamic) jobs --------------------------------------------------------

    def task(self, name: str) -> Callable[[F], F]:
        """Register a callable under ``name`` for run-time jobs (``JobSpec(task=name)``)."""

        def register(func: F) -> F:
            if not callable(func):
                raise TypeError("a task must be callable")
            self._dynamic.tasks[name] = func
            return func

        return register

    async def schedule(self, spec: JobSpec) -> StoredJob:
        """Validate, store and announce a run-time job; replaces a job with the same id.

        Raises ``JobSpecError`` (nothing written) for an invalid spec.
        """
        return await self._dynamic.schedule(spec, live=self._running)

    async def unschedule(self, job_id: str) -> bool:
        """Remove a run-time job everywhere; False when there was none."""
        return await self._dynamic.unschedule(job_id, live=self._running)

    async def pause(self, job_id: str) -> StoredJob | None:
        return await self._dynamic.set_paused(job_id, True, live=self._running)

    async def resume(self, job_id: str) -> StoredJob | None:
        return await self._dynamic.set_paused(job_id, False, live=self._running)

    def list_jobs(self) -> list[dict[str, Any]]:
        """Static and run-time jobs with their next run times (JSON-ready)."""
        next_runs = {job.id: getattr(job, "next_run_time", None) for job in self._aps.get_jobs()}
        listed = []
        for job_id in sorted(self._static_ids):
            aps_job = self._aps.get_job(job_id)
            listed.append(
                {
                    "id": job_id,
                    "kind": "static",
                    "task": _dotted(aps_job.func) if aps_job else None,
                    "trigger": str(aps_job.trigger) if aps_job else None,
                    "next_run_time": _iso(next_runs.get(job_id)),
                }
            )
        for job_id, stored in sorted(self._dynamic.specs.items()):
            entry = describe_dynamic(stored, next_runs.get(job_id))
            if job_id in self._dynamic.problems:
                entry["problem"] = self._dynamic.problems[job_id]
            listed.append(entry)
        return listed

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        """Start firing; must be called inside a running asyncio loop (e.g. a lifespan)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "LockedScheduler.start() must be called inside a running asyncio event loop, "
                "for example in a FastAPI lifespan or an async main()"
            ) from None
        if self._running:
            return
        if self._stopped:
            raise RuntimeError("a LockedScheduler cannot be restarted; create a new one")
        if isinstance(self._backend, MemoryBackend):
            log.warning(
                "LockedScheduler has no redis_url: using the in-process backend; "
                "every replica will run every job (fine for one replica in development)"
            )
        self._running = True
        self._keeper.start()
        # Taken before APScheduler starts: its first fire times are at or after this
        # instant, the catch-up ticks strictly before it, so no tick is tried twice here.
        self._started_at = self._clock()
        started_at = utc_from_epoch(self._started_at)
        if self._leader is not None:
            # Only the leader fires, and at start it is not elected yet: the catch-up runs
            # when this replica becomes the leader, now or later (the claims still make
            # each tick run once, whoever led when it fell).
            def acquired() -> None:
                loop.call_soon_threadsafe(self._leader_catch_up)

            self._leader.on_acquired = acquired
            self._leader.start()
        self._aps.start()
        if self._leader is None:
            self._catch_up(started_at)
        self._dynamic.start()
        self._health_task = loop.create_task(self._watch_redis())

    async def shutdown(self) -> None:
        """Stop firing, wait up to ``shutdown_grace`` for running jobs, release leases."""
        if not self._running:
            return
        self._running = False
        self._stopped = True  # its thread pool and clients are closed below
        self._aps.shutdown(wait=False)
        if self._health_task is not None:
            self._health_task.cancel()
        await self._dynamic.stop()
        pending = set(self._tick_tasks)
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.shutdown_grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._leader is not None:
            await asyncio.to_thread(self._leader.stop)
        self._threads.shutdown(wait=False)
        await self._backend.aclose()
        # A sync job still running in its thread keeps its lease renewed until it ends
        # (the interpreter waits for that thread at exit); then the sync client closes.
        self._keeper.shutdown(then=self._backend.close)

    # -- health -----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """JSON-ready health document, served by ``locked_scheduler.fastapi.health_router``."""
        # APScheduler forgets its jobs once shut down; our registry keeps them for status.
        next_runs = {job.id: getattr(job, "next_run_time", None) for job in self._aps.get_jobs()}
        jobs = {
            job_id: self._runner.stats_for(job_id).as_dict(next_runs.get(job_id))
            for job_id in self._options
        }
        reasons = self._unhealthy_reasons()
        return {
            "status": overall_status(self._running, reasons),
            "reasons": reasons,
            "mode": self.mode,
            "backend": self._backend.name,
            "namespace": self.namespace,
            "replica_id": self.replica_id,
            "is_leader": None if self._leader is None else self._leader.is_leader,
            **redis_fields(self._redis_health),
            **self._runner.offset.as_dict(),
            "jobs": jobs,
            "dynamic_jobs": {
                "count": len(self._dynamic.specs),
                "live_here": len(self._dynamic.registered),
                "problems": dict(self._dynamic.problems),
                "last_reconcile_error": self._dynamic.last_reconcile_error,
            },
        }

    def _unhealthy_reasons(self) -> list[str]:
        """Why this replica is not ``ok``, one sentence each (empty: healthy)."""
        reasons = []
        if not self._redis_health.ok:
            reasons.append(f"Redis unreachable: {self._redis_health.last_error}")
        if self._runner.skewed():
            reasons.append(
                f"clock off by {self._runner.offset.offset_s:+.3f} s against Redis "
                f"(max_clock_skew={self._runner.max_clock_skew_s:g} s): this replica claims "
                "no ticks until its clock is fixed"
            )
        for job_id, problem in sorted(self._dynamic.problems.items()):
            reasons.append(f"run-time job {job_id!r} cannot run here: {problem}")
        if self._dynamic.store_lost:
            reasons.append(self._dynamic.store_lost)
        reasons += self._job_reasons()
        if self._redis_persists is False and self._dynamic.specs:
            ids = ", ".join(sorted(self._dynamic.specs))
            reasons.append(
                "Redis does not persist (no RDB save points, no AOF): a restart erases the "
                f"{len(self._dynamic.specs)} run-time job(s) {ids} and every claim"
            )
        return reasons

    def _job_reasons(self) -> list[str]:
        """Failing and stalled jobs, judged from the cluster-wide state and this replica's."""
        reasons = []
        # On Redis' clock: the cluster's times were written by other replicas, each within
        # max_clock_skew of it; ours are shifted by our measured offset.
        to_server = self._runner.offset.to_server
        now = to_server(self._clock())
        for job_id in sorted(self._options):
            local = self._runner.stats_for(job_id)
            cluster = self._cluster_states.get(job_id, {})
            failures = max(local.consecutive_failures, int(cluster.get("consecutive_failures", 0)))
            if failures >= FAILURES_IN_A_ROW:
                reasons.append(
                    f"job {job_id!r} failed {failures} times in a row "
                    f"(last error: {cluster.get('last_error') or local.last_outcome})"
                )
            aps_job = self._aps.get_job(job_id)
            next_run = getattr(aps_job, "next_run_time", None)
            if aps_job is None or next_run is None or self._started_at is None:
                continue
            interval_s = interval_after(aps_job.trigger, next_run)
            successes = [
                moment
                for moment in (
                    None
                    if local.last_success_at is None
                    else to_server(local.last_success_at.timestamp()),
                    _timestamp(cluster.get("last_success_at")),
                )
                if moment is not None
            ]
            since = max(successes) if successes else to_server(self._started_at)
            if interval_s and now - since > 2 * interval_s:
                what = "since its last success" if successes else "since this replica started"
                reasons.append(
                    f"job {job_id!r} has not succeeded for {now - since:.0f} s {what}, more "
                    f"than two of its intervals ({interval_s:g} s)"
                )
        return reasons

    @property
    def running(self) -> bool:
        return self._running

    # -- internals --------------------------------------------------------------------

    def _submit_tick(self, job: Any, tick: datetime, catch_up: bool = False) -> asyncio.Task[str]:
        options = self._options.get(job.id) or JobOptions(
            self._misfire_grace_time,
            self._claim_deadline,
            self._on_redis_error,
            iscoroutinefunction_partial(job.func),
        )
        task = asyncio.get_running_loop().create_task(
            self._runner.run(job, tick, options, catch_up=catch_up)
        )
        self._tick_tasks.add(task)
        task.add_done_callback(self._tick_tasks.discard)
        return task

    def _catch_up(self, started_at: datetime) -> None:
        """Try the latest tick of each static job that fell within its grace before start.

        A tick that fell while every replica was down (a deploy across 02:00) is claimed
        by nobody; the claim decides, so it runs once, on the first replica to start. A
        tick another replica claimed is simply ``skipped_claimed`` here. Older ticks are
        coalesced away, as APScheduler does.
        """
        for job in self._aps.get_jobs():
            options = self._options.get(job.id)
            if job.id not in self._static_ids or options is None:
                continue
            tick = latest_fire_time(job.trigger, started_at, options.misfire_grace_time)
            if tick is not None:
                self._submit_tick(job, tick, catch_up=True)

    def _leader_catch_up(self) -> None:
        """Leader mode: this replica just became the leader; try the latest tick of each
        static job that fell within its grace, before now (ticks the previous leader ran
        are claimed, so they are only recorded as such here)."""
        if self._running:
            self._catch_up(utc_from_epoch(self._clock()))

    async def _refresh_cluster_view(self) -> None:
        """What health needs from Redis beyond this replica: job states, persistence."""
        try:
            self._cluster_states = await self._backend.job_states()
            if self._dynamic.specs:
                self._redis_persists = await self._backend.persists()
        except BackendError as error:
            self._redis_health.failure(str(error), utc_from_epoch(self._clock()))

    def _catch_up_one(self, job_id: str, not_before: datetime) -> None:
        """Catch-up for a job that became live here after start (run-time jobs)."""
        job = self._aps.get_job(job_id)
        options = self._options.get(job_id)
        if not self._running or job is None or options is None:
            return
        now = utc_from_epoch(self._clock())
        tick = latest_fire_time(job.trigger, now, options.misfire_grace_time)
        first = getattr(job, "next_run_time", None)
        # APScheduler fires the ticks from next_run_time on; older ones are ours to try.
        if tick is not None and tick > not_before and (first is None or tick < first):
            self._submit_tick(job, tick, catch_up=True)

    def _on_local_overlap(self, event: JobSubmissionEvent) -> None:
        # This replica still runs the previous tick; APScheduler refused the submission.
        self._runner.record(event.job_id, event.scheduled_run_times[-1], SKIPPED_OVERLAP)

    async def _watch_redis(self) -> None:
        # TIME doubles as the ping: every check also measures the clock offset.
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self._runner.measure_offset()
            except BackendError as error:
                self._redis_health.failure(str(error), utc_from_epoch(self._clock()))
            else:
                self._redis_health.success((loop.time() - started) * 1000)
                await self._refresh_cluster_view()
            await asyncio.sleep(self.health_interval)


def _check_async_client(client: Any, redis_url: str | None) -> None:
    import redis.asyncio as aredis

    if redis_url:
        raise ValueError("pass redis_url= or redis=, not both")
    if not isinstance(client, aredis.Redis):
        raise TypeError(
            f"redis= must be a redis.asyncio.Redis (the scheduler runs on asyncio), "
            f"not {type(client).__module__}.{type(client).__name__}"
        )


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _dotted(func: Any) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
