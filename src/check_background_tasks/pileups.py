"""Pile-ups (BGT033): cron jobs that fire in the same minute, over a real calendar year.

One computation for the rule and for the HTML report, so they cannot disagree.

What counts is what fires:

* cron schedules only: an interval's phase depends on when its scheduler started, which
  no static reading knows; a cron firing every minute is constant load, not a coincidence;
* not a suspended CronJob, nor one whose ``suspend`` a template decides (unknown: say less);
* each job once per environment: jobs deployed to different environments (kustomize
  overlays, Helm releases, ``clusters/c1``-style directories) never pile up together; a job
  with no environment runs in every one; copies of one job in one environment (the same
  name and schedule, rendered twice) are one instance.

How, without listing every fire (an hourly job is 8,784 fires a year): a cron schedule is
a set of minutes of the day, each fired on a set of days. The days are a bitmask over a real
calendar, the reference year 2024 (it starts on a Monday and has a February 29), plus two
margin days each side so that shifting a time zone never clips the year. Local times go to
UTC with the zone's offset of that day; on the few days a zone changes its offset, each
minute is resolved as cron does it (cronsim: a skipped wall time fires at the first minute
after the gap, a repeated one once for fixed times and twice for ``*`` hours or minutes).
Per environment and UTC minute of the day, the days are then split by which jobs fire on
them; a split with more jobs than the threshold is a pile-up. Reading it back in the jobs'
own time zone (when they share one) is what lets a message say "monthly on the 1st at
03:00 Europe/Berlin" instead of two UTC times that swap with daylight saving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import NamedTuple

from . import schedules
from .deploy.environments import infer_environments
from .model import TEMPLATED, Job, Location, Schedule

__all__ = [
    "PileUp",
    "Pileups",
    "Spike",
    "Stretch",
    "can_pile_up",
    "describe",
    "describe_days",
    "environments",
    "find",
    "fires",
    "instances",
    "shared_firing",
    "utc_fires",
]

UTC = timezone.utc
YEAR = 2024
DAY = 1440  # minutes
MARGIN = 2  # days before January 1 and after December 31
YEAR_DAYS = 366
AXIS_DAYS = YEAR_DAYS + 2 * MARGIN
AXIS_START = date(YEAR, 1, 1) - timedelta(days=MARGIN)
AXIS = (1 << AXIS_DAYS) - 1
YEAR_BITS = (1 << YEAR_DAYS) - 1


# --------------------------------------------------------------------------- what fires


def fires(job: Job) -> bool:
    """False for a CronJob that is suspended, or whose ``suspend`` a template decides."""
    value = dict(job.extra).get("suspend")
    return value is not True and value != TEMPLATED


def can_pile_up(job: Job) -> bool:
    """A job that fires, on a cron schedule that does not fire in every minute anyway."""
    schedule = job.schedule
    if not job.periodic or schedule is None or schedule.error or not schedule.resolved:
        return False
    if schedule.cron is None or schedule.cron == "* * * * *":
        return False
    return fires(job)


def _env_name(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _shared_environment(name: str | None) -> str | None:
    """Per-component overlays of one environment share its cluster: `cve-update/overlays/
    stage` and `graph-refresh/overlays/stage` both deploy to `overlays/stage`, so their
    jobs compete there (the other rules name each overlay by its own directory)."""
    if name is None or "/overlays/" not in f"/{name}":
        return name
    return "overlays/" + f"/{name}".rpartition("/overlays/")[2]


def environments(jobs: Sequence[Job]) -> list[str | None]:
    """Each job's environment, or None when it belongs to no known one.

    The deploy stage labels jobs (``environment`` in `Job.extra`: a kustomize overlay, a
    Helm release, a cluster directory). CronJobs it left unlabelled are placed by where
    their copies live (`deploy.environments`), as the deploy stage itself does.
    """
    extras = [dict(job.extra) for job in jobs]
    out = [_shared_environment(_env_name(extra.get("environment"))) for extra in extras]
    unlabelled = [
        i
        for i, (job, extra) in enumerate(zip(jobs, extras, strict=True))
        if job.kind == "k8s_cronjob" and "environment" not in extra
    ]
    manifests = [
        (jobs[i].location.file, jobs[i].name, _env_name(extras[i].get("namespace")))
        for i in unlabelled
    ]
    inferred = infer_environments(manifests)
    for i in unlabelled:
        out[i] = inferred.get(jobs[i].location.file)
    return out


def _identity(job: Job) -> tuple[object, ...]:
    """Copies of one job (the same name and schedule, rendered twice) share this."""
    if job.name is None:
        return ("at", job.location)
    sched = job.schedule
    when = (sched.cron, sched.interval_seconds, sched.run_at, sched.timezone) if sched else None
    return (job.kind, job.name, dict(job.extra).get("namespace"), when)


def instances(
    jobs: Sequence[Job], envs: Sequence[str | None], keep: Callable[[Job], bool]
) -> dict[str | None, list[int]]:
    """Per environment, the kept jobs that run there, once each (the first copy by location).

    A job without an environment runs in every environment; when none is known there is one,
    keyed None.
    """
    named = sorted({env for env in envs if env is not None})
    known: list[str | None] = [*named] if named else [None]
    order = sorted((i for i, job in enumerate(jobs) if keep(job)), key=lambda i: _where(jobs, i))
    out: dict[str | None, list[int]] = {}
    for env in known:
        seen: set[tuple[object, ...]] = set()
        chosen: list[int] = []
        for i in order:
            if envs[i] is not None and envs[i] != env:
                continue
            key = _identity(jobs[i])
            if key not in seen:
                seen.add(key)
                chosen.append(i)
        out[env] = chosen
    return out


def _where(jobs: Sequence[Job], i: int) -> tuple[Location, int]:
    return jobs[i].location, i


# --------------------------------------------------------------------------- calendar


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _shift(mask: int, days: int) -> int:
    return mask << days if days >= 0 else mask >> -days


@lru_cache(maxsize=1)
def _axis_dates() -> tuple[tuple[int, int, int], ...]:
    """(day of month, month, weekday with Sunday = 0) of every day of the axis."""
    out = []
    for i in range(AXIS_DAYS):
        day = AXIS_START + timedelta(days=i)
        out.append((day.day, day.month, (day.weekday() + 1) % 7))
    return tuple(out)


@lru_cache(maxsize=256)
def _local_days(
    days: frozenset[int], months: frozenset[int], weekdays: frozenset[int], days_or: bool
) -> int:
    mask = 0
    for i, (dom, month, weekday) in enumerate(_axis_dates()):
        if month not in months:
            continue
        if (
            (dom in days or weekday in weekdays)
            if days_or
            else (dom in days and weekday in weekdays)
        ):
            mask |= 1 << i
    return mask


@lru_cache(maxsize=64)
def _cronsim_days(day_fields: str) -> int:
    """Days of a cron that uses cronsim's extensions (L, W, #): cronsim decides."""
    from cronsim import CronSim, CronSimError

    begin = datetime.combine(AXIS_START, time()) - timedelta(seconds=1)
    end = AXIS_START + timedelta(days=AXIS_DAYS)
    mask = 0
    try:
        for fire in CronSim(f"0 0 {day_fields}", begin):
            if fire.date() >= end:
                break
            mask |= 1 << (fire.date() - AXIS_START).days
    except (CronSimError, StopIteration):
        return 0
    return mask


class _Change(NamedTuple):
    """A change of a zone's offset: when (UTC minute of the axis) and from what to what."""

    at: int
    before: int  # minutes east of UTC
    after: int


class _ZoneDays(NamedTuple):
    """A zone over the axis: days with one offset all day (minutes east of UTC), and days
    on which the offset changes, by local and by UTC date."""

    local: tuple[tuple[int, int], ...]  # (offset, mask of local days)
    local_changes: int
    changes: tuple[tuple[int, _Change], ...]  # (local day, its change)
    utc: tuple[tuple[int, int], ...]  # (offset, mask of UTC days)
    utc_changes: int


def _offset(moment: datetime) -> int:
    delta = moment.utcoffset()
    return 0 if delta is None else int(delta.total_seconds()) // 60


def _split(
    offsets: list[int], steady: Callable[[int], bool]
) -> tuple[tuple[tuple[int, int], ...], int]:
    by_offset: dict[int, int] = {}
    changes = 0
    for i in range(AXIS_DAYS):
        # offsets[i + 1] is day i (the list has a neighbour either side): a day whose noon
        # offset equals both neighbours' has no change in it unless `steady` says otherwise.
        here = offsets[i + 1]
        if here == offsets[i] == offsets[i + 2] or steady(i):
            by_offset[here] = by_offset.get(here, 0) | 1 << i
        else:
            changes |= 1 << i
    return tuple(sorted(by_offset.items())), changes


@lru_cache(maxsize=64)
def _zone_days(zone: tzinfo) -> _ZoneDays:
    origin = datetime.combine(AXIS_START, time(), tzinfo=UTC)

    def local(i: int, hour: int, minute: int = 0, fold: int = 0) -> datetime:
        day = AXIS_START + timedelta(days=i)
        return datetime.combine(day, time(hour, minute), tzinfo=zone).replace(fold=fold)

    def offset_at(minute: int) -> int:  # the offset in force at a UTC minute of the axis
        return _offset((origin + timedelta(minutes=minute)).astimezone(zone))

    def local_steady(i: int) -> bool:
        ends = [local(i, 0, 0, f) for f in (0, 1)] + [local(i, 23, 59, f) for f in (0, 1)]
        return len({_offset(m) for m in ends}) == 1

    def utc_steady(i: int) -> bool:
        return offset_at(i * DAY) == offset_at(i * DAY + DAY - 1)

    def change(i: int) -> _Change:
        # The local day i lies within UTC [i days - 14 h, i + 1 days + 14 h]; find the first
        # minute with the later offset by halving.
        lo, hi = i * DAY - 15 * 60, (i + 1) * DAY + 15 * 60
        before, after = offset_at(lo), offset_at(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if offset_at(mid) == before:
                lo = mid
            else:
                hi = mid
        return _Change(hi, before, after)

    local_noons = [_offset(local(i, 12)) for i in range(-1, AXIS_DAYS + 1)]
    utc_noons = [offset_at(i * DAY + DAY // 2) for i in range(-1, AXIS_DAYS + 1)]
    local_days, local_changes = _split(local_noons, local_steady)
    utc_days, utc_changes = _split(utc_noons, utc_steady)
    changes = tuple((i, change(i)) for i in _bits(local_changes))
    return _ZoneDays(local_days, local_changes, changes, utc_days, utc_changes)


def _changing_day(day: int, change: _Change, slots: Sequence[int], wall_clock: bool) -> list[int]:
    """UTC minutes of the axis at which `slots` fire on local `day`, whose offset changes, as
    cronsim (Debian cron) fires them.

    Wall-clock crons (fixed minute and hour) fire a skipped time at the first real minute
    after the gap and a repeated time once (its first occurrence); others fire at every real
    moment whose wall time matches: nothing in a gap, twice in a repeated hour.
    """
    base = day * DAY
    before, after = change.before, change.after
    wall_before = change.at - base + before  # the change, in wall minutes of `day`
    wall_after = change.at - base + after
    out = []
    for slot in slots:
        if slot < min(wall_before, wall_after):
            out.append(base + slot - before)
        elif slot >= max(wall_before, wall_after):
            out.append(base + slot - after)
        elif after > before:  # skipped
            if wall_clock:
                out.append(change.at)
        else:  # repeated
            out.append(base + slot - before)
            if not wall_clock:
                out.append(base + slot - after)
    return out


def _slot(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


@lru_cache(maxsize=1024)
def utc_fires(cron: str, zone_name: str, zone: tzinfo) -> tuple[tuple[int, int], ...]:
    """(UTC minute of the day, axis bitmask of the days it fires then) for `cron` in `zone`."""
    fields = cron.split()
    sets = schedules.cron_sets(cron)
    if sets is not None:
        local = _local_days(sets.days, sets.months, sets.weekdays, sets.days_or)
    else:
        sets = schedules.cron_sets(" ".join([*fields[:2], "*", "*", "*"]))
        if sets is None:
            return ()
        local = _cronsim_days(" ".join(fields[2:]))
    slots = sorted(h * 60 + m for h in sets.hours for m in sets.minutes)
    if zone_name == "UTC" or zone is UTC:
        return tuple((slot, local) for slot in slots if local)
    table = _zone_days(zone)
    out: dict[int, int] = {}
    for offset, steady in table.local:
        days = local & steady
        if not days:
            continue
        for slot in slots:
            moved = slot - offset
            at = moved % DAY
            out[at] = out.get(at, 0) | _shift(days, moved // DAY)
    wall_clock = not fields[0].startswith("*") and not fields[1].startswith("*")
    for day, change in table.changes:
        if local >> day & 1:
            for minute in _changing_day(day, change, slots, wall_clock):
                if 0 <= minute < AXIS_DAYS * DAY:
                    out[minute % DAY] = out.get(minute % DAY, 0) | 1 << (minute // DAY)
    return tuple(sorted((slot, mask & AXIS) for slot, mask in out.items() if mask & AXIS))


def shared_firing(a: Schedule, b: Schedule) -> str | None:
    """When two schedules both fire, over the axis' calendar year (zones and DST changes
    included): "minute" when they may fire in the same minute, "day" when only on the same
    days at other times (01:30 and 03:45 daily), None when never on the same day (one
    report per quarter in four entries). An interval has no static anchor, and an unknown
    schedule may be anything: "minute"."""
    known = all(s.cron and s.resolved and s.error is None for s in (a, b))
    if not known:
        return "minute"
    assert a.cron is not None and b.cron is not None
    earlier = utc_fires(a.cron, *schedules.schedule_zone(a))
    later = utc_fires(b.cron, *schedules.schedule_zone(b))
    fires = dict(earlier)
    if any(fires.get(slot, 0) & days for slot, days in later):
        return "minute"
    if schedules.schedule_zone(a)[0] == schedules.schedule_zone(b)[0]:
        # one zone: its own calendar days (Monday 09:00 and 21:00 in New York are one
        # day, though 21:00 falls on Tuesday in UTC)
        days_a, days_b = _cron_days(a.cron), _cron_days(b.cron)
    else:
        days_a = days_b = 0
        for _slot, days in earlier:
            days_a |= days
        for _slot, days in later:
            days_b |= days
    return "day" if days_a & days_b else None


def _cron_days(cron: str) -> int:
    """The axis days `cron` fires on, in its own zone's calendar."""
    sets = schedules.cron_sets(cron)
    if sets is not None:
        return _local_days(sets.days, sets.months, sets.weekdays, sets.days_or)
    return _cronsim_days(" ".join(cron.split()[2:]))


def _in_zone(slot: int, days: int, zone: tzinfo) -> dict[int, int]:
    """A UTC minute of the day on axis `days`, read in `zone`: local minute -> year bitmask.

    Days on which the zone changes its offset are left out: the caller says so.
    """
    table = _zone_days(zone)
    out: dict[int, int] = {}
    for offset, steady in table.utc:
        part = days & steady
        if part:
            moved = slot + offset
            at = moved % DAY
            out[at] = out.get(at, 0) | _shift(part, moved // DAY)
    for i in _bits(days & table.utc_changes):
        utc_day = AXIS_START + timedelta(days=i)
        moment = datetime.combine(utc_day, time(slot // 60, slot % 60), tzinfo=UTC)
        local = moment.astimezone(zone)
        index = (local.date() - AXIS_START).days
        if 0 <= index < AXIS_DAYS:
            out[_slot(local)] = out.get(_slot(local), 0) | 1 << index
    year = {at: _year(mask & ~table.local_changes) for at, mask in out.items()}
    return {at: mask for at, mask in year.items() if mask}


def _year(axis_mask: int) -> int:
    return (axis_mask >> MARGIN) & YEAR_BITS


# --------------------------------------------------------------------------- pile-ups


class Spike(NamedTuple):
    """A UTC minute of the day in which more jobs than the threshold fire in one
    environment, on the days of `days` (axis bitmask)."""

    environment: str | None
    slot: int
    days: int
    jobs: tuple[int, ...]  # indices into the job list, by location


class Stretch(NamedTuple):
    """Minutes of the day with the same jobs piling up on the same days, in one time zone."""

    environments: tuple[str | None, ...]  # (None,) when no environment is known
    zone: str  # "UTC" or the jobs' common zone: `slots` and `days` are in it
    slots: tuple[int, ...]  # minutes of the day
    days: int  # year bitmask (bit 0 = January 1) of the days it happens
    jobs: tuple[int, ...]  # by location
    job_days: tuple[int, ...]  # per job, the days of `days` on which it is part of it
    peak: int  # the most jobs in one of its minutes
    unjudged: int  # year bitmask of days left out: `zone` changes its offset on them
    spikes: tuple[int, ...]  # the UTC spikes it is read from (`Pileups.spikes` indices)

    def steady(self) -> list[int]:
        """The jobs that are part of it on every one of its days."""
        return [j for j, d in zip(self.jobs, self.job_days, strict=True) if d == self.days]


class PileUp(NamedTuple):
    """What one BGT033 finding reports: the pile-ups whose first job is the same."""

    stretches: tuple[Stretch, ...]  # the largest first
    jobs: tuple[int, ...]  # every job of every stretch, by location

    @property
    def first(self) -> int:
        return self.jobs[0]

    @property
    def spikes(self) -> tuple[int, ...]:
        return tuple(sorted({n for stretch in self.stretches for n in stretch.spikes}))


class Pileups(NamedTuple):
    threshold: int
    groups: tuple[PileUp, ...]
    spikes: tuple[Spike, ...]

    def minutes(
        self, first: date, days: int, groups: Iterable[PileUp] | None = None
    ) -> dict[int, tuple[int, ...]]:
        """Minute (from `first` 00:00 UTC, within `days` days) -> the jobs piling up then
        (the largest pile-up when several environments have one), for every group or for
        the `groups` given."""
        out: dict[int, tuple[int, ...]] = {}
        start = (first - AXIS_START).days
        chosen = (
            self.spikes
            if groups is None
            else [self.spikes[n] for n in sorted({n for g in groups for n in g.spikes})]
        )
        for spike in chosen:
            for day in range(days):
                index = start + day
                if 0 <= index < AXIS_DAYS and spike.days >> index & 1:
                    minute = day * DAY + spike.slot
                    if len(spike.jobs) > len(out.get(minute, ())):
                        out[minute] = spike.jobs
        return dict(sorted(out.items()))


class _Plan:
    """The jobs with what every step asks of them many times, worked out once."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self.jobs = jobs
        order = sorted(range(len(jobs)), key=lambda i: _where(jobs, i))
        self.rank = [0] * len(jobs)
        for position, i in enumerate(order):
            self.rank[i] = position
        self.zones: dict[int, tuple[str, tzinfo]] = {}
        self.fires: dict[int, tuple[tuple[int, int], ...]] = {}

    def ordered(self, indices: Iterable[int]) -> tuple[int, ...]:
        """`indices` by the location of their jobs."""
        return tuple(sorted(indices, key=self.rank.__getitem__))

    def zone(self, i: int) -> tuple[str, tzinfo]:
        if i not in self.zones:
            schedule = self.jobs[i].schedule
            assert schedule is not None
            self.zones[i] = schedules.schedule_zone(schedule)
        return self.zones[i]

    def utc_fires(self, i: int) -> tuple[tuple[int, int], ...]:
        if i not in self.fires:
            schedule = self.jobs[i].schedule
            assert schedule is not None and schedule.cron is not None
            self.fires[i] = utc_fires(schedule.cron, *self.zone(i))
        return self.fires[i]


def _spikes(env: str | None, members: list[int], plan: _Plan, threshold: int) -> Iterator[Spike]:
    # Jobs on the same schedule share one expansion (`utc_fires` is cached): add each once.
    same: dict[int, tuple[tuple[tuple[int, int], ...], list[int]]] = {}
    for i in members:
        fires = plan.utc_fires(i)
        same.setdefault(id(fires), (fires, []))[1].append(i)
    by_slot: dict[int, dict[int, list[int]]] = {}
    for fires, jobs in same.values():
        for slot, mask in fires:
            by_slot.setdefault(slot, {}).setdefault(mask, []).extend(jobs)
    for slot in sorted(by_slot):
        masks = by_slot[slot]
        left = sum(len(v) for v in masks.values())
        if left <= threshold:
            continue
        # Split the days by which jobs fire on them; drop a split that cannot get past
        # the threshold any more.
        parts: list[tuple[int, list[int]]] = [(AXIS, [])]
        for mask, firing in sorted(masks.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            left -= len(firing)
            split: list[tuple[int, list[int]]] = []
            for days, piled in parts:
                inside, outside = days & mask, days & ~mask
                if inside and len(piled) + len(firing) + left > threshold:
                    split.append((inside, piled + firing))
                if outside and len(piled) + left > threshold:
                    split.append((outside, piled))
            parts = split
        for days, piled in parts:
            if len(piled) > threshold:
                yield Spike(env, slot, days, plan.ordered(piled))


class _Cell:
    """One minute of the day in one zone and environment: the piled-up jobs and their days."""

    __slots__ = ("piles", "spikes")

    def __init__(self) -> None:
        self.piles: dict[tuple[int, ...], int] = {}
        self.spikes: set[int] = set()  # where it comes from

    def shape(self, zone: str, plan: _Plan) -> _Shape:
        days = 0
        for found in self.piles.values():
            days |= found
        peak = max(len(jobs) for jobs in self.piles)
        if len(self.piles) == 1:  # the usual case: the same jobs every day
            (jobs,) = self.piles
            return _Shape(zone, jobs, days, (days,) * len(jobs), peak)
        per_job: dict[int, int] = {}
        for jobs, found in self.piles.items():
            for i in jobs:
                per_job[i] = per_job.get(i, 0) | found
        piled = plan.ordered(per_job)
        return _Shape(zone, piled, days, tuple(per_job[i] for i in piled), peak)


class _Shape(NamedTuple):
    """A stretch but for its minutes and environments."""

    zone: str
    jobs: tuple[int, ...]
    days: int
    job_days: tuple[int, ...]
    peak: int


def _stretches(spikes: Sequence[Spike], plan: _Plan) -> list[Stretch]:
    # 1. Each spike read in the zone its jobs share (else UTC), minute by minute of that zone.
    cells: dict[tuple[str, str, int], tuple[str | None, _Cell]] = {}
    zones: dict[str, tzinfo] = {}
    shared: dict[tuple[int, ...], tuple[str, tzinfo]] = {}
    for number, spike in enumerate(spikes):
        if spike.jobs not in shared:
            named = {plan.zone(i) for i in spike.jobs}
            shared[spike.jobs] = named.pop() if len(named) == 1 else ("UTC", UTC)
        name, zone = shared[spike.jobs]
        zones[name] = zone
        if name == "UTC":
            local = {spike.slot: _year(spike.days)} if _year(spike.days) else {}
        else:
            local = _in_zone(spike.slot, spike.days, zone)
        for at, days in local.items():
            env = spike.environment
            _, cell = cells.setdefault((env or "", name, at), (env, _Cell()))
            cell.piles[spike.jobs] = cell.piles.get(spike.jobs, 0) | days
            cell.spikes.add(number)
    # 2. Minutes with the same jobs on the same days are one stretch, per environment ...
    minutes: dict[tuple[str | None, _Shape], tuple[list[int], set[int]]] = {}
    for (_env, name, at), (env, cell) in sorted(cells.items()):
        at_minutes, sources = minutes.setdefault((env, cell.shape(name, plan)), ([], set()))
        at_minutes.append(at)
        sources |= cell.spikes
    # 3. ... and the same stretch in several environments is one that names them all.
    merged: dict[tuple[object, ...], tuple[list[str | None], _Shape, tuple[int, ...], set[int]]]
    merged = {}
    for (env, shape), (found, sources) in minutes.items():
        where = tuple(plan.jobs[i].location for i in shape.jobs)
        ident = (shape.zone, where, shape.days, shape.job_days, shape.peak, tuple(found))
        envs, _, _, origin = merged.setdefault(ident, ([], shape, tuple(found), set()))
        envs.append(env)
        origin |= sources
    out = []
    for envs, shape, slots, origin in merged.values():
        changes = 0 if shape.zone == "UTC" else _zone_days(zones[shape.zone]).local_changes
        out.append(
            Stretch(
                environments=tuple(envs),
                zone=shape.zone,
                slots=slots,
                days=shape.days,
                jobs=shape.jobs,
                job_days=shape.job_days,
                peak=shape.peak,
                unjudged=_year(changes),
                spikes=tuple(sorted(origin)),
            )
        )
    return out


def find(jobs: Sequence[Job], threshold: int) -> Pileups:
    """Every pile-up of `jobs` (the project's, in inventory order) above `threshold`."""
    envs = environments(jobs)
    plan = _Plan(jobs)
    spikes: list[Spike] = []
    for env, members in instances(jobs, envs, can_pile_up).items():
        if len(members) > threshold:
            spikes.extend(_spikes(env, members, plan, threshold))
    by_first: dict[Location, list[Stretch]] = {}
    for stretch in _stretches(spikes, plan):
        by_first.setdefault(jobs[stretch.jobs[0]].location, []).append(stretch)
    groups = []
    for _first, stretches in sorted(by_first.items()):
        stretches.sort(key=lambda s: (-s.peak, -s.days.bit_count(), s.slots, s.zone))
        union = {i for s in stretches for i in s.jobs}
        groups.append(PileUp(tuple(stretches), plan.ordered(union)))
    return Pileups(threshold, tuple(groups), tuple(spikes))


# --------------------------------------------------------------------------- words

_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


class _Year(NamedTuple):
    weekdays: tuple[int, ...]  # Monday = 0: year bitmask of its days
    dom: tuple[int, ...]  # index 1..31
    months: tuple[int, ...]  # index 1..12
    last: int  # the last day of every month


@lru_cache(maxsize=1)
def _year_masks() -> _Year:
    weekdays = [0] * 7
    dom = [0] * 32
    months = [0] * 13
    last = 0
    for i in range(YEAR_DAYS):
        day = date(YEAR, 1, 1) + timedelta(days=i)
        weekdays[day.weekday()] |= 1 << i
        dom[day.day] |= 1 << i
        months[day.month] |= 1 << i
        if (day + timedelta(days=1)).month != day.month:
            last |= 1 << i
    return _Year(tuple(weekdays), tuple(dom), tuple(months), last)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _covering(days: int, units: Sequence[int], judged: int) -> list[int] | None:
    """The units (weekday or day-of-month masks) whose union is exactly `days`."""
    chosen = [n for n, unit in enumerate(units) if unit & judged and not unit & judged & ~days]
    union = 0
    for n in chosen:
        union |= units[n]
    return chosen if chosen and union & judged == days else None


def _dates(days: int) -> str:
    runs: list[tuple[int, int]] = []
    for i in _bits(days):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))

    def text(i: int) -> str:
        day = date(YEAR, 1, 1) + timedelta(days=i)
        return f"{schedules.MONTH_NAMES[day.month - 1][:3]} {day.day}"

    shown = [text(a) if a == b else f"{text(a)} to {text(b)}" for a, b in runs[:4]]
    return ", ".join(shown) + (", …" if len(runs) > 4 else "")


def describe_days(days: int, unjudged: int = 0) -> str:
    """How often: daily / weekly on Sundays / monthly on the 1st / on N days a year (...).

    `unjudged` days (a time zone's offset changes) are left out of the comparison.
    """
    judged = YEAR_BITS & ~unjudged
    if not days & judged:
        judged = YEAR_BITS
    days &= judged
    year = _year_masks()
    if days == judged:
        return "daily"
    weekdays = _covering(days, year.weekdays, judged)
    if weekdays == [0, 1, 2, 3, 4]:
        return "on weekdays (Monday to Friday)"
    if weekdays == [5, 6]:
        return "at weekends"
    if weekdays is not None:
        return "weekly on " + _and([_WEEKDAYS[n] for n in weekdays])
    doms = _covering(days, year.dom, judged)
    if doms is not None:
        return "monthly on the " + _and([_ordinal(n) for n in doms])
    if days == year.last & judged:
        return "monthly on the last day"
    both = _weekday_and_dom(days, year, judged)
    if both is not None:
        return both
    months = [m for m in range(1, 13) if days & year.months[m]]
    if all(days & year.months[m] == judged & year.months[m] for m in months):
        where = _and([schedules.MONTH_NAMES[m - 1] for m in months])
        return f"daily in {where} ({days.bit_count()} days a year)"
    per_month = {
        m: _covering(days & year.months[m], year.dom, judged & year.months[m]) for m in months
    }
    if all(found is not None for found in per_month.values()):
        kinds = {tuple(found or ()) for found in per_month.values()}
        if len(kinds) == 1 and len(doms_in := list(kinds.pop())) <= 3:
            where = _and([schedules.MONTH_NAMES[m - 1] for m in months])
            if len(months) == 1 and len(doms_in) == 1:
                return f"yearly on {where} {doms_in[0]}"
            count = days.bit_count()
            return f"on the {_and([_ordinal(n) for n in doms_in])} of {where} ({count} days a year)"
    return f"on {days.bit_count()} days a year ({_dates(days)})"


def _weekday_and_dom(days: int, year: _Year, judged: int) -> str | None:
    """'on the 3rd of a month when it is a Sunday (Mar 3 and Nov 3 in 2024)': the days that
    are both one of some days of the month and one of some weekdays (a monthly job meeting
    a weekly one), which no single year's dates describe in general."""
    weekdays = [n for n in range(7) if days & year.weekdays[n]]
    doms = [n for n in range(1, 32) if days & year.dom[n]]
    if len(weekdays) == 7 or len(weekdays) > 3 or len(doms) > 3:
        return None
    on_weekdays = on_doms = 0
    for n in weekdays:
        on_weekdays |= year.weekdays[n]
    for n in doms:
        on_doms |= year.dom[n]
    if on_weekdays & on_doms & judged != days:
        return None
    which_doms = " or ".join(_ordinal(n) for n in doms)
    which_days = " or ".join(_WEEKDAYS[n][:-1] for n in weekdays)
    count = days.bit_count()
    return (
        f"on the {which_doms} of a month when it is a {which_days} "
        f"({count} day{'s' if count > 1 else ''} in {YEAR}: {_dates(days)})"
    )


def _hhmm(slot: int) -> str:
    return f"{slot // 60:02d}:{slot % 60:02d}"


def describe_times(slots: Sequence[int], zone: str) -> str:
    """When in the day: "at 03:00 UTC", "every hour at :15 UTC", "at 00:00 and 12:00 UTC"."""
    if len(slots) == 1:
        return f"at {_hhmm(slots[0])} {zone}"
    minutes = {slot % 60 for slot in slots}
    if len(slots) == 24 and len(minutes) == 1:
        return f"every hour at :{minutes.pop():02d} {zone}"
    if len(slots) <= 4:
        return f"at {_and([_hhmm(s) for s in slots])} {zone}"
    return (
        f"at {_hhmm(slots[0])}, {_hhmm(slots[1])}, … {_hhmm(slots[-1])} {zone} "
        f"({len(slots)} times a day)"
    )


def describe(stretch: Stretch) -> str:
    """How often and when: "monthly on the 1st at 03:00 UTC", "hourly at :00 UTC"."""
    days = describe_days(stretch.days, stretch.unjudged)
    times = describe_times(stretch.slots, stretch.zone)
    if days == "daily" and times.startswith("every hour "):
        return "hourly " + times.removeprefix("every hour ")
    return f"{days} {times}"


def describe_environments(stretch: Stretch) -> str:
    """Where, as said after a pile-up: ` in clusters/c1`, ` in environments a and b`; empty
    when none is known."""
    named = [env for env in stretch.environments if env is not None]
    if not named:
        return ""
    if len(named) == 1:
        return f" in environment {named[0]}"
    return f" in environments {_and(named)}"
