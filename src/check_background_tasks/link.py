"""Project-wide pass: resolve targets across files, decide `locked`, index tasks."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from typing import Any

from .config import Config
from .import_roots import ImportRoots
from .link_beat import BeatParts
from .link_beat_rows import merge_beat_rows
from .link_factories import factory_tasks
from .link_loops import (
    confirm_repeat_every,
    note_repeat_starts,
    promote_task_loops,
    promote_thread_loops,
)
from .link_neuroglia import NeurogliaJobs
from .link_wrappers import wrapper_jobs
from .model import (
    FileFacts,
    FunctionFacts,
    Job,
    Location,
    Problem,
    RawJob,
    TargetRef,
    Workload,
)
from .scheduler_config import SchedulerConfigs, apply_time_zones, collect_configs, job_scheduler_key

# Kinds whose periodic jobs run inside every app replica unless a lock is in the way.
IN_APP_PERIODIC = frozenset({"apscheduler", "celery_beat", "taskiq", "huey", "arq"})
MAX_REEXPORT_HOPS = 5
# Jobs whose sync helpers BGT040 looks into (their modules are read one call deep). Not
# every task an asyncio program starts: on an asyncio-heavy tree that read 25 more modules
# (prefect: cold runs 1.3 -> 2.1 s) for helpers of fire-and-forget tasks, which BGT040
# already judges by their own body.
HELPER_READING_KINDS = frozenset(
    {"apscheduler", "apscheduler4", "locked_scheduler", "taskiq", "arq", "fastapi_background"}
)


@dataclass
class LinkedJob:
    job: Job
    raw: RawJob
    facts: FileFacts
    definition: FunctionFacts | None = None
    definition_facts: FileFacts | None = None
    # For a rendered object (deploy stage): where each field's value was written, keyed
    # like the job's extra (`concurrency_policy`, ...), so a finding points at the patch
    # or values entry that made the problem, not only at the base.
    field_locations: dict[str, Location] = field(default_factory=dict)
    scheduler_key: str | None = None  # project-wide name of the scheduler that declares it

    @property
    def enclosing(self) -> FunctionFacts | None:
        if not self.raw.enclosing:
            return None
        for fn in self.facts.functions:
            if fn.qualname == self.raw.enclosing:
                return fn
        return None


def alternatives(a: LinkedJob, b: LinkedJob) -> bool:
    """Declared in different arms of one `if` / `try` / `match`: only one of them runs."""
    if a.facts.path != b.facts.path:
        return False
    for x, y in zip(a.raw.branches, b.raw.branches, strict=False):
        if x != y:
            return x[:2] == y[:2]  # same statement, another arm
    return False


def conditional_override(later: LinkedJob, earlier: LinkedJob) -> bool:
    """`later` re-declares `earlier` under a condition `earlier` is not under:

    CELERY_BEAT_SCHEDULE = {"send": {...}}
    if os.environ.get("CONDENSED"):
        CELERY_BEAT_SCHEDULE["send"] = {...}   # replaces the default on purpose
    """
    if later.facts.path != earlier.facts.path or later.job.location <= earlier.job.location:
        return False
    return any(step not in earlier.raw.branches for step in later.raw.branches)


@dataclass(frozen=True)
class PlacedWorkload:
    """A workload with the file that declares it."""

    workload: Workload
    file: str

    @property
    def location(self) -> Location:
        return Location(self.file, self.workload.line, self.workload.column)


@dataclass
class Project:
    facts: list[FileFacts]
    jobs: list[LinkedJob]
    workloads: list[PlacedWorkload] = field(default_factory=list)
    functions: dict[str, tuple[FunctionFacts, FileFacts]] = field(default_factory=dict)
    celery_task_names: set[str] = field(default_factory=set)
    modules: dict[str, FileFacts] = field(default_factory=dict)
    # (file, problem) the deploy stage adds: what it could not render (BGT900, info)
    notes: list[tuple[str, Problem]] = field(default_factory=list)
    # Files a renderer stands for (bases, patches, templates): their YAML is judged as
    # rendered, so what reading each alone could not parse is not a problem of its own.
    rendered_files: set[str] = field(default_factory=set)
    # LimitRanges that give containers default limits (deploy/limit_ranges.py)
    limit_ranges: list[Any] = field(default_factory=list)
    schedulers: SchedulerConfigs = field(default_factory=SchedulerConfigs)
    # The process model (deploy/processes.py): every Python file's module (display path ->
    # module, extracted or not), the imports of modules that were not extracted, and the
    # model the deploy stage builds from them.
    python_files: dict[str, str] = field(default_factory=dict)
    module_imports: dict[str, list[str]] = field(default_factory=dict)
    scan_roots: list[str] = field(default_factory=list)  # names of the scanned directories
    # the directory holding every scanned root, as displayed ("" for the current one):
    # what is above it says nothing about the project (`check ../tests/proj`)
    scan_base: str = ""
    processes: Any = None
    # functions whose callers were looked for in every file (deploy/switches.py)
    switch_searched: set[str] = field(default_factory=set)

    def definition(self, dotted: str | None) -> tuple[FunctionFacts, FileFacts] | None:
        if not dotted:
            return None
        return self.functions.get(dotted)


class SymbolTable:
    def __init__(self, facts: list[FileFacts]) -> None:
        self.modules: dict[str, FileFacts] = {}
        self.functions: dict[str, tuple[FunctionFacts, FileFacts]] = {}
        self.receivers: dict[str, str] = {}
        self.task_names: dict[str, tuple[FunctionFacts, FileFacts]] = {}
        self.roots: ImportRoots | None = None  # built when a path needs another root
        for ff in facts:
            if ff.module:
                self.modules.setdefault(ff.module, ff)
            prefix = f"{ff.module}." if ff.module else ""
            for fn in ff.functions:
                self.functions.setdefault(prefix + fn.qualname, (fn, ff))
                if fn.is_celery_task:
                    # Celery's default name is `fun.__module__ + "." + fun.__name__`: a task
                    # defined inside a function or class is named by its own name alone.
                    own_name = fn.qualname.rpartition(".")[2]
                    name = fn.celery_task_name or prefix + own_name
                    self.task_names.setdefault(name, (fn, ff))
            for var, kind in ff.receivers.items():
                self.receivers[prefix + var] = kind

    def known(self, dotted: str) -> bool:
        return dotted in self.functions or dotted in self.receivers or dotted in self.task_names

    def rebase(self, dotted: str, importer: str | None) -> str:
        """`utilities.cache.f` imported by code run from `mediasync/` is our
        `mediasync.utilities.cache.f` (import_roots.py): the one candidate that defines it."""
        if self.known(dotted):
            return dotted
        if self.roots is None:
            self.roots = ImportRoots(set(self.modules))
        found = {self.follow(c) for c in self.roots.rebased(dotted, importer)}
        found = {c for c in found if self.known(c)}
        return found.pop() if len(found) == 1 else dotted

    def follow(self, dotted: str) -> str:
        """Follow re-exports (`from .cleanup import job` in a package) to the definition."""
        for _ in range(MAX_REEXPORT_HOPS):
            if dotted in self.functions or dotted in self.receivers:
                return dotted
            module, _, name = dotted.rpartition(".")
            ff = self.modules.get(module)
            if ff is None or name not in ff.imports:
                return dotted
            dotted = ff.imports[name]
        return dotted


# The tables built last, with the very facts lists they were built from (held, so no other
# list can take their identity): a scan builds one per round of reading and the deploy
# stage and rules ask again for the same facts (7 tables, 20 ms of a warm run on prefect).
_RECENT_TABLES: list[tuple[list[FileFacts], SymbolTable]] = []


def symbol_table(facts: list[FileFacts]) -> SymbolTable:
    """The project's symbol table, shared while `facts` holds the same file facts."""
    for known, table in _RECENT_TABLES:
        if len(known) == len(facts) and all(a is b for a, b in zip(known, facts, strict=True)):
            return table
    table = SymbolTable(facts)
    _RECENT_TABLES[:] = [(list(facts), table), *_RECENT_TABLES[:1]]
    return table


def resolve_target(ref: TargetRef, ff: FileFacts, table: SymbolTable) -> str:
    if ref.how == "import":
        return table.rebase(table.follow(ref.value), ff.module)
    if ref.how == "local":
        return table.follow(f"{ff.module}.{ref.value}" if ff.module else ref.value)
    if ref.how == "string":
        return table.rebase(table.follow(ref.value.replace(":", ".")), ff.module)
    return ref.value


def lock_decorated(fn: FunctionFacts, patterns: list[str]) -> bool:
    for decorator in fn.decorators:
        short = decorator.rpartition(".")[2]
        if any(fnmatch.fnmatch(short.lower(), p.lower()) for p in patterns):
            return True
    return False


def _confirm_receiver(raw: RawJob, table: SymbolTable) -> tuple[bool, str]:
    """Keep a job declared on an imported receiver only when it is a scheduler."""
    receiver = raw.extra.get("receiver")
    if not receiver:
        return True, raw.kind
    dotted = table.follow(receiver)
    kind = table.receivers.get(dotted)
    if kind == "locked_scheduler":
        return True, "locked_scheduler"
    if kind in ("apscheduler", "apscheduler4"):
        return True, raw.kind
    if kind is not None:
        return False, raw.kind
    # Defined outside the scanned code: trust a scheduler-like name only.
    return "sched" in receiver.rpartition(".")[2].lower(), raw.kind


def link(facts: list[FileFacts], config: Config) -> Project:
    table = symbol_table(facts)
    registered = _registered_tasks(facts, table)
    linked: list[LinkedJob] = []
    beat = BeatParts(facts, table)
    neuroglia = NeurogliaJobs(facts, table)
    placed, replaced = wrapper_jobs(facts, table, config.scheduler_wrappers)
    declared = [(ff, raw, ff) for ff in facts for raw in ff.jobs]
    for ff, pending, home in declared + [(p.caller, p.raw, p.wrapper) for p in placed]:
        if (ff.path, pending.line, pending.column) in replaced and pending.target.how == "variable":
            continue  # a scheduler wrapper's own job: its calls are the jobs
        raw = confirm_repeat_every(pending, ff, table)
        raw = beat.keep(raw, ff) if raw is not None else None
        raw = neuroglia.keep(raw) if raw is not None else None
        if raw is None:
            continue
        keep, kind = _confirm_receiver(raw, table)
        if not keep:
            continue
        if raw.target.how == "string" and raw.target.value in registered:
            # JobSpec(task="name") runs the function registered under that name.
            raw = replace(raw, target=TargetRef("import", registered[raw.target.value]))
        linked.append(_link_job(raw, kind, ff, table, config))
        linked[-1].scheduler_key = job_scheduler_key(raw, home, table.follow)
    linked = promote_thread_loops(linked)
    note_repeat_starts(linked, facts, table)
    linked = factory_tasks(linked, facts, table, config.task_factories)
    linked = promote_task_loops(linked)
    linked = merge_beat_rows(sorted(linked, key=lambda lj: lj.job.location))
    linked.sort(key=lambda lj: (lj.job.location, lj.job.kind, lj.job.name or ""))
    schedulers = collect_configs(facts, table.follow)
    apply_time_zones(linked, schedulers)
    return Project(
        facts=facts,
        jobs=linked,
        workloads=link_workloads(facts),
        functions=table.functions,
        celery_task_names=set(table.task_names),
        modules=table.modules,
        schedulers=schedulers,
    )


def _registered_tasks(facts: list[FileFacts], table: SymbolTable) -> dict[str, str]:
    """locked_scheduler task names (`@scheduler.task("name")`) → dotted function paths."""
    out: dict[str, str] = {}
    for ff in facts:
        for raw in ff.jobs:
            if raw.extra.get("registered_task") and raw.name:
                out.setdefault(raw.name, resolve_target(raw.target, ff, table))
    return out


def _link_job(
    raw: RawJob, kind: str, ff: FileFacts, table: SymbolTable, config: Config
) -> LinkedJob:
    target = resolve_target(raw.target, ff, table)
    # A beat entry that names its task by string names a registered task: one defined
    # inside a function is registered as `module.name`, whatever plain function of that
    # name the module has. (`cleanup.s()` refers to the object itself.)
    prefer_task = (
        kind == "celery_beat" and raw.target.how == "string" and target in table.task_names
    )
    found = None if prefer_task else table.functions.get(target)
    if raw.defined_at is not None:
        found = _decorated_definition(raw, ff) or found
    if found is None and target in table.task_names:
        # A Celery task name (name="...") stands for the function that defines it.
        found = table.task_names[target]
        target = f"{found[1].module}.{found[0].qualname}" if found[1].module else target
    locked = raw.locked
    lock_key = raw.lock_key
    if kind in ("locked_scheduler", "locked_scheduler_dynamic"):
        locked = True
    elif kind in IN_APP_PERIODIC and raw.periodic:
        fn = found[0] if found else None
        locked = bool(fn and (fn.takes_lock or lock_decorated(fn, config.lock_decorators)))
        if fn and locked and not lock_key:
            lock_key = fn.lock_key
    extra = tuple(sorted(raw.extra.items()))
    job = Job(
        kind=kind,
        name=raw.name,
        target=target,
        schedule=raw.schedule,
        locked=locked,
        lock_key=lock_key,
        location=Location(ff.path, raw.line, raw.column),
        periodic=raw.periodic,
        extra=extra,
    )
    return LinkedJob(
        job=job,
        raw=raw,
        facts=ff,
        definition=found[0] if found else None,
        definition_facts=found[1] if found else None,
    )


def _decorated_definition(raw: RawJob, ff: FileFacts) -> tuple[FunctionFacts, FileFacts] | None:
    """The very function a decorator declares as a job (its module may redefine the name)."""
    for fn in ff.functions:
        if (fn.line, fn.column) == raw.defined_at and fn.qualname == raw.target.value:
            return fn, ff
    return None


def link_workloads(facts: list[FileFacts]) -> list[PlacedWorkload]:
    """Every workload, with autoscalers joined across files (an HPA often lives apart)."""
    placed = [PlacedWorkload(w, ff.path) for ff in facts for w in ff.workloads]
    if not placed:
        return placed
    from .extract.autoscalers import apply_autoscalers

    apply_autoscalers(p.workload for p in placed)
    _join_heroku_formation(placed)
    placed.sort(key=lambda p: (p.location, p.workload.kind, p.workload.name))
    return placed


def _join_heroku_formation(placed: list[PlacedWorkload]) -> None:
    """A Procfile's process count comes from app.json's formation in the same directory."""
    formation = {
        (p.file.rpartition("/")[0], p.workload.name): p.workload.replicas
        for p in placed
        if p.workload.kind == "heroku_formation"
    }
    for p in placed:
        if p.workload.kind == "Procfile" and p.workload.replicas is None:
            key = (p.file.rpartition("/")[0], p.workload.name)
            if key in formation:
                p.workload.replicas = formation[key]


def needed_modules(facts: list[FileFacts], known_modules: set[str]) -> set[str]:
    """Modules that define job targets but were not extracted (the prefilter skipped them)."""
    extracted = {ff.module for ff in facts if ff.module}
    table = symbol_table(facts)
    wanted: set[str] = set()
    roots: ImportRoots | None = None
    for ff in facts:
        for raw in ff.jobs:
            target = resolve_target(raw.target, ff, table)
            if raw.target.how in ("command", "unknown", "variable"):
                continue
            if raw.target.how == "local" and "<locals>" in raw.target.value:
                continue  # a function nested in one of the declaring module's own
            module = defining_module(target, known_modules)
            if module is not None:
                if module not in extracted:
                    wanted.add(module)
            else:
                # Written against another import root (import_roots.py): every candidate
                # is read, and linking keeps the one that defines the target.
                roots = roots or ImportRoots(known_modules)
                for candidate in roots.rebased(target, ff.module):
                    # through re-exports of the modules read so far (a package __init__)
                    module = table.follow(candidate).rpartition(".")[0]
                    while module and module not in known_modules:
                        module = module.rpartition(".")[0]
                    if module and module not in extracted:
                        wanted.add(module)
            if raw.kind not in HELPER_READING_KINDS:
                continue
            for dotted in _helpers_called(table.functions.get(target)):
                module = defining_module(dotted, known_modules)
                if module is not None and module not in extracted:
                    wanted.add(module)
    return wanted


def defining_module(dotted: str, known_modules: set[str]) -> str | None:
    """The longest known module `dotted` lies in (`pkg.mod.func` → `pkg.mod`), if any."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:i])
        if module in known_modules:
            return module
    return None


def _helpers_called(found: tuple[FunctionFacts, FileFacts] | None) -> list[str]:
    """Imported functions an async job calls without awaiting: BGT040 looks into them."""
    if found is None or not found[0].is_async:
        return []
    imports = found[1].imports
    out = []
    for callee, _line, _column in found[0].calls:
        head, _, rest = callee.partition(".")
        if head in imports:
            out.append(imports[head] + (f".{rest}" if rest else ""))
    return out
