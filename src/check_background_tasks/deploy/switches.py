"""Which configuration switch (if any) every way into a scheduler start passes.

Per file, extract/switches.py records the switch each call runs under (`call_switches`),
the switch a `start()` itself runs under, and the functions whose body only returns a
configuration reading. Here the calls of the whole project are read backwards from the
function that starts a scheduler (or a task loop): each way up ends

- at a call made under a switch: gated;
- under `if __name__ == "__main__"` of a script: a process someone starts on purpose;
- anywhere else (module level, a start-up hook, a function nothing in the project calls,
  a public method, which other modules may call on an instance, a function whose callers
  were not all looked for, a chain too long to follow): ungated.

Calls in test files are no way in: no deployment runs them.

A start is *switch-gated* when no way up is ungated and at least one passes a switch: the
deployment decides which processes set it (deploy/processes.py reads its value where a
process definition shows it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..link import Project
from ..model import FileFacts, RawJob, StartSite, Switch

MAX_HOPS = 6  # calls followed up from the start, in and across files
MAX_REEXPORT_HOPS = 5
MODULE_SCOPE, MAIN_SCOPE = "<module>", "<main>"


@dataclass(frozen=True)
class Gate:
    """A switch every way into a start passes (or a script's main guard)."""

    switch: Switch
    scripts: tuple[str, ...] = ()  # files that start it under their main guard, ungated


# a caller of a function: (scope dotted or "<module>:<module>" / "<main>:<path>", switch)
Edge = tuple[str, Switch | None]


class SwitchPaths:
    """The project's calls, read backwards, with the switch each runs under."""

    def __init__(self, project: Project, searched: set[str] | None = None) -> None:
        """`searched`: functions whose callers were looked for in every file of the project
        (engine.py reads the files that name them); a way up through any other function is
        not known to be complete. None: take the calls read as complete (to find out which
        functions a claim rests on)."""
        self.project = project
        self.searched = searched
        self.callers: dict[str, list[Edge]] = {}
        self.hooks: set[str] = set()  # start-up hooks and Django's ready(): entries
        self.functions: dict[str, Switch] = {}  # switch functions, dotted
        from ..test_paths import is_test_file

        for ff in project.facts:
            processes = ff.processes
            if processes is None or not ff.module or is_test_file(ff.path):
                continue  # no deployment runs a test's calls
            prefix = f"{ff.module}."
            for fn in ff.functions:
                if fn.is_startup_hook or fn.qualname.rpartition(".")[2] == "ready":
                    self.hooks.add(prefix + fn.qualname)
            for qualname, switch in processes.switch_functions.items():
                self.functions[prefix + qualname] = switch
            for scope, callees in processes.calls.items():
                gated = processes.call_switches.get(scope, {})
                caller = _caller(ff, scope)
                for callee in callees:
                    self.callers.setdefault(callee, []).append((caller, gated.get(callee)))
        self._memo: dict[str, Walk] = {}

    # ------------------------------------------------------------------ resolving

    def resolve(self, switch: Switch | None) -> Switch | None:
        """A call-site switch on an imported function: that function's reading, or None
        when its body is no switch."""
        if switch is None or not switch.call:
            return switch
        from ..extract.switches import resolved_at

        dotted = self._follow(switch.call)
        inner = self.functions.get(dotted)
        if inner is None:
            return None
        return resolved_at(inner, switch, dotted.rpartition(".")[2])

    def _follow(self, dotted: str) -> str:
        """Through re-exports (`from .config import scheduler_enabled` in a package)."""
        modules = self.project.modules
        for _ in range(MAX_REEXPORT_HOPS):
            if dotted in self.functions or dotted in self.project.functions:
                return dotted
            module, _, name = dotted.rpartition(".")
            ff = modules.get(module)
            if ff is None or name not in ff.imports:
                return dotted
            dotted = ff.imports[name]
        return dotted

    # ------------------------------------------------------------------- subjects

    def of_start(self, ff: FileFacts, site: StartSite) -> Gate | None:
        return self._gate(ff, site.enclosing, self.resolve(site.switch))

    def of_task(self, ff: FileFacts, raw: RawJob) -> Gate | None:
        processes = ff.processes
        own = processes.task_switches.get((raw.line, raw.column)) if processes else None
        return self._gate(ff, raw.enclosing, self.resolve(own))

    def _gate(self, ff: FileFacts, enclosing: str | None, own: Switch | None) -> Gate | None:
        found = self.walk_from(ff, enclosing, own)
        if found is None:
            return None
        if isinstance(found, Gate):
            return found
        if found.ungated or not found.switches:
            return None
        return Gate(found.switches[0], tuple(dict.fromkeys(found.scripts)))

    def walk_from(
        self, ff: FileFacts, enclosing: str | None, own: Switch | None
    ) -> Walk | Gate | None:
        """A start's own switch, or the walk up from the function that holds it (None:
        module level without a switch, which every importer runs)."""
        if own is not None:
            return Gate(own)
        if enclosing is None or not ff.module or "<locals>" in enclosing:
            return None
        return self._walk(f"{ff.module}.{enclosing}", 0, set())

    def _names(self, function: str) -> list[str]:
        """A constructor is called by its class's name."""
        if function.endswith(".__init__"):
            return [function, function[: -len(".__init__")]]
        return [function]

    def _edges(self, function: str) -> list[Edge]:
        out: list[Edge] = []
        for name in self._names(function):
            out.extend(self.callers.get(name, []))
        return out

    def _complete(self, function: str) -> bool:
        """Are all callers of `function` among the calls read?"""
        owner, _, name = function.rpartition(".")
        if name != "__init__" and not name.startswith("_") and _is_method(self.project, owner):
            return False  # a public method: other modules call it on instances, unseen
        return self.searched is None or function in self.searched

    def _walk(self, function: str, depth: int, seen: set[str]) -> Walk:
        """Every way up from the code of `function` to where the process enters it."""
        if depth == 0 and function in self._memo:
            return self._memo[function]
        seen = seen | {function}
        walk = Walk(visited={function})
        edges = self._edges(function)
        if function in self.hooks or not edges or not self._complete(function):
            walk.ungated = True  # the framework or code not read calls it
        for caller, switch in edges:
            if walk.ungated:
                break
            switch = self.resolve(switch)
            if switch is not None:
                walk.switches.append(switch)
            elif caller.startswith(MAIN_SCOPE):
                walk.scripts.append(caller.partition(":")[2])
            elif caller.startswith(MODULE_SCOPE) or depth >= MAX_HOPS:
                walk.ungated = True
            elif caller not in seen:
                above = self._walk(caller, depth + 1, seen)
                walk.ungated = above.ungated
                walk.switches.extend(above.switches)
                walk.scripts.extend(above.scripts)
                walk.visited |= above.visited
        if depth == 0:
            self._memo[function] = walk
        return walk


@dataclass
class Walk:
    ungated: bool = False  # some way up reaches an entry without passing a switch
    switches: list[Switch] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # main guards of scripts on the way
    visited: set[str] = field(default_factory=set)  # functions whose callers it rests on


def _is_method(project: Project, owner: str) -> bool:
    """`owner` names a class (a module's attribute that is no module of its own)."""
    module = owner.rpartition(".")[0]
    return bool(module) and module in project.modules and owner not in project.modules


def claim_functions(project: Project) -> set[str]:
    """Functions whose callers a switch claim rests on: the walks up from every scheduler
    start and task start that pass a switch (engine.py then looks for their callers in
    the files the prefilter did not read)."""
    paths = SwitchPaths(project)
    out: set[str] = set()
    for ff in project.facts:
        processes = ff.processes
        if processes is None or (not processes.starts and not processes.task_switches):
            continue
        subjects = [(site.enclosing, site.switch) for site in processes.starts]
        subjects += [
            (raw.enclosing, processes.task_switches.get((raw.line, raw.column)))
            for raw in ff.jobs
            if raw.kind == "create_task"
        ]
        for enclosing, own in subjects:
            found = paths.walk_from(ff, enclosing, paths.resolve(own))
            if isinstance(found, Walk) and not found.ungated and found.switches:
                out |= found.visited
    return out


def _caller(ff: FileFacts, scope: str) -> str:
    if scope == MAIN_SCOPE:
        return f"{MAIN_SCOPE}:{ff.path}"
    if scope == MODULE_SCOPE:
        return f"{MODULE_SCOPE}:{ff.module}"
    return f"{ff.module}.{scope}"
