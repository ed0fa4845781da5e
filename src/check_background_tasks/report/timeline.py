"""The data behind the HTML report: fire times, bands, load per minute, duplicate groups.

Everything is drawn over a fixed reference window (`schedules.expansion_window`, which
starts on Monday 2024-01-01 00:00 UTC), so the same repository always gives the same
report. Interval schedules have no static anchor: their grid starts at the window start.

The report says what `check` says: pile-ups are `pileups.find`'s, the very groups BGT033
reports (over the whole reference year, per environment, suspended CronJobs left out), and
a job is marked "no lock" only where BGT020 reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .. import pileups, schedules
from ..link import Project
from ..link_loops import started_as
from ..model import TEMPLATED, Finding, Job, Location, Schedule

DUPLICATE_CODES = ("BGT001", "BGT002", "BGT003")  # linked rows
UNLOCKED_CODE = "BGT020"  # the "no lock" badge
PILEUP_CODE = "BGT033"  # the pile-up card and the red minutes of the load strip
# A row with more fires than this in a view is drawn as a band, not as single marks.
BAND_LIMIT = 360
# An interval with more fires than this in the window is not enumerated (always a band).
DENSE = 20_000
NEXT_FIRES = 5
DAY = 1440  # minutes

KIND_LABELS = {
    "apscheduler": "APScheduler",
    "locked_scheduler": "locked_scheduler",
    "celery_beat": "Celery beat",
    "k8s_cronjob": "Kubernetes CronJob",
    "taskiq": "taskiq",
    "huey": "huey",
    "arq": "arq",
    "create_task": "asyncio task (start-up)",
    "loop": "while True + sleep loop",
    "fastapi_background": "FastAPI background task",
}
KIND_COLOURS = {
    "apscheduler": "#2563eb",
    "locked_scheduler": "#0891b2",
    "celery_beat": "#16a34a",
    "k8s_cronjob": "#7c3aed",
    "taskiq": "#ea580c",
    "huey": "#ca8a04",
    "arq": "#db2777",
    "create_task": "#64748b",
    "loop": "#475569",
    "fastapi_background": "#0d9488",
}
OTHER_COLOUR = "#6b7280"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def kind_colour(kind: str) -> str:
    return KIND_COLOURS.get(kind, OTHER_COLOUR)


@dataclass
class Track:
    """One job's fires in one view: single marks or bands (both in minutes from the start)."""

    marks: list[float] = field(default_factory=list)
    bands: list[tuple[float, float]] = field(default_factory=list)
    count: int = 0


@dataclass
class Row:
    index: int  # position in the inventory (project.jobs)
    job: Job
    note: str  # what the timeline shows when there is nothing to draw, or the cadence
    tracks: dict[str, Track]  # view key -> track
    next_fires: list[str]
    group: str | None = None  # duplicate group label ("A", "B", ...)
    unlocked: bool = False  # BGT020 reports it: every process that starts it runs it

    @property
    def label(self) -> str:
        return self.job.name or self.job.target or self.job.kind


@dataclass
class View:
    key: str  # "day" | "week"
    title: str
    minutes: int
    load: list[tuple[int, int, int]]  # (first minute, minutes, jobs firing) runs, count > 0
    pileups: list[tuple[int, list[int]]]  # (minute, row indices) BGT033 reports
    peak: int
    environments: int = 1  # load is counted per environment; the strip shows the busiest


@dataclass
class DuplicateGroup:
    label: str
    rows: list[int]  # inventory indices
    codes: list[str]


@dataclass
class Timeline:
    start: datetime
    threshold: int
    rows: list[Row]  # display order (duplicates next to each other, unscheduled last)
    views: list[View]
    groups: list[DuplicateGroup]
    piles: list[pileups.PileUp] = field(default_factory=list)  # the card: BGT033's groups
    jobs: list[Job] = field(default_factory=list)  # inventory order


def _usable(schedule: Schedule | None) -> bool:
    return bool(
        schedule
        and schedule.resolved
        and schedule.error is None
        and (schedule.cron or schedule.interval_seconds or schedule.run_at)
    )


def _minutes(start: datetime, moment: datetime) -> float:
    return round((moment - start) / timedelta(minutes=1), 4)


def _fires(schedule: Schedule, start: datetime, end: datetime) -> list[datetime] | None:
    """Fire times in the window, or None for an interval too fast to list (a band)."""
    interval = schedule.interval_seconds
    if not schedule.cron and interval and (end - start).total_seconds() / interval > DENSE:
        return None
    return list(schedules.fire_times(schedule, start, end))


def _minute_of(start: datetime, moment: datetime) -> int:
    return (moment - start) // timedelta(minutes=1)


def _track(fires: list[datetime] | None, start: datetime, minutes: int) -> Track:
    if fires is None:
        return Track(bands=[(0.0, float(minutes))], count=DENSE)
    offsets = [m for m in (_minutes(start, t) for t in fires) if m < minutes]
    if len(offsets) <= BAND_LIMIT:
        return Track(marks=offsets, count=len(offsets))
    gap = minutes / BAND_LIMIT
    bands: list[tuple[float, float]] = []
    for fire in offsets:
        if bands and fire - bands[-1][1] <= gap:
            bands[-1] = (bands[-1][0], fire + 1)
        else:
            bands.append((fire, fire + 1))
    return Track(bands=[(a, min(b, float(minutes))) for a, b in bands], count=len(offsets))


def _cadence(schedule: Schedule | None, job: Job) -> str:
    suspend = dict(job.extra).get("suspend")
    if suspend is True:
        return "suspended (suspend: true): never fires"
    if suspend == TEMPLATED:
        return "suspend is set by a template: not drawn"
    if schedule is None:
        if started_as(job) == "create_task":
            return "started by the app, no schedule"
        if job.kind == "fastapi_background":
            return "runs after a request, no schedule"
        return "no schedule"
    if schedule.error:
        return f"invalid schedule: {schedule.error}"
    if not schedule.resolved:
        return "schedule only known at run time"
    if schedule.interval_seconds and not schedule.cron:
        return f"every {duration(schedule.interval_seconds)} (phase: from start-up)"
    if schedule.run_at and not schedule.cron:
        return f"once at {schedule.run_at}"
    if schedule.cron:
        zone = f" ({schedule.timezone})" if schedule.timezone else ""
        return f"cron {schedule.cron}{zone}"
    return "no static schedule"


def duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and float(seconds / size).is_integer():
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def _stamp(moment: datetime, tz: str | None) -> str:
    text = moment.strftime("%a %H:%M" if moment.second == 0 else "%a %H:%M:%S") + " UTC"
    if tz:
        try:
            local = moment.astimezone(ZoneInfo(tz))
        except Exception:
            return text
        if local.utcoffset():
            text += f" ({local.strftime('%H:%M')} {tz})"
    return text


def _next_fires(fires: list[datetime] | None, schedule: Schedule) -> list[str]:
    return [_stamp(moment, schedule.timezone) for moment in (fires or [])[:NEXT_FIRES]]


def _groups(jobs: Sequence[Job], findings: Sequence[Finding]) -> list[DuplicateGroup]:
    """Rows linked by duplicate findings (BGT001/002/003): a finding and its related locations."""
    by_line: dict[tuple[str, int], list[int]] = {}
    for index, job in enumerate(jobs):
        by_line.setdefault((job.location.file, job.location.line), []).append(index)
    parent = list(range(len(jobs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    codes: dict[int, set[str]] = {}
    for finding in findings:
        if finding.code not in DUPLICATE_CODES:
            continue
        members: list[int] = []
        for loc in (finding.location, *finding.related):
            members.extend(by_line.get((loc.file, loc.line), []))
        if len(members) < 2:
            continue
        first = root(members[0])
        for other in members[1:]:
            parent[root(other)] = first
        for member in members:
            codes.setdefault(member, set()).add(finding.code)
    clusters: dict[int, list[int]] = {}
    for index in sorted(codes):
        clusters.setdefault(root(index), []).append(index)
    out = []
    for n, members in enumerate(sorted(clusters.values())):
        found = sorted(set().union(*(codes[m] for m in members)))
        out.append(DuplicateGroup(_group_label(n), members, found))
    return out


def _group_label(n: int) -> str:
    label = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        label = chr(65 + rest) + label
    return label


def _load(
    views: list[tuple[str, str, int]],
    fired: dict[int, list[datetime] | None],
    start: datetime,
    firing: dict[str | None, list[int]],
    piled: dict[int, tuple[int, ...]],
) -> list[View]:
    """Jobs firing per minute in the busiest environment (each job once per environment, as
    BGT033 counts them; `firing`), and the minutes BGT033 reports (`piled`)."""
    minutes_of: dict[int, set[int] | None] = {
        index: None if fires is None else {_minute_of(start, t) for t in fires}
        for index, fires in fired.items()
    }
    out = []
    for key, title, minutes in views:
        per_minute: dict[int, int] = {}
        for members in firing.values():
            here: dict[int, int] = {}
            for index in members:
                used = minutes_of.get(index, set())
                for minute in range(minutes) if used is None else used:
                    if minute < minutes:
                        here[minute] = here.get(minute, 0) + 1
            for minute, count in here.items():
                per_minute[minute] = max(per_minute.get(minute, 0), count)
        runs: list[tuple[int, int, int]] = []
        for minute in sorted(per_minute):
            count = per_minute[minute]
            last = runs[-1] if runs else None
            if last and last[0] + last[1] == minute and last[2] == count:
                runs[-1] = (last[0], last[1] + 1, count)
            else:
                runs.append((minute, 1, count))
        marked = [(m, sorted(jobs)) for m, jobs in piled.items() if m < minutes]
        peak = max((c for _, _, c in runs), default=0)
        out.append(View(key, title, minutes, runs, marked, peak, len(firing)))
    return out


def _reported(findings: Sequence[Finding], code: str) -> set[tuple[str, int]]:
    """(file, line) of every location a finding of `code` names (its own and related)."""
    out: set[tuple[str, int]] = set()
    for finding in findings:
        if finding.code == code:
            out.update((loc.file, loc.line) for loc in (finding.location, *finding.related))
    return out


def _at(location: Location) -> tuple[str, int]:
    return location.file, location.line


def build(project: Project, findings: Sequence[Finding], threshold: int) -> Timeline:
    jobs = [linked.job for linked in project.jobs]
    usable = [j.schedule for j in jobs if j.schedule and _usable(j.schedule) and pileups.fires(j)]
    start, end = schedules.expansion_window(usable)
    start = start.astimezone(timezone.utc)
    views = [("day", "24 hours", DAY)]
    if (end - start) > timedelta(days=1):
        views.append(("week", "7 days", 7 * DAY))
    end = start + timedelta(minutes=views[-1][2])
    groups = _groups(jobs, findings)
    group_of = {i: g.label for g in groups for i in g.rows}
    unlocked = _reported(findings, UNLOCKED_CODE)
    rows: list[Row] = []
    fired: dict[int, list[datetime] | None] = {}
    for index, job in enumerate(jobs):
        schedule = job.schedule
        tracks: dict[str, Track] = {}
        nxt: list[str] = []
        if schedule is not None and _usable(schedule) and pileups.fires(job):
            fired[index] = fires = _fires(schedule, start, end)
            tracks = {key: _track(fires, start, minutes) for key, _, minutes in views}
            nxt = _next_fires(fires, schedule)
        rows.append(
            Row(
                index,
                job,
                _cadence(schedule, job),
                tracks,
                nxt,
                group_of.get(index),
                unlocked=_at(job.location) in unlocked,
            )
        )
    # The pile-ups BGT033 reports: the same computation, kept to the groups it reported.
    found = pileups.find(jobs, threshold)
    reported = _reported(findings, PILEUP_CODE)
    shown = [g for g in found.groups if _at(jobs[g.first].location) in reported]
    piled = found.minutes(start.date(), views[-1][2] // DAY, shown)
    firing = pileups.instances(jobs, pileups.environments(jobs), lambda job: True)
    firing = {env: [i for i in members if i in fired] for env, members in firing.items()}
    return Timeline(
        start=start,
        threshold=threshold,
        rows=_display_order(rows, groups),
        views=_load(views, fired, start, firing, piled),
        groups=groups,
        piles=shown,
        jobs=jobs,
    )


def _display_order(rows: list[Row], groups: list[DuplicateGroup]) -> list[Row]:
    """Inventory order, each duplicate group pulled together; rows with nothing to draw last."""
    members = {g.label: g.rows for g in groups}
    ordered: list[Row] = []
    placed: set[int] = set()
    for row in rows:
        if row.index in placed:
            continue
        chunk = [rows[i] for i in members[row.group]] if row.group else [row]
        for item in chunk:
            placed.add(item.index)
            ordered.append(item)
    drawn = [r for r in ordered if any(t.count for t in r.tracks.values())]
    rest = [r for r in ordered if not any(t.count for t in r.tracks.values())]
    if any(r.group for r in rest):  # keep a group together even when one member has no fires
        return ordered
    return drawn + rest
