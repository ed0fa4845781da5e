"""Schedule rules: invalid schedules (BGT030), missing ids (BGT031), unknown beat tasks
(BGT032), pile-ups (BGT033)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from ..config import Config
from ..link import LinkedJob, Project
from ..model import Finding, Job, Location
from .registry import Rule, rule

if TYPE_CHECKING:
    from datetime import datetime


def _label(linked: LinkedJob) -> str:
    job = linked.job
    return f"'{job.name}'" if job.name else f"`{job.target or '?'}`"


@rule(
    "BGT030",
    "invalid-schedule",
    "error",
    "a cron expression, crontab() or interval is invalid or zero",
)
def invalid_schedule(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for linked in project.jobs:
        schedule = linked.job.schedule
        if schedule is None or not schedule.error:
            continue
        yield self.finding(
            f"Schedule `{schedule.text}` of job {_label(linked)} is invalid: {schedule.error}; "
            "fix the expression, or the job never runs (or the scheduler refuses to start)",
            linked.job.location,
            basis=f"{linked.job.kind}|{linked.job.name}|{schedule.text}",
        )


@rule(
    "BGT031",
    "missing-job-id",
    "warning",
    "an APScheduler job has no explicit `id`",
)
def missing_job_id(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    from .job_store import job_store  # what a restart does depends on the job store

    for linked in project.jobs:
        job = linked.job
        if job.name is not None or not job.periodic:
            continue  # a one-off (date) job has nothing to replace on the next start
        if job.kind == "locked_scheduler":
            # locked_scheduler derives a stable id from module.qualname; only a callable
            # without a stable name (a lambda, an expression) needs one, and it refuses
            # those.
            if linked.raw.target.how != "unknown":
                continue
            lam = (job.target or "").startswith("lambda")
            consequence = (
                "a lambda has none, so registering it raises ValueError"
                if lam
                else "without one (a lambda, a partial) registering it raises ValueError"
            )
            yield self.finding(
                f"locked_scheduler job `{job.target or '?'}` has no explicit id, and its id is "
                f"derived from the callable's module and qualified name: {consequence}; "
                "pass id='...'",
                job.location,
                basis=f"{job.kind}|{job.target}",
            )
            continue
        if job.kind != "apscheduler":
            continue
        state, _name, _where, _alias = job_store(linked, project)
        if state == "persistent":
            continue  # the copy per restart is BGT025's (an error), not said twice
        # In memory the random id costs no duplicate: only a stable name to refer to.
        restart = (
            ""
            if state == "memory"
            else "; if its job store is persistent, each restart also adds a copy"
        )
        finding = self.finding(
            f"APScheduler job `{job.target or '?'}` has no explicit id: it gets a random one "
            "at every start, so logs, remove_job/reschedule_job and locks have no stable "
            f"name for it{restart}; pass id='...'",
            job.location,
            basis=f"{job.kind}|{job.target}",
        )
        yield replace(finding, severity="info")


def _project_has_celery(project: Project) -> bool:
    if project.celery_task_names:
        return True
    return any("celery_app" in ff.receivers.values() for ff in project.facts)


@rule(
    "BGT032",
    "unknown-beat-task",
    "warning",
    "a Celery beat entry names a task that no scanned code defines",
)
def unknown_beat_task(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    # Without a single Celery task or app in the scanned code we are looking at part of a
    # project (say, only its settings): every task would look unknown, so say nothing.
    if not _project_has_celery(project):
        return
    known = sorted(project.celery_task_names)
    for linked in project.jobs:
        job = linked.job
        if job.kind != "celery_beat" or not job.target:
            continue
        if linked.definition is not None:
            renamed = linked.definition.celery_task_name
            if linked.raw.target.how == "string" and renamed and renamed != linked.raw.target.value:
                yield self.finding(
                    f"Beat entry {_label(linked)} names task '{linked.raw.target.value}', but "
                    f"that function is registered as '{renamed}' (name=): the worker rejects "
                    f"it as unregistered; use '{renamed}'",
                    job.location,
                    basis=f"{job.name}|{linked.raw.target.value}",
                )
            continue
        how = linked.raw.target.how
        target = job.target
        if how not in ("string", "import"):
            continue
        if target in project.celery_task_names or target in project.functions:
            continue
        if target.startswith("celery."):
            continue  # built-in tasks such as celery.backend_cleanup
        if how == "import" and not _module_scanned(target, project):
            continue  # a task imported from an installed package
        import difflib  # only here: most runs never suggest a name

        close = difflib.get_close_matches(target, known, n=1, cutoff=0.8)
        hint = f"did you mean '{close[0]}'? " if close else ""
        yield self.finding(
            f"Beat entry {_label(linked)} names task '{target}', which no scanned code "
            f"defines: the worker rejects it as unregistered; {hint}use the task's registered "
            "name (`module.function` or its name=)",
            job.location,
            basis=f"{job.name}|{target}",
        )


def _module_scanned(dotted: str, project: Project) -> bool:
    parts = dotted.split(".")
    return any(".".join(parts[:i]) in project.modules for i in range(len(parts) - 1, 0, -1))


def can_pile_up(job: Job) -> bool:
    """A job on a cron schedule that does not fire in every minute anyway.

    Interval jobs are left out: their phase depends on when the scheduler started (or
    last ran), which no static reading knows, so placing them on the clock would invent
    pile-ups. A cron job firing every minute is constant load, not a coincidence of
    round-number schedules; counting it would make every minute a "pile-up".
    """
    schedule = job.schedule
    if not job.periodic or schedule is None or schedule.error or not schedule.resolved:
        return False
    return schedule.cron is not None and schedule.cron != "* * * * *"


def _minute(dt: datetime) -> str:
    return dt.strftime("%a %H:%M UTC")


@rule(
    "BGT033",
    "schedule-pileup",
    "info",
    "more than N jobs fire in the same minute",
)
def schedule_pileup(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    jobs = [lj for lj in project.jobs if can_pile_up(lj.job)]
    if len(jobs) <= config.pileup_threshold:
        return
    plan = [lj.job.schedule for lj in jobs if lj.job.schedule is not None]
    from .. import schedules  # cronsim and zoneinfo: only when there is a plan to expand

    start, end = schedules.expansion_window(plan)
    piles = schedules.pileups(plan, config.pileup_threshold, start, end)
    # One finding per job that opens a pile-up (the first of its jobs by location): the
    # largest pile-up it opens, and how many other minutes it opens one in.
    worst: dict[Location, tuple[list[int], datetime]] = {}
    minutes: dict[Location, int] = {}
    for minute, indices in piles:
        first = min(jobs[i].job.location for i in indices)
        minutes[first] = minutes.get(first, 0) + 1
        if first not in worst or len(indices) > len(worst[first][0]):
            worst[first] = (indices, minute)
    span = "week" if (end - start).days > 1 else "day"
    for location, (indices, minute) in sorted(worst.items()):
        chosen = sorted((jobs[i] for i in indices), key=lambda lj: lj.job.location)
        names = ", ".join(_label(lj) for lj in chosen[:6]) + (" ..." if len(chosen) > 6 else "")
        others = minutes[location] - 1
        plural = "s" if others > 1 else ""
        more = (
            f", and {others} more pile-up minute{plural} per {span}" if others else f" per {span}"
        )
        yield self.finding(
            f"{len(chosen)} jobs fire in the same minute (at {_minute(minute)}{more}; "
            f"threshold {config.pileup_threshold}): {names}; stagger their schedules so they "
            "do not compete for workers and the database",
            location,
            related=[lj.job.location for lj in chosen],
            basis="|".join(sorted(f"{lj.job.kind}:{lj.job.name}:{lj.job.target}" for lj in chosen)),
        )
