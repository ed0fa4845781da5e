"""Command lines a file builds: which function each sub-command runs (deploy/cli.py).

A service often runs one Python command line in several processes, each with its own
sub-command (`python -m app run-scheduler` in one, `python -m app run-worker` in nine):
only the function registered for that sub-command (and what it calls) runs there. Read
statically, for the dispatchers most projects use:

- typer: `app = typer.Typer()`, `@app.command()` (named after the function, `_` -> `-`),
  `@app.command("name")`, `@app.callback()` / `Typer(callback=f)` (run before every
  sub-command), `app.add_typer(sub, name="db")`;
- click: `@click.group()` (its function runs before every sub-command), `@group.command()`,
  `@group.group()`, `@click.command()` with `group.add_command(cmd, "name")`,
  `click.Group()`; a command named after its function `init_data` is `init-data`
  (click 7+), and `init_data_command` is `init-data-command` before click 8.2 and
  `init-data` since (both are kept: a process naming either runs that function or none);
- argparse: `sub = parser.add_subparsers()`, `p = sub.add_parser("name", aliases=[...])`,
  `p.set_defaults(func=handler)`;
- a branch on the first word: `if args.command == "clock":` (the subparsers' `dest` or
  the first positional), `elif sys.argv[1] in ("work", "worker"):`, `match args.command:`
  (extract/cli_branches.py).

A name that is not a literal is recorded as None: that sub-command cannot be told apart,
and a process naming it stays unknown. Only files that name typer, click or argparse, or
register commands on a group imported from elsewhere, are read here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from ..model import CliFacts
from .cli_branches import branches
from .context import FileContext
from .names import dotted_expr, last_part

FRAMEWORKS = frozenset({"typer", "click", "argparse"})
TYPER_APPS = frozenset({"typer.Typer", "typer.main.Typer"})
CLICK_GROUP_CLASSES = frozenset({"click.Group", "click.core.Group"})
CLICK_GROUPS = frozenset({"click.group", "click.decorators.group"})
CLICK_COMMANDS = frozenset({"click.command", "click.decorators.command"})
PARSERS = frozenset({"argparse.ArgumentParser"})
# Methods of a group object that register a sub-command or run before every one.
DECORATOR_METHODS = frozenset({"command", "group", "callback"})
REGISTRY_CALLS = frozenset({"add_typer", "add_command"})
# click 8.2 drops these from a name derived from the function (`init_data_command`).
CLICK_SUFFIXES = ("command", "cmd", "group", "grp")
MAX_PER_SCOPE = 20
MODULE_SCOPE, MAIN_SCOPE = "<module>", "<main>"

# (callee as written, enclosing function, under main guard, call): python.py's call log
CallLog = list[tuple[str, str | None, bool, ast.Call]]


def collect(
    ctx: FileContext, call_log: CallLog, tree: ast.AST, source: bytes
) -> tuple[CliFacts | None, dict[int, list[str]]]:
    """(the command line this file builds, or None; id(call) -> the sub-command
    branches it runs under: `if args.command == "clock": run()`, extract/cli_branches.py)."""
    if not ctx.module:
        return None, {}
    imported = {dotted.partition(".")[0] for dotted in ctx.imports.names.values()}
    frameworks = imported & FRAMEWORKS
    argv = b"argv[1]" in source and _reads_argv(ctx)
    if not frameworks and not argv and not _registers(ctx, call_log):
        return None, {}
    reader = _Reader(ctx, call_log, tree, frameworks)
    facts = reader.read(argv)
    if not (facts.nodes or facts.children or facts.callbacks or facts.invokes or facts.hands):
        return None, {}
    return facts, reader.branched


def _registers(ctx: FileContext, call_log: CallLog) -> bool:
    """Does the file use a group defined elsewhere (`@app.command()`, `cli.add_command`)?"""
    for site in ctx.decorated:
        expr = site.decorator.decorator
        func = expr.func if isinstance(expr, ast.Call) else expr
        if isinstance(func, ast.Attribute) and func.attr in DECORATOR_METHODS:
            return True
    return any(last_part(text) in REGISTRY_CALLS for text, _, _, _ in call_log)


def _reads_argv(ctx: FileContext) -> bool:
    """`import sys` (or `from sys import argv`): it may dispatch on `sys.argv[1]`."""
    return any(d == "sys" or d == "sys.argv" for d in ctx.imports.names.values())


def typer_name(function: str) -> tuple[str, ...]:
    return (function.lower().replace("_", "-"),)


def click_names(function: str) -> tuple[str, ...]:
    """click 7+ names a command after its function with `_` -> `-`; 8.2 also drops a
    trailing `_command` / `_cmd` / `_group` / `_grp`."""
    name = function.lower().replace("_", "-")
    left, sep, suffix = name.rpartition("-")
    if sep and left and suffix in CLICK_SUFFIXES:
        return (name, left)
    return (name,)


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


class _Reader:
    def __init__(
        self, ctx: FileContext, call_log: CallLog, tree: ast.AST, frameworks: set[str]
    ) -> None:
        self.ctx = ctx
        self.prefix = f"{ctx.module}."
        self.call_log = call_log
        self.tree = tree
        self.frameworks = frameworks
        self.functions = {fn.qualname for fn in ctx.functions}
        self.facts = CliFacts()
        self.local: dict[str, str] = {}  # a module-level name -> the node it is
        self.targets: dict[int, str] = {}  # id(call) -> the plain name it is assigned to
        # scope -> (its node, the name parse_args() is bound to, the attributes that hold
        # the first positional word: a subparsers' dest or the first positional)
        self.dispatch: dict[str, tuple[str, str, frozenset[str]]] = {}
        self.branched: dict[int, list[str]] = {}  # id(call) -> `node#name` it runs under
        self.parsed: dict[int, str | None] = {}  # id(add_parser call) -> its sub-command

    # ---------------------------------------------------------------------- names

    def _dotted(self, node: ast.expr | None, enclosing: str | None = None) -> str | None:
        """The project-wide name of a group or function named by `node`, if any."""
        text = dotted_expr(node) if node is not None else None
        if not text:
            return None
        head = text.partition(".")[0]
        if text in self.local:
            return self.local[text]
        if enclosing is not None and head in self.ctx.function_locals.get(enclosing, ()):
            return None  # a local of the function: not a module-level object
        if self.ctx.imports.is_imported(text):
            return self.ctx.imports.resolve_text(text)
        if text in self.functions:
            return self.prefix + text
        return None

    def _command_names(self, function: str, group: str | None) -> tuple[str, ...]:
        kind = self.facts.nodes.get(group or "")
        if kind == "typer" or (kind is None and self.frameworks == {"typer"}):
            return typer_name(function)
        return click_names(function)

    # ----------------------------------------------------------------------- read

    def read(self, argv: bool) -> CliFacts:
        self._assignments()
        self._decorators()
        self._calls()
        if self.dispatch or argv:
            self.branched = branches(self.ctx, self.facts, self.dispatch, argv)
        return self.facts

    def _assignments(self) -> None:
        """`app = typer.Typer(...)`, `cli = click.Group(...)` at module level, and the name
        each call is assigned to (argparse parsers live in functions)."""
        for found in ast.walk(self.tree):
            if not isinstance(found, ast.Assign) or len(found.targets) != 1:
                continue
            target = found.targets[0]
            if isinstance(target, ast.Name) and isinstance(found.value, ast.Call):
                self.targets[id(found.value)] = target.id
        for stmt in self.ctx.module_statements:
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                continue
            target, value = stmt.targets[0], stmt.value
            if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
                continue
            made = self.ctx.imports.resolve(value.func) or ""
            node = self.prefix + target.id
            if made in TYPER_APPS:
                self._node(node, "typer", target.id)
                name = _literal(_keyword(value, "name"))
                if name is not None:
                    self.facts.names[node] = (name,)
                callback = self._dotted(_keyword(value, "callback"))
                if callback is not None:
                    line = self.ctx.position(value)[0]
                    self.facts.callbacks.append((node, callback, line))
            elif made in CLICK_GROUP_CLASSES:
                self._node(node, "click", target.id)
                name = _literal(value.args[0] if value.args else _keyword(value, "name"))
                if name is not None:
                    self.facts.names[node] = (name,)

    def _node(self, node: str, kind: str, local: str | None = None) -> None:
        self.facts.nodes.setdefault(node, kind)
        if local is not None:
            self.local[local] = node

    def _decorators(self) -> None:
        for site in self.ctx.decorated:
            qualname = site.function.qualname
            if "<locals>" in qualname or "." in qualname:
                continue  # a method or a nested function: not a module-level command
            expr = site.decorator.decorator
            call = expr if isinstance(expr, ast.Call) else None
            func = expr.func if isinstance(expr, ast.Call) else expr
            resolved = self.ctx.imports.resolve(func) or ""
            function = self.prefix + qualname
            line = self.ctx.position(site.func_node)[0]
            given = self._given_name(call)
            if resolved in CLICK_GROUPS or resolved in CLICK_COMMANDS:
                # the function's name now holds the click object: `cli()` runs it
                kind = "click" if resolved in CLICK_GROUPS else "command"
                self._node(function, kind, qualname)
                self.facts.names[function] = (given,) if given else click_names(qualname)
                self.facts.callbacks.append((function, function, line))
                continue
            if not isinstance(func, ast.Attribute) or func.attr not in DECORATOR_METHODS:
                continue
            group = self._dotted(func.value)
            if group is None or group.partition(".")[0] in FRAMEWORKS:
                continue  # `@click.command` resolved above; anything else is no group
            if func.attr == "callback":
                self.facts.callbacks.append((group, function, line))
                continue
            kind = "click" if func.attr == "group" else "command"
            # a click sub-group is an object other commands name; a typer command stays
            # a plain function that code may call
            self._node(function, kind, qualname if kind == "click" else None)
            self.facts.callbacks.append((function, function, line))
            names: Iterable[str | None]
            if call is not None and given is None and self._names_a_value(call):
                names = (None,)  # named by an expression: not a literal
            else:
                names = (given,) if given else self._command_names(qualname, group)
            self.facts.names[function] = tuple(n for n in names if n)
            for name in names:
                self.facts.children.append((group, name, function, line))

    def _given_name(self, call: ast.Call | None) -> str | None:
        if call is None:
            return None
        return _literal(call.args[0] if call.args else _keyword(call, "name"))

    def _names_a_value(self, call: ast.Call) -> bool:
        first = call.args[0] if call.args else _keyword(call, "name")
        return first is not None and _literal(first) is None

    def _calls(self) -> None:
        for text, enclosing, main, call in self.call_log:
            scope = enclosing or (MAIN_SCOPE if main else MODULE_SCOPE)
            method = last_part(text)
            receiver = text.rpartition(".")[0]
            if text in self.local:
                self._listed(self.facts.invokes, scope, self.local[text])
            elif method == "main" and receiver:
                group = self.local.get(receiver) or self._dotted(_name_node(receiver), enclosing)
                if group is not None:
                    self._listed(self.facts.invokes, scope, group)
            elif method in ("add_typer", "add_command") and receiver:
                self._add_child(receiver, method, call, enclosing)
            elif method in ("invoke", "forward") and call.args and self.frameworks:
                handed = self._dotted(call.args[0], enclosing)
                if handed is not None:
                    self._listed(self.facts.hands, scope, handed)
        if "argparse" in self.frameworks:
            self._argparse()

    def _listed(self, table: dict[str, list[str]], scope: str, value: str) -> None:
        listed = table.setdefault(scope, [])
        if value not in listed and len(listed) < MAX_PER_SCOPE:
            listed.append(value)

    def _add_child(self, receiver: str, method: str, call: ast.Call, enclosing: str | None) -> None:
        group = self.local.get(receiver) or self._dotted(_name_node(receiver), enclosing)
        if group is None or not call.args:
            return
        child = self._dotted(call.args[0], enclosing)
        if child is None:
            return
        named = _keyword(call, "name")
        if method == "add_command" and named is None and len(call.args) > 1:
            named = call.args[1]
        name: str | None = "" if named is None else _literal(named)
        line = self.ctx.position(call)[0]
        self.facts.children.append((group, name, child, line))

    # ------------------------------------------------------------------- argparse

    def _argparse(self) -> None:
        """`sub = parser.add_subparsers(); p = sub.add_parser("run"); p.set_defaults(
        func=run)`, read scope by scope (a parser is usually a function's local)."""
        parsers: dict[tuple[str, str], str] = {}  # (scope, name) -> node
        subparsers: dict[tuple[str, str], str] = {}  # (scope, name) -> its parser's node
        named: dict[tuple[str, str], str] = {}  # a sub-parser's name -> its sub-command
        holders: dict[tuple[str, str], set[str]] = {}  # a parser's sub-command attributes
        for text, enclosing, main, call in self.call_log:
            scope = enclosing or (MAIN_SCOPE if main else MODULE_SCOPE)
            target = self.targets.get(id(call))
            method = last_part(text)
            receiver = text.rpartition(".")[0]
            if (self.ctx.imports.resolve_text(text) in PARSERS) and target:
                parsers[(scope, target)] = self.prefix + scope
                holders[(scope, target)] = set()
            elif method == "add_argument" and (scope, receiver) in holders:
                first = _literal(call.args[0]) if call.args else None
                if first is not None and not first.startswith("-"):
                    holders[(scope, receiver)].add(first)  # a positional, dest as written
            elif method == "parse_args" and (scope, receiver) in holders and target:
                attributes = holders[(scope, receiver)]
                if len(attributes) == 1:  # the first positional word is that attribute
                    self.dispatch[scope] = (
                        parsers[(scope, receiver)],
                        target,
                        frozenset(attributes),
                    )
            elif method == "add_subparsers" and (scope, receiver) in parsers:
                dest = _literal(_keyword(call, "dest"))
                if dest:
                    holders[(scope, receiver)].add(dest)
                if target:
                    subparsers[(scope, target)] = parsers[(scope, receiver)]
            elif method == "add_parser" and (scope, receiver) in subparsers:
                pseudo = self._sub_parser(subparsers[(scope, receiver)], call)
                if pseudo is not None and target:
                    named[(scope, target)] = pseudo
            elif method == "set_defaults":
                if (scope, receiver) in named:
                    self._handler(named[(scope, receiver)], call, enclosing)
                elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call):
                    inner = call.func.value  # sub.add_parser("run").set_defaults(func=run)
                    inner_text = dotted_expr(inner.func) or ""
                    found = subparsers.get((scope, inner_text.rpartition(".")[0]))
                    if last_part(inner_text) == "add_parser" and found is not None:
                        pseudo = self._sub_parser(found, inner)
                        if pseudo is not None:
                            self._handler(pseudo, call, enclosing)

    def _sub_parser(self, parent: str, call: ast.Call) -> str | None:
        """`sub.add_parser("clock", aliases=["tick"])`: the sub-command `parent#clock`,
        typed as any of its names."""
        if id(call) in self.parsed:
            return self.parsed[id(call)]
        names = self._parser_names(call)
        line = self.ctx.position(call)[0]
        self._node(parent, "argparse")
        pseudo = f"{parent}#{names[0]}" if names else None
        self.parsed[id(call)] = pseudo
        if pseudo is None:
            self.facts.children.append((parent, None, f"{parent}#?", line))
            return None
        self._node(pseudo, "command")
        for name in names or ():
            self.facts.children.append((parent, name, pseudo, line))
        return pseudo

    def _parser_names(self, call: ast.Call) -> tuple[str, ...] | None:
        first = _literal(call.args[0] if call.args else _keyword(call, "name"))
        if first is None:
            return None
        names = [first]
        aliases = _keyword(call, "aliases")
        if isinstance(aliases, ast.List | ast.Tuple):
            names += [n for n in (_literal(e) for e in aliases.elts) if n]
        return tuple(names)

    def _handler(self, pseudo: str, call: ast.Call, enclosing: str | None) -> None:
        """`p.set_defaults(func=run)`: `run` is what the sub-command runs (through
        `args.func(args)`)."""
        line = self.ctx.position(call)[0]
        for keyword in call.keywords:
            if not isinstance(keyword.value, ast.Name | ast.Attribute):
                continue
            handler = self._dotted(keyword.value, enclosing)
            if handler is not None:
                self.facts.callbacks.append((pseudo, handler, line))
                return


def _name_node(text: str) -> ast.expr | None:
    """`cli` or `pkg.cli` as an expression for `_dotted`."""
    parts = text.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    node: ast.expr = ast.Name(parts[0])
    for part in parts[1:]:
        node = ast.Attribute(node, part)
    return node
