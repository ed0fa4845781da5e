"""Time-zone rules: crons inside a daylight-saving transition (BGT035), a schedule without a
zone among siblings that all name one (BGT037)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone

from ..config import Config
from ..link import LinkedJob, Project
from ..model import Finding, Location
from .cron_shape import never_fires
from .registry import Rule, rule

# A job that fires in more hours a day than this runs often enough that one run more or
# less on a transition day changes nothing; daily, weekly and monthly jobs are the point.
MAX_HOURS_A_DAY = 6
UTC_NAMES = frozenset({"utc", "etc/utc", "gmt", "etc/gmt", "z", "zulu", "universal"})


def _today() -> date:
    """When 'the next transitions' start (a function, so tests can pin it)."""
    return datetime.now(timezone.utc).date()


def _label(linked: LinkedJob) -> str:
    job = linked.job
    return f"'{job.name}'" if job.name else f"`{job.target or '?'}`"


def _times(times: list[datetime]) -> str:
    shown = [f"{t:%H:%M}" for t in times[:4]]
    text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return text + (" ..." if len(times) > 4 else "")


@rule(
    "BGT035",
    "dst-transition-time",
    "warning",
    "a cron job in a DST time zone fires inside a transition (skipped or repeated)",
)
def dst_transition_time(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    from .. import dst  # zoneinfo and cronsim: only when a job names a zone
    from ..cron_patterns import HOUR, expand

    today = _today()
    seen: set[tuple[Location, str, str]] = set()
    for linked in project.jobs:
        schedule = linked.job.schedule
        if schedule is None or not schedule.cron or schedule.error or not schedule.resolved:
            continue
        zone = schedule.timezone
        if not zone or zone.strip().lower() in UTC_NAMES or never_fires(linked.job):
            continue
        key = (linked.job.location, schedule.cron, zone)
        if key in seen:
            continue
        seen.add(key)
        sets = expand(schedule.cron)
        if sets is None or len(sets[HOUR]) > MAX_HOURS_A_DAY:
            continue
        hits: dict[str, tuple[dst.Transition, list[datetime]]] = {}
        for transition in dst.transitions(zone, today):
            if transition.kind in hits:
                continue
            fires = dst.fires_inside(schedule.cron, transition)
            if fires:
                hits[transition.kind] = (transition, fires)
        if not hits:
            continue
        parts = []
        if "gap" in hits:
            transition, fires = hits["gap"]
            verb = "does" if len(fires) == 1 else "do"
            parts.append(
                f"{_times(fires)} {verb} not exist on {transition.day:%Y-%m-%d} (clocks jump "
                f"from {transition.start:%H:%M} to {transition.end:%H:%M})"
            )
        if "fold" in hits:
            transition, fires = hits["fold"]
            verb = "happens" if len(fires) == 1 else "happen"
            parts.append(
                f"{_times(fires)} {verb} twice on {transition.day:%Y-%m-%d} (clocks go back "
                f"from {transition.end:%H:%M} to {transition.start:%H:%M})"
            )
        windows = sorted({t.window() for t, _ in hits.values()})
        yield self.finding(
            f"Job {_label(linked)} (`{schedule.text}` in {zone}) fires inside a daylight-saving "
            f"transition: {' and '.join(parts)}; depending on the scheduler that run is "
            f"skipped, moved or doubled: move it outside {' and '.join(windows)} local time, "
            "or schedule it in UTC",
            linked.job.location,
            basis=f"{linked.job.kind}|{linked.job.name}|{linked.job.target}|{schedule.cron}|{zone}",
        )


# Kinds whose schedules can each name a zone, and what a schedule without one is read in.
ZONED_KINDS = {
    "taskiq": "UTC (taskiq's default)",
    "apscheduler": "the scheduler's zone (the host's local time: the scheduler names none)",
    "locked_scheduler": "the scheduler's zone (the host's local time: the scheduler names none)",
}


def _zone_of(linked: LinkedJob) -> str | None:
    """The zone a schedule names, as written (a taskiq timedelta offset counts)."""
    schedule = linked.job.schedule
    if schedule is not None and schedule.timezone:
        return schedule.timezone
    offset = dict(linked.job.extra).get("cron_offset")
    return f"cron_offset={offset}" if offset else None


@rule(
    "BGT037",
    "time-zone-mismatch",
    "warning",
    "a schedule without a time zone among siblings of the same scheduler that all set one",
)
def time_zone_mismatch(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    groups: dict[tuple[str, str], list[LinkedJob]] = {}
    for linked in project.jobs:
        job = linked.job
        schedule = job.schedule
        if job.kind not in ZONED_KINDS or not linked.scheduler_key or schedule is None:
            continue
        if not (schedule.cron or schedule.run_at) or schedule.error:
            continue  # an interval is as long in every zone
        groups.setdefault((job.kind, linked.scheduler_key), []).append(linked)
    for (kind, _key), members in groups.items():
        yield from _mismatches(self, kind, members)


def _mismatches(self: Rule, kind: str, members: list[LinkedJob]) -> Iterator[Finding]:
    zoned = [lj for lj in members if _zone_of(lj)]
    bare = [lj for lj in members if not _zone_of(lj)]
    if not zoned or not bare:
        return
    reported: set[Location] = set()
    for linked in bare:
        target = linked.job.target
        others = [lj for lj in members if lj.job.target != target]
        others_zoned = [lj for lj in others if _zone_of(lj)]
        if not others_zoned:
            continue
        all_others = len(others_zoned) == len(others)
        clear_majority = len(zoned) >= 3 and len(bare) * 3 <= len(zoned)
        if not (all_others or clear_majority):
            continue
        location = linked.job.location
        if location in reported:
            continue
        reported.add(location)
        schedules = [
            f"`{lj.job.schedule.text}`"
            for lj in bare
            if lj.job.location == location and lj.job.schedule is not None
        ]
        zones = sorted({str(_zone_of(lj)) for lj in others_zoned})
        first = min(lj.job.location for lj in others_zoned)
        receiver = linked.raw.scheduler or "its scheduler"
        who = "all" if all_others else f"{len(others_zoned)} of {len(others)}"
        one = len(schedules) == 1
        these = "Schedule" if one else "Schedules"
        verbs = ("names", "it is") if one else ("name", "they are")
        yield self.finding(
            f"{these} {', '.join(schedules)} of job {_label(linked)} {verbs[0]} no time zone, "
            f"so {verbs[1]} read in {ZONED_KINDS[kind]}, while {who} other schedules of "
            f"`{receiver}` name one ({', '.join(zones)}; e.g. {first.file}:{first.line}): if "
            f"the time is meant in that zone, give {'it' if one else 'them'} the zone too",
            location,
            related=[lj.job.location for lj in others_zoned],
            basis=f"{kind}|{receiver}|{target}",
        )
