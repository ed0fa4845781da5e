"""Jobs that run in every process that starts their scheduler: unlocked periodic jobs
(BGT020), import-time starts (BGT023)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..config import Config
from ..deploy.processes import Placement, Verdict
from ..deploy.switches import Gate
from ..link import LinkedJob, Project
from ..model import FileFacts, Finding, Location, StartSite
from .process_wording import (
    at_most_info,
    exactly_one,
    not_stated,
    not_worked_out,
    started_only_where,
    switch_text,
)
from .registry import Rule, rule

# Kinds whose scheduler lives inside every app process. Celery beat and the taskiq
# scheduler are separate processes meant to run once (scaling them is BGT024); arq
# cron jobs are unique across workers by default; huey's periodic tasks run in the
# consumer (scaling it is BGT024).
IN_PROCESS_KINDS = frozenset({"apscheduler", "apscheduler4"})
SCHEDULER_KINDS = frozenset({"apscheduler", "apscheduler4", "locked_scheduler"})
SCHEDULER_PACKAGES = ("apscheduler", "locked_scheduler")


@rule(
    "BGT020",
    "unlocked-periodic-job",
    "warning",
    "an in-app periodic job has no distributed lock, so every replica runs it",
)
def unlocked_periodic_job(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    schedulers = project.processes
    unlocked: list[LinkedJob] = []
    for linked in project.jobs:
        job = linked.job
        if job.kind not in IN_PROCESS_KINDS or not job.periodic or job.locked is not False:
            continue
        if linked.raw.target.how == "variable":
            continue  # a wrapper's parameter: the jobs are at its call sites
        if str(dict(job.extra).get("scheduler_class", "")).endswith("BlockingScheduler"):
            continue  # a dedicated clock process (Heroku's clock.py), not the web app
        if _suppressed(project, job.location, self.code):
            continue  # accepted at its own line
        unlocked.append(linked)
    groups: dict[str, list[LinkedJob]] = {}
    for linked in unlocked:
        scheduler = schedulers.scheduler_of(linked) if schedulers is not None else None
        if scheduler is not None:
            key = scheduler.identity
        else:  # a scheduler handed in as a parameter: the same name in the same function
            raw = linked.raw
            key = f"local:{linked.facts.path}|{raw.enclosing}|{raw.scheduler or id(linked)}"
        groups.setdefault(key, []).append(linked)
    for key, jobs in groups.items():
        verdict = schedulers.job_verdict(jobs[0]) if schedulers is not None else None
        if verdict is not None and verdict.status == "one":
            continue  # safe while it runs as one process (the inventory says why)
        every = _periodic_jobs_of(project, schedulers, key)
        if len(jobs) >= 2 and len(jobs) == len(every):
            yield _scheduler_finding(self, project, key, jobs, verdict)
            continue
        for linked in jobs:
            yield _job_finding(self, linked, verdict)


def _why(linked: LinkedJob) -> str:
    func = (linked.job.target or "?").rpartition(".")[2]
    if linked.definition is None:
        return f"{func} is not defined in the scanned code, so no lock could be seen"
    return f"{func} takes no distributed lock"


FIX = (
    "register it with locked_scheduler (one run per tick) or guard it with a distributed "
    "lock (`with redis.lock(...)`)"
)


def _label(linked: LinkedJob) -> str:
    job = linked.job
    return f"'{job.name}'" if job.name else f"`{job.target}`"


def _job_finding(self: Rule, linked: LinkedJob, verdict: Verdict | None) -> Finding:
    job = linked.job
    runs = verdict.runs() if verdict is not None else None
    separator = ":"
    if verdict is not None and verdict.status == "many":
        runs = f"{runs}, so each tick runs it {verdict.count_text()}"
    elif verdict is not None and verdict.gate is not None and verdict.status == "unknown":
        runs = (
            "runs in every process that starts its scheduler, which is "
            f"{started_only_where(verdict.gate)}: {exactly_one(verdict)}"
        )
        separator = ";"
    elif verdict is not None and verdict.undeployed and verdict.status == "unknown":
        runs = (
            f"runs in every process that starts its scheduler, and {not_stated(verdict)}: "
            "if more than one does, each runs it"
        )
        separator = ";"
    elif runs is None:
        runs = f"runs in every process that starts its scheduler ({not_worked_out(verdict)})"
    finding = self.finding(
        f"Job {_label(linked)} {runs}{separator} {_why(linked)}; {FIX}",
        job.location,
        basis=f"{job.kind}|{job.name}|{job.target}",
    )
    return at_most_info(finding, verdict)


def _scheduler_finding(
    self: Rule, project: Project, key: str, jobs: list[LinkedJob], verdict: Verdict | None
) -> Finding:
    schedulers = project.processes
    scheduler = schedulers.by_identity.get(key) if schedulers is not None else None
    starts = scheduler.running_starts() if scheduler is not None else []
    receiver = starts[0][1].receiver if starts else (jobs[0].raw.scheduler or "scheduler")
    known = [(ff, site) for ff, site in starts if set(site.contexts) - {"function"}]
    if len(known) == 1:  # where it is started at import, as a script or at start-up
        starts = known
    if len(starts) == 1:
        ff, site = starts[0]
        location = Location(ff.path, site.line, site.column)
    else:
        location = jobs[0].job.location
    names = ", ".join(_label(linked) for linked in jobs[:6])
    if len(jobs) > 6:
        names += f" and {len(jobs) - 6} more"
    runs = verdict.runs() if verdict is not None else None
    unlocked = f"none of its {len(jobs)} periodic jobs takes a distributed lock ({names})"
    fix = (
        "register them with locked_scheduler (one run per tick) or guard each with a "
        "distributed lock (`with redis.lock(...)`)"
    )
    if verdict is not None and verdict.status == "many":
        runs = f"{runs}, so each tick runs every job {verdict.count_text()}"
    elif verdict is not None and verdict.gate is not None and verdict.status == "unknown":
        message = (
            f"Scheduler `{receiver}` is {started_only_where(verdict.gate)}: "
            f"{exactly_one(verdict)}, since each one that does runs every job and {unlocked}; "
            f"or {fix}"
        )
        return _scheduler_at(self, message, location, jobs, key, verdict)
    elif verdict is not None and verdict.undeployed and verdict.status == "unknown":
        message = (
            f"Scheduler `{receiver}` runs in every process that starts it, and "
            f"{not_stated(verdict)}: if more than one does, each runs every job, and "
            f"{unlocked}; keep it in one process, or {fix}"
        )
        return _scheduler_at(self, message, location, jobs, key, verdict)
    elif runs is None:
        runs = f"runs in every process that starts it ({not_worked_out(verdict)})"
    message = f"Scheduler `{receiver}` {runs}, and {unlocked}; {fix}"
    return _scheduler_at(self, message, location, jobs, key, verdict)


def _scheduler_at(
    self: Rule,
    message: str,
    location: Location,
    jobs: list[LinkedJob],
    key: str,
    verdict: Verdict | None,
) -> Finding:
    finding = self.finding(
        message,
        location,
        related=[linked.job.location for linked in jobs],
        basis=f"scheduler|{key}",
    )
    return at_most_info(finding, verdict)


def _periodic_jobs_of(project: Project, schedulers: Any, key: str) -> list[LinkedJob]:
    """Every periodic job of the scheduler `key` names, locked or not."""
    out = []
    for linked in project.jobs:
        if linked.job.kind not in IN_PROCESS_KINDS or not linked.job.periodic:
            continue
        scheduler = schedulers.scheduler_of(linked) if schedulers is not None else None
        if scheduler is not None:
            if scheduler.identity == key:
                out.append(linked)
        elif key == f"local:{linked.facts.path}|{linked.raw.enclosing}|{linked.raw.scheduler}":
            out.append(linked)
    return out


def _suppressed(project: Project, location: Location, code: str) -> bool:
    for ff in project.facts:
        if ff.path == location.file:
            return any(s.line == location.line and code in s.codes for s in ff.suppressions)
    return False


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
        if ff.processes is None:
            continue
        for site in ff.processes.starts:
            if site.enclosing is not None:
                continue  # started by a call at import: _started_by_import_call says so
            if "import" not in site.contexts or site.paused or site.gate:
                continue  # a gated start runs the jobs in the elected process only
            if site.scheduler_class.endswith("BlockingScheduler"):
                continue  # a dedicated clock process: starting it is the module's purpose
            if site.scheduler_class:
                is_scheduler = any(k in site.scheduler_class for k in SCHEDULER_PACKAGES)
            else:
                is_scheduler, _kind = _scheduler_kind(site.receiver, ff, project)
            if not is_scheduler:
                continue
            loaded, lazy_gate = _how_loaded(project, ff)
            if loaded == "uncalled":
                continue  # imported only inside functions nothing calls: not at import
            gate = _site_gate(project, ff, site)
            verdict = _import_verdict(project, ff, gate)
            if verdict is not None and verdict.status == "one":
                continue  # safe while the module is imported by one process only
            module = ff.module or ff.path
            advice = "call start() from the app's start-up hook (lifespan) or a dedicated process"
            lazy = lazy_gate is not None and verdict is not None and verdict.status == "unknown"
            if lazy and verdict is not None and verdict.gate is not None:
                # loaded only through an import under a switch: the deployment decides
                finding = self.finding(
                    f"Scheduler `{site.receiver}` is started at import time of {module}, "
                    f"which is imported only where {switch_text(verdict.gate)}: each process "
                    f"that sets it starts its own scheduler; {exactly_one(verdict)}",
                    Location(ff.path, site.line, site.column),
                    basis=f"{module}|{site.receiver}",
                )
            else:
                finding = self.finding(
                    f"Scheduler `{site.receiver}` is started at import time: "
                    f"{_who_imports(module, verdict)}; {advice}",
                    Location(ff.path, site.line, site.column),
                    basis=f"{module}|{site.receiver}",
                )
            yield at_most_info(finding, verdict)
        yield from _started_by_import_call(self, ff, project)


def _gated(ff: FileFacts, line: int) -> bool:
    """Is the start() at `line` of `ff` gated by a leader election (or started paused)?"""
    starts = ff.processes.starts if ff.processes is not None else []
    return any(site.line == line and (site.gate or site.paused) for site in starts)


def _import_verdict(project: Project, ff: FileFacts, gate: Gate | None) -> Verdict | None:
    """How many processes import `ff` (deploy/processes.py), when the model knows it;
    `gate`: the configuration switch the start runs under."""
    schedulers = project.processes
    if schedulers is None or not ff.module:
        return None
    commands = schedulers.commands_of(ff, None)
    placement = Placement(ff.module, "import", gate=gate, commands=commands)
    verdict: Verdict = schedulers.verdict([placement])
    return verdict


def _how_loaded(project: Project, ff: FileFacts) -> tuple[str, Gate | None]:
    """deploy/switches.py `of_import`: how a module's top-level code comes to run."""
    schedulers = project.processes
    if schedulers is None:
        return "entered", None
    return schedulers.switch_paths.of_import(ff)


def _site_gate(project: Project, ff: FileFacts, site: StartSite) -> Gate | None:
    schedulers = project.processes
    return schedulers.gate_of(ff, site) if schedulers is not None else None


def _call_gate(
    project: Project, ff: FileFacts, callee: str, defined_in: FileFacts, start_line: int
) -> Gate | None:
    """The switch a module-level call (`scheduler = Scheduler()`) runs under, or the one
    the start() it reaches runs under inside the function."""
    schedulers = project.processes
    if schedulers is None or ff.processes is None:
        return None
    head, _, rest = callee.partition(".")
    dotted = ff.imports[head] + (f".{rest}" if rest else "") if head in ff.imports else ""
    dotted = dotted or f"{ff.module}.{callee}"
    gated = ff.processes.call_switches.get("<module>", {})
    switch = gated.get(dotted) or gated.get(f"{dotted}.__init__")
    if switch is None:
        starts = defined_in.processes.starts if defined_in.processes is not None else []
        switch = next((s.switch for s in starts if s.line == start_line), None)
    switch = schedulers.switch_paths.resolve(switch)
    return Gate(switch) if switch is not None else None


def _who_imports(module: str, verdict: Verdict | None) -> str:
    if verdict is not None and verdict.status == "unknown" and verdict.gate is not None:
        return (
            f"every process that imports {module} starts its own where "
            f"{switch_text(verdict.gate)}: {exactly_one(verdict)}"
        )
    runs = verdict.runs() if verdict is not None else None
    if runs is not None:
        return f"{module} {runs.replace('runs in', 'is imported in', 1)}, each starting its own"
    every = (
        f"every process that imports {module} (each web or Celery worker, tests, scripts) "
        "starts its own"
    )
    if verdict is not None and verdict.undeployed:
        return f"{every}, and {not_stated(verdict)}: if more than one does, each runs every job"
    return every


def _started_by_import_call(self: Rule, ff: FileFacts, project: Project) -> Iterator[Finding]:
    """`scheduler = Scheduler()` at module level, whose __init__ starts one (or a function
    called at module level that does): one call deep, through the project's own code."""
    from .import_time import import_time_starts  # the lookup lives with its own tests

    for line, column, callee, fn, defined_in in import_time_starts(ff, project):
        assert fn.starts_scheduler is not None
        receiver, start_line, start_column = fn.starts_scheduler
        if _gated(defined_in, start_line):
            continue  # a leader election decides which process runs the jobs
        gate = _call_gate(project, ff, callee, defined_in, start_line)
        verdict = _import_verdict(project, ff, gate)
        if verdict is not None and verdict.status == "one":
            continue  # safe while the module is imported by one process only
        finding = self.finding(
            f"`{callee}()` runs at import time and starts scheduler `{receiver}` "
            f"({fn.qualname} calls start() at {defined_in.path}:{start_line}): "
            f"{_who_imports(ff.module or ff.path, verdict)}; call start() from the app's "
            "start-up hook (lifespan) or a dedicated process",
            Location(ff.path, line, column),
            related=[Location(defined_in.path, start_line, start_column)],
            basis=f"{ff.module or ff.path}|{callee}()",
        )
        yield at_most_info(finding, verdict)
