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

A start at module level runs wherever its module is loaded: the way up from it goes
through the imports of that module (`<module>.<import>` nodes). An import at the top of
another module continues into that module's own importers; an import inside a function
(extract/import_sites.py) continues into the function's callers, so a module imported only
by `def post_scheduler_handler(): from common import job`, called only where a switch is
on, starts its scheduler only there. A module nothing imports is an entry (a command runs
it, or a framework loads it by name): ungated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..link import Project
from ..model import FileFacts, RawJob, StartSite, Switch

MAX_HOPS = 6  # calls followed up from the start, in and across files
MAX_REEXPORT_HOPS = 5
MIN_IMPORT_NAME = 2  # a module name shorter than this is everywhere in import lines
MODULE_SCOPE, MAIN_SCOPE = "<module>", "<main>"
IMPORT_NODE = "<import>"  # `pkg.mod.<import>`: what runs when pkg.mod is loaded


@dataclass(frozen=True)
class Gate:
    """A switch every way into a start passes (or a script's main guard)."""

    switch: Switch
    scripts: tuple[str, ...] = ()  # files that start it under their main guard, ungated


# a caller of a function: (scope dotted or "<module>:<module>" / "<main>:<path>", switch)
Edge = tuple[str, Switch | None]


class SwitchPaths:
    """The project's calls, read backwards, with the switch each runs under."""

    def __init__(
        self,
        project: Project,
        searched: set[str] | None = None,
        known_modules: set[str] | None = None,
        looked: set[str] | None = None,
    ) -> None:
        """`searched`: functions (and import nodes) whose callers (importers) were looked
        for in every file of the project (engine.py reads the files that name them); a way
        up through any other is not known to be complete. None: take the calls read as
        complete, and a module whose importers were not read as still to be looked for (to
        find out which functions a claim rests on). `known_modules`: every module of the
        project, read or not (default: project.python_files). `looked`: in claim mode,
        the import nodes whose importers were looked for already."""
        self.project = project
        self.searched = searched
        self.looked = looked or set()
        self.known_modules = known_modules
        self._importers: dict[str, list[Edge]] | None = None
        self.callers: dict[str, list[Edge]] = {}
        self.hooks: set[str] = set()  # start-up hooks and Django's ready(): entries
        self.functions: dict[str, Switch] = {}  # switch functions, dotted
        # functions a command line runs for a sub-command (extract/cli_commands.py): a
        # way up that ends there ends where a process names that sub-command
        self.cli_functions: set[str] = set()
        self.pseudo: set[str] = set()  # `node#word`: a branch on the first word, never called
        for ff in project.facts:
            processes = ff.processes
            if processes is None or not ff.module or ff.is_test:
                continue  # no deployment runs a test's calls
            prefix = f"{ff.module}."
            for fn in ff.functions:
                if fn.is_startup_hook or fn.qualname.rpartition(".")[2] == "ready":
                    self.hooks.add(prefix + fn.qualname)
            for qualname, switch in processes.switch_functions.items():
                self.functions[prefix + qualname] = switch
            cli = processes.cli
            branched: dict[tuple[str, str], list[str]] = {}
            if cli is not None:
                for scope, callee, pseudo in cli.branches:
                    branched.setdefault((scope, callee), []).append(pseudo)
            for scope, callees in processes.calls.items():
                gated = processes.call_switches.get(scope, {})
                caller = _caller(ff, scope)
                for callee in callees:
                    # called only under `if args.command == "clock":`: the way in is
                    # that sub-command (a pseudo-command nothing else calls)
                    for way in branched.get((scope, callee)) or [caller]:
                        self.callers.setdefault(callee, []).append((way, gated.get(callee)))
            if cli is not None:
                self.cli_functions.update(function for _, function, _ in cli.callbacks)
                self.pseudo.update(pseudo for _, _, pseudo in cli.branches)
                for scope, handed in cli.hands.items():
                    # `ctx.invoke(other_command)`: the other command runs there
                    caller = _caller(ff, scope)
                    for callee in handed:
                        self.callers.setdefault(callee, []).append((caller, None))
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
        """A start's own switch, or the walk up from the function that holds it (module
        level: from the imports of its module). None: not followed (ungated)."""
        if own is not None:
            return Gate(own)
        if not ff.module or (enclosing is not None and "<locals>" in enclosing):
            return None
        if enclosing is None:
            return self._walk(import_node(ff.module), 0, set())
        return self._walk(f"{ff.module}.{enclosing}", 0, set())

    def commands_of(self, ff: FileFacts, enclosing: str | None) -> frozenset[str] | None:
        """The command-line functions every way up from code in `enclosing` (None: the
        module's top level) ends at, when every way ends at one (deploy/cli.py decides
        which processes run them); else None. A switch on the way is not passed: such a
        way is the switch's to decide."""
        if not self.cli_functions:
            return None
        found = self.walk_from(ff, enclosing, None)
        if isinstance(found, Walk) and found.command_gated:
            return frozenset(found.commands)
        return None

    def of_import(self, ff: FileFacts) -> tuple[str, Gate | None]:
        """How a module's top-level code comes to run: ("entered", None) where some way
        loads it unconditionally (or cannot be followed), or a command line's sub-command
        does, ("gated", gate) where every way passes a switch, ("uncalled", None) where it
        is imported only inside functions nothing calls."""
        if not ff.module:
            return "entered", None
        walk = self._walk(import_node(ff.module), 0, set())
        if walk.entered:
            return "entered", None
        if walk.switches:
            return "gated", Gate(walk.switches[0], tuple(dict.fromkeys(walk.scripts)))
        if walk.uncalled and not walk.scripts and not walk.commands:
            return "uncalled", None
        # a sub-command's function imports it: loaded where a process names that
        # sub-command (deploy/cli.py decides which do)
        return "entered", None

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
        if function.endswith(f".{IMPORT_NODE}"):
            edges = self.importers(function[: -len(IMPORT_NODE) - 1])
            if self.searched is None:
                walk.pending = function not in self.looked  # importers still to look for
            elif not edges or function not in self.searched:
                walk.ungated = walk.entered = True  # an entry module, or importers unread
        else:
            edges = self._edges(function)
            complete = function in self.pseudo or self._complete(function)
            if function in self.hooks or not complete:
                walk.ungated = walk.entered = True  # the framework or code not read calls it
            elif not edges:
                walk.ungated = walk.uncalled = True  # nothing in the project calls it
                if function in self.cli_functions:
                    walk.commands.append(function)  # but a command line runs it
                else:
                    walk.elsewhere = True
        for caller, switch in edges:
            if walk.entered:
                break
            switch = self.resolve(switch)
            if switch is not None:
                walk.switches.append(switch)
            elif caller.startswith(MAIN_SCOPE):
                walk.scripts.append(caller.partition(":")[2])
            elif caller.startswith(MODULE_SCOPE) or depth >= MAX_HOPS:
                walk.ungated = walk.entered = True
            elif caller not in seen:
                above = self._walk(caller, depth + 1, seen)
                walk.ungated |= above.ungated
                walk.entered |= above.entered
                walk.uncalled |= above.uncalled
                walk.pending |= above.pending
                walk.switches.extend(above.switches)
                walk.scripts.extend(above.scripts)
                walk.visited |= above.visited
                walk.commands.extend(above.commands)
                walk.elsewhere |= above.elsewhere
        if depth == 0:
            self._memo[function] = walk
        return walk

    # -------------------------------------------------------------------- imports

    def importers(self, module: str) -> list[Edge]:
        """Who loads `module`: (the importer's import node, or the function holding a
        lazy import; the switch the import runs under). Importing `a.b.c` loads `a` and
        `a.b` too. Built on first use: only a start at module level asks."""
        if self._importers is None:
            self._importers = self._import_index()
        return self._importers.get(module, [])

    def _import_index(self) -> dict[str, list[Edge]]:
        from .imports import parents_and_self

        known = self.known_modules
        if known is None:
            known = set(self.project.python_files.values()) | set(self.project.modules)
        index: dict[str, list[Edge]] = {}
        for ff in self.project.facts:
            processes = ff.processes
            if processes is None or not ff.module or ff.is_test:
                continue
            for dotted in processes.imports:
                found = _module_named(dotted, ff.module, known)
                if found is None:
                    continue
                sites = processes.import_sites.get(dotted) or [(MODULE_SCOPE, None)]
                for target in parents_and_self(found, known):
                    if target == ff.module:
                        continue
                    listed = index.setdefault(target, [])
                    for scope, switch in sites:
                        caller = (
                            import_node(ff.module)
                            if scope == MODULE_SCOPE
                            else f"{ff.module}.{scope}"
                        )
                        if (caller, switch) not in listed:
                            listed.append((caller, switch))
        return index


@dataclass
class Walk:
    ungated: bool = False  # some way up reaches an entry without passing a switch
    entered: bool = False  # ... through code that runs unconditionally, or not followed
    uncalled: bool = False  # ... through a function nothing in the project calls
    pending: bool = False  # a module whose importers were not read yet (claim mode)
    switches: list[Switch] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # main guards of scripts on the way
    visited: set[str] = field(default_factory=set)  # functions whose callers it rests on
    # command-line functions where ways up end (nothing in the project calls them, a
    # sub-command does); `elsewhere`: some way up ends at another uncalled function
    commands: list[str] = field(default_factory=list)
    elsewhere: bool = False

    @property
    def command_gated(self) -> bool:
        """Every way up ends at a command-line function (and none passes a switch, a
        script's main guard, or code that runs unconditionally)."""
        return bool(self.commands) and not (
            self.elsewhere or self.entered or self.switches or self.scripts or self.pending
        )


def _is_method(project: Project, owner: str) -> bool:
    """`owner` names a class (a module's attribute that is no module of its own)."""
    module = owner.rpartition(".")[0]
    return bool(module) and module in project.modules and owner not in project.modules


def claim_functions(
    project: Project, known_modules: set[str] | None = None, looked: set[str] | None = None
) -> set[str]:
    """Functions whose callers a switch claim rests on: the walks up from every scheduler
    start and task start that pass a switch (engine.py then looks for their callers in
    the files the prefilter did not read), and the import nodes of a module-level start
    whose importers are still to be read (a lazy import under a switch may be up there)."""
    paths = SwitchPaths(project, known_modules=known_modules, looked=looked)
    out: set[str] = set()
    for ff in project.facts:
        processes = ff.processes
        if processes is None:
            continue
        # (enclosing, its own switch, may a switch claim start there)
        switchable = bool(processes.starts or processes.task_switches)
        subjects = [(site.enclosing, site.switch, switchable) for site in processes.starts]
        subjects += [
            (raw.enclosing, processes.task_switches.get((raw.line, raw.column)), switchable)
            for raw in ff.jobs
            if raw.kind == "create_task"
        ]
        if paths.cli_functions:
            # a thread's way up matters to a command-line claim only (BGT022 threads)
            subjects += [(raw.enclosing, None, False) for raw in ff.jobs if raw.kind == "thread"]
        for enclosing, own, switchable in subjects:
            found = paths.walk_from(ff, enclosing, paths.resolve(own)) if switchable else None
            if isinstance(found, Walk):
                if enclosing is None:
                    if not found.entered and (found.switches or found.pending):
                        out |= found.visited
                elif not found.ungated and found.switches:
                    out |= found.visited
            if paths.cli_functions:
                # a command-line claim (deploy/cli.py) walks past the start's own switch
                walked = paths.walk_from(ff, enclosing, None)
                if isinstance(walked, Walk) and _may_be_command_gated(walked):
                    out |= walked.visited
    return out


def _may_be_command_gated(walk: Walk) -> bool:
    """Every way up read so far ends at a command-line function (or at a module whose
    importers are still to be read): its callers are worth looking for everywhere."""
    if walk.elsewhere or walk.entered or walk.switches or walk.scripts:
        return False
    return bool(walk.commands) or walk.pending


def may_claim(ff: FileFacts) -> bool:
    """Could a switch claim start from this file: a call under a switch, or a start at
    module level (whose module may be imported only under one); or a command-line claim
    (deploy/cli.py): the file builds a command line."""
    processes = ff.processes
    if processes is None:
        return False
    if processes.cli is not None and processes.cli.callbacks:
        return True  # a command line: a start may run only under some sub-commands
    return bool(processes.call_switches) or any(s.enclosing is None for s in processes.starts)


def import_node(module: str) -> str:
    return f"{module}.{IMPORT_NODE}"


def import_pattern(node: str) -> tuple[bytes, re.Pattern[bytes]] | None:
    """(name, pattern) that finds a file importing the module of `node` (`from a.b import
    c`, `import a.b.c`, `from .c import x`, `from a import (b,\n c)`); None: not a node."""
    if not node.endswith(f".{IMPORT_NODE}"):
        return None
    name = node[: -len(IMPORT_NODE) - 1].rpartition(".")[2]
    if len(name) < MIN_IMPORT_NAME:
        return b"", re.compile(rb"(?!)")  # too short to look for: never complete
    word = re.escape(name.encode())
    return name.encode(), re.compile(
        rb"^[ \t]*(?:from[ \t]+[\w.]*\b" + word + rb"\b|from[ \t]+[\w.]+[ \t]+import[ \t]*"
        rb"(?:\([^)]*|[^\n#;]*)\b" + word + rb"\b|import[ \t]+[^\n#;]*\b" + word + rb"\b)",
        re.MULTILINE,
    )


def _module_named(dotted: str, importer: str, known: set[str]) -> str | None:
    """The project module an import names: as written, or under one of the importer's
    ancestor packages (code run from inside a package imports `common.job` for
    `apps.common.job`). A name that is no module (`a.b.function`) is None."""
    if dotted in known:
        return dotted
    parts = importer.split(".")[:-1]
    for i in range(len(parts), 0, -1):
        candidate = f"{'.'.join(parts[:i])}.{dotted}"
        if candidate in known:
            return candidate
    return None


def _caller(ff: FileFacts, scope: str) -> str:
    if scope == MAIN_SCOPE:
        return f"{MAIN_SCOPE}:{ff.path}"
    if scope == MODULE_SCOPE:
        return f"{MODULE_SCOPE}:{ff.module}"
    return f"{ff.module}.{scope}"
