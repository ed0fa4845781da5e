"""One file's summary for the task-factory pass (link_factories.py decides, project-wide).

A task factory is a project function that starts a task and returns it without keeping
a reference:

    class CoreSys:
        def create_task(self, coroutine):
            return self.loop.create_task(coroutine, context=self._create_context())

    class CoreSysAttributes:
        coresys: CoreSys

        def sys_create_task(self, coroutine):
            return self.coresys.create_task(coroutine)

Every call of one whose result is thrown away (`self.sys_create_task(self.reload())`) is a
dangling task. Which functions are factories depends on other files (the callee of a
`return` may be defined anywhere), so extraction only records, purely from this file:

- each `return <call>` (and `task = <start>; ...; return task`) whose arguments mention a
  parameter of the function: what the call is (a task start, or a callee as written) and
  which parameters reach which argument (`TaskReturn`);
- each call whose result is thrown away, or stored with a call among its arguments (a
  coroutine made in place): its callee as written and its arguments (`TaskCall`);
- each class's bases and what the types of its attributes are (`ClassShape`), and module
  variables built by a call (`singletons`), so `self.coresys.create_task` and
  `runner.spawn` can be resolved to a method.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ..model import ClassShape, SchedulerWrapper, TargetRef, TaskCall, TaskFlow, TaskReturn
from ..schedules import UNKNOWN
from . import asyncio_tasks
from .context import CallSite, FileContext, arg_value, see_through_wrappers
from .names import dotted_expr, last_part
from .task_locals import kept_only_in_local

# How a start that does not put the task anywhere is made (TaskGroup keeps its tasks;
# run_coroutine_threadsafe returns a concurrent future, not the task).
UNKEPT_STARTS = ("asyncio.create_task", "asyncio.ensure_future", "loop.create_task")
COROUTINE_KEYWORDS = ("coro", "coro_or_future")
# `task = spawn(work())`: whether the local keeps anything costs a walk of the function,
# asked only of callees named like a task starter.
TASK_WORDS = re.compile(r"(?i)task|future|spawn|background|fire|launch")
# Returned calls that are never a project's task factory (the most common ones).
NEVER_FACTORY_NAMES = frozenset(
    {
        "get",
        "format",
        "join",
        "dumps",
        "loads",
        "str",
        "int",
        "len",
        "isinstance",
        "getattr",
        "super",
        "dict",
        "list",
        "tuple",
        "set",
        "replace",
        "strip",
        "split",
        "filter",
        "all",
        "first",
        "exists",
        "copy",
        "__init__",
        "sorted",
        "max",
        "min",
        "sum",
        "any",
        "bool",
    }
)


def summarise(ctx: FileContext, wrappers: list[SchedulerWrapper] | None = None) -> TaskFlow | None:
    wrapper_calls, signatures = _wrapper_calls(ctx)
    flow = TaskFlow(
        returns=_returns(ctx),
        calls=_calls(ctx),
        classes=_classes(ctx),
        singletons=_singletons(ctx),
        wrappers=wrappers or [],
        wrapper_calls=wrapper_calls,
        signatures=signatures,
    )
    if not (flow.returns or flow.calls or flow.classes or flow.wrappers or flow.wrapper_calls):
        return None  # nothing here starts, or may start, a task through a factory
    return flow


# --- returns ---------------------------------------------------------------------------


def _returns(ctx: FileContext) -> list[TaskReturn]:
    if not ctx.returns:
        return []
    starts = {
        id(site.node): site for site in ctx.calls if site.method in ("create_task", "ensure_future")
    }
    out = []
    for function, owner, value in ctx.returns:
        parameters = tuple(ctx.function_params.get(function, ()))
        call = value if isinstance(value, ast.Call) else _local_start(ctx, function, value, starts)
        if call is None:
            continue
        site = starts.get(id(call))
        via = asyncio_tasks.via_of(ctx, site) if site is not None else None
        if via is not None and via not in UNKEPT_STARTS and not via.endswith("().create_task"):
            continue  # a TaskGroup keeps its tasks
        names = set(parameters) - {"self", "cls"}
        made = None
        arguments: tuple[tuple[str, tuple[str, ...], bool], ...]
        if via is not None:
            coro = arg_value(call, 0, COROUTINE_KEYWORDS[0]) or arg_value(
                call, None, COROUTINE_KEYWORDS[1]
            )
            if coro is None:
                continue
            arguments = (("coro", _mentioned(coro, names), isinstance(coro, ast.Call)),)
            callee = None
            if isinstance(coro, ast.Call) and not arguments[0][1]:
                made = ctx.target_ref(coro, owner, function)
        else:
            callee = _callee(ctx, call)
            if callee is None or last_part(callee) in NEVER_FACTORY_NAMES:
                continue
            arguments = _arguments(call, names)
            if not any(mentioned or is_call for _, mentioned, is_call in arguments):
                continue  # neither the caller's arguments nor a coroutine made here reach it
        line, column = ctx.position(call)
        out.append(
            TaskReturn(function, owner, parameters, line, column, via, callee, arguments, made)
        )
    return out


def _local_start(
    ctx: FileContext, function: str, value: ast.expr, starts: dict[int, CallSite]
) -> ast.Call | None:
    """`task = asyncio.create_task(coro); task.add_done_callback(log); return task`."""
    if not isinstance(value, ast.Name):
        return None
    for site in starts.values():
        if site.enclosing == function and site.assigned_to == value.id:
            if kept_only_in_local(ctx, site, also_returned=True) is not None:
                return site.node
    return None


def _callee(ctx: FileContext, call: ast.Call) -> str | None:
    text = dotted_expr(call.func)
    if text is None:
        return None
    if text.partition(".")[0] in ("self", "cls"):
        return text
    return _absolute(ctx, text)


def _arguments(call: ast.Call, names: set[str]) -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    out = []
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            break  # positions after *args are not known
        out.append((str(index), _mentioned(arg, names), isinstance(arg, ast.Call)))
    for keyword in call.keywords:
        if keyword.arg is not None:
            out.append(
                (keyword.arg, _mentioned(keyword.value, names), isinstance(keyword.value, ast.Call))
            )
    return tuple(out)


def _mentioned(node: ast.expr, names: set[str]) -> tuple[str, ...]:
    found = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in names}
    return tuple(sorted(found))


# --- calls -----------------------------------------------------------------------------


def _calls(ctx: FileContext) -> list[TaskCall]:
    out = []
    for site in ctx.flow_calls:
        node = site.node
        given = [*node.args, *(kw.value for kw in node.keywords)]
        made_here = any(isinstance(arg, ast.Call) for arg in given)
        if not made_here and not (site.discarded and any(isinstance(a, ast.Name) for a in given)):
            continue  # stored: only a coroutine made in place is worth following
        callee = site.func_text
        if callee is None or "(" in callee or callee.startswith("<expr>"):
            continue
        if callee.partition(".")[0] not in ("self", "cls"):
            callee = _absolute(ctx, callee)
        arguments: list[tuple[str, TargetRef | None]] = []
        for index, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                break
            arguments.append((str(index), _coroutine(ctx, arg, site)))
        for keyword in node.keywords:
            if keyword.arg is not None:
                arguments.append((keyword.arg, _coroutine(ctx, keyword.value, site)))
        line, column = ctx.position(node)
        local = None
        if site.assigned_to and made_here and TASK_WORDS.search(last_part(callee)):
            local = kept_only_in_local(ctx, site)
        out.append(
            TaskCall(
                callee,
                site.enclosing,
                site.enclosing_class,
                line,
                column,
                site.discarded or local is not None,
                tuple(arguments),
                local,
            )
        )
    return out


def _wrapper_calls(
    ctx: FileContext,
) -> tuple[list[TaskCall], dict[str, tuple[tuple[str, ...], dict[str, str]]]]:
    """Thrown-away calls handing over a function by name (`jobs.every(cleanup, 5, "c")`):
    a scheduler wrapper's call sites, with their literal arguments (link_wrappers.py).

    With them, the signature of each function whose call hands over one of its own
    parameters (`def every_minute(func, name): every(func, 1, name)`): it forwards to a
    wrapper when the callee is one, which only the project knows (link_wrapper_chains.py)."""
    out = []
    signatures: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {}
    for site in ctx.flow_calls:
        node = site.node
        callee = site.func_text
        if not site.discarded or callee is None or "(" in callee or callee.startswith("<"):
            continue
        given = [*node.args, *(kw.value for kw in node.keywords)]
        if not any(isinstance(arg, ast.Name | ast.Attribute) for arg in given):
            continue
        if callee.partition(".")[0] not in ("self", "cls"):
            callee = _absolute(ctx, callee)
        keyed: list[tuple[str, ast.expr]] = []
        for index, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                break
            keyed.append((str(index), arg))
        keyed += [(kw.arg, kw.value) for kw in node.keywords if kw.arg is not None]
        references: list[tuple[str, TargetRef | None]] = []
        literals: list[tuple[str, Any]] = []
        own = ctx.function_locals.get(site.enclosing or "", set())
        params = ctx.function_params.get(site.enclosing or "", [])
        for key, arg in keyed:
            # a parameter or local is what the caller gives, never a module constant's value
            named = isinstance(arg, ast.Name) and arg.id in own
            value = UNKNOWN if named else ctx.evaluator.value(arg)
            if _plain(value):
                literals.append((key, value))
            elif isinstance(arg, ast.Name | ast.Attribute) or _hands_over(ctx, arg):
                references.append((key, ctx.target_ref(arg, site.enclosing_class, site.enclosing)))
            else:  # `int(os.environ["N"])`: known at run time; shown as written
                references.append((key, TargetRef("unknown", ctx.code(arg))))
        line, column = ctx.position(node)
        out.append(
            TaskCall(
                callee,
                site.enclosing,
                site.enclosing_class,
                line,
                column,
                True,
                tuple(references),
                literals=tuple(literals),
            )
        )
        enclosing = site.enclosing
        if enclosing and "<locals>" not in enclosing and enclosing not in signatures:
            if any(isinstance(arg, ast.Name) and arg.id in params for _, arg in keyed):
                defaults = ctx.function_defaults.get(enclosing, {})
                signatures[enclosing] = (
                    tuple(params),
                    {name: ast.unparse(node) for name, node in defaults.items()},
                )
    return out, signatures


def _hands_over(ctx: FileContext, arg: ast.expr) -> bool:
    """`partial(f, 1)`, `cast(T, f)`: a callable, not a value made by a call."""
    return isinstance(arg, ast.Call) and see_through_wrappers(arg, ctx.imports)[0] is not arg


PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any) -> bool:
    """A value that survives the cache and reads back as a literal."""
    if isinstance(value, PLAIN):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, PLAIN) and _plain(v) for k, v in value.items())
    return False


def _coroutine(ctx: FileContext, arg: ast.expr, site: CallSite) -> TargetRef | None:
    if not isinstance(arg, ast.Call):
        return None
    return ctx.target_ref(arg, site.enclosing_class, site.enclosing)


# --- classes and singletons ------------------------------------------------------------


def _absolute(ctx: FileContext, text: str) -> str:
    if ctx.imports.is_imported(text):
        return ctx.imports.resolve_text(text)
    return f"{ctx.module}.{text}" if ctx.module else text


def _type_name(ctx: FileContext, annotation: ast.expr | None) -> str | None:
    """`CoreSys`, `"CoreSys"`, `CoreSys | None`, `Optional[CoreSys]`: the class, absolute."""
    node: ast.expr | None = annotation
    for _ in range(4):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [s for s in (node.left, node.right) if not _is_none(s)]
            if len(sides) != 1:
                return None
            node = sides[0]
        elif isinstance(node, ast.Subscript) and dotted_expr(node.value) in (
            "Optional",
            "typing.Optional",
        ):
            node = node.slice
        else:
            break
    text = dotted_expr(node) if node is not None else None
    return _absolute(ctx, text) if text else None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _classes(ctx: FileContext) -> dict[str, ClassShape]:
    if not ctx.class_nodes:
        return {}
    shapes: dict[str, ClassShape] = {}
    for qualname, node in ctx.class_nodes:
        bases = []
        for base in node.bases:
            base = base.value if isinstance(base, ast.Subscript) else base  # Generic[T]
            text = dotted_expr(base)
            if text:
                bases.append(_absolute(ctx, text))
        shapes[qualname] = ClassShape(tuple(bases))
    # An annotation declares the type (`self.tracker: Tracker = self._make()`); otherwise
    # every assignment must agree: a constructor call, or a parameter annotated with it.
    # Anything else assigned (not None) leaves the type unknown.
    declared: set[tuple[str, str]] = set()
    for target, annotation, owner, function in ctx.annotations:
        if owner is None or owner not in shapes:
            continue
        if function is None and "." not in target:
            attribute = target  # in the class body
        elif function is not None and target.startswith("self.") and target.count(".") == 1:
            attribute = target[5:]
        else:
            continue
        _note(shapes[owner], attribute, _type_name(ctx, annotation) or "")
        declared.add((owner, attribute))
    for owner, attribute, value, function in ctx.self_assigns:
        if owner not in shapes or (owner, attribute) in declared or _is_none(value):
            continue
        found: str | None = None
        if isinstance(value, ast.Call):
            text = dotted_expr(value.func)
            if text and text.partition(".")[0] not in ("self", "cls"):
                found = _absolute(ctx, text)
        elif isinstance(value, ast.Name):
            given = ctx.param_annotations.get(function, {}).get(value.id)
            found = _type_name(ctx, given) if given is not None else None
        _note(shapes[owner], attribute, found or "")
    return shapes


def _note(shape: ClassShape, attribute: str, type_name: str) -> None:
    """Record a type for the attribute; "" (unknown) once two disagree or one is unknown."""
    known = shape.attributes.get(attribute)
    shape.attributes[attribute] = type_name if known in (None, type_name) else ""


def _singletons(ctx: FileContext) -> dict[str, str]:
    out = {}
    for name, value in ctx.constants.items():
        if isinstance(value, ast.Call):
            text = dotted_expr(value.func)
            if text:
                out[name] = _absolute(ctx, text)
    return out
