"""Daylight-saving transitions of a time zone, and the cron fire times they touch (BGT035).

At a spring transition the wall clock jumps (02:00 → 03:00 in Europe/Berlin): a local time
inside the jump does not exist that day. At an autumn transition it goes back (03:00 → 02:00):
a local time inside the repeated hour happens twice. Schedulers differ in what they do then
(skip the run, move it to the end of the jump, run it twice or once), so a job that must run
exactly once a day should not fire inside either window.

Transitions come from the zone database (zoneinfo); whether a cron fires inside one from
cronsim, on naive wall-clock times, which is how a cron written for a zone is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

UTC = timezone.utc
WINDOW_DAYS = 400  # more than a year ahead: every zone's next spring and autumn


@dataclass(frozen=True)
class Transition:
    """One change of a zone's UTC offset, as the wall clock sees it."""

    day: date  # local date of the change
    kind: str  # "gap": wall times [start, end) do not exist; "fold": they happen twice
    start: datetime  # naive wall-clock time where the affected window begins
    end: datetime  # naive wall-clock time where it ends

    def window(self) -> str:
        """'02:00-03:00'"""
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)


@lru_cache(maxsize=64)
def transitions(zone_name: str, start: date) -> tuple[Transition, ...]:
    """Every offset change of `zone_name` in the WINDOW_DAYS after `start` (UTC midnight)."""
    zone = _zone(zone_name)
    if zone is None:
        return ()
    found: list[Transition] = []
    moment = datetime(start.year, start.month, start.day, tzinfo=UTC)
    before = _offset(zone, moment)
    for _ in range(WINDOW_DAYS):
        following = moment + timedelta(days=1)
        after = _offset(zone, following)
        if after != before:
            found.append(_transition(zone, moment, following, before, after))
        moment, before = following, after
    return tuple(found)


def _transition(
    zone: ZoneInfo, lo: datetime, hi: datetime, before: timedelta, after: timedelta
) -> Transition:
    # Bisect to the minute: the first UTC instant with the new offset.
    while hi - lo > timedelta(minutes=1):
        middle = lo + (hi - lo) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle in (lo, hi):
            break
        if _offset(zone, middle) == before:
            lo = middle
        else:
            hi = middle
    instant = hi.replace(tzinfo=None)
    if after > before:  # the clock jumps forward: [instant+before, instant+after) is missing
        start, end, kind = instant + before, instant + after, "gap"
    else:  # the clock goes back: [instant+after, instant+before) happens twice
        start, end, kind = instant + after, instant + before, "fold"
    return Transition(day=start.date(), kind=kind, start=start, end=end)


def fires_inside(cron: str, transition: Transition) -> list[datetime]:
    """Wall-clock fire times of `cron` inside the transition's window (naive)."""
    try:
        times = iter(CronSim(cron, transition.start - timedelta(seconds=1)))
    except CronSimError:
        return []
    out: list[datetime] = []
    for fire in times:
        if fire >= transition.end:
            break
        out.append(fire)
    return out


def has_transitions(zone_name: str, start: date) -> bool:
    return bool(transitions(zone_name, start))
