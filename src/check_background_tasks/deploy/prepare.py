"""What the deploy stage needs read beyond the prefilter's candidates (asked by engine.py).

- entry modules a command names (`python app/main.py`, `gunicorn pkg.main:app`), and
  gunicorn configuration modules: parsed like any Python file;
- script files an image runs (`ENTRYPOINT ["./bin/boot"]`), whatever their name;
- the modules a job's function calls (a lock taken one call deep);
- the imports of every module between an entry module and the code that starts a
  scheduler: read from the bytes only (extract/import_scan.py), never parsed.
"""

from __future__ import annotations

from collections.abc import Callable

from ..link import Project, SymbolTable, link_workloads, resolve_target
from ..model import FileFacts
from .imports import closure
from .processes import wanted_files

IN_APP_KINDS = frozenset({"apscheduler", "create_task"})


def wanted(facts: list[FileFacts], python_files: dict[str, str]) -> tuple[set[str], set[str]]:
    """(modules to extract, script paths to extract)."""
    modules: set[str] = set()
    scripts: set[str] = set()
    if any(ff.workloads for ff in facts):
        modules, scripts = wanted_files(_project(facts, python_files))
    modules |= _callee_modules(facts, set(python_files.values()))
    return modules, scripts


def _module_of(dotted: str, known: set[str]) -> str | None:
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:i])
        if name in known:
            return name
    return None


def _callee_modules(facts: list[FileFacts], known: set[str]) -> set[str]:
    table = SymbolTable(facts)
    extracted = {ff.module for ff in facts if ff.module}
    out: set[str] = set()
    for ff in facts:
        for raw in ff.jobs:
            if raw.kind not in IN_APP_KINDS or raw.target.how in ("command", "unknown"):
                continue
            found = table.functions.get(resolve_target(raw.target, ff, table))
            if found is None or found[0].takes_lock or found[1].processes is None:
                continue
            for callee in found[1].processes.calls.get(found[0].qualname, []):
                module = _module_of(callee, known)
                if module and module not in extracted:
                    out.add(module)
    return out


def import_graph(
    facts: list[FileFacts],
    python_files: dict[str, str],
    read_imports: Callable[[str], list[str] | None],
) -> dict[str, list[str]]:
    """Imports of the modules not extracted that lie in the closure of an entry module."""
    from .processes import Definitions, ProjectIndex

    index = ProjectIndex(_project(facts, python_files))
    entries = {
        runner.module
        for definition in Definitions(index).defs
        for runner in definition.runners
        if runner.module
    }
    if not entries or not _has_subjects(facts):
        return {}
    known = set(python_files.values())
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
        closure(entry, imports_of, known)
    return read


def _has_subjects(facts: list[FileFacts]) -> bool:
    """Anything the process model is asked about: in-app jobs, scheduler starts, tasks."""
    for ff in facts:
        if ff.processes is not None and ff.processes.starts:
            return True
        if any(raw.kind in IN_APP_KINDS for raw in ff.jobs):
            return True
    return False


def _project(facts: list[FileFacts], python_files: dict[str, str]) -> Project:
    """Just what the process definitions read: facts, workloads and the module map."""
    project = Project(facts=facts, jobs=[], workloads=link_workloads(facts))
    project.python_files = python_files
    return project
