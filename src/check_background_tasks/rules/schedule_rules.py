"""Schedule rules: invalid schedules (BGT030), missing ids (BGT031), unknown beat tasks
(BGT032). Pile-ups (BGT033) are in schedule_pileup.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ..config import Config
from ..link import LinkedJob, Project
from ..model import Finding
from .registry import Rule, rule

# extract/celery.py's mark for a name= only the run time knows (kept as text: a cached run
# imports no extractor)
UNKNOWN_TASK_NAME = "<unknown task name>"


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
    from .cron_shape import run_by_hand, suspended

    for linked in project.jobs:
        schedule = linked.job.schedule
        if schedule is None or not schedule.error:
            continue
        if run_by_hand(linked.job):
            if suspended(linked.job):
                # a suspended CronJob given a date that never comes (`0 0 31 2 *`, "run it
                # by hand"): both say the same thing on purpose; the syntax is valid
                continue
            # The usual idiom for a CronJob only ever started by hand, though it may be a
            # mistaken date: Kubernetes accepts it, so it is worth a word, not a failed build.
            name = linked.job.name or "?"
            finding = self.finding(
                f"Schedule `{schedule.text}` of CronJob '{name}' never fires "
                f"({schedule.error}), so the CronJob runs only when started by hand "
                f"(`kubectl create job --from=cronjob/{name}`); if that is the intent, also "
                "set `suspend: true` to say so, otherwise fix the date",
                linked.job.location,
                basis=f"{linked.job.kind}|{linked.job.name}|{schedule.text}",
            )
            yield replace(finding, severity="info")
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
    known = sorted(project.celery_task_names - {UNKNOWN_TASK_NAME})
    # A task whose name= only the run time knows (a constant from another module) may be
    # the one a beat entry names: no name can then be said to be unregistered.
    names_unknown = UNKNOWN_TASK_NAME in project.celery_task_names
    for linked in project.jobs:
        job = linked.job
        if job.kind != "celery_beat" or not job.target:
            continue
        if linked.definition is not None:
            renamed = linked.definition.celery_task_name
            if renamed == UNKNOWN_TASK_NAME:
                continue
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
        if target in project.celery_task_names or target in project.functions or names_unknown:
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
