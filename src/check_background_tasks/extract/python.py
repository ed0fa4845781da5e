"""One pass over CPython's ast of a Python file: imports, receivers, calls, definitions.

CPython's parser is ten times cheaper than libcst's, and its ast carries positions;
libcst is only asked about files CPython refuses, whose grammar may be newer than the
running interpreter's (`_newer_grammar`, downgrade.py).
Suppression comments are read from the bytes, positions from the ast.

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
from typing import Any, ClassVar, TypeVar

from ..model import FileFacts, FunctionFacts, Problem, ProcessFacts, Suppression
from . import (
    applied_decorators,
    apscheduler,
    arq,
    asyncio_tasks,
    branches,
    celery,
    discord_loops,
    django_beat,
    factories,
    fastapi,
    flask_jobs,
    huey,
    job_calls,
    locked_scheduler,
    neuroglia,
    process_sites,
    repeat_every,
    scheduler_settings,
    taskiq,
    threads,
    wrappers,
)
from .context import (
    AssignSite,
    CallSite,
    DecoratedSite,
    Decorator,
    FileContext,
    receiver_kind_of_factory,
)
from .definitions import FunctionEvidence
from .import_scan import imported_modules
from .names import ImportTable, chained_text, dotted_expr, last_part
from .per_process import per_process_reason
from .positions import Positions

FRAMEWORKS = (
    apscheduler,
    locked_scheduler,
    celery,
    asyncio_tasks,
    taskiq,
    fastapi,
    huey,
    arq,
    threads,
    repeat_every,
    flask_jobs,
    django_beat,
    neuroglia,
    discord_loops,
)
# Passes that read what the frameworks' jobs inherit or refer to, not jobs themselves.
SETTINGS = (scheduler_settings, job_calls)

# Method or function names any framework asks about; other calls are not kept.
INTERESTING_CALLS = frozenset(
    name for framework in (*FRAMEWORKS, *SETTINGS) for name in framework.CALL_NAMES
)

STARTUP_EVENT_NAMES = ("startup", "on_startup")

# Methods thrown-away calls are mostly made of, none of them a project's task factory:
# not kept for the task-factory pass (factories.py).
NEVER_FACTORIES = frozenset(
    {
        "print",
        "debug",
        "info",
        "warning",
        "warn",
        "error",
        "exception",
        "critical",
        "log",
        "append",
        "extend",
        "add",
        "update",
        "remove",
        "discard",
        "pop",
        "setdefault",
        "insert",
        "write",
        "join",
        "format",
        "get",
        "set",
        "__init__",
        "setattr",
        "assertEqual",
        "assertTrue",
        "assertIn",
        "isinstance",
        "len",
        "str",
        "int",
        "dict",
        "list",
    }
)

T = TypeVar("T")

NOQA = re.compile(rb"#\s*noqa\s*:\s*([A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)", re.IGNORECASE)
BGT_IGNORE = re.compile(rb"#\s*bgt:\s*ignore\[([A-Za-z0-9_,\s]+)\]")


# Nodes with nothing below them the collector asks about: not descended into.
LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop)
# Fields that hold identifiers, flags or operators, never a node worth visiting.
SCALAR_FIELDS = frozenset(
    {
        "arg",
        "attr",
        "conversion",
        "ctx",
        "id",
        "is_async",
        "kind",
        "kwd_attrs",
        "level",
        "module",
        "name",
        "names",  # Global/Nonlocal: strings; Import/ImportFrom are read by their handlers
        "op",
        "ops",
        "rest",
        "type_comment",
        "type_ignores",
    }
)


def _skip(collector: Collector, node: Any) -> None:
    return None


class Collector(ast.NodeVisitor):
    """Visits every node that can hold a call, definition, import or assignment.

    `visit` and `generic_visit` are NodeVisitor's, minus what costs without telling
    anything: a method lookup per node (cached per node type), a descent into names,
    constants and operators (a third of all nodes), and reading fields that hold strings.
    """

    # Per class: the method that visits it (`_skip` for leaves and non-nodes: None, str).
    handlers: ClassVar[dict[type, Callable[[Collector, Any], None]]] = {}
    child_fields: ClassVar[dict[type, tuple[str, ...]]] = {}

    @classmethod
    def _handler(cls, kind: type) -> Callable[[Collector, Any], None]:
        found: Callable[[Collector, Any], None] = _skip
        if issubclass(kind, ast.AST) and not issubclass(kind, LEAVES):
            found = getattr(cls, "visit_" + kind.__name__, cls.generic_visit)
        cls.handlers[kind] = found
        return found

    def visit(self, node: ast.AST) -> None:
        kind = node.__class__
        handler = self.handlers.get(kind) or self._handler(kind)
        handler(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        kind = node.__class__
        fields = self.child_fields.get(kind)
        if fields is None:
            fields = tuple(f for f in kind._fields if f not in SCALAR_FIELDS)
            self.child_fields[kind] = fields
        handlers = self.handlers
        for field in fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                for item in value:
                    handler = handlers.get(item.__class__) or self._handler(item.__class__)
                    if handler is not _skip:  # most children are names and constants
                        handler(self, item)
            else:
                handler = handlers.get(value.__class__) or self._handler(value.__class__)
                if handler is not _skip:
                    handler(self, value)

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.scope: list[tuple[str, str]] = []  # ("class"|"function", name)
        self.classes: list[str | None] = []  # per scope: qualname of the innermost class
        self.functions: list[FunctionFacts] = []
        self.function_nodes: list[tuple[FunctionEvidence, ast.AST]] = []
        self.evidence: list[FunctionEvidence] = []
        self.discarded_calls: set[int] = set()
        self.main_guard = 0  # depth inside `if __name__ == "__main__":`
        # depth inside code that checks for a job first: `if scheduler.get_job(id):`, or a
        # `try:` whose handler catches JobLookupError / ConflictingIdError / Exception
        self.job_guard = 0
        self.lambdas = 0  # depth inside lambdas, whose calls run later and elsewhere
        self.awaited_calls: set[int] = set()
        self.assigned_calls: dict[int, str] = {}  # id(call) -> the plain name bound to it
        self.stored_calls: set[int] = set()  # calls whose value an assignment stores
        # (callee as written, enclosing function, under main guard, call): process_sites.py
        self.call_log: process_sites.CallLog = []
        self.arms: list[branches.Arm] = []  # arms of if / try / match (branches.py)

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
        return self.classes[-1] if self.classes else None

    def _enter(self, kind: str, name: str) -> None:
        # The innermost class is asked about at every call site: kept, not recomputed.
        inner = self._qualname(name) if kind == "class" else self._enclosing_class()
        self.scope.append((kind, name))
        self.classes.append(inner)

    def _leave(self) -> None:
        self.scope.pop()
        self.classes.pop()

    def _enclosing_function(self) -> str | None:
        return self.evidence[-1].facts.qualname if self.evidence else None

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.ctx.class_nodes.append((self._qualname(node.name), node))
        # Decorators and bases are read inside the class's scope, body after them.
        self._enter("class", node.name)
        self._visit_all(node.decorator_list, node.bases, node.keywords, node.body)
        self._leave()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        decorators = []
        for dec in node.decorator_list:
            expr = dec.func if isinstance(dec, ast.Call) else dec
            decorators.append(self.ctx.imports.resolve(expr) or "")
        facts = FunctionFacts(
            qualname=self._qualname(node.name),
            line=0,  # set by finish(), when positions are read
            column=0,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            decorators=decorators,
        )
        facts.is_startup_hook = _looks_like_startup(node, self.ctx)
        self.functions.append(facts)
        evidence = FunctionEvidence(facts, self.ctx.imports)
        evidence.decorator_calls = {id(d) for d in node.decorator_list}
        self.evidence.append(evidence)
        self.function_nodes.append((evidence, node))
        for dec in node.decorator_list:
            self.ctx.decorated.append(DecoratedSite(Decorator(dec), facts, node))
            evidence.decorator(dec)
        self._note_parameters(facts.qualname, node.args)
        self._enter("function", node.name)
        returns = [node.returns] if node.returns is not None else []
        self._visit_all(node.decorator_list, [node.args], returns, node.body)
        self._leave()
        self.evidence.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _visit_all(self, *groups: list[Any]) -> None:
        for group in groups:
            for child in group:
                self.visit(child)

    def _note_parameters(self, qualname: str, args: ast.arguments) -> None:
        ordered = [*args.posonlyargs, *args.args]
        annotated = {}
        for param in [*ordered, *args.kwonlyargs]:
            if param.annotation is not None:
                self._note_receiver(param.arg, param.annotation)
                annotated[param.arg] = param.annotation
        if annotated:
            self.ctx.param_annotations[qualname] = annotated
        stars = [star for star in (args.vararg, args.kwarg) if star is not None]
        self.ctx.function_locals[qualname] = {p.arg for p in [*ordered, *args.kwonlyargs, *stars]}
        self.ctx.function_params[qualname] = [p.arg for p in [*ordered, *args.kwonlyargs]]
        # ast keeps positional defaults right-aligned with the parameters they belong to.
        with_defaults = ordered[len(ordered) - len(args.defaults) :]
        defaults = {p.arg: d for p, d in zip(with_defaults, args.defaults, strict=True)}
        for param, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if default is not None:
                defaults[param.arg] = default
        self.ctx.function_defaults[qualname] = defaults

    # --- imports and assignments -------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        self.ctx.imports.add_import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.ctx.imports.add_import_from(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call):
            self.stored_calls.add(id(node.value))
        if len(node.targets) == 1:
            self._note_assigned_call(node.targets[0], node.value)
        for target in node.targets:
            self._assigned(target, node.value, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._note_assigned_call(node.target, node.value)
            self._assigned(node.target, node.value, node)
        text = dotted_expr(node.target)
        if text:
            self._note_receiver(text, node.annotation)
            self.ctx.annotations.append(
                (text, node.annotation, self._enclosing_class(), self._enclosing_function())
            )
        self.generic_visit(node)

    def _assigned(self, target: ast.expr, value: ast.expr, stmt: ast.stmt) -> None:
        module_level = not self.scope
        text = dotted_expr(target)
        if text is not None:
            if module_level and isinstance(target, ast.Name):
                self.ctx.constants[text] = value
                self._note_alias(text, value)
            elif self.evidence and isinstance(target, ast.Name):
                qualname = self.evidence[-1].facts.qualname
                self.ctx.function_locals.setdefault(qualname, set()).add(text)
                self.evidence[-1].assigned(text, value)
            factory = value.value if isinstance(value, ast.Await) else value
            if isinstance(factory, ast.Call):
                if module_level:
                    self._note_import_call(factory)
                self._note_receiver(text, factory.func)
                if text in self.ctx.receivers:
                    self.ctx.receiver_calls[text] = factory
            self.ctx.assigns.append(AssignSite(text, None, value, stmt, module_level))
            owner, function = self._enclosing_class(), self._enclosing_function()
            if text.startswith("self.") and text.count(".") == 1 and owner and function:
                self.ctx.self_assigns.append((owner, text[5:], value, function))
            return
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            base = dotted_expr(target.value)
            if base is not None:
                key = self.ctx.evaluator.value(target.slice)
                self.ctx.assigns.append(AssignSite(base, key, value, stmt, module_level))

    def _note_assigned_call(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name) and isinstance(value, ast.Call):
            self.assigned_calls[id(value)] = target.id

    def _note_alias(self, name: str, value: ast.expr) -> None:
        """`create_task = asyncio.create_task` makes `create_task` an import alias."""
        dotted = dotted_expr(value)
        if dotted and self.ctx.imports.is_imported(dotted) and "." in dotted:
            self.ctx.imports.names[name] = self.ctx.imports.resolve_text(dotted)

    def _note_receiver(self, text: str, factory: ast.expr) -> None:
        """Remember what `text` holds when `factory` is a class or function we know."""
        dotted = self.ctx.imports.resolve(factory)
        kind = receiver_kind_of_factory(dotted)
        if kind and dotted:
            self.ctx.receivers[text] = kind
            self.ctx.receiver_classes[text] = dotted

    def visit_withitem(self, node: ast.withitem) -> None:
        item = node.context_expr
        if isinstance(item, ast.Call):
            if self.evidence:
                self.evidence[-1].with_item(item)
                if isinstance(node.optional_vars, ast.Name):
                    self.evidence[-1].assigned(node.optional_vars.id, item)
            if isinstance(node.optional_vars, ast.Name):
                self._note_receiver(node.optional_vars.id, item.func)
        self.generic_visit(node)

    # --- statements that tell whether a call's result is kept ---------------------

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call):
            self.discarded_calls.add(id(node.value))
            self._note_import_call(node.value)
        self.generic_visit(node)

    def _note_import_call(self, call: ast.Call) -> None:
        """A module-level statement's call runs at import (BGT023 follows it one level)."""
        if self.scope or self.main_guard:
            return
        callee = dotted_expr(call.func)
        if callee is not None:
            line, column = self.ctx.position(call)
            self.ctx.import_calls.append((line, column, callee))

    def visit_Return(self, node: ast.Return) -> None:
        if self.evidence and isinstance(node.value, ast.Call | ast.Name):
            function = self.evidence[-1].facts.qualname
            self.ctx.returns.append((function, self._enclosing_class(), node.value))
        self.generic_visit(node)

    def visit_Await(self, node: ast.Await) -> None:
        if isinstance(node.value, ast.Call):
            self.awaited_calls.add(id(node.value))
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        guard = _is_main_guard(node.test)
        checks_job = _asks_for_job(node.test)
        self.arms.extend(branches.arms_of(node))
        self.job_guard += checks_job
        if not guard:
            self.generic_visit(node)
        else:
            # only the body runs as a script; `else:` runs when the module is imported
            self.visit(node.test)
            self.main_guard += 1
            self._visit_all(node.body)
            self.main_guard -= 1
            self._visit_all(node.orelse)
        self.job_guard -= checks_job

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.lambdas += 1
        self.generic_visit(node)
        self.lambdas -= 1

    def visit_Try(self, node: ast.Try) -> None:
        self.arms.extend(branches.arms_of(node))
        catches = any(_catches_job_errors(handler.type) for handler in node.handlers)
        self.job_guard += catches
        self._visit_all(node.body)
        self.job_guard -= catches
        self._visit_all(node.handlers, node.orelse, node.finalbody)

    visit_TryStar = visit_Try

    def visit_Match(self, node: ast.Match) -> None:
        self.arms.extend(branches.arms_of(node))
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        if not self.evidence:
            self.generic_visit(node)
            return
        evidence = self.evidence[-1]
        evidence.enter_while(node.test)
        self.generic_visit(node)
        evidence.leave_while(node.test)

    def finish(self) -> None:
        """Positions of definitions and blocking calls, once every node is known."""
        for evidence, node in self.function_nodes:
            evidence.facts.line, evidence.facts.column = self.ctx.position(node)
            evidence.finish(self.ctx.position)
            if evidence.facts.loops_forever_with_sleep:
                assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                evidence.facts.per_process = per_process_reason(node, self.ctx.imports)

    # --- calls ---------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        func_text = dotted_expr(node.func)
        if func_text is None and isinstance(node.func, ast.Attribute):
            # e.g. asyncio.get_event_loop().create_task(...): keep the method name
            func_text = chained_text(node.func)
        resolved = self.ctx.imports.resolve_text(func_text) if func_text else None
        if self.evidence:
            awaited = id(node) in self.awaited_calls
            self.evidence[-1].call(node, resolved, awaited, self.lambdas > 0)
        if func_text is not None:
            self.call_log.append((func_text, self._enclosing_function(), self.main_guard > 0, node))
        if func_text is not None and last_part(func_text) in INTERESTING_CALLS:
            self.ctx.calls.append(self._site(node, func_text, resolved))
        if (node.args or node.keywords) and func_text is not None:
            key = id(node)
            if key in self.discarded_calls or key in self.stored_calls:
                if last_part(func_text) not in NEVER_FACTORIES:
                    self.ctx.flow_calls.append(self._site(node, func_text, resolved))
        if isinstance(node.func, ast.Call):
            self._note_task_call_form(node)
        elif isinstance(node.func, ast.Name):
            site = self._site(node, func_text, resolved)
            self.ctx.name_calls.setdefault(node.func.id, []).append(site)
        self._note_startup_registration(node, resolved)
        self.generic_visit(node)

    def _site(self, node: ast.Call, func_text: str | None, resolved: str | None) -> CallSite:
        return CallSite(
            node=node,
            func_text=func_text,
            func=resolved,
            enclosing=self._enclosing_function(),
            enclosing_class=self._enclosing_class(),
            discarded=id(node) in self.discarded_calls,
            awaited=id(node) in self.awaited_calls,
            under_main_guard=self.main_guard > 0,
            assigned_to=self.assigned_calls.get(id(node)),
            job_guarded=self.job_guard > 0,
        )

    def _note_task_call_form(self, node: ast.Call) -> None:
        """`app.task(name="x")(func)` registers `func` as a Celery task."""
        inner = node.func
        assert isinstance(inner, ast.Call)
        self.ctx.applied_calls.append(node)  # a decorator applied as a call (applied_decorators.py)
        text = dotted_expr(inner.func)
        given = _arguments(node)
        if last_part(text) in ("task", "shared_task") and given:
            func = dotted_expr(given[0])
            if func:
                self.ctx.task_call_forms.append((inner, func))

    def _note_startup_registration(self, node: ast.Call, resolved: str | None) -> None:
        """FastAPI(lifespan=f), add_event_handler("startup", f), on_startup=[f]."""
        if not node.keywords and not (resolved and resolved.endswith("add_event_handler")):
            return  # nearly every call: nothing to build
        for keyword in node.keywords:
            if keyword.arg == "lifespan":
                name = dotted_expr(keyword.value)
                if name:
                    self.ctx.startup_functions.add(name)
            elif keyword.arg == "on_startup" and isinstance(keyword.value, ast.List):
                for element in keyword.value.elts:
                    name = dotted_expr(element)
                    if name:
                        self.ctx.startup_functions.add(name)
        given = _arguments(node)
        if last_part(resolved) == "add_event_handler" and len(given) >= 2:
            event = self.ctx.evaluator.value(given[0])
            name = dotted_expr(given[1])
            if event in STARTUP_EVENT_NAMES and name:
                self.ctx.startup_functions.add(name)


def _arguments(call: ast.Call) -> list[ast.expr]:
    """Argument values in source order, whether passed by position or by name."""
    return [*call.args, *(keyword.value for keyword in call.keywords)]


JOB_LOOKUPS = frozenset({"get_job", "get_jobs", "get_schedule", "get_schedules"})
JOB_ERRORS = frozenset(
    {"JobLookupError", "ConflictingIdError", "Exception", "BaseException", "LookupError"}
)


def _asks_for_job(test: ast.expr) -> bool:
    """`if scheduler.get_job("x"):`, `if not any(j.id == "x" for j in s.get_jobs()):`"""
    return any(
        isinstance(node, ast.Call) and last_part(dotted_expr(node.func)) in JOB_LOOKUPS
        for node in ast.walk(test)
    )


def _catches_job_errors(kind: ast.expr | None) -> bool:
    if kind is None:
        return True  # a bare `except:`
    if isinstance(kind, ast.Tuple):
        return any(_catches_job_errors(element) for element in kind.elts)
    return last_part(dotted_expr(kind)) in JOB_ERRORS


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    left, right = test.left, test.comparators[0]
    sides = {dotted_expr(left), dotted_expr(right)}
    strings = [n.value for n in (left, right) if isinstance(n, ast.Constant)]
    return "__name__" in sides and strings == ["__main__"]


def _looks_like_startup(node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileContext) -> bool:
    name = node.name
    if "lifespan" in name or name in ("startup", "on_startup", "start_up"):
        return True
    for call in node.decorator_list:
        if isinstance(call, ast.Call) and last_part(dotted_expr(call.func)) == "on_event":
            given = _arguments(call)
            if given and ctx.evaluator.value(given[0]) in STARTUP_EVENT_NAMES:
                return True
        text = dotted_expr(call.func if isinstance(call, ast.Call) else call)
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


def _newer_grammar(source: bytes, err: SyntaxError) -> tuple[ast.AST | None, Problem | None]:
    """(tree, problem) for a file CPython's parser refused.

    libcst knows grammar newer than the running interpreter: what it reads is rewritten
    into this interpreter's grammar with every line in place (downgrade.py) and parsed
    again. Positions and suppressions keep reading the original bytes.
    """
    from .downgrade import NotDecodable, NotPython, NotRewritable, downgrade

    line, column = err.lineno or 1, err.offset or 1
    version = ".".join(map(str, sys.version_info[:2]))
    unread = Problem(
        f"syntax newer than Python {version} at line {line} ({err.msg}): run "
        "check-background-tasks on the Python version the project uses",
        line,
        column,
    )
    try:
        older = _on_deep_stack(downgrade, source)
    except NotDecodable as exc:
        return None, Problem(f"cannot decode: {exc}")
    except NotPython:
        return None, Problem(f"syntax error at line {line}: {err.msg}", line, column)
    except NotRewritable:
        return None, unread
    stop, _, tree = _cpython_guard(older)
    if tree is None:
        return None, stop or unread
    return tree, None


# The collector walks the ast recursively, and so does libcst's parser when asked about a
# refused file: valid code that nests a few hundred levels (a long string concatenation, a
# chain of `+`) passes Python's default recursion limit. CPython's own parser already
# refused anything deeper than it accepts, so a thread with a large stack and a raised
# limit bounds the rest.
DEEP_RECURSION_LIMIT = 100_000
DEEP_STACK_BYTES = 1024 * 1024 * 1024  # address space reserved, not memory used


def _on_deep_stack(fn: Callable[..., T], *args: Any) -> T:
    result: list[T] = []
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
        worker = threading.Thread(target=run, name="extract")
        worker.start()
        worker.join()
    finally:
        threading.stack_size(previous)
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return result[0]


def extract_python(
    path: str, source: bytes, module: str | None, is_package: bool, is_test: bool = False
) -> FileFacts:
    facts = FileFacts(path=path, module=module, is_test=is_test)
    stop, syntax_error, tree = _cpython_guard(source)
    if stop is not None:
        facts.problems.append(stop)
        return facts
    if syntax_error is not None:
        tree, problem = _newer_grammar(source, syntax_error)
        if problem is not None:
            facts.problems.append(problem)
            return facts
    assert tree is not None
    return _on_deep_stack(_extract_tree, facts, source, tree, is_package)


def _extract_tree(facts: FileFacts, source: bytes, tree: ast.AST, is_package: bool) -> FileFacts:
    ctx = FileContext(
        path=facts.path,
        module=facts.module,
        imports=ImportTable(module=facts.module, is_package=is_package),
        constants={},
        receivers={},
        positions=Positions(source),
        is_test=facts.is_test,
    )
    collector = Collector(ctx)
    collector.visit(tree)
    collector.finish()
    ctx.functions = collector.functions
    for evidence, node in collector.function_nodes:
        ctx.function_nodes.setdefault(evidence.facts.qualname, []).append(node)
    for fn in collector.functions:
        if fn.qualname in ctx.startup_functions:
            fn.is_startup_hook = True
    ctx.module_statements = list(getattr(tree, "body", []))
    applied = applied_decorators.expand(ctx)
    for framework in FRAMEWORKS:
        framework.collect(ctx)
    applied_decorators.retarget(ctx, applied, ctx.decorated)
    templates = wrappers.templates(ctx)
    wrappers.follow(ctx)
    branches.place(ctx.jobs, collector.arms)
    for reader in SETTINGS:
        reader.collect(ctx)
    facts.jobs = _unique(ctx.jobs)
    facts.functions = collector.functions
    facts.imports = dict(ctx.imports.names)
    facts.receivers = {k: v for k, v in ctx.receivers.items() if "." not in k}
    facts.scheduler_starts = ctx.starts
    facts.task_flow = factories.summarise(ctx, templates)
    facts.import_calls = ctx.import_calls
    facts.scheduler_settings = ctx.scheduler_settings
    facts.job_calls = ctx.job_calls
    facts.suppressions = scan_suppressions(source)
    if facts.is_test and "gunicorn" not in facts.path:
        # No deployment runs a test: the process model reads only what it imports (on
        # prefect, tests are half the parse and this pass is a tenth of a test's time).
        facts.processes = ProcessFacts(imports=imported_modules(source, ctx.module, is_package))
        return facts
    facts.processes = process_sites.collect(
        ctx,
        collector.functions,
        collector.function_nodes,
        collector.call_log,
        tree,
        source,
        is_package,
    )
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
