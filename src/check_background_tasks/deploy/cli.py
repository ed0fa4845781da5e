"""Which sub-command of a Python command line a process runs, and what that rules out.

`python -m app run-scheduler` and `python -m app run-worker q1` run the same entry module;
the command line it builds (extract/cli_commands.py: typer, click, argparse) runs only
the function registered for the sub-command given, with the callbacks of the groups on
the way (`@app.callback()`, a click group's own function). A scheduler started only
from other sub-commands' functions (deploy/switches.py finds every way up from its start
to where a process enters the code, and each ends at such a function) does not start in
that process.

A process is *resolved* when its entry module (or a function its `__main__` code or
module level calls, a few hops deep) invokes exactly one command-line root (`app()`,
`cli.main()`, a function that builds an argparse parser), and each word of its command
line names a sub-command of the group reached so far (options are skipped). Anything else
(a word set at run time, `$CMD`, a name registered by an expression, a group whose
parent cannot be told, an option's value read as a word) leaves the process unresolved,
and the model falls back to what it knew before: unknown, never "does not run".
"""

from __future__ import annotations

from dataclasses import dataclass

from ..link import Project

YES, NO = "yes", "no"
GROUP_KINDS = frozenset({"typer", "click", "argparse", "argv"})
MAX_HOPS = 3  # calls followed from the entry module to the command line's root
MAX_DEPTH = 6  # nested groups
MODULE_SCOPE, MAIN_SCOPE = "<module>", "<main>"
UNROOTED = "?"


@dataclass(frozen=True)
class Choice:
    """What a process runs: a command line's root and the sub-command names typed."""

    root: str
    names: tuple[str, ...]
    function: str | None  # the function the last name runs (None: a group's own)
    at: str  # where that function is defined (`robotoff/cli/main.py:20`)


class CliIndex:
    """Every command line of the project, merged across files."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.kinds: dict[str, str] = {}
        self.names: dict[str, tuple[str, ...]] = {}
        self.callbacks: dict[str, list[str]] = {}  # node -> functions it runs
        self.runs_in: dict[str, list[str]] = {}  # function -> nodes that run it
        self.where: dict[str, str] = {}  # function -> file:line
        raw_children: list[tuple[str, str | None, str, int, str]] = []
        self.invokes: dict[tuple[str, str], list[str]] = {}  # (module, scope) -> nodes
        for ff in project.facts:
            cli = ff.processes.cli if ff.processes is not None else None
            if cli is None or ff.is_test:
                continue
            for node, kind in cli.nodes.items():
                if self.kinds.get(node, "command") == "command":
                    self.kinds[node] = kind
            self.names.update(cli.names)
            for node, function, line in cli.callbacks:
                listed = self.callbacks.setdefault(node, [])
                if function not in listed:
                    listed.append(function)
                nodes = self.runs_in.setdefault(function, [])
                if node not in nodes:
                    nodes.append(node)
                self.where.setdefault(function, f"{ff.path}:{line}")
            raw_children += [(*child, ff.path) for child in cli.children]
            for scope, nodes in cli.invokes.items():
                self.invokes[(ff.module or "", scope)] = nodes
        # parent -> {name: children}; None among the names: one cannot be told apart
        self.children: dict[str, dict[str | None, list[str]]] = {}
        self.parents: dict[str, list[tuple[str, str | None]]] = {}
        for parent, name, child, _line, _path in raw_children:
            if self.kinds.get(parent) not in GROUP_KINDS:
                continue  # `@bot.command()` of a chat bot, or a group nobody saw made
            names: tuple[str | None, ...] = (name,)
            if name == "":
                names = self.names.get(child) or (None,)
            for each in names:
                self.children.setdefault(parent, {}).setdefault(each, []).append(child)
                self.parents.setdefault(child, []).append((parent, each))
        self._choices: dict[tuple[str, bool, tuple[str, ...]], Choice | None] = {}

    @property
    def empty(self) -> bool:
        return not self.children

    def is_command_function(self, function: str) -> bool:
        return function in self.runs_in

    # ------------------------------------------------------------------ processes

    def choice(self, module: str, as_main: bool, argv: tuple[str, ...]) -> Choice | None:
        """The sub-command a process running `module` with `argv` runs, or None."""
        key = (module, as_main, argv)
        if key not in self._choices:
            self._choices[key] = self._choice(module, as_main, argv)
        return self._choices[key]

    def _choice(self, module: str, as_main: bool, argv: tuple[str, ...]) -> Choice | None:
        if self.empty:
            return None
        roots = self._roots(module, as_main)
        if len(roots) != 1 or UNROOTED in roots:
            return None
        root = roots.pop()
        node, words = root, list(argv)
        names: tuple[str, ...] = ()
        for _ in range(MAX_DEPTH):
            children = self.children.get(node)
            if not children:
                break  # a command: what follows are its arguments
            # `sys.argv[1]` is the first word as typed, an option included
            word = _next_word(words, self.kinds.get(node) != "argv")
            if word is None:
                return None  # no sub-command, or one set at run time
            found = list(dict.fromkeys(children.get(word) or ()))
            if not found and self.kinds.get(node) == "argv":
                # `sys.argv[1]` is this word whatever the branches test: none is taken
                return Choice(root, (*names, word), None, "")
            if not found:
                return None  # not one the project registers (or an option's value)
            if len(found) > 1 and any(self.children.get(child) for child in found):
                return None  # two groups under one name: which one goes on is not known
            node, names = found[0], (*names, word)
        else:
            return None
        runs = self.callbacks.get(node, [])
        named = [f for f in runs if "#" not in f] or runs  # a function over a bare branch
        function = named[-1] if named else None  # a command's own function, or its handler
        at = self.where.get(function or "", "")
        return Choice(root, names, function, at)

    def _roots(self, module: str, as_main: bool) -> set[str]:
        """Command-line roots the entry module invokes, through a few calls."""
        modules = self.project.modules
        functions = self.project.functions
        todo: list[tuple[str, str]] = [(module, MODULE_SCOPE)]
        if as_main:
            todo.append((module, MAIN_SCOPE))
        roots: set[str] = set()
        seen: set[tuple[str, str]] = set()
        for _ in range(MAX_HOPS + 1):
            after: list[tuple[str, str]] = []
            for owner, scope in todo:
                if (owner, scope) in seen:
                    continue
                seen.add((owner, scope))
                own = f"{owner}.{scope}"
                if self.kinds.get(own) in GROUP_KINDS:
                    roots.add(own)  # a parser, or a branch on the word, at the top level
                ff = modules.get(owner)
                callees = list(self.invokes.get((owner, scope), []))
                if ff is not None and ff.processes is not None:
                    callees += ff.processes.calls.get(scope, [])
                for callee in callees:
                    callee = self._follow(callee)
                    if callee.endswith(".main") and callee[: -len(".main")] in self.kinds:
                        callee = callee[: -len(".main")]  # `cli.main(prog_name=...)`
                    if self.kinds.get(callee) in GROUP_KINDS or callee in self.parents:
                        roots.add(self._top(callee))
                        continue
                    found = functions.get(callee)
                    if found is not None and found[1].module:
                        after.append((found[1].module, found[0].qualname))
            todo = after
        return roots

    def _top(self, node: str) -> str:
        # a group that is itself another's sub-command, invoked on its own: its way from
        # the top is not what the words say
        return node if node not in self.parents else UNROOTED

    def _follow(self, dotted: str) -> str:
        """Through re-exports (`from .cli import app` in a package's `__init__`)."""
        modules = self.project.modules
        for _ in range(5):
            if dotted in self.kinds or dotted in self.project.functions:
                return dotted
            owner, _, name = dotted.rpartition(".")
            ff = modules.get(owner)
            if ff is None or name not in ff.imports:
                return dotted
            dotted = ff.imports[name]
        return dotted

    # ---------------------------------------------------------------------- starts

    def decide(self, choice: Choice, functions: frozenset[str]) -> str | None:
        """Does a process that made `choice` run any of `functions` (the command-line
        functions every way up from a start ends at)? YES, NO, or None: cannot tell."""
        undecided = False
        for function in sorted(functions):
            nodes = self.runs_in.get(function)
            if not nodes:
                undecided = True
                continue
            for node in nodes:
                for root, names in self.paths(node):
                    if root != choice.root or None in names:
                        undecided = True
                    elif choice.names[: len(names)] == names:
                        return YES
        return None if undecided else NO

    def paths(self, node: str, depth: int = 0) -> list[tuple[str, tuple[str | None, ...]]]:
        """(root, names typed to reach `node`) for each way a command line reaches it."""
        parents = self.parents.get(node)
        if not parents:
            return [(node, ())]
        if depth >= MAX_DEPTH:
            return [(UNROOTED, (None,))]
        out: list[tuple[str, tuple[str | None, ...]]] = []
        for parent, name in parents:
            for root, names in self.paths(parent, depth + 1):
                out.append((root, (*names, name)))
        return out


def _next_word(words: list[str], skip_options: bool = True) -> str | None:
    """The next word that is not an option; None when none is left, or it is not a
    plain word (`$CMD`, `${TASK}`, a quoted or templated value)."""
    while words:
        word = words.pop(0)
        if word.startswith("-"):
            if not skip_options:
                return None
            continue
        if not word or any(c in word for c in "$`{}'\"*?=/\\"):
            return None
        return word
    return None
