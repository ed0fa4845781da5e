"""APScheduler integration details: a clock-aware scheduler and registration rules."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .clock import Clock, use_clock

# APScheduler add_job options that would break cross-replica agreement.
REFUSED_OPTIONS = {
    "next_run_time": "next_run_time is per process; the trigger alone decides the ticks",
    "jobstore": "job stores must not be shared between replicas; jobs live in memory",
    "executor": "LockedScheduler runs every job through its claiming executor",
}


class ClockedAsyncIOScheduler(AsyncIOScheduler):
    """AsyncIOScheduler whose notion of "now" follows an injectable clock."""

    def __init__(self, clock: Clock, **options: Any) -> None:
        self._clock_fn = clock
        super().__init__(**options)

    def _process_jobs(self):
        with use_clock(self._clock_fn):
            return super()._process_jobs()

    def _real_add_job(self, *args, **kwargs):
        with use_clock(self._clock_fn):
            return super()._real_add_job(*args, **kwargs)

    def reschedule_job(self, *args, **kwargs):
        with use_clock(self._clock_fn):
            return super().reschedule_job(*args, **kwargs)

    def resume_job(self, *args, **kwargs):
        with use_clock(self._clock_fn):
            return super().resume_job(*args, **kwargs)


class _DropOverlapWarnings(logging.Filter):
    """APScheduler warns on every tick a run is still going ("maximum number of running
    instances reached"); LockedScheduler already logs that tick as ``skipped_overlap``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def quiet_overlap_logger() -> logging.Logger:
    """A child of APScheduler's own logger (same levels and handlers) without the
    per-tick overlap warning; other APScheduler schedulers in the process keep theirs."""
    logger = logging.getLogger("apscheduler.scheduler.locked_scheduler")
    if not any(isinstance(f, _DropOverlapWarnings) for f in logger.filters):
        logger.addFilter(_DropOverlapWarnings())
    return logger


def whole_seconds(value: Any) -> int:
    seconds = int(value)
    if seconds != value or seconds < 1:
        raise ValueError(
            f"misfire_grace_time must be a whole number of seconds >= 1, not {value!r}"
        )
    return seconds


def default_job_id(func: Callable[..., Any]) -> str:
    qualname = getattr(func, "__qualname__", None)
    if not qualname or "<" in qualname:
        raise ValueError("pass id=...: this callable has no stable name to derive a job id from")
    return f"{func.__module__}.{qualname}"
