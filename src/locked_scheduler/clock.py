"""Injectable clock, so tests can give each replica a skewed notion of "now".

APScheduler 3 reads the time through ``datetime.now`` in ``apscheduler.schedulers.base``.
To let a scheduler run on a simulated clock we swap that module's ``datetime`` name for a
subclass whose ``now`` consults a context-local clock; the override is active only while
one of our scheduler methods runs, so other schedulers in the process are unaffected.
The swap is installed only when a non-system clock is passed.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

Clock = Callable[[], float]
"""Returns the current time as epoch seconds, like ``time.time``."""

system_clock: Clock = time.time

_active_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar(
    "locked_scheduler_clock", default=None
)


class _ClockAwareDatetime(datetime):
    """``datetime`` whose ``now`` follows the active simulated clock, if any."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        clock = _active_clock.get()
        if clock is None:
            return datetime.now(tz)
        # Return a plain datetime so comparisons and arithmetic stay ordinary.
        return datetime.fromtimestamp(clock(), tz or timezone.utc)


_installed = False


def install_apscheduler_clock_hook() -> None:
    """Make APScheduler's scheduler loop honour ``use_clock``; idempotent."""
    global _installed
    if _installed:
        return
    import apscheduler.schedulers.base as base

    base.datetime = _ClockAwareDatetime  # type: ignore[misc]
    _installed = True


@contextmanager
def use_clock(clock: Clock | None) -> Iterator[None]:
    """Within the block, APScheduler's ``datetime.now`` reads ``clock``."""
    if clock is None or clock is system_clock:
        yield
        return
    token = _active_clock.set(clock)
    try:
        yield
    finally:
        _active_clock.reset(token)


def utc_from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def epoch_ms(moment: datetime) -> int:
    """Tick identity: the scheduled fire time in whole epoch milliseconds."""
    return round(moment.timestamp() * 1000)
