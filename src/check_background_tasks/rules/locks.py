"""Jobs that run on every replica: unlocked periodic jobs (BGT020), import-time starts (BGT023)."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..link import Project
from ..model import FileFacts, Finding, Location
from .registry import Rule, rule

# Kinds whose scheduler lives inside every app process. Celery beat and the taskiq
# scheduler are separate processes meant to run once (scaling them is BGT024); arq
# cron jobs are unique across workers by default; huey's periodic tasks run in the
# consumer (scaling it is BGT024).
IN_PROCESS_KINDS = frozenset({"apscheduler", "apscheduler4"})
SCHEDULER_KINDS = frozenset({"apscheduler", "apscheduler4", "locked_scheduler"})


@rule(
    "BGT020",
    "unlocked-periodic-job",
    "warning",
    "an in-app periodic job has no distributed lock, so every replica runs it",
)
def unlocked_periodic_job(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for linked in project.jobs:
        job = linked.job
        if job.kind not in IN_PROCESS_KINDS or not job.periodic or job.locked is not False:
            continue
        if linked.raw.target.how == "variable":
            continue  # a wrapper's parameter: the jobs are at its call sites
        if str(dict(job.extra).get("scheduler_class", "")).endswith("BlockingScheduler"):
            continue  # a dedicated clock process (Heroku's clock.py), not the web app
        label = f"'{job.name}'" if job.name else f"`{job.target}`"
        func = (job.target or "?").rpartition(".")[2]
        if linked.definition is None:
            why = f"{func} is not defined in the scanned code, so no lock could be seen"
        else:
            why = f"{func} takes no distributed lock"
        yield self.finding(
            f"Job {label} runs on every replica: {why}; register it with locked_scheduler "
            "(one run per tick) or guard it with a distributed lock (`with redis.lock(...)`)",
            job.location,
            basis=f"{job.kind}|{job.name}|{job.target}",
        )


def _scheduler_kind(receiver: str, ff: FileFacts, project: Project) -> tuple[bool, str | None]:
    """(is it a scheduler?, its kind when known) for the receiver of an import-time start()."""
    head, _, rest = receiver.partition(".")
    kind = ff.receivers.get(receiver)
    if kind is not None:
        return kind in SCHEDULER_KINDS, kind
    dotted = ff.imports.get(head)
    if dotted is not None:
        dotted = f"{dotted}.{rest}" if rest else dotted
        module, _, name = dotted.rpartition(".")
        defining = project.modules.get(module)
        if defining is not None and name in defining.receivers:
            found = defining.receivers[name]
            return found in SCHEDULER_KINDS, found
    # Defined outside the scanned code: trust a scheduler-like name only.
    return "sched" in receiver.rpartition(".")[2].lower(), None


@rule(
    "BGT023",
    "scheduler-started-at-import",
    "warning",
    "scheduler.start() runs at module import, so every worker process starts its own",
)
def scheduler_started_at_import(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for ff in project.facts:
        for line, column, receiver, scheduler_class in ff.scheduler_starts:
            if scheduler_class.endswith("BlockingScheduler"):
                continue  # a dedicated clock process: starting it is the module's purpose
            is_scheduler, _kind = _scheduler_kind(receiver, ff, project)
            if not is_scheduler:
                continue
            yield self.finding(
                f"Scheduler `{receiver}` is started at import time: every process that imports "
                f"{ff.module or ff.path} (each web or Celery worker, tests, scripts) starts its "
                "own; call start() from the app's start-up hook (lifespan) or a dedicated "
                "process",
                Location(ff.path, line, column),
                basis=f"{ff.module or ff.path}|{receiver}",
            )
        yield from _started_by_import_call(self, ff, project)


def _started_by_import_call(self: Rule, ff: FileFacts, project: Project) -> Iterator[Finding]:
    """`scheduler = Scheduler()` at module level, whose __init__ starts one (or a function
    called at module level that does): one call deep, through the project's own code."""
    from .import_time import import_time_starts  # the lookup lives with its own tests

    for line, column, callee, fn, defined_in in import_time_starts(ff, project):
        assert fn.starts_scheduler is not None
        receiver, start_line, start_column = fn.starts_scheduler
        yield self.finding(
            f"`{callee}()` runs at import time and starts scheduler `{receiver}` "
            f"({fn.qualname} calls start() at {defined_in.path}:{start_line}): every process "
            f"that imports {ff.module or ff.path} (each web or Celery worker, tests, scripts) "
            "starts its own; call start() from the app's start-up hook (lifespan) or a "
            "dedicated process",
            Location(ff.path, line, column),
            related=[Location(defined_in.path, start_line, start_column)],
            basis=f"{ff.module or ff.path}|{callee}()",
        )
