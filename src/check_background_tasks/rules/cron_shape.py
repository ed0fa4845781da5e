"""Crons that do not do what they seem to say: bursts and uneven steps (BGT034)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ..config import Config
from ..cron_patterns import shapes
from ..link import Project
from ..model import Finding, Job
from .registry import Rule, rule


@rule(
    "BGT034",
    "bursting-or-uneven-cron",
    "warning",
    "every minute inside restricted hours/days (`* */6 * * *`), or a step that does not "
    "divide its range (`*/40`)",
)
def bursting_or_uneven_cron(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    seen: set[tuple[object, str]] = set()
    for linked in project.jobs:
        job = linked.job
        schedule = job.schedule
        if schedule is None or not schedule.cron or schedule.error or not schedule.resolved:
            continue
        if never_fires(job):
            continue  # a suspended CronJob: what its schedule would do is not happening
        if (job.location, schedule.cron) in seen:
            continue  # one decorator with the same cron twice is one finding
        seen.add((job.location, schedule.cron))
        found = shapes(schedule.cron, schedule.text)
        if not found:
            continue
        label = f"'{job.name}'" if job.name else f"`{job.target or '?'}`"
        parts = [f"{shape.pattern}: {shape.advice}" for shape in found]
        finding = self.finding(
            f"Schedule `{schedule.text}` of job {label} " + "; it also ".join(parts),
            job.location,
            basis=f"{job.kind}|{job.name}|{job.target}|{schedule.cron}",
        )
        # `*/7` minutes (gaps of 7, then 4): true, but seldom worth changing
        yield replace(finding, severity="info") if all(s.mild for s in found) else finding


def never_fires(job: Job) -> bool:
    """A CronJob suspended where it is declared (or in what the deploy stage rendered), or
    one whose schedule names a date that never comes."""
    return suspended(job) or run_by_hand(job)


def suspended(job: Job) -> bool:
    extra = dict(job.extra)
    return extra.get("suspend") is True or extra.get("suspended") is True


def run_by_hand(job: Job) -> bool:
    """A Kubernetes CronJob given a date that never comes (`0 0 30 2 *`): the common way to
    keep a job that only ever runs when started by hand (`kubectl create job
    --from=cronjob/NAME`). The controller starts nothing, as if it were suspended."""
    schedule = job.schedule
    return (
        job.kind == "k8s_cronjob"
        and schedule is not None
        and "never occur" in (schedule.error or "")
    )
