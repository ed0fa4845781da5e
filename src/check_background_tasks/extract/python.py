"""One libcst pass over a Python file: imports, receivers, call sites, definitions.

The pass only collects. Framework modules (apscheduler.py, celery.py, ...) turn the
collected sites into jobs once the whole file is known, so a receiver assigned
below its first use is still recognised.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

import libcst as cst

from ..model import FileFacts, FunctionFacts, Problem, Suppression
from . import (
    apscheduler,
    arq,
    asyncio_tasks,
    celery,
    fastapi,
    huey,
    locked_scheduler,
    taskiq,
    triage,
    wrappers,
)
from .context import AssignSite, CallSite, DecoratedSite, FileContext, receiver_kind_of_factory
from .definitions import FunctionEvidence
from .names import ImportTable, dotted_expr, last_part
from .positions import Positions

FRAMEWORKS = (apscheduler, locked_scheduler, celery, asyncio_tasks, taskiq, fastapi, huey, arq)

# Method or function names any framework asks about; other calls are not kept.
INTERESTING_CALLS = frozenset(name for framework in FRAMEWORKS for name in framework.CALL_NAMES)

STARTUP_EVENT_NAMES = ("startup", "on_startup")

NOQA = re.compile(rb"#\s*noqa\s*:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)", re.IGNORECASE)
BGT_IGNORE = re.compile(rb"#\s*bgt:\s*ignore\[([A-Za-z0-9_,\s]+)\]")


class Collector(cst.CSTVisitor):
    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.scope: list[tuple[str, str]] = []  # ("class"|"function", name)
        self.functions: list[FunctionFacts] = []
        self.function_nodes: list[tuple[FunctionEvidence, cst.FunctionDef]] = []
        self.evidence: list[FunctionEvidence] = []
        self.discarded_calls: set[int] = set()
        self.main_guard = 0  # depth inside `if __name__ == "__main__":`
        self.awaited_calls: set[int] = set()

    # --- scopes ------------------------------------------------------------------

    def _qualname(self, name: str) -> str:
        parts = []
        for kind, scope_name in self.scope:
            parts.append(scope_name)
            if kind == "function":
                parts.append("<locals>")
        parts.append(name)
        return ".".join(parts)

    def _enclosing_class(self) -> str | None:
        """Qualname of the innermost class, which is what `self` means inside its methods."""
        for index in range(len(self.scope) - 1, -1, -1):
            if self.scope[index][0] == "class":
                parts = []
                for kind, name in self.scope[: index + 1]:
                    parts.append(name)
                    if kind == "function":
                        parts.append("<locals>")
                return ".".join(parts)
        return None

    def _enclosing_function(self) -> str | None:
        return self.evidence[-1].facts.qualname if self.evidence else None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.append(("class", node.name.value))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.ctx.positions.note("def", node)
        decorators = []
        for dec in node.decorators:
            expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
            decorators.append(self.ctx.imports.resolve(expr) or "")
        facts = FunctionFacts(
            qualname=self._qualname(node.name.value),
            line=0,  # set by finish_positions(), once every node is counted
            column=0,
            is_async=node.asynchronous is not None,
            decorators=decorators,
        )
        facts.is_startup_hook = _looks_like_startup(node, self.ctx)
        self.functions.append(facts)
        evidence = FunctionEvidence(facts, self.ctx.imports)
        self.evidence.append(evidence)
        self.function_nodes.append((evidence, node))
        for dec in node.decorators:
            self.ctx.decorated.append(DecoratedSite(dec, facts, node))
        self._note_typed_params(node)
        params = [*node.params.params, *node.params.kwonly_params, *node.params.posonly_params]
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                params.append(star)
        self.ctx.function_locals[facts.qualname] = {p.name.value for p in params}
        self.ctx.function_params[facts.qualname] = [
            p.name.value for p in [*node.params.posonly_params, *node.params.params]
        ] + [p.name.value for p in node.params.kwonly_params]
        self.ctx.function_defaults[facts.qualname] = {
            p.name.value: p.default for p in params if p.default is not None
        }
        self.scope.append(("function", node.name.value))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scope.pop()
        self.evidence.pop()

    def _note_typed_params(self, node: cst.FunctionDef) -> None:
        params = [*node.params.params, *node.params.kwonly_params, *node.params.posonly_params]
        for param in params:
            if param.annotation is None:
                continue
            self._note_receiver(param.name.value, param.annotation.annotation)

    # --- imports and assignments -------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        self.ctx.imports.add_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.ctx.imports.add_import_from(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.ctx.positions.note("assign", node)
        for target in node.targets:
            self._assigned(target.target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.ctx.positions.note("assign", node)
        if node.value is not None:
            self._assigned(node.target, node.value, node)
        text = dotted_expr(node.target)
        if text:
            self._note_receiver(text, node.annotation.annotation)

    def _assigned(
        self, target: cst.BaseExpression, value: cst.BaseExpression, stmt: cst.CSTNode
    ) -> None:
        module_level = not self.scope
        text = dotted_expr(target)
        if text is not None:
            if module_level and isinstance(target, cst.Name):
                self.ctx.constants[text] = value
                self._note_alias(text, value)
            elif self.evidence and isinstance(target, cst.Name):
                qualname = self.evidence[-1].facts.qualname
                self.ctx.function_locals.setdefault(qualname, set()).add(text)
            factory = value.expression if isinstance(value, cst.Await) else value
            if isinstance(factory, cst.Call):
                self._note_receiver(text, factory.func)
                if text in self.ctx.receivers:
                    self.ctx.receiver_calls[text] = factory
            self.ctx.assigns.append(AssignSite(text, None, value, stmt, module_level))
            return
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            base = dotted_expr(target.value)
            index = target.slice[0].slice
            if base is not None and isinstance(index, cst.Index):
                key = self.ctx.evaluator.value(index.value)
                self.ctx.assigns.append(AssignSite(base, key, value, stmt, module_level))

    def _note_alias(self, name: str, value: cst.BaseExpression) -> None:
        """`create_task = asyncio.create_task` makes `create_task` an import alias."""
        dotted = dotted_expr(value)
        if dotted and self.ctx.imports.is_imported(dotted) and "." in dotted:
            self.ctx.imports.names[name] = self.ctx.imports.resolve_text(dotted)

    def _note_receiver(self, text: str, factory: cst.BaseExpression) -> None:
        """Remember what `text` holds when `factory` is a class or function we know."""
        dotted = self.ctx.imports.resolve(factory)
        kind = receiver_kind_of_factory(dotted)
        if kind and dotted:
            self.ctx.receivers[text] = kind
            self.ctx.receiver_classes[text] = dotted

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if not isinstance(node.item, cst.Call):
            return
        if self.evidence:
            self.evidence[-1].with_item(node.item)
        if node.asname is None:
            return
        name = dotted_expr(node.asname.name) if isinstance(node.asname.name, cst.Name) else None
        if name:
            self._note_receiver(name, node.item.func)

    # --- statements that tell whether a call's result is kept ---------------------

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self.discarded_calls.add(id(node.value))

    def visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, cst.Call):
            self.awaited_calls.add(id(node.expression))

    def visit_If(self, node: cst.If) -> None:
        if _is_main_guard(node.test):
            self.main_guard += 1

    def leave_If(self, original_node: cst.If) -> None:
        if _is_main_guard(original_node.test):
            self.main_guard -= 1

    def visit_While(self, node: cst.While) -> None:
        if self.evidence:
            self.evidence[-1].enter_while(node.test)

    def leave_While(self, original_node: cst.While) -> None:
        if self.evidence:
            self.evidence[-1].leave_while(original_node.test)

    # --- calls ---------------------------------------------------------------------

    # --- nodes counted for positions (see positions.py) ---------------------------

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self.ctx.positions.note("decorator", node)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self.ctx.positions.note("dictkey", node.key)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.ctx.positions.note("keyword", node.keyword)

    def finish_positions(self) -> None:
        self.ctx.positions.finish()
        for evidence, node in self.function_nodes:
            evidence.facts.line, evidence.facts.column = self.ctx.position(node)
            evidence.finish(self.ctx.position)

    def visit_Call(self, node: cst.Call) -> None:
        self.ctx.positions.note("call", node)
        func_text = dotted_expr(node.func)
        if func_text is None and isinstance(node.func, cst.Attribute):
            # e.g. asyncio.get_event_loop().create_task(...): keep the method name
            func_text = _chained_text(node.func)
        resolved = self.ctx.imports.resolve_text(func_text) if func_text else None
        if self.evidence:
            self.evidence[-1].call(node, resolved)
        if func_text is not None and last_part(func_text) in INTERESTING_CALLS:
            self.ctx.calls.append(self._site(node, func_text, resolved))
        if isinstance(node.func, cst.Call):
            self._note_task_call_form(node)
        elif isinstance(node.func, cst.Name):
            site = self._site(node, func_text, resolved)
            self.ctx.name_calls.setdefault(node.func.value, []).append(site)
        self._note_startup_registration(node, resolved)

    def _site(self, node: cst.Call, func_text: str | None, resolved: str | None) -> CallSite:
        return CallSite(
            node=node,
            func_text=func_text,
            func=resolved,
            enclosing=self._enclosing_function(),
            enclosing_class=self._enclosing_class(),
            discarded=id(node) in self.discarded_calls,
            awaited=id(node) in self.awaited_calls,
            under_main_guard=self.main_guard > 0,
        )

    def _note_task_call_form(self, node: cst.Call) -> None:
        """`app.task(name="x")(func)` registers `func` as a Celery task."""
        inner = node.func
        assert isinstance(inner, cst.Call)
        text = dotted_expr(inner.func)
        if last_part(text) in ("task", "shared_task") and node.args:
            func = dotted_expr(node.args[0].value)
            if func:
                self.ctx.task_call_forms.append((inner, func))

    def _note_startup_registration(self, node: cst.Call, resolved: str | None) -> None:
        """FastAPI(lifespan=f), add_event_handler("startup", f), on_startup=[f]."""
        for arg in node.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value == "lifespan":
                name = dotted_expr(arg.value)
                if name:
                    self.ctx.startup_functions.add(name)
            elif arg.keyword.value == "on_startup" and isinstance(arg.value, cst.List):
                for el in arg.value.elements:
                    name = dotted_expr(el.value)
                    if name:
                        self.ctx.startup_functions.add(name)
        if last_part(resolved) == "add_event_handler" and len(node.args) >= 2:
            event = self.ctx.evaluator.value(node.args[0].value)
            name = dotted_expr(node.args[1].value)
            if event in STARTUP_EVENT_NAMES and name:
                self.ctx.startup_functions.add(name)


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = {dotted_expr(test.left), dotted_expr(test.comparisons[0].comparator)}
    right = test.comparisons[0].comparator
    left = test.left
    strings = [n.evaluated_value for n in (left, right) if isinstance(n, cst.SimpleString)]
    return "__name__" in sides and strings == ["__main__"]


def _chained_text(node: cst.Attribute) -> str:
    """`<expr>.method` where <expr> is a call: name the call so receivers can match."""
    inner = node.value
    if isinstance(inner, cst.Call):
        head = dotted_expr(inner.func)
        if head:
            return f"{head}().{node.attr.value}"
    return f"<expr>.{node.attr.value}"


def _looks_like_startup(node: cst.FunctionDef, ctx: FileContext) -> bool:
    name = node.name.value
    if "lifespan" in name or name in ("startup", "on_startup", "start_up"):
        return True
    for dec in node.decorators:
        call = dec.decorator
        if isinstance(call, cst.Call) and last_part(dotted_expr(call.func)) == "on_event":
            if call.args and ctx.evaluator.value(call.args[0].value) in STARTUP_EVENT_NAMES:
                return True
        text = dotted_expr(call.func if isinstance(call, cst.Call) else call)
        if last_part(text) in ("on_startup", "before_serving", "on_after_startup"):
            return True
    return False


def scan_suppressions(source: bytes) -> list[Suppression]:
    if b"noqa" not in source and b"bgt:" not in source:
        return []
    out = []
    for number, line in enumerate(source.splitlines(), start=1):
        if b"#" not in line:
            continue
        codes: set[str] = set()
        for match in NOQA.finditer(line):
            codes.update(c.strip().upper() for c in match.group(1).decode().split(","))
        for match in BGT_IGNORE.finditer(line):
            codes.update(c.strip().upper() for c in match.group(1).decode().split(",") if c.strip())
        if codes:
            out.append(Suppression(number, frozenset(codes)))
    return out


# CPython's own parser refuses these; libcst's native parser can crash or crawl on them.
TOO_DEEP_MESSAGES = ("too many nested", "too many levels", "too complex")


def _cpython_guard(
    source: bytes,
) -> tuple[Problem | None, SyntaxError | None, ast.AST | None]:
    """(a problem that stops the parse, a syntax error libcst may get past, CPython's ast).

    A file nested deeper than CPython accepts never reaches libcst, whose native parser
    overflows its stack on such input. Other syntax errors are left for libcst to
    confirm: it knows grammar newer than the running interpreter's.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are about their code, not ours
            tree = compile(source, "<scanned>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (RecursionError, MemoryError):
        return Problem("too deeply nested to parse"), None, None
    except SyntaxError as err:
        if any(m in (err.msg or "") for m in TOO_DEEP_MESSAGES):
            problem = Problem(f"too deeply nested to parse ({err.msg})", err.lineno or 1)
            return problem, None, None
        return None, err, None
    except ValueError as err:  # e.g. source code string cannot contain null bytes
        return Problem(f"cannot parse: {err}"), None, None
    return None, None, tree


def _syntax_problem(err: SyntaxError | None, exc: cst.ParserSyntaxError) -> Problem:
    """CPython's message when it has one: libcst's lists every token it expected."""
    if err is not None:
        line = err.lineno or exc.raw_line
        return Problem(f"syntax error at line {line}: {err.msg}", line, err.offset or 1)
    return Problem(f"syntax error at line {exc.raw_line}", exc.raw_line, exc.raw_column + 1)


# libcst parses and visits recursively: valid code that nests a few hundred levels (a long
# string concatenation, a chain of `+`) passes Python's default recursion limit. CPython's
# own parser already refused anything deeper than it accepts, so a thread with a large
# stack and a raised limit bounds the rest.
DEEP_RECURSION_LIMIT = 100_000
DEEP_STACK_BYTES = 1024 * 1024 * 1024  # address space reserved, not memory used


MAX_TREE_DEPTH = 1_000


def _depth(tree: ast.AST) -> int:
    """The syntax tree's depth, without recursion (the tree may be very deep)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _on_deep_stack(fn: Callable[..., FileFacts], *args: Any) -> FileFacts:
    result: list[FileFacts] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn(*args))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    # The limit is per interpreter: raise it only while this thread runs, so code on the
    # ordinary stack (the YAML composer's depth guard) keeps the default.
    limit = sys.getrecursionlimit()
    previous = threading.stack_size(DEEP_STACK_BYTES)
    try:
        sys.setrecursionlimit(max(limit, DEEP_RECURSION_LIMIT))
        worker = threading.Thread(target=run, name="libcst")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(previous)
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return result[0]


def extract_python(
    path: str, source: bytes, module: str | None, is_package: bool, full: bool = True
) -> FileFacts:
    facts = FileFacts(path=path, module=module)
    stop, syntax_error, ast_tree = _cpython_guard(source)
    if stop is not None:
        facts.problems.append(stop)
        return facts
    if not full and ast_tree is not None and not triage.declares_something(ast_tree):
        facts.partial = True
        return facts
    depth = _depth(ast_tree) if ast_tree is not None else 0
    if depth > MAX_TREE_DEPTH:
        # libcst's parser slows down super-linearly with depth (measured: a 3,000-term
        # `+` chain takes 2 s, a 6,000-term one 17 s); such code is generated, not written.
        facts.problems.append(Problem(f"too deeply nested to parse ({depth} levels)"))
        return facts
    return _on_deep_stack(_extract_tree, facts, source, syntax_error, ast_tree, is_package)


def _extract_tree(
    facts: FileFacts,
    source: bytes,
    syntax_error: SyntaxError | None,
    ast_tree: ast.AST | None,
    is_package: bool,
) -> FileFacts:
    path, module = facts.path, facts.module
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        facts.problems.append(_syntax_problem(syntax_error, exc))
        return facts
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        facts.problems.append(Problem(f"cannot decode: {exc}"))
        return facts
    ctx = FileContext(
        path=path,
        module=module,
        imports=ImportTable(module=module, is_package=is_package),
        constants={},
        receivers={},
        positions=Positions(tree, source, ast_tree),
    )
    collector = Collector(ctx)
    tree.visit(collector)
    collector.finish_positions()
    ctx.functions = collector.functions
    for fn in collector.functions:
        if fn.qualname in ctx.startup_functions:
            fn.is_startup_hook = True
    for framework in FRAMEWORKS:
        framework.collect(ctx)
    wrappers.follow(ctx)
    facts.jobs = _unique(ctx.jobs)
    facts.functions = collector.functions
    facts.imports = dict(ctx.imports.names)
    facts.receivers = {k: v for k, v in ctx.receivers.items() if "." not in k}
    facts.scheduler_starts = ctx.starts
    facts.suppressions = scan_suppressions(source)
    return facts


def _unique(jobs: list) -> list:
    """A dict constant assigned to two settings names declares its entries once."""
    seen = set()
    out = []
    for job in jobs:
        key = (job.kind, job.line, job.column, job.target, job.schedule)
        if key not in seen:
            seen.add(key)
            out.append(job)
    return out
