"""Jobs that a persistent APScheduler job store keeps across restarts (BGT025).

A job store in a database outlives the process: what `add_job` put there at the last start
is still there at the next one. Added again at every start, a job with an id then clashes
with itself (ConflictingIdError, unless `replace_existing=True`), and a job without an id
gets a fresh random one, so the store holds one more copy per restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..link import LinkedJob, Project
from ..model import Finding, Location
from ..scheduler_config import UNKNOWN_VALUE, Scheduler
from .registry import Rule, rule


@dataclass(frozen=True)
class Added:
    """How a job was added: its store, whether it replaces, whether it checks first."""

    alias: str  # job store alias, or UNKNOWN_VALUE
    replace_existing: Any  # True, False or UNKNOWN_VALUE
    checked_first: bool  # inside `if scheduler.get_job(...)` or a try that catches it


def added(linked: LinkedJob) -> Added | None:
    """What the add_job call (or decorator) that declares the job says; None: not known."""
    location = linked.job.location
    for what, _receiver, value, line, column in linked.facts.job_calls:
        if what == "added" and (line, column) == (location.line, location.column):
            alias, replace, checked = value
            return Added(alias, replace, checked)
    extra = dict(linked.job.extra)
    if "via_wrapper" in extra:  # declared at a call of the project's own add_job wrapper
        return Added("default", extra.get("replace_existing", False), False)
    return None


def scheduler_of(linked: LinkedJob, project: Project) -> Scheduler | None:
    found = project.schedulers.of(linked.scheduler_key)
    cls = str(dict(linked.job.extra).get("scheduler_class", ""))
    flask = project.schedulers.flask
    if cls.startswith("flask_apscheduler") and (flask.stores or flask.stores_unknown):
        return flask  # Flask-APScheduler takes its stores from the app's config
    return found


def job_store(linked: LinkedJob, project: Project) -> tuple[str, str, Location | None, str]:
    """(persistent | memory | unknown, store class or plugin, where configured, alias)."""
    how = added(linked)
    scheduler = scheduler_of(linked, project)
    if how is None or scheduler is None or how.alias == UNKNOWN_VALUE:
        return "unknown", "", None, how.alias if how else "default"
    state, name, where = scheduler.store(how.alias)
    return state, name, where, how.alias


@rule(
    "BGT025",
    "persistent-store-re-adds-job",
    "error",
    "an APScheduler job is added at start-up to a persistent job store without "
    "`replace_existing=True`",
)
def persistent_store_re_adds_job(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for linked in project.jobs:
        job = linked.job
        if job.kind != "apscheduler" or not job.periodic:
            continue  # a one-off (date) job is gone once it ran
        if dict(job.extra).get("id_is_expression"):
            continue  # an id built at run time: added per request, not per start
        how = added(linked)
        if how is None or how.checked_first:
            continue
        state, name, where, alias = job_store(linked, project)
        if state != "persistent":
            continue
        store = f"the persistent job store '{alias}' ({name}"
        store += f", {where.file}:{where.line})" if where else ")"
        related = [where] if where else []
        if job.name is None:
            yield self.finding(
                f"Job `{job.target or '?'}` is added without an id to {store} at every start: "
                "APScheduler gives it a new random id each time and the store keeps the old "
                "ones, so each restart adds one more copy and it runs once more per tick; pass "
                "id='...' with replace_existing=True",
                job.location,
                related=related,
                basis=f"{job.kind}|{job.target}|no-id",
            )
        elif how.replace_existing is False:
            yield self.finding(
                f"Job '{job.name}' is added to {store} at every start without "
                f"replace_existing=True: the store still holds '{job.name}' from the last run, "
                "so from the second start on it raises ConflictingIdError (in start(), or in "
                "add_job once the scheduler runs); pass replace_existing=True",
                job.location,
                related=related,
                basis=f"{job.kind}|{job.name}",
            )
