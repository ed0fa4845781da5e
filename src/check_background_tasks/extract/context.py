"""What one Python file's visitor pass collected, handed to the framework extractors."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from ..model import FunctionFacts, RawJob, Schedule, TargetRef
from .names import Evaluator, ImportTable, dotted_expr, last_part, resolves_into, source_text
from .positions import Positions

# Constructors whose result is an object we recognise, by resolved dotted name.
RECEIVER_FACTORIES: tuple[tuple[str, str], ...] = (
    ("locked_scheduler.LockedScheduler", "locked_scheduler"),
    ("flask_apscheduler.APScheduler", "apscheduler"),
    ("flask_apscheduler.scheduler.APScheduler", "apscheduler"),
    ("locked_scheduler.scheduler.LockedScheduler", "locked_scheduler"),
    ("apscheduler.schedulers", "apscheduler"),
    ("apscheduler.AsyncScheduler", "apscheduler4"),
    ("apscheduler.Scheduler", "apscheduler4"),
    ("apscheduler._schedulers", "apscheduler4"),
    ("celery.Celery", "celery_app"),
    ("asyncio.get_event_loop", "asyncio_loop"),
    ("asyncio.get_running_loop", "asyncio_loop"),
    ("asyncio.new_event_loop", "asyncio_loop"),
    ("asyncio.events.AbstractEventLoop", "asyncio_loop"),
    ("asyncio.AbstractEventLoop", "asyncio_loop"),
    ("asyncio.BaseEventLoop", "asyncio_loop"),
    ("asyncio.TaskGroup", "task_group"),
    ("asyncio.taskgroups.TaskGroup", "task_group"),
    ("fastapi.BackgroundTasks", "background_tasks"),
    ("fastapi.background.BackgroundTasks", "background_tasks"),
    ("starlette.background.BackgroundTasks", "background_tasks"),
)


# Every assignment from a call asks; most name nothing of these packages.
FACTORY_ROOTS = frozenset(prefix.split(".")[0] for prefix, _ in RECEIVER_FACTORIES) | {"huey"}


def receiver_kind_of_factory(dotted: str | None) -> str | None:
    if not dotted:
        return None
    root = dotted.partition(".")[0]
    if root not in FACTORY_ROOTS and not root.startswith("taskiq"):
        return None
    for prefix, kind in RECEIVER_FACTORIES:
        if resolves_into(dotted, prefix):
            return kind
    name = last_part(dotted)
    if root.startswith("taskiq") and name.endswith("Broker"):
        return "taskiq_broker"
    if root == "huey" and name.endswith("Huey"):
        return "huey"
    return None


@dataclass
class CallSite:
    node: ast.Call
    func_text: str | None  # as written, dotted
    func: str | None  # resolved through imports
    enclosing: str | None  # qualname of the innermost function, None at module level
    enclosing_class: str | None
    discarded: bool  # the call is a bare expression statement
    awaited: bool
    under_main_guard: bool = False  # inside `if __name__ == "__main__":`
    assigned_to: str | None = None  # `name = call(...)`: the one plain name it is bound to
    job_guarded: bool = False  # inside `if ...get_job(...)` or a try that catches lookups

    @property
    def method(self) -> str:
        return last_part(self.func_text)

    @property
    def receiver_text(self) -> str | None:
        if not self.func_text or "." not in self.func_text:
            return None
        return self.func_text.rpartition(".")[0]


@dataclass(frozen=True)
class Decorator:
    """`@expr` above a definition; a job it declares is placed at the `@`."""

    decorator: ast.expr


@dataclass
class DecoratedSite:
    decorator: Decorator
    function: FunctionFacts
    func_node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class AssignSite:
    target_text: str  # dotted text of the target, e.g. app.conf.beat_schedule
    subscript_key: Any  # for `X["k"] = ...`, the evaluated key; else None
    value: ast.expr
    node: ast.stmt  # the assignment statement
    module_level: bool


@dataclass
class FileContext:
    path: str
    module: str | None
    imports: ImportTable
    constants: dict[str, ast.expr]
    receivers: dict[str, str]  # variable text (e.g. self.scheduler) -> receiver kind
    positions: Positions
    is_test: bool = False  # a test of the project (test_paths.py)
    calls: list[CallSite] = field(default_factory=list)
    decorated: list[DecoratedSite] = field(default_factory=list)
    assigns: list[AssignSite] = field(default_factory=list)
    startup_functions: set[str] = field(default_factory=set)
    receiver_classes: dict[str, str] = field(default_factory=dict)  # text -> dotted factory
    receiver_calls: dict[str, ast.Call] = field(default_factory=dict)  # text -> the factory call
    task_call_forms: list[tuple[ast.Call, str]] = field(default_factory=list)
    applied_calls: list[ast.Call] = field(default_factory=list)  # `decorator(...)(func)`
    module_statements: list[ast.stmt] = field(default_factory=list)  # the module's body
    functions: list[FunctionFacts] = field(default_factory=list)
    # names bound inside each function (parameters, assignments), by function qualname
    function_locals: dict[str, set[str]] = field(default_factory=dict)
    # jobs whose target is a parameter of their function, with the call that declares them
    wrapped: list[tuple[RawJob, CallSite]] = field(default_factory=list)
    # calls of plain names, e.g. schedule_job(check_update, ...): a wrapper's call sites
    name_calls: dict[str, list[CallSite]] = field(default_factory=dict)
    # function qualname -> parameter names in order (for binding a call's arguments)
    function_params: dict[str, list[str]] = field(default_factory=dict)
    function_defaults: dict[str, dict[str, ast.expr]] = field(default_factory=dict)
    # parameter name -> argument node, while a wrapper is read at one of its call sites
    bindings: dict[str, ast.expr] = field(default_factory=dict)
    jobs: list[RawJob] = field(default_factory=list)
    starts: list[tuple[int, int, str, str]] = field(default_factory=list)
    # function qualname -> its definitions (two `def _` share a qualname), for the few
    # questions only a function's whole body answers (task_locals.py)
    function_nodes: dict[str, list[ast.AST]] = field(default_factory=dict)
    # Raw material of the task-factory summary (factories.py), collected in the one pass:
    # (qualname, node) of each class; (function, class, value) of each `return <call|name>`;
    # calls whose result is thrown away or stored; (class, attribute, value, function) of
    # each `self.x = ...`; (target, annotation, class, function) of each annotation;
    # function qualname -> {parameter: annotation}
    class_nodes: list[tuple[str, ast.ClassDef]] = field(default_factory=list)
    returns: list[tuple[str, str | None, ast.expr]] = field(default_factory=list)
    flow_calls: list[CallSite] = field(default_factory=list)
    self_assigns: list[tuple[str, str, ast.expr, str]] = field(default_factory=list)
    annotations: list[tuple[str, ast.expr, str | None, str | None]] = field(default_factory=list)
    param_annotations: dict[str, dict[str, ast.expr]] = field(default_factory=dict)
    local_uses: dict[int, Any] = field(default_factory=dict)  # task_locals.py, per function
    import_calls: list[tuple[int, int, str]] = field(default_factory=list)
    # (owner, key, value, line): time zones and job stores (scheduler_settings.py)
    scheduler_settings: list[tuple[str, str, Any, int]] = field(default_factory=list)
    # (what, receiver, value, line, column): job ids declared and referred to (job_calls.py)
    job_calls: list[tuple[str, str, Any, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.evaluator = Evaluator(self.imports, self.constants)
        self.bindings_enclosing: str | None = None

    def position(self, node: ast.AST | Decorator) -> tuple[int, int]:
        if isinstance(node, Decorator):
            return self.positions.decorator(node.decorator)
        return self.positions.get(node)

    def code(self, node: ast.AST) -> str:
        """The node's source as written, on one line."""
        return source_text(self.positions.text_lines(), node)

    def receiver_kind(self, text: str | None) -> str | None:
        """Kind of a receiver known in this file, or None."""
        if not text:
            return None
        return self.receivers.get(text) or None

    def pending_receiver(self, text: str | None) -> str | None:
        """The dotted path of an imported receiver, to be confirmed by the project pass."""
        if not text or not self.imports.is_imported(text):
            return None
        return self.imports.resolve_text(text)

    def target_ref(
        self,
        node: ast.expr,
        enclosing_class: str | None,
        enclosing: str | None = None,
    ) -> TargetRef:
        """How a job names its callable: through imports, locally, or as written.

        A parameter or local variable of the enclosing function is only known at its call
        sites (a wrapper such as `def schedule(func): scheduler.add_job(func, ...)`):
        it stays as written, how="variable", never `module.func`.
        """
        if isinstance(node, ast.Name) and node.id in self.bindings:
            node = self.bindings[node.id]
            enclosing = self.bindings_enclosing
        node, bound = see_through_wrappers(node, self.imports)
        ref = self._target_ref(node, enclosing_class, enclosing)
        if bound:
            return replace(ref, bound=", ".join(self.code(arg) for arg in bound))
        return ref

    def _target_ref(
        self, node: ast.expr, enclosing_class: str | None, enclosing: str | None
    ) -> TargetRef:
        value = self.evaluator.value(node)
        if isinstance(value, str):
            return TargetRef("string", value)
        text = dotted_expr(node) or _method_of_new_instance(node)
        if text is None:
            if isinstance(node, ast.Call):
                # A coroutine object: the called function is the target.
                return self.target_ref(node.func, enclosing_class, enclosing)
            if isinstance(node, ast.Await):
                return self.target_ref(node.value, enclosing_class, enclosing)
            return TargetRef("unknown", self.code(node))
        head, _, rest = text.partition(".")
        if head in ("self", "cls") and rest and enclosing_class:
            return TargetRef("local", f"{enclosing_class}.{rest}")
        nested = self._nested_function(head, enclosing) if not rest else None
        if nested is not None:
            return TargetRef("local", nested)
        if enclosing and head in self.function_locals.get(enclosing, ()):
            return TargetRef("variable", text)
        if self.imports.is_imported(text):
            return TargetRef("import", self.imports.resolve_text(text))
        return TargetRef("local", text)

    def _nested_function(self, name: str, enclosing: str | None) -> str | None:
        """`loop` called inside `wrapped`, which defines `async def loop()`: the nested
        definition, not a module-level function of that name."""
        if not enclosing or not self.functions:
            return None
        known = {fn.qualname for fn in self.functions if fn.qualname.endswith(f"<locals>.{name}")}
        scope = enclosing
        while scope:
            if f"{scope}.<locals>.{name}" in known:
                return f"{scope}.<locals>.{name}"
            scope = scope.rpartition(".<locals>.")[0] if ".<locals>." in scope else ""
        return None

    def add(
        self,
        kind: str,
        node: ast.AST | Decorator,
        target: TargetRef,
        schedule: Schedule | None,
        *,
        name: str | None = None,
        site: CallSite | DecoratedSite | None = None,
        **kwargs: Any,
    ) -> RawJob:
        line, column = self.position(node)
        # A decorated function is the job itself; it is declared where the function is.
        enclosing = site.enclosing if isinstance(site, CallSite) else None
        if isinstance(site, DecoratedSite) and target == TargetRef("local", site.function.qualname):
            # The definition under the decorator, not whichever function of that name the
            # module defines first (two `async def _()` are two jobs).
            kwargs.setdefault("defined_at", (site.function.line, site.function.column))
        job = RawJob(
            kind=kind,
            name=name,
            target=target,
            schedule=schedule,
            line=line,
            column=column,
            enclosing=enclosing,
            **kwargs,
        )
        self.jobs.append(job)
        if isinstance(site, CallSite) and target.how == "variable":
            self.wrapped.append((job, site))
        return job


# Calls that hand back the callable they are given (or one that runs it), by resolved name:
# which argument is the callable, and whether the other arguments are bound to its runs.
CALLABLE_WRAPPERS: dict[str, tuple[int, bool]] = {
    "typing.cast": (1, False),  # cast(WorkerCoroutine, f): a type checker's note
    "typing_extensions.cast": (1, False),
    "functools.partial": (0, True),  # partial(f, 1) runs f(1)
    "partial": (0, True),
    "asgiref.sync.sync_to_async": (0, False),  # runs f in a thread
    "asgiref.sync.async_to_sync": (0, False),
}
MAX_WRAPPERS = 5  # cast(T, partial(f, x)) is two


def see_through_wrappers(node: ast.expr, imports: ImportTable) -> tuple[ast.expr, list[ast.AST]]:
    """The callable under `cast(T, f)`, `partial(f, ...)`, `sync_to_async(f)`, with the
    arguments a partial binds (the same function with other arguments is another job)."""
    bound: list[ast.AST] = []
    for _ in range(MAX_WRAPPERS):
        if not isinstance(node, ast.Call) or not node.args:
            break
        wrapper = CALLABLE_WRAPPERS.get(imports.resolve(node.func) or "")
        if wrapper is None:
            break
        index, binds = wrapper
        given = positional(node, index)
        if given is None:
            break
        if binds:
            bound = [*node.args[index + 1 :], *node.keywords, *bound]
        node = given
    return node, bound


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


class NamedArg(NamedTuple):
    name: str
    value: ast.expr
    node: ast.keyword  # positioned at the name


def named_args(call: ast.Call) -> list[NamedArg]:
    """`name=value` arguments in source order (not `**mapping`)."""
    return [NamedArg(kw.arg, kw.value, kw) for kw in call.keywords if kw.arg is not None]


def unnamed_args(call: ast.Call) -> list[ast.expr]:
    """What `*args` and `**mapping` and plain positional arguments pass, unwrapped."""
    values = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
    return values + [kw.value for kw in call.keywords if kw.arg is None]


def positional(call: ast.Call, index: int) -> ast.expr | None:
    i = 0
    for arg in call.args:
        if not isinstance(arg, ast.Starred):
            if i == index:
                return arg
            i += 1
    return None


def arg_value(call: ast.Call, index: int | None, name: str) -> ast.expr | None:
    """An argument given by keyword or at a position."""
    found = kwarg(call, name)
    if found is None and index is not None:
        found = positional(call, index)
    return found


def _method_of_new_instance(node: ast.expr) -> str | None:
    """`Service(app).process` names the method `Service.process`: a class (a capitalised
    name, by convention) built in place for the job. Any other call result is unknown."""
    if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call)):
        return None
    made = dotted_expr(node.value.func)
    if made is None or not made.rpartition(".")[2][:1].isupper():
        return None
    return f"{made}.{node.attr}"
