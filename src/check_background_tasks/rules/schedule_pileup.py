"""Pile-ups (BGT033): more jobs than the threshold fire in the same minute.

The counting lives in `pileups` (shared with the HTML report's pile-up card and load strip);
this module turns each pile-up group into one finding at its first job, with the others as
related locations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..config import Config
from ..link import Project
from ..model import Finding, Job
from .registry import Rule, rule

if TYPE_CHECKING:
    from ..pileups import PileUp, Stretch

MAX_LISTED = 8  # jobs named in a message; the related locations carry them all
MAX_PART_TIME = 3  # jobs that join on some of the days only, spelled out
MAX_MORE = 2  # further pile-ups of the same first job spelled out


def label(job: Job) -> str:
    """'name' (file:line): a job and where it is declared."""
    what = f"'{job.name}'" if job.name else f"`{job.target or '?'}`"
    return f"{what} ({job.location.file}:{job.location.line})"


def _listed(jobs: Sequence[Job]) -> str:
    shown = ", ".join(label(job) for job in jobs[:MAX_LISTED])
    more = len(jobs) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _zone_note(job: Job, zone: str) -> str:
    from ..schedules import schedule_zone

    assert job.schedule is not None
    own, _ = schedule_zone(job.schedule)
    return f", {own} time" if own != zone else ""


def how_many(stretch: Stretch) -> str:
    """'6 jobs', or 'up to 8 jobs' when some join on part of the days only."""
    if len(stretch.steady()) == len(stretch.jobs):
        return f"{stretch.peak} jobs"
    return f"up to {stretch.peak} jobs"


def part_time(stretch: Stretch, i: int, jobs: Sequence[Job]) -> str:
    """A job that joins on some of the days: 'x' (file:line, its zone) on <those days>."""
    from ..pileups import describe_days

    job = jobs[i]
    days = stretch.job_days[stretch.jobs.index(i)]
    where = f"{job.location.file}:{job.location.line}{_zone_note(job, stretch.zone)}"
    what = f"'{job.name}'" if job.name else f"`{job.target or '?'}`"
    return f"{what} ({where}) {describe_days(days, stretch.unjudged)}"


def _stretch_text(
    stretch: Stretch, jobs: Sequence[Job], named: set[int], threshold: int | None = None
) -> str:
    from ..pileups import describe, describe_environments

    text = f"{how_many(stretch)} fire in the same minute{describe_environments(stretch)}, "
    text += describe(stretch)
    if threshold is not None:
        text += f" (threshold {threshold})"
    steady = stretch.steady()
    listed = [i for i in steady if i not in named]
    if listed:
        # A later pile-up of the same first job names only the jobs not named before.
        text += (", including " if named else ": ") + _listed([jobs[i] for i in listed])
    joining = [i for i in stretch.jobs if i not in steady and i not in named]
    for i in joining[:MAX_PART_TIME]:
        text += f"; with {part_time(stretch, i, jobs)}"
    if len(joining) > MAX_PART_TIME:
        text += f"; and {len(joining) - MAX_PART_TIME} more jobs on some of those days"
    named.update(stretch.jobs)
    return text


def message(group: PileUp, jobs: Sequence[Job], threshold: int) -> str:
    """The finding's text (also the pile-up card's), without the advice."""
    named: set[int] = set()
    first, *others = group.stretches
    text = _stretch_text(first, jobs, named, threshold)
    for stretch in others[:MAX_MORE]:
        text += "; also " + _stretch_text(stretch, jobs, named)
    more = len(others) - MAX_MORE
    if more > 0:
        text += f"; and {more} more pile-up{'s' if more > 1 else ''} of these jobs"
    return text


@rule(
    "BGT033",
    "schedule-pileup",
    "info",
    "more than N jobs fire in the same minute",
)
def schedule_pileup(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    jobs = [linked.job for linked in project.jobs]
    if sum(1 for job in jobs if job.schedule is not None and job.schedule.cron) <= (
        config.pileup_threshold
    ):
        return
    from ..pileups import find  # cronsim and zoneinfo: only when there is a plan to expand

    for group in find(jobs, config.pileup_threshold).groups:
        piled = [jobs[i] for i in group.jobs]
        yield self.finding(
            f"{message(group, jobs, config.pileup_threshold)}; stagger their schedules so they "
            "do not compete for workers and the database",
            jobs[group.first].location,
            related=[job.location for job in piled],
            basis="|".join(sorted(f"{job.kind}:{job.name}:{job.target}" for job in piled)),
        )
