"""In-app schedulers across files: their jobs, their starts, their locks, their processes.

The deploy step (deploy/__init__.py) builds one `Schedulers` per project and keeps it on
`project.processes`. It

- joins each APScheduler job to the scheduler object it is added to and to the places
  that scheduler is started (a start in `main.py`, jobs added in `scheduler.py`);
- marks jobs locked that the linker could not see as locked: a lock taken one call deep
  (the job calls a project helper that takes one, or a `run_with_lock(...)` wrapper), a
  leader check at the top of the job, or a leader election that gates the scheduler (started
  paused where another process leads, or started only `if is_leader`);
- answers, per job or per task start, how many processes run it (`Verdict`), and records
  that in the job's inventory record as `processes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..config import Config
from ..link import LinkedJob, Project, lock_decorated
from ..link_loops import started_as
from ..model import FileFacts, Location, StartSite
from .processes import Placement, ProcessModel, Verdict, roots_index, start_placements
from .switches import Gate, SwitchPaths

SCHEDULED_KINDS = frozenset({"apscheduler", "apscheduler4", "locked_scheduler"})
MAX_REEXPORT_HOPS = 5


@dataclass
class Scheduler:
    identity: str
    starts: list[tuple[FileFacts, StartSite]] = field(default_factory=list)

    @property
    def gate(self) -> tuple[Location, str] | None:
        """The leader election every start of this scheduler is under, if any."""
        if not self.starts or not all(site.gate for _, site in self.starts):
            return None
        ff, site = self.starts[0]
        return Location(ff.path, site.gate_line or site.line, 1), str(site.gate)

    def running_starts(self) -> list[tuple[FileFacts, StartSite]]:
        return [(ff, site) for ff, site in self.starts if not site.paused]


class Schedulers:
    def __init__(self, project: Project, config: Config) -> None:
        self.project = project
        self.model = ProcessModel(project)
        self.by_identity: dict[str, Scheduler] = {}
        self._roots = roots_index(project)
        self._verdicts: dict[tuple[Placement, ...], Verdict] = {}
        self._switch_paths: SwitchPaths | None = None
        self._gates: dict[tuple[str, int, int], Gate | None] = {}
        self._commands: dict[tuple[str, str | None], frozenset[str] | None] = {}
        for ff in project.facts:
            if ff.processes is None:
                continue
            if ff.is_test:
                continue  # a test starts its own scheduler; no deployment runs it
            for site in ff.processes.starts:
                if not self._is_scheduler(ff, site):
                    continue
                identity = self.follow(site.scheduler) if site.scheduler else None
                key = identity or f"{ff.path}:{site.line}"
                self.by_identity.setdefault(key, Scheduler(key)).starts.append((ff, site))
        self._job_ids: dict[tuple[str, int, int], str] = {}
        for ff in project.facts:
            if ff.processes is None:
                continue
            for line, column, identity in ff.processes.job_schedulers:
                self._job_ids[(ff.path, line, column)] = self.follow(identity)
        self._mark_locked(config)

    # ------------------------------------------------------------------ identities

    def follow(self, dotted: str) -> str:
        """Through re-exports: `app.scheduler` imported into `app/__init__.py`."""
        modules = self.project.modules
        for _ in range(MAX_REEXPORT_HOPS):
            module, _, name = dotted.rpartition(".")
            ff = modules.get(module)
            if ff is None or name not in ff.imports or name in ff.receivers:
                return dotted
            dotted = ff.imports[name]
        return dotted

    def _is_scheduler(self, ff: FileFacts, site: StartSite) -> bool:
        if site.scheduler_class:
            return "apscheduler" in site.scheduler_class or "locked_scheduler" in (
                site.scheduler_class
            )
        if site.scheduler:
            module, _, name = self.follow(site.scheduler).rpartition(".")
            defining = self.project.modules.get(module)
            if defining is not None and name in defining.receivers:
                return defining.receivers[name] in SCHEDULED_KINDS
        return "sched" in site.receiver.rpartition(".")[2].lower()

    def scheduler_of(self, linked: LinkedJob) -> Scheduler | None:
        loc = linked.job.location
        identity = self._job_ids.get((loc.file, loc.line, loc.column))
        if identity is None:
            return None
        return self.by_identity.get(identity) or Scheduler(identity)

    # --------------------------------------------------------------------- locks

    def _mark_locked(self, config: Config) -> None:
        for linked in self.project.jobs:
            job = linked.job
            if job.kind not in ("apscheduler", "apscheduler4") or job.locked is not False:
                continue
            how = self._lock_seen(linked, config)
            if how is None:
                continue
            via, key = how
            extra = (*job.extra, ("lock_via", via))
            linked.job = replace(job, locked=True, lock_key=job.lock_key or key, extra=extra)

    def _lock_seen(self, linked: LinkedJob, config: Config) -> tuple[str, str | None] | None:
        """(how the job is kept to one run, lock key) when a lock is found one step away."""
        scheduler = self.scheduler_of(linked)
        gate = scheduler.gate if scheduler is not None else None
        if gate is not None:
            where, text = gate
            return f"leader election: {text} ({where.file}:{where.line})", None
        fn, ff = linked.definition, linked.definition_facts
        target = (linked.job.target or "").rpartition(".")[2]
        from ..lock_calls import is_lock_call

        if is_lock_call(target):
            return f"runs through `{target}`", None
        if fn is None or ff is None or ff.processes is None:
            return None
        check = ff.processes.leader_checks.get(fn.qualname)
        if check is not None:
            return f"returns unless this process leads ({ff.path}:{check})", None
        return locked_one_call_deep(self.project, ff, fn.qualname, config)

    # ------------------------------------------------------------------ verdicts

    # ------------------------------------------------------------------ switches

    @property
    def switch_paths(self) -> SwitchPaths:
        if self._switch_paths is None:
            self._switch_paths = SwitchPaths(self.project, self.project.switch_searched)
        return self._switch_paths

    def gate_of(self, ff: FileFacts, site: StartSite) -> Gate | None:
        """The configuration switch every way into this start passes, if any."""
        key = (ff.path, site.line, site.column)
        if key not in self._gates:
            self._gates[key] = self.switch_paths.of_start(ff, site)
        return self._gates[key]

    def commands_of(
        self, ff: FileFacts, enclosing: str | None, at: tuple[int, int] | None = None
    ) -> frozenset[str] | None:
        """The command-line functions every way into code in `enclosing` (the call at
        `at`, which may itself be under a sub-command's branch) starts from."""
        cli = ff.processes.cli if ff.processes is not None else None
        if cli is not None and at is not None and at in cli.under:
            return frozenset(cli.under[at])
        key = (ff.path, enclosing)
        if key not in self._commands:
            self._commands[key] = self.switch_paths.commands_of(ff, enclosing)
        return self._commands[key]

    def _placements(self, ff: FileFacts, site: StartSite) -> list[Placement]:
        gate = self.gate_of(ff, site)
        commands = self.commands_of(ff, site.enclosing, (site.line, site.column))
        return start_placements(self.project, ff, site, self._roots, gate, commands)

    def placements_of(self, linked: LinkedJob) -> list[Placement]:
        scheduler = self.scheduler_of(linked)
        out: list[Placement] = []
        if scheduler is not None:
            for ff, site in scheduler.running_starts() or scheduler.starts:
                out.extend(self._placements(ff, site))
        if not out and linked.facts.module:
            # where the scheduler starts is not seen: the job's module is loaded, no more
            out.append(Placement(linked.facts.module, "function"))
        return out

    def verdict(self, placements: list[Placement]) -> Verdict:
        key = tuple(sorted(set(placements), key=_placement_order))
        found = self._verdicts.get(key)
        if found is None:
            found = self.model.verdict(list(key))
            self._verdicts[key] = found
        return found

    def job_verdict(self, linked: LinkedJob) -> Verdict:
        return self.verdict(self.placements_of(linked))

    def start_verdict(self, ff: FileFacts, site: StartSite) -> Verdict:
        return self.verdict(self._placements(ff, site))

    def task_verdict(self, linked: LinkedJob, context: str) -> Verdict:
        module = linked.facts.module
        if not module:
            return Verdict("unknown")
        gate = self.switch_paths.of_task(linked.facts, linked.raw)
        raw = linked.raw
        commands = self.commands_of(linked.facts, raw.enclosing, (raw.line, raw.column))
        return self.verdict([Placement(module, context, gate=gate, commands=commands)])


def _placement_order(placement: Placement) -> tuple[str, str, str, str, str]:
    gate = placement.gate
    switch = f"{gate.switch.path}:{gate.switch.line}" if gate is not None else ""
    commands = ",".join(sorted(placement.commands or ()))
    return (placement.module, placement.context, placement.via or "", switch, commands)


def locked_one_call_deep(
    project: Project, ff: FileFacts, qualname: str, config: Config
) -> tuple[str, str | None] | None:
    """The job's function calls a project helper that takes a lock, or a lock wrapper."""
    from ..lock_calls import is_lock_call

    assert ff.processes is not None
    for callee in ff.processes.calls.get(qualname, []):
        name = callee.rpartition(".")[2]
        if is_lock_call(name):
            return f"calls `{name}`", None
        found = project.functions.get(callee)
        if found is None:
            continue
        fn, where = found
        if fn.takes_lock or lock_decorated(fn, config.lock_decorators):
            return f"calls `{name}` ({where.path}:{fn.line}), which takes a lock", fn.lock_key
    return None


def record_processes(project: Project, schedulers: Schedulers) -> None:
    """The inventory's `processes` for in-app periodic jobs and start-up task loops."""
    for linked in project.jobs:
        job = linked.job
        placements: list[Placement] | None = None
        if job.kind in SCHEDULED_KINDS and job.periodic:
            placements = schedulers.placements_of(linked)
        elif started_as(job) == "create_task" and linked.definition is not None:
            if linked.definition.loops_forever_with_sleep and linked.facts.module:
                context = task_context(linked)
                gate = schedulers.switch_paths.of_task(linked.facts, linked.raw)
                raw = linked.raw
                commands = schedulers.commands_of(
                    linked.facts, raw.enclosing, (raw.line, raw.column)
                )
                module = linked.facts.module
                placements = (
                    [Placement(module, context, gate=gate, commands=commands)] if context else None
                )
        if placements is None:
            continue
        verdict = schedulers.verdict(placements)
        record: dict[str, Any] = verdict.record()
        linked.job = replace(job, extra=(*job.extra, ("processes", record)))


def task_context(linked: LinkedJob) -> str | None:
    """When a task start runs: at import, in a start-up hook, or in some function."""
    if linked.raw.enclosing is None:
        return "import"
    enclosing = linked.enclosing
    if enclosing is not None and enclosing.is_startup_hook:
        return "startup"
    return "function"
