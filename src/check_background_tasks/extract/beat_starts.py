"""Celery beat started from Python code, for BGT024 (deploy/beat_starts.py places it).

A deployed process runs beat when its entry module (`python run_beat.py`, `python -m
pkg.beat`) makes one of these calls, at its top level or under `if __name__ == "__main__":`
(or in a function called from there):

- `app.Beat(...).run()` (or `.start_scheduler()`): `app.Beat` is `celery.apps.beat.Beat`
  bound to the app. Also `Beat(app=app).run()` with `Beat` imported from
  `celery.apps.beat`, Celery 4's `celery.bin.beat.beat(app=app).run()`, and the object
  kept in a local first (`beat = app.Beat(); beat.run()`);
- `app.worker_main(argv)` whose literal argv embeds beat (`--beat`, `-B`);
- `app.start(argv)` whose literal argv names the `beat` sub-command (or `worker -B`).

Which words of an argv start beat is decided by the rule (rules/kubernetes_rules.py), with
the same parser as a command line; here only argvs that may are kept.

The receiver must be a Celery app: made by `Celery(...)` in this file, `celery.current_app`,
or imported (the deploy stage confirms that the module it comes from makes it with
`Celery(...)`). `Beat` of anything else, and an argv that is not a literal list, are not
recorded.

A call is known to run only when nothing decides whether it does: one under an `if` (other
than the main guard), in a `match` case or an `except` handler is not recorded, nor one in
a function whose every call is (`if sys.argv[1] == "beat": start_beat()` in a script that
the deployment may run with `worker`). The same holds across files: `guarded_roots` lists
the project functions this file calls at import or under the main guard only under such a
condition.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from ..model import BeatStart
from .context import arg_value, kwarg
from .names import dotted_expr

if TYPE_CHECKING:
    from .process_sites import _Call, _FilePass

# Constructors of a beat service whose `.run()` runs beat in this process.
BEAT_CLASSES = frozenset({"celery.apps.beat.Beat", "celery.bin.beat.beat"})
RUN_METHODS = frozenset({"run", "start_scheduler"})
ARGV_METHODS = frozenset({"worker_main", "start"})
CURRENT_APPS = frozenset({"celery.current_app", "celery._state.current_app"})
NOT_LITERAL = "<?>"
MAX_DEPTH = 4
MAX_WORDS = 40
# `try` statements (`try`/`except*` is parsed by Python 3.11 on).
TRY_NODES = (ast.Try, getattr(ast, "TryStar", ast.Try))
# Spans are (first line, last line) of code that may not run whenever its scope does.
Spans = list[tuple[int, int]]


class BeatFinder:
    def __init__(self, pass_: _FilePass) -> None:
        self.pass_ = pass_
        self.ctx = pass_.ctx
        self._spans: dict[str | None, Spans] = {}
        self._scopes: dict[str, tuple[frozenset[str], str | None]] = {}
        self._bound: dict[int, str] | None = None  # id(value) -> the name assigned it

    # --------------------------------------------------------------- conditions

    def guarded(self, scope: str | None, line: int) -> bool:
        """Does code at `line` of `scope` (a function's qualname, None: module level) sit
        under a condition?"""
        spans = self._spans.get(scope)
        if spans is None:
            node = self.pass_.nodes.get(scope) if scope else self.pass_.tree
            spans = self._spans[scope] = guarded_spans(list(getattr(node, "body", [])))
        return any(first <= line <= last for first, last in spans)

    def scope_contexts(self, qualname: str, depth: int = 0) -> tuple[frozenset[str], str | None]:
        """(contexts, how) in which a function of this file runs through calls nothing
        decides: "import", "main", else "function" (known only through other files)."""
        known = self._scopes.get(qualname)
        if known is not None:
            return known
        self._scopes[qualname] = (frozenset({"function"}), None)  # cycles
        contexts: set[str] = set()
        via: str | None = None
        if depth < MAX_DEPTH:
            for call in self.pass_.callers.get(qualname, []):
                found = self.call_contexts(call, depth + 1)
                contexts |= found
                if via is None and found:
                    via = f"{call.text}() at line {self.ctx.position(call.node)[0]}"
        result = (frozenset(contexts or {"function"}), via)
        self._scopes[qualname] = result
        return result

    def call_contexts(self, call: _Call, depth: int = 0) -> frozenset[str]:
        """Root contexts ("import", "main") in which `call` runs unconditionally."""
        line = self.ctx.position(call.node)[0]
        if self.guarded(call.enclosing, line):
            return frozenset()
        if call.enclosing is None:
            return frozenset({call.context})
        contexts, _ = self.scope_contexts(call.enclosing, depth)
        return contexts - {"function"}

    def guarded_roots(self) -> list[str]:
        """Project callees called at import / under the main guard, every time under a
        condition."""
        seen: dict[str, bool] = {}  # callee -> some call runs unconditionally
        for call in self.pass_.calls:
            callee = call.callee
            if call.local is not None or callee is None or seen.get(callee):
                continue
            contexts, _, _ = self.pass_.context_of(call.enclosing, call.context == "main")
            if not contexts & {"import", "main"}:
                continue
            seen[callee] = bool(self.call_contexts(call) & {"import", "main"})
        return [callee for callee, runs in seen.items() if not runs]

    # ------------------------------------------------------------------- starts

    def starts(self) -> list[BeatStart]:
        out: list[BeatStart] = []
        for call in self.pass_.calls:
            method = call.text.rpartition(".")[2]
            if method in RUN_METHODS:
                found = self._run(call)
            elif method in ARGV_METHODS:
                found = self._argv_call(call, method)
            else:
                continue
            if found is None:
                continue
            line, column = self.ctx.position(call.node)
            if self.guarded(call.enclosing, line):
                continue
            if call.enclosing is None:
                contexts, via = frozenset({call.context}), None
            else:
                contexts, via = self.scope_contexts(call.enclosing)
            if not contexts:
                continue  # every call of its function is under a condition
            callers: tuple[str, ...] = ()
            if "function" in contexts and call.enclosing and "<locals>" not in call.enclosing:
                callers = tuple(sorted(_exported(self.pass_.prefix, call.enclosing)))
            form, argv, app = found
            out.append(
                BeatStart(
                    line,
                    column,
                    _short(self.ctx.code(call.node)),
                    form,
                    argv,
                    app,
                    tuple(sorted(contexts)),
                    via,
                    callers,
                )
            )
        return out

    def _run(self, call: _Call) -> tuple[str, tuple[str, ...], str] | None:
        """`<Beat>(...).run()` or `beat.run()` with `beat = <Beat>(...)` in the same scope."""
        func = call.node.func
        if not isinstance(func, ast.Attribute):
            return None
        made: ast.expr | None = func.value
        if isinstance(made, ast.Name):
            made = self._made_in_scope(made.id, call)
        if not isinstance(made, ast.Call):
            return None
        app = self._beat_constructor(made)
        return None if app is None else ("beat", (), app)

    def _beat_constructor(self, node: ast.Call) -> str | None:
        """`app.Beat(...)` of a Celery app, or celery's own Beat class: the app to confirm
        ("" when known here); None when it is no beat, or its scheduler is not known to
        be an ordinary one (a lock-based scheduler runs once whatever the copies)."""
        func = node.func
        app: str | None
        if isinstance(func, ast.Attribute) and func.attr == "Beat":
            app = self._app(dotted_expr(func.value))
        else:
            app = "" if self.ctx.imports.resolve(func) in BEAT_CLASSES else None
        if app is None:
            return None
        for name in ("scheduler", "scheduler_cls"):
            value = kwarg(node, name)
            if value is None:
                continue
            text = self.ctx.evaluator.value(value)
            if not isinstance(text, str) or "redbeat" in text.lower():
                return None
        return app

    def _made_in_scope(self, name: str, call: _Call) -> ast.expr | None:
        """The call whose result `name` holds in `call`'s scope, when assigned once there."""
        if self._bound is None:
            self._bound = {
                id(site.value): site.target_text
                for site in self.ctx.assigns
                if isinstance(site.value, ast.Call) and site.subscript_key is None
            }
        found: list[ast.expr] = []
        for other in self.pass_.calls:
            if other.enclosing == call.enclosing and self._bound.get(id(other.node)) == name:
                found.append(other.node)
        return found[0] if len(found) == 1 else None

    def _argv_call(self, call: _Call, method: str) -> tuple[str, tuple[str, ...], str] | None:
        receiver, _, _ = call.text.rpartition(".")
        if not receiver or "(" in receiver:
            return None
        argv_node = arg_value(call.node, 0, "argv")
        if argv_node is None:
            return None  # the process's own sys.argv: known only at run time
        app = self._app(receiver)
        if app is None:
            return None
        words = self._words(argv_node, call)
        if words is None or not any(_may_start_beat(word) for word in words):
            return None
        return method, words, app

    def _app(self, text: str | None) -> str | None:
        """The empty string when `text` is a Celery app known here, the dotted name to
        confirm when it is imported, None when it is something else or not known."""
        if not text or "(" in text:
            return None
        kind = self.ctx.receiver_kind(text)
        if kind is not None:
            return "" if kind == "celery_app" else None
        if not self.ctx.imports.is_imported(text):
            return None
        resolved = self.ctx.imports.resolve_text(text)
        if resolved in CURRENT_APPS:
            return ""
        if resolved.partition(".")[0] in ("celery", "kombu"):
            return None  # celery's own objects other than the current app
        return resolved

    # -------------------------------------------------------------------- argv

    def _words(self, node: ast.expr, call: _Call) -> tuple[str, ...] | None:
        """The words of a literal argv: a list or tuple as written, or a name bound to
        one in the call's scope (with what `.append()`/`.extend()` add there)."""
        if isinstance(node, ast.List | ast.Tuple):
            return _literal_words(node.elts)
        if not isinstance(node, ast.Name):
            return None
        value = self._list_in_scope(node.id, call.enclosing)
        if value is None:
            return None
        words = list(_literal_words(value.elts))
        for other in self.pass_.calls:
            if other.enclosing != call.enclosing or other.node is call.node:
                continue
            if other.text == f"{node.id}.append" and len(other.node.args) == 1:
                words.extend(_literal_words(other.node.args))
            elif other.text == f"{node.id}.extend" and len(other.node.args) == 1:
                added = other.node.args[0]
                if isinstance(added, ast.List | ast.Tuple):
                    words.extend(_literal_words(added.elts))
                else:
                    words.append(NOT_LITERAL)
        return tuple(words[:MAX_WORDS])

    def _list_in_scope(self, name: str, scope: str | None) -> ast.List | ast.Tuple | None:
        if scope is None:
            value = self.ctx.constants.get(name)
            return value if isinstance(value, ast.List | ast.Tuple) else None
        values: list[Any] = []
        for node in self.ctx.function_nodes.get(scope, []):
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in stmt.targets
                ):
                    values.append(stmt.value)
        if len(values) == 1 and isinstance(values[0], ast.List | ast.Tuple):
            return values[0]
        return None


def _literal_words(elements: list[ast.expr]) -> tuple[str, ...]:
    return tuple(
        e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else NOT_LITERAL
        for e in elements[:MAX_WORDS]
    )


def _may_start_beat(word: str) -> bool:
    """`beat`, `--beat`, or a short-flag cluster holding B (`-B`, `-EB`)."""
    if word in ("beat", "--beat"):
        return True
    return word.startswith("-") and not word.startswith("--") and "B" in word


def _exported(prefix: str, qualname: str) -> set[str]:
    if qualname.endswith(".__init__"):
        cls = qualname[: -len(".__init__")]
        return {prefix + cls, prefix + qualname}
    return {prefix + qualname}


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------ conditions


def guarded_spans(body: list[ast.stmt]) -> Spans:
    """Line spans of a scope's statements that may not run whenever the scope does: the
    arms of an `if` (not the main guard's body), `match` cases, `except` handlers. Nested
    functions and classes are other scopes."""
    out: Spans = []
    stack = [body]
    while stack:
        for stmt in stack.pop():
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if isinstance(stmt, ast.If):
                if is_main_guard(stmt.test):
                    stack.append(stmt.body)
                    out.extend(_span(stmt.orelse))  # runs on import only
                else:
                    out.append(_stmt_span(stmt))
                continue
            if isinstance(stmt, ast.Match):
                out.append(_stmt_span(stmt))
                continue
            if isinstance(stmt, TRY_NODES):
                for handler in stmt.handlers:
                    out.append(_stmt_span(handler))
                stack.extend([stmt.body, stmt.orelse, stmt.finalbody])
                continue
            for name in ("body", "orelse"):
                inner = getattr(stmt, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    stack.append(inner)
    return out


def _stmt_span(node: Any) -> tuple[int, int]:
    return node.lineno, getattr(node, "end_lineno", None) or node.lineno


def _span(stmts: list[ast.stmt]) -> Spans:
    if not stmts:
        return []
    return [(stmts[0].lineno, _stmt_span(stmts[-1])[1])]


def is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"` (either way round)."""
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    left, right = test.left, test.comparators[0]
    sides = {dotted_expr(left), dotted_expr(right)}
    strings = [n.value for n in (left, right) if isinstance(n, ast.Constant)]
    return "__name__" in sides and strings == ["__main__"]
