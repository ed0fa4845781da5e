"""The shortest time between two runs of a schedule: can one run still be going when the
next one starts?"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

from .model import Schedule

DAY = 86_400.0
# Fires looked at: a year's worth for a monthly pattern (February makes the shortest
# month), enough for the gaps of a daily or weekly one, and cheap for a minutely one
# (cronsim takes about 10 µs a fire; a minutely cron stops at its second fire).
_MAX_FIRES = 400
_WINDOW = timedelta(days=400)
_START = datetime(2024, 1, 1, tzinfo=timezone.utc)  # fixed: the same answer on every run


def min_gap_seconds(schedule: Schedule | None) -> float | None:
    """Seconds between the two closest runs, or None when unknown (templated, invalid,
    a one-off). A schedule that fires once or never in 400 days has a gap of that window."""
    if schedule is None or not schedule.resolved or schedule.error:
        return None
    if schedule.interval_seconds:
        return float(schedule.interval_seconds)
    if not schedule.cron:
        return None
    return _cron_gap(schedule.cron, schedule.timezone)


@lru_cache(maxsize=512)
def _cron_gap(cron: str, zone: str | None) -> float | None:
    from . import schedules  # cronsim: only when a gap is asked for

    fires = schedules.fire_times(
        Schedule(text=cron, cron=cron, timezone=zone), _START, _START + _WINDOW
    )
    previous: datetime | None = None
    gap: float | None = None
    for count, fire in enumerate(fires):
        if previous is not None:
            seconds = (fire - previous).total_seconds()
            gap = seconds if gap is None else min(gap, seconds)
            if gap <= 60:
                break  # nothing fires closer than a minute apart
        previous = fire
        if count >= _MAX_FIRES:
            break
    if gap is None:
        return _WINDOW.total_seconds()
    return gap
