"""Two periodic jobs that take the same lock (BGT026)."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..link import LinkedJob, Project
from ..model import Finding
from .registry import Rule, rule

# locked_scheduler's claims are per job and tick (the key is derived from the job id).
OWN_CLAIMS = frozenset({"locked_scheduler", "locked_scheduler_dynamic"})


def _label(linked: LinkedJob) -> str:
    job = linked.job
    name = f"'{job.name}'" if job.name else f"`{job.target or '?'}`"
    return f"{name} ({job.location.file}:{job.location.line})"


@rule(
    "BGT026",
    "shared-lock-name",
    "warning",
    "two periodic jobs take the same lock name, so one is skipped whenever the other runs",
)
def shared_lock_name(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    by_key: dict[str, dict[str, LinkedJob]] = {}
    for linked in project.jobs:
        job = linked.job
        key = job.lock_key
        if not job.periodic or not job.locked or not key or job.kind in OWN_CLAIMS:
            continue
        if "{}" in key:
            continue  # an f-string: the name is only known at run time
        # One definition scheduled twice takes its own lock twice: that is BGT003's.
        by_key.setdefault(key, {}).setdefault(job.target or repr(job.location), linked)
    for key, jobs in sorted(by_key.items()):
        if len(jobs) < 2:
            continue
        chosen = sorted(jobs.values(), key=lambda lj: lj.job.location)
        names = ", ".join(_label(lj) for lj in chosen[:-1]) + f" and {_label(chosen[-1])}"
        yield self.finding(
            f"Jobs {names} take the same lock '{key}': while one holds it the other cannot "
            "take it, so it is skipped (or waits) whenever their runs meet; give each job "
            "a lock name of its own, unless they must never overlap",
            chosen[0].job.location,
            related=[lj.job.location for lj in chosen],
            basis=f"{key}|" + "|".join(sorted(jobs)),
        )
