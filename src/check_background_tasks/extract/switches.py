"""Configuration switches: the tests that decide per process whether code runs.

`if app.config["RUN_SCHEDULER"]: scheduler.start()`, `if not should_start(app): return`
(where `should_start` only returns a configuration reading), `if settings.SCHEDULER_ENABLED`,
`if os.environ.get("RUN_JOBS") == "1"`: the deployment decides which processes set the
switch, so a scheduler started under one is started where someone chose to start it.

A *reading* is a value read from configuration:

- the environment: `os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)` (also
  imported as `environ` / `getenv`);
- a configuration mapping: `app.config[...]`, `current_app.config.get(...)`,
  `settings["..."]`, `config.getboolean("section", "...")`, python-decouple's `config(...)`;
- a configuration object's attribute: `settings.X` (also `django.conf.settings`),
  `self.config.x`, `get_settings().x`, a name imported from a `settings` / `config` module;
- a module constant of this file that holds one (`ENABLED = os.getenv("X") == "1"`).

A test is a switch when it holds only where a reading does: the reading itself, `not` it,
a comparison with constants, a conversion (`bool(...)`, `strtobool(...)`), `A and <other>`
(the other test only narrows it), or a call of a project function whose body only returns
such a reading (`should_*`, `*_enabled`). Anything else (`if jobs:`, `if self.running:`) is
not one. Readings that say which *mode* the code runs in (`TESTING`, `DEBUG`, `ENV`,
`ENVIRONMENT`, ...) are not switches either: they are the same in every production process.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ..model import Switch
from .context import FileContext
from .names import dotted_expr, resolves_into

CONFIG_WORDS = frozenset({"settings", "config", "conf", "cfg", "configuration", "configs"})
ENV_READS = frozenset({"os.getenv", "os.environ.get"})
MAPPING_METHODS = frozenset({"get", "getboolean", "getbool", "get_bool", "getint", "bool"})
CONVERSIONS = frozenset({"bool", "int", "str", "float"})
FOLDS = frozenset({"lower", "upper", "casefold"})
STRIPS = frozenset({"strip", "lstrip", "rstrip"})
# Setting names that say which mode the process runs in, not whether it runs the jobs.
MODE_WORDS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "pytest",
        "debug",
        "env",
        "environment",
        "stage",
        "staging",
        "mode",
        "dev",
        "development",
        "prod",
        "production",
        "werkzeug",
    }
)
MAX_DEPTH = 6
MAX_SWITCH_FUNCTION_STATEMENTS = 8


def _config_word(part: str) -> bool:
    lower = part.lower()
    return lower in CONFIG_WORDS or lower.endswith(("_settings", "_config", "_conf"))


def is_mode_name(name: str) -> bool:
    tokens = {t for t in re.split(r"[^a-z0-9]+", name.lower()) if t}
    return bool(tokens & MODE_WORDS)


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Reading:
    """A configuration value as an expression computes it from one reading."""

    __slots__ = ("fold", "how", "name", "values")

    def __init__(self, name: str, how: str) -> None:
        self.name = name
        self.how = how  # raw | words | equals | opaque
        self.values: tuple[str, ...] = ()
        self.fold = False


class SwitchReader:
    """Switch tests of one file, and the switch each line of a scope runs under."""

    def __init__(
        self,
        ctx: FileContext,
        nodes: dict[str, ast.AST],
        tree: ast.AST,
        local_functions: set[str],
    ) -> None:
        self.ctx = ctx
        self.nodes = nodes
        self.tree = tree
        self.local_functions = local_functions
        self.root = (ctx.module or "").partition(".")[0]
        self._functions: dict[str, Switch | None] = {}
        self._spans: dict[str | None, list[tuple[int, int, Switch]]] = {}

    # ------------------------------------------------------------------- readings

    def reading(self, node: ast.expr, depth: int = 0) -> Reading | None:
        """The configuration value `node` reads, if it reads one."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Subscript):
            key = _string(node.slice)
            if key is None:
                return None
            holder = self._resolved(node.value)
            if holder == "os.environ":
                return self._named(key, "raw")
            if holder and _config_word(holder.rpartition(".")[2]):
                return self._named(key, "words")
            return None
        if isinstance(node, ast.Call):
            return self._call_reading(node, depth)
        if isinstance(node, ast.Attribute):
            return self._attribute_reading(node)
        if isinstance(node, ast.Name):
            resolved = self.ctx.imports.resolve_text(node.id)
            if resolved != node.id:
                module = resolved.rpartition(".")[0]
                if any(_config_word(part) for part in module.split(".")):
                    return self._named(node.id, "words")
                return None
            value = self.ctx.constants.get(node.id)
            if value is not None and value is not node:
                return self.reading(value, depth + 1)
        return None

    def _named(self, name: str, how: str) -> Reading | None:
        return None if is_mode_name(name) else Reading(name, how)

    def _resolved(self, node: ast.AST) -> str | None:
        text = dotted_expr(node)
        return self.ctx.imports.resolve_text(text) if text else None

    def _call_reading(self, node: ast.Call, depth: int) -> Reading | None:
        func = node.func
        resolved = self._resolved(func) or ""
        if resolved in ENV_READS:
            key = _string(node.args[0]) if node.args else None
            return self._named(key, "raw") if key else None
        if resolved == "decouple.config":
            key = _string(node.args[0]) if node.args else None
            return self._named(key, "words") if key else None
        if isinstance(func, ast.Attribute):
            holder = self._resolved(func.value)
            if func.attr in MAPPING_METHODS and holder:
                if holder == "os.environ":
                    key = _string(node.args[0]) if node.args else None
                    return self._named(key, "raw") if key else None
                if _config_word(holder.rpartition(".")[2]):
                    strings = [_string(a) for a in node.args[:2]]
                    keys = [k for k in strings if k is not None]
                    # configparser's get(section, option) names the option
                    return self._named(keys[-1], "words") if keys else None
            if func.attr in FOLDS | STRIPS and not node.args:
                inner = self.reading(func.value, depth + 1)
                if inner is not None and func.attr in FOLDS:
                    inner.fold = True
                return inner
        name = dotted_expr(func)
        last = (name or "").rpartition(".")[2].lower()
        if name and len(node.args) == 1 and (last in CONVERSIONS or "bool" in last):
            inner = self.reading(node.args[0], depth + 1)
            if inner is not None and inner.how == "raw":
                inner.how = "words"  # converted: `bool(int(...))`, `strtobool(...)`
            return inner
        return None

    def _attribute_reading(self, node: ast.Attribute) -> Reading | None:
        text = dotted_expr(node)
        if text is None:
            inner = node.value
            if isinstance(inner, ast.Call):  # get_settings().scheduler_enabled
                made = (dotted_expr(inner.func) or "").rpartition(".")[2].lower()
                if any(word in made for word in ("settings", "config")):
                    return self._named(node.attr, "words")
            return None
        resolved = self.ctx.imports.resolve_text(text)
        if resolves_into(resolved, "django.conf.settings"):
            return self._named(resolved[len("django.conf.settings.") :], "words")
        parts = text.split(".")
        for i, part in enumerate(parts[:-1]):
            if _config_word(part):
                return self._named(".".join(parts[i + 1 :]), "words")
        return None

    # ---------------------------------------------------------------------- tests

    def holds(self, node: ast.expr, positive: bool = True, depth: int = 0) -> Switch | None:
        """The switch that must hold for `node` to evaluate truthy (`positive`) or falsy."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.holds(node.operand, not positive, depth + 1)
        if isinstance(node, ast.BoolOp):
            # `A and B` true needs A (and B); `A or B` false needs not A (and not B)
            narrowing = isinstance(node.op, ast.And) == positive
            operands = [self.holds(v, positive, depth + 1) for v in node.values]
            if narrowing:
                return next((s for s in operands if s is not None), None)
            return operands[0] if all(s is not None for s in operands) else None
        if isinstance(node, ast.Compare):
            return self._compare(node, positive, depth)
        if isinstance(node, ast.Call):
            called = self._switch_call(node, positive, depth)
            if called is not None:
                return called
        found = self.reading(node, depth + 1)
        if found is None:
            return None
        return self._switch(node, found, negated=not positive)

    def _compare(self, node: ast.Compare, positive: bool, depth: int) -> Switch | None:
        if len(node.ops) != 1:
            return None
        left, right, op = node.left, node.comparators[0], node.ops[0]
        found = self.reading(left, depth + 1)
        if found is not None:
            values = _strings(right)
            if values is None:
                return None
            if isinstance(op, ast.Eq | ast.In | ast.NotEq | ast.NotIn):
                found.how, found.values = "equals", values
                negated = isinstance(op, ast.NotEq | ast.NotIn) == positive
                return self._switch(node, found, negated)
            found.how = "opaque"
            return self._switch(node, found, not positive)
        found = self.reading(right, depth + 1)
        if found is not None and _strings(left) is not None:
            found.how = "opaque"  # `"gunicorn" in os.environ.get("SERVER_SOFTWARE", "")`
            return self._switch(node, found, not positive)
        return None

    def _switch(self, node: ast.AST, found: Reading, negated: bool) -> Switch:
        line, _ = self.ctx.position(node)
        return Switch(
            name=found.name,
            text=_short(self.ctx.code(node)),
            path=self.ctx.path,
            line=line,
            negated=negated,
            how=found.how,
            values=found.values,
            fold=found.fold,
        )

    def _switch_call(self, node: ast.Call, positive: bool, depth: int) -> Switch | None:
        """`should_start(app)`: a project function whose body returns a reading."""
        name = dotted_expr(node.func)
        if not name:
            return None
        line, _ = self.ctx.position(node)
        text = _short(self.ctx.code(node))
        if name in self.local_functions and "." not in name:
            inner = self.function_switch(name, depth + 1)
            if inner is None:
                return None
            negated = inner.negated != (not positive)
            return _at(inner, text, self.ctx.path, line, negated, f"{name}()")
        head = name.partition(".")[0]
        if self.ctx.imports.is_imported(head):
            resolved = self.ctx.imports.resolve_text(name)
            if self.root and resolved.partition(".")[0] == self.root:
                # resolved project-wide (deploy/switches.py); unresolved, it gates nothing
                return Switch("", text, self.ctx.path, line, not positive, call=resolved)
        return None

    def function_switch(self, qualname: str, depth: int = 0) -> Switch | None:
        """The switch a function's result stands for: its body only returns a reading
        (`return settings.X`), or returns a falsy constant unless one holds."""
        if qualname in self._functions:
            return self._functions[qualname]
        self._functions[qualname] = None  # recursion
        found = self._function_switch(qualname, depth)
        self._functions[qualname] = found
        return found

    def _function_switch(self, qualname: str, depth: int) -> Switch | None:
        node = self.nodes.get(qualname)
        body = list(getattr(node, "body", []))
        if body and _is_docstring(body[0]):
            body = body[1:]
        if not body or len(body) > MAX_SWITCH_FUNCTION_STATEMENTS:
            return None
        needed: Switch | None = None
        for stmt in body:
            if isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1:
                result = stmt.body[0]
                if not isinstance(result, ast.Return) or not _constant(result.value):
                    return None
                if _truthy(result.value):
                    return None  # true where the test holds alone: not one switch
                if needed is None:
                    needed = self.holds(stmt.test, positive=False, depth=depth + 1)
                continue
            if isinstance(stmt, ast.Return):
                if stmt.value is None or _constant(stmt.value):
                    return needed if stmt.value is not None and _truthy(stmt.value) else None
                return needed or self.holds(stmt.value, True, depth + 1)
            return None
        return None

    # ---------------------------------------------------------------------- scopes

    def at(self, scope: str | None, line: int) -> Switch | None:
        """The switch the code at `line` of `scope` (a function's qualname, None: module
        level) runs under: an `if` around it, or an early `return` above it."""
        spans = self._spans.get(scope)
        if spans is None:
            spans = self._spans[scope] = self._scope_spans(scope)
        best: tuple[int, Switch] | None = None
        for first, last, switch in spans:
            if first <= line <= last and (best is None or last - first < best[0]):
                best = (last - first, switch)
        return best[1] if best else None

    def _scope_spans(self, scope: str | None) -> list[tuple[int, int, Switch]]:
        node = self.nodes.get(scope) if scope else self.tree
        out: list[tuple[int, int, Switch]] = []
        self._walk(list(getattr(node, "body", [])), out, scope is not None)
        return out

    def _walk(self, stmts: list[Any], out: list[tuple[int, int, Switch]], returns: bool) -> None:
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue  # another scope
            if isinstance(stmt, ast.If):
                if returns and _is_guard(stmt) and i + 1 < len(stmts):
                    switch = self.holds(stmt.test, positive=False)
                    if switch is not None:
                        last = _last_line(stmts[-1])
                        out.append((stmts[i + 1].lineno, last, switch))
                        # a nested span is smaller, so the nearer switch wins
                else:
                    if stmt.body:
                        switch = self.holds(stmt.test, positive=True)
                        if switch is not None:
                            out.append((stmt.body[0].lineno, _last_line(stmt.body[-1]), switch))
                    if stmt.orelse:
                        switch = self.holds(stmt.test, positive=False)
                        if switch is not None:
                            first = stmt.orelse[0].lineno
                            out.append((first, _last_line(stmt.orelse[-1]), switch))
            for name in ("body", "orelse", "finalbody"):
                children = getattr(stmt, name, None)
                if isinstance(children, list) and children and isinstance(children[0], ast.stmt):
                    self._walk(children, out, returns)
            for handler in getattr(stmt, "handlers", None) or []:
                self._walk(handler.body, out, returns)
            for case in getattr(stmt, "cases", None) or []:
                self._walk(case.body, out, returns)


def _at(inner: Switch, text: str, path: str, line: int, negated: bool, via: str) -> Switch:
    return Switch(
        name=inner.name,
        text=text,
        path=path,
        line=line,
        negated=negated,
        how=inner.how,
        values=inner.values,
        fold=inner.fold,
        via=via,
    )


def resolved_at(inner: Switch, call_site: Switch, function: str) -> Switch:
    """A call-site switch (`if not should_start(app)`) resolved to the function's reading."""
    negated = inner.negated != call_site.negated
    return _at(inner, call_site.text, call_site.path, call_site.line, negated, f"{function}()")


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _strings(node: ast.AST) -> tuple[str, ...] | None:
    """A constant (or a tuple/list/set of constants) compared with, as text."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    out: list[str] = []
    for item in items:
        if not isinstance(item, ast.Constant) or item.value is None:
            return None
        value = item.value
        out.append(str(value).lower() if isinstance(value, bool) else str(value))
    return tuple(out)


def _constant(node: ast.AST | None) -> bool:
    return node is None or isinstance(node, ast.Constant)


def _truthy(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_guard(stmt: ast.If) -> bool:
    """`if T: return` / `raise` (a log call before it is fine), with no else."""
    if stmt.orelse or not stmt.body:
        return False
    *before, last = stmt.body
    return isinstance(last, ast.Return | ast.Raise) and all(
        isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) for s in before
    )


def _last_line(stmt: ast.stmt) -> int:
    return getattr(stmt, "end_lineno", None) or stmt.lineno
