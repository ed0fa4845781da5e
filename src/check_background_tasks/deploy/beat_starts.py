"""Which deployed processes run a Celery beat started from Python code (BGT024).

A start (extract/beat_starts.py) is placed like a scheduler's start (processes.py): in its
own module, at import or under the main guard, or through the functions other modules call
there unconditionally. A process definition runs it when one of its programs certainly does
(`reach` says yes): the script it runs is the module that makes the call under its main
guard (`python run_beat.py`, `python -m pkg.beat`), or loads a module that makes it at
import. What only may run it (a Celery worker's autodiscovery, an unread import) is not
claimed. An app imported from another module counts only when that module makes it with
`Celery(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..link import PlacedWorkload, Project
from ..model import BeatStart, FileFacts, Location
from ..test_paths import is_test_file
from .processes import YES, Placement, ProcessDef, ProjectIndex, reach, roots_index

MAX_REEXPORT_HOPS = 5
ROOT_CONTEXTS = ("import", "main")


@dataclass(frozen=True)
class CodeBeat:
    """A beat start a process definition's program runs."""

    start: BeatStart
    location: Location  # where the start call is
    runner: str  # the program that runs it, as the process model words it


class CodeBeats:
    """Every beat start of the project, placed; built once per project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.starts: list[tuple[FileFacts, BeatStart, list[Placement]]] = []
        self.index: ProjectIndex | None = None
        self.definitions: dict[int, list[ProcessDef]] = {}
        found = [
            (ff, start)
            for ff in project.facts
            if ff.processes is not None and ff.module and not is_test_file(ff.path)
            for start in ff.processes.beat_starts
            if not start.app or self._is_celery_app(start.app)
        ]
        if not found:
            return
        model = getattr(getattr(project, "processes", None), "model", None)
        if model is None:
            return
        self.index = model.index
        for definition in model.definitions.defs:
            if definition.workload is not None:
                self.definitions.setdefault(id(definition.workload), []).append(definition)
        roots = roots_index(project)
        guarded = {
            ff.module: set(ff.processes.guarded_roots)
            for ff in project.facts
            if ff.module and ff.processes is not None and ff.processes.guarded_roots
        }
        for ff, start in found:
            placements = [
                Placement(ff.module or "", context, start.via)
                for context in start.contexts
                if context in ROOT_CONTEXTS
            ]
            for name in start.callers:
                for module, context in roots.get(name, []):
                    if context in ROOT_CONTEXTS and name not in guarded.get(module, ()):
                        placements.append(Placement(module, context, f"called as {name}"))
            if placements:
                self.starts.append((ff, start, placements))

    def _is_celery_app(self, dotted: str) -> bool:
        """Is the imported `dotted` made by `Celery(...)` where it is defined (through
        re-exports such as `from .celery import app` in a package's `__init__`)?"""
        modules = self.project.modules
        for _ in range(MAX_REEXPORT_HOPS):
            module, _, name = dotted.rpartition(".")
            ff = modules.get(module)
            if ff is None:
                return False
            kind = ff.receivers.get(name)
            if kind is not None:
                return kind == "celery_app"
            if name not in ff.imports:
                return False
            dotted = ff.imports[name]
        return False

    def run_by(self, pw: PlacedWorkload) -> list[CodeBeat]:
        """The beat starts a workload's programs certainly run, each once."""
        if self.index is None or not self.starts:
            return []
        out: list[CodeBeat] = []
        for definition in self.definitions.get(id(pw), []):
            for runner in definition.runners:
                for ff, start, placements in self.starts:
                    if any(reach(self.index, runner, p) == YES for p in placements):
                        location = Location(ff.path, start.line, start.column)
                        if all(beat.location != location for beat in out):
                            out.append(CodeBeat(start, location, runner.what))
        return out


def code_beats(project: Project) -> CodeBeats:
    found = getattr(project, "_code_beats", None)
    if not isinstance(found, CodeBeats):
        found = CodeBeats(project)
        project._code_beats = found  # type: ignore[attr-defined]
    return found
