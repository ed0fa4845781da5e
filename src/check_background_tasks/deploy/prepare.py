"""What the deploy stage needs read beyond the prefilter's candidates (asked by engine.py).

- entry modules a command names (`python app/main.py`, `gunicorn pkg.main:app`), and
  gunicorn configuration modules: parsed like any Python file;
- script files an image runs (`ENTRYPOINT ["./bin/boot"]`), whatever their name;
- the modules a job's function calls (a lock taken one call deep);
- the modules a script a command runs calls into at its top level or under its main
  guard, and the module of the Celery app a beat started from code uses
  (deploy/beat_starts.py);
- the imports of every module between an entry module and the code that starts a
  scheduler: read from the bytes only (extract/import_scan.py), never parsed.
"""

from __future__ import annotations

from collections.abc import Callable

from ..link import Project, defining_module, link_workloads, resolve_target, symbol_table
from ..model import FileFacts, RawJob
from .imports import closure
from .processes import Definitions, ProjectIndex, wanted_files

IN_APP_KINDS = frozenset({"apscheduler", "create_task"})


class Preparation:
    """The engine's rounds of reading for the process model. The process definitions are
    read again only when a round brought what they depend on (a script, an entry module, a
    configuration module), not for helpers read for their locks."""

    def __init__(self, python_files: dict[str, str]) -> None:
        self.python_files = python_files
        self.known = set(python_files.values())
        self.definitions: Definitions | None = None
        self.stale = True

    def _definitions(self, facts: list[FileFacts]) -> Definitions:
        if self.definitions is None or self.stale:
            self.definitions = Definitions(ProjectIndex(_project(facts, self.python_files)))
            self.stale = False
        return self.definitions

    def wanted(self, facts: list[FileFacts]) -> tuple[set[str], set[str], set[str]]:
        """(modules to extract, modules a job calls: to extract when they may take a lock,
        script paths to extract)."""
        modules: set[str] = set()
        scripts: set[str] = set()
        if any(ff.workloads for ff in facts):
            definitions = self._definitions(facts)
            modules, scripts = wanted_files(definitions)
            modules |= _script_callee_modules(definitions, facts, self.known)
            modules |= _beat_app_modules(facts, self.known)
        return modules, _callee_modules(facts, self.known), scripts

    def read(self, new: list[FileFacts], for_definitions: bool) -> None:
        """Facts a round added; `for_definitions`: some were asked for by the definitions."""
        if new and for_definitions:
            self.stale = True

    def import_graph(
        self, facts: list[FileFacts], read_imports: Callable[[str], list[str] | None]
    ) -> dict[str, list[str]]:
        """Imports of the modules not extracted that lie in the closure of an entry module."""
        entries = {
            runner.module
            for definition in self._definitions(facts).defs
            for runner in definition.runners
            if runner.module
        }
        subjects = _subject_modules(facts)
        if not entries or not subjects:
            return {}
        extracted = {ff.module: ff for ff in facts if ff.module}
        read: dict[str, list[str]] = {}

        def imports_of(module: str) -> list[str] | None:
            ff = extracted.get(module)
            if ff is not None and ff.processes is not None:
                return ff.processes.imports
            if module not in read:
                found = read_imports(module)
                if found is None:
                    return None
                read[module] = found
            return read[module]

        for entry in sorted(entries):
            # Stop once every subject is found: only a subject not found needs the whole
            # walk (to say that this process does not load it).
            closure(entry, imports_of, self.known, subjects)
        return read


# A helper one call deep is parsed only when its bytes can take a lock (see
# lock_calls.py and extract/definitions.py for what counts).
LOCK_WORDS = (
    b".lock(",
    b"Lock(",
    b"_lock(",
    b"lock_",
    b"acquire",
    b"advisory",
    b"for_update",
    b"GET_LOCK",
    b"nx=True",
    b"leader",
)


def may_take_lock(source: bytes) -> bool:
    return any(word in source for word in LOCK_WORDS)


def _callee_modules(facts: list[FileFacts], known: set[str]) -> set[str]:
    table = symbol_table(facts)
    extracted = {ff.module for ff in facts if ff.module}
    out: set[str] = set()
    for ff in facts:
        for raw in ff.jobs:
            if raw.kind not in IN_APP_KINDS or raw.target.how in ("command", "unknown"):
                continue
            found = table.functions.get(resolve_target(raw.target, ff, table))
            if found is None or found[0].takes_lock or found[1].processes is None:
                continue
            if raw.kind == "create_task" and not found[0].loops_forever_with_sleep:
                # only a replica loop (BGT022) asks about its lock; reading the helpers of
                # every task an asyncio program starts cost prefect 20 modules (0.5 s cold)
                continue
            for callee in found[1].processes.calls.get(found[0].qualname, []):
                module = defining_module(callee, known)
                if module and module not in extracted:
                    out.add(module)
    return out


def _script_callee_modules(
    definitions: Definitions, facts: list[FileFacts], known: set[str]
) -> set[str]:
    """Modules a script that a command runs (`python main.py`) calls into at its top level
    or under its main guard, unconditionally: where it may start Celery beat from code
    (deploy/beat_starts.py places a start one call away from the script, no further).
    Read whatever their bytes, so no byte test is needed for such a start."""
    extracted = {ff.module: ff for ff in facts if ff.module}
    out: set[str] = set()
    for definition in definitions.defs:
        for runner in definition.runners:
            ff = extracted.get(runner.module or "") if runner.as_main else None
            if ff is None or ff.processes is None:
                continue
            guarded = set(ff.processes.guarded_roots)
            for context in ("main", "import"):
                for callee in ff.processes.roots.get(context, []):
                    module = defining_module(callee, known) if callee not in guarded else None
                    if module is not None and module not in extracted:
                        out.add(module)
    return out


def _beat_app_modules(facts: list[FileFacts], known: set[str]) -> set[str]:
    """Modules not yet read on the way to the imported app a Celery beat start uses
    (extract/beat_starts.py): the start counts once the app is seen made by `Celery()`."""
    extracted = {ff.module: ff for ff in facts if ff.module}
    out: set[str] = set()
    for ff in facts:
        for start in ff.processes.beat_starts if ff.processes is not None else []:
            dotted = start.app
            for _ in range(MAX_APP_HOPS):
                module = defining_module(dotted, known) if dotted else None
                if module is None:
                    break
                found = extracted.get(module)
                if found is None:
                    out.add(module)
                    break
                name = dotted[len(module) + 1 :].partition(".")[0]
                if name in found.receivers or name not in found.imports:
                    break
                dotted = found.imports[name]
    return out


MAX_APP_HOPS = 5


def _asked_about(raw: RawJob, startup_hooks: set[str]) -> bool:
    """A periodic scheduler job (BGT020), or a task started at import or start-up (BGT022)."""
    if raw.kind in ("apscheduler", "locked_scheduler"):
        return raw.periodic
    if raw.kind == "create_task":
        return raw.enclosing is None or raw.enclosing in startup_hooks
    return False


def _subject_modules(facts: list[FileFacts]) -> set[str]:
    """Modules the process model is asked about: those with in-app jobs or scheduler
    starts, and those whose import-time or start-up code calls a function that starts one."""
    out: set[str] = set()
    callers: set[str] = set()
    # schedulers that have jobs: a library's own start() (vendored apscheduler) is no subject
    with_jobs = {
        identity
        for ff in facts
        if ff.processes is not None
        for _, _, identity in ff.processes.job_schedulers
    }
    for ff in facts:
        if not ff.module:
            continue
        hooks = {fn.qualname for fn in ff.functions if fn.is_startup_hook}
        if any(_asked_about(raw, hooks) for raw in ff.jobs):
            out.add(ff.module)
        starts = ff.processes.starts if ff.processes is not None else []
        for site in starts:
            if site.scheduler_class or site.scheduler in with_jobs:
                out.add(ff.module)
                callers.update(site.callers)
        for beat in ff.processes.beat_starts if ff.processes is not None else []:
            out.add(ff.module)  # Celery beat started from code (BGT024)
            callers.update(beat.callers)
    if callers:
        for ff in facts:
            if ff.module and ff.processes is not None:
                roots = ff.processes.roots.values()
                if any(callee in callers for callees in roots for callee in callees):
                    out.add(ff.module)
    return out


def _project(facts: list[FileFacts], python_files: dict[str, str]) -> Project:
    """Just what the process definitions read: facts, workloads and the module map."""
    project = Project(facts=facts, jobs=[], workloads=link_workloads(facts))
    project.python_files = python_files
    return project
