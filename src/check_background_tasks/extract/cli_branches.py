"""Sub-commands dispatched by a branch on the command line's first word.

    if args.command == "clock":          # argparse: the subparsers' dest, or the first
        clock.run()                      # positional, of the parser parse_args() read
    elif sys.argv[1] in ("work", "w"):   # or the first word itself
        worker.work()
    match args.command:
        case "clock": ...

Each branch becomes a pseudo-command `<scope node>#<word>` of the scope's node (the
function, or `<module>` / `<main>`; one with an empty body names a word all the same),
and the calls in its body run only under it: the
process model (deploy/cli.py) knows which processes name that word. A call in an `else:`
(any other word) or outside every branch is an ordinary call. Only the first level of
branches counts; a branch inside another runs under the outer one.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from ..model import CliFacts
from .context import FileContext

MODULE_SCOPE, MAIN_SCOPE = "<module>", "<main>"
MAX_BRANCHED_CALLS = 400

Matcher = Callable[[ast.expr], bool]


def branches(
    ctx: FileContext,
    facts: CliFacts,
    dispatch: dict[str, tuple[str, str, frozenset[str]]],
    argv: bool,
) -> dict[int, list[str]]:
    """id(call) -> the pseudo-commands it runs under; adds them to `facts`."""
    reader = _Branches(ctx, facts, dispatch, argv)
    for scope, body in _scopes(ctx):
        reader.scope(scope, body)
    return reader.branched


def _scopes(ctx: FileContext) -> Iterator[tuple[str, list[ast.stmt]]]:
    module: list[ast.stmt] = []
    for stmt in ctx.module_statements:
        if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
            yield MAIN_SCOPE, stmt.body
            module.extend(stmt.orelse)
        else:
            module.append(stmt)
    yield MODULE_SCOPE, module
    for qualname, nodes in ctx.function_nodes.items():
        if len(nodes) == 1 and isinstance(nodes[0], ast.FunctionDef | ast.AsyncFunctionDef):
            yield qualname, nodes[0].body


class _Branches:
    def __init__(
        self,
        ctx: FileContext,
        facts: CliFacts,
        dispatch: dict[str, tuple[str, str, frozenset[str]]],
        argv: bool,
    ) -> None:
        self.ctx = ctx
        self.prefix = f"{ctx.module}."
        self.facts = facts
        self.dispatch = dispatch
        self.argv = argv
        self.branched: dict[int, list[str]] = {}

    def scope(self, scope: str, body: list[ast.stmt]) -> None:
        found = self.dispatch.get(scope)
        if found is not None:
            node, holder, attributes = found
            kind = "argparse"

            def matches(expr: ast.expr) -> bool:
                return (
                    isinstance(expr, ast.Attribute)
                    and isinstance(expr.value, ast.Name)
                    and expr.value.id == holder
                    and expr.attr in attributes
                )

        elif self.argv:
            node, kind, matches = self.prefix + scope, "argv", self._first_word
        else:
            return
        self._statements(body, node, kind, matches)

    def _first_word(self, expr: ast.expr) -> bool:
        """`sys.argv[1]` (or `argv[1]` imported from sys)."""
        if not isinstance(expr, ast.Subscript):
            return False
        index = expr.slice
        if not (isinstance(index, ast.Constant) and index.value == 1):
            return False
        return self.ctx.imports.resolve(expr.value) == "sys.argv"

    # --------------------------------------------------------------------- walk

    def _statements(self, body: list[ast.stmt], node: str, kind: str, matches: Matcher) -> None:
        for stmt in body:
            if isinstance(stmt, ast.If):
                self._if(stmt, node, kind, matches)
            elif isinstance(stmt, ast.Match) and matches(stmt.subject):
                for case in stmt.cases:
                    names = _case_names(case.pattern)
                    if names:
                        self._branch(case.body, names, node, kind, case.pattern)
                    else:
                        self._statements(case.body, node, kind, matches)
            elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith):
                self._statements(stmt.body, node, kind, matches)
                self._statements(getattr(stmt, "orelse", []), node, kind, matches)
            elif isinstance(stmt, ast.Try):
                for part in (stmt.body, stmt.orelse, stmt.finalbody):
                    self._statements(part, node, kind, matches)
                for handler in stmt.handlers:
                    self._statements(handler.body, node, kind, matches)

    def _if(self, stmt: ast.If, node: str, kind: str, matches: Matcher) -> None:
        names = _test_names(stmt.test, matches)
        if names:
            self._branch(stmt.body, names, node, kind, stmt)
        else:
            self._statements(stmt.body, node, kind, matches)
        self._statements(stmt.orelse, node, kind, matches)  # `elif`: another If

    def _branch(
        self, body: list[ast.stmt], names: tuple[str, ...], node: str, kind: str, at: ast.AST
    ) -> None:
        calls = [call for stmt in body for call in _calls(stmt)]
        if len(self.branched) + len(calls) > MAX_BRANCHED_CALLS:
            return
        line = self.ctx.position(at)[0]
        pseudos = []
        facts = self.facts
        facts.nodes.setdefault(node, kind)
        for name in names:
            pseudo = f"{node}#{name}"
            pseudos.append(pseudo)
            facts.nodes.setdefault(pseudo, "command")
            facts.children.append((node, name, pseudo, line))
            facts.callbacks.append((pseudo, pseudo, line))
        for call in calls:
            self.branched.setdefault(id(call), []).extend(pseudos)


def _test_names(test: ast.expr, matches: Matcher) -> tuple[str, ...] | None:
    """The words a test admits: `x == "a"`, `"a" == x`, `x in ("a", "b")`, or one such
    comparison among the parts of an `and`."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        found = [n for n in (_test_names(v, matches) for v in test.values) if n]
        return found[0] if len(found) == 1 else None
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq):
        if matches(left) and _string(right) is not None:
            return (_string(right),)  # type: ignore[return-value]
        if matches(right) and _string(left) is not None:
            return (_string(left),)  # type: ignore[return-value]
        return None
    if (
        isinstance(op, ast.In)
        and matches(left)
        and isinstance(right, ast.Tuple | ast.List | ast.Set)
    ):
        words = [_string(e) for e in right.elts]
        if words and all(w is not None for w in words):
            return tuple(w for w in words if w is not None)
    return None


def _case_names(pattern: ast.pattern) -> tuple[str, ...] | None:
    if isinstance(pattern, ast.MatchValue):
        word = _string(pattern.value)
        return (word,) if word is not None else None
    if isinstance(pattern, ast.MatchOr):
        found = [_case_names(p) for p in pattern.patterns]
        if found and all(found):
            return tuple(w for names in found if names for w in names)
    return None


def _string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return node.value
    return None


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    """Calls made when `node` runs: not those of functions, classes or lambdas it defines."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
        return
    if isinstance(node, ast.Call):
        yield node
    for child in ast.iter_child_nodes(node):
        yield from _calls(child)


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    left, right = test.left, test.comparators[0]
    names = {n.id for n in (left, right) if isinstance(n, ast.Name)}
    strings = [n.value for n in (left, right) if isinstance(n, ast.Constant)]
    return isinstance(test.ops[0], ast.Eq) and names == {"__name__"} and strings == ["__main__"]
