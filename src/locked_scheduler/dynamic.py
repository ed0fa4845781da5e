"""Run-time jobs: keep this replica's APScheduler in step with the shared job store.

Each replica applies every change it hears about on the change channel at once, and
reconciles the whole store every ``reconcile_interval`` so a missed message heals.
Which replica runs a tick is still decided by the per-tick claim, as for static jobs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.triggers.date import DateTrigger
from apscheduler.util import iscoroutinefunction_partial

from .backend import Backend, BackendError
from .clock import Clock, epoch_ms, utc_from_epoch
from .health import FAILED, LEASE_LOST, RAN
from .jobspec import DONE, MISSED, JobSpec, JobSpecError, StoredJob, validate
from .store import finish, set_paused, upsert
from .tick import JobOptions
from .triggers import build_trigger

log = logging.getLogger("locked_scheduler.dynamic")

_FINISHED_BY = {RAN: DONE, FAILED: DONE, LEASE_LOST: DONE}  # other outcomes: missed
RETRY_ONE_OFF_S = 1.0  # a one-off whose claim met an unavailable Redis is tried again


@dataclass(frozen=True)
class SchedulerHost:
    """What run-time jobs need from the scheduler; they depend on this, never on it."""

    clock: Clock
    timezone: Any
    default_grace: int  # the scheduler's misfire_grace_time
    on_redis_error: str
    static_ids: set[str]  # the scheduler's live set: ids taken by static jobs
    backend: Backend
    register_job: Callable[..., Any]  # (job_id, func, trigger, args, kwargs, name, options)
    unregister_job: Callable[[str], None]
    # (job_id, not_before): try the job's latest tick within its grace, if after not_before
    catch_up: Callable[[str, datetime], None]


class DynamicJobs:
    def __init__(self, host: SchedulerHost, store: Any, reconcile_interval: float) -> None:
        self._host = host
        self.store = store
        self.reconcile_interval = reconcile_interval
        self.tasks: dict[str, Callable[..., Any]] = {}
        self.specs: dict[str, StoredJob] = {}  # last known state of every stored job
        self.registered: dict[str, int] = {}  # job id -> spec version live in APScheduler
        self.problems: dict[str, str] = {}  # job id -> why this replica cannot run it
        self._loops: list[asyncio.Task[None]] = []
        self._retries: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self.last_reconcile_error: str | None = None
        self.store_lost: str | None = None  # set when the store vanished under known jobs

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._loops = [loop.create_task(self._listen()), loop.create_task(self._periodic())]

    async def stop(self) -> None:
        self._stop.set()
        for task in [*self._loops, *self._retries]:
            task.cancel()
        if self._loops:
            await asyncio.wait(self._loops, timeout=2.0)
        self._loops = []
        await self.store.aclose()

    # -- operations ---------------------------------------------------------------------

    async def schedule(self, spec: JobSpec, live: bool) -> StoredJob:
        host = self._host
        now = utc_from_epoch(host.clock())
        validate(spec, host.timezone, now, host.default_grace)
        if spec.task not in self.tasks:
            raise JobSpecError(
                f"unknown task {spec.task!r}: register it with @scheduler.task({spec.task!r})"
            )
        if spec.id in host.static_ids:
            raise JobSpecError(f"id {spec.id!r} is used by a static job")
        stored = await self.store.change(spec.id, upsert(spec))
        self.store_lost = None  # the store is in use again
        if live:  # this replica applies it now; the others hear the change message
            await self.apply(spec.id, stored)
        return stored

    async def unschedule(self, job_id: str, live: bool) -> bool:
        existed = await self.store.get(job_id) is not None
        await self.store.change(job_id, lambda old: None)
        if live:
            await self.apply(job_id, None)
        return existed

    async def set_paused(self, job_id: str, paused: bool, live: bool) -> StoredJob | None:
        stored = await self.store.change(job_id, set_paused(paused))
        if live:
            await self.apply(job_id, stored)
        return stored

    # -- reconciling ------------------------------------------------------------------

    async def reconcile_all(self) -> None:
        stored = await self.store.all()
        if not stored:
            await self._note_if_wiped()
        else:
            self.store_lost = None  # jobs were scheduled again (here or on another replica)
        for job_id in (set(self.specs) | set(self.registered)) - set(stored):
            await self.apply(job_id, None)
        for job_id, job in stored.items():
            await self.apply(job_id, job)
        self.last_reconcile_error = None

    async def reconcile_one(self, job_id: str) -> None:
        stored = await self.store.get(job_id)
        if stored is None and job_id in self.specs:
            await self._note_if_wiped()
        await self.apply(job_id, stored)

    async def _note_if_wiped(self) -> None:
        """Known jobs are missing: a removal, or Redis lost the whole store? Say which."""
        if not self.specs or await self.store.intact():
            return
        ids = ", ".join(sorted(self.specs))
        self.store_lost = (
            "the run-time job store in Redis was wiped (a restart without persistence, or a "
            f"flush): {len(self.specs)} job(s) lost ({ids}); schedule them again"
        )
        log.error("%s", self.store_lost)

    async def apply(self, job_id: str, stored: StoredJob | None) -> None:
        """Make APScheduler match ``stored`` (None: the job was removed)."""
        if stored is None:
            self.specs.pop(job_id, None)
        else:
            self.specs[job_id] = stored
        if stored is None or not stored.active:
            self._drop(job_id)
            return
        if self.registered.get(job_id) == stored.version:
            return  # already live (or a one-off that already fired here)
        if job_id in self._host.static_ids:
            self._problem(job_id, "id is also used by a static job on this replica")
            return
        func = self.tasks.get(stored.spec.task)
        if func is None:
            self._problem(job_id, f"unknown task {stored.spec.task!r} on this replica")
            return
        if stored.spec.trigger == "date" and await self._finish_if_overdue(stored):
            return
        self._register(stored, func)

    def _register(self, stored: StoredJob, func: Callable[..., Any]) -> None:
        spec = stored.spec
        grace = spec.misfire_grace_time or self._host.default_grace
        hook = retry = None
        if spec.trigger == "date":
            trigger: Any = DateTrigger(spec.run_at)
            hook = self._one_off_hook(spec.id, stored.version)
            retry = functools.partial(self._retry_one_off, spec.id)
        else:
            trigger = build_trigger(spec.trigger, dict(spec.trigger_args), self._host.timezone)
        options = JobOptions(
            misfire_grace_time=grace,
            claim_deadline=None,
            on_redis_error=self._host.on_redis_error,
            is_async=iscoroutinefunction_partial(func),
            on_claimed_outcome=hook,
            on_redis_unavailable=retry,
        )
        self._host.register_job(
            spec.id, func, trigger, list(spec.args), dict(spec.kwargs), spec.task, options
        )
        if spec.trigger != "date":
            # A tick that fell while no replica ran this job (all down, or before this one
            # started) runs once; ticks before the job's last change never do (a job just
            # created or resumed does not run a tick from before).
            self._host.catch_up(spec.id, stored.updated_at)
        self.registered[spec.id] = stored.version
        self.problems.pop(spec.id, None)
        log.info("run-time job live id=%s version=%s task=%s", spec.id, stored.version, spec.task)

    def _drop(self, job_id: str) -> None:
        self.problems.pop(job_id, None)
        if self.registered.pop(job_id, None) is not None:
            self._host.unregister_job(job_id)
            log.info("run-time job removed id=%s", job_id)

    def _problem(self, job_id: str, reason: str) -> None:
        self._drop(job_id)
        if self.problems.get(job_id) != reason:
            log.error("run-time job not scheduled here id=%s: %s", job_id, reason)
        self.problems[job_id] = reason

    async def _finish_if_overdue(self, stored: StoredJob) -> bool:
        """A one-off whose time passed beyond its grace: record done or missed, don't run."""
        spec = stored.spec
        assert spec.run_at is not None
        grace = spec.misfire_grace_time or self._host.default_grace
        now: datetime = utc_from_epoch(self._host.clock())
        if (now - spec.run_at).total_seconds() <= grace:
            return False
        backend = self._host.backend
        claimed = await backend.claimed(spec.id, epoch_ms(spec.run_at))
        state, outcome = (DONE, "claimed") if claimed else (MISSED, None)
        await self.store.change(spec.id, finish(stored.version, state, outcome))
        return True

    def _retry_one_off(self, job_id: str) -> None:
        """Its only tick could not be claimed (Redis unavailable): fire it again soon.

        APScheduler forgets a date job once fired. Forgetting that it is live here makes
        the next reconcile register it again; it fires at once while its grace lasts (the
        claim keeps it to one run) and is marked missed after that.
        """
        self.registered.pop(job_id, None)
        if self._stop.is_set():
            return
        task = asyncio.get_running_loop().create_task(self._retry_later(job_id))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _retry_later(self, job_id: str) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(RETRY_ONE_OFF_S)
            try:
                await self.reconcile_one(job_id)
                return
            except BackendError as error:  # still unavailable: keep trying
                self.last_reconcile_error = str(error)
            except Exception:
                log.exception("retrying run-time job %s failed", job_id)
                return

    def _one_off_hook(self, job_id: str, version: int):
        async def finished(outcome: str) -> None:
            state = _FINISHED_BY.get(outcome, MISSED)
            await self.store.change(job_id, finish(version, state, outcome))

        return finished

    # -- loops --------------------------------------------------------------------------

    async def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                async for job_id in self.store.changes(self._stop):
                    await self._safely(self.reconcile_one(job_id))
            except BackendError as error:
                log.warning("job change channel lost, resubscribing: %s", error)
            if self._stop.is_set():
                return
            await asyncio.sleep(1.0)
            await self._safely(self.reconcile_all())  # messages may have been missed

    async def _periodic(self) -> None:
        while True:
            await self._safely(self.reconcile_all())
            await asyncio.sleep(self.reconcile_interval)

    async def _safely(self, step: Any) -> None:
        try:
            await step
        except BackendError as error:
            self.last_reconcile_error = str(error)
            log.warning("reconciling run-time jobs failed: %s", error)
        except Exception:
            log.exception("reconciling run-time jobs failed")


def describe_dynamic(stored: StoredJob, next_run_time: datetime | None) -> dict[str, Any]:
    spec = stored.spec
    return {
        "id": spec.id,
        "kind": "dynamic",
        "task": spec.task,
        "trigger": spec.trigger,
        "trigger_args": {k: _iso(v) for k, v in spec.trigger_args.items()},
        "run_at": _iso(spec.run_at),
        "next_run_time": _iso(next_run_time),
        "state": stored.state,
        "paused": spec.paused,
        "version": stored.version,
        "last_outcome": stored.last_outcome,
    }


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
