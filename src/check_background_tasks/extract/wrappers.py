"""Follow a project's own wrapper to its call sites, within the file that defines it.

    def schedule_job(func, name, hours=0):
        SCHED.add_job(func, id=name, trigger="interval", hours=hours)

    schedule_job(check_update, "check-update", hours=6)

The `add_job` inside declares no job of its own (its target is a parameter); each call
of `schedule_job` does. We read the wrapper's declaration again with the call's arguments
bound to its parameters, and place the job at the call.

Calls from other files, and of methods (`self.jobs.add_interval_job(...)`), are only known
project-wide: `templates` records each wrapper as plain data (its declaring call as
source text), which link_wrappers.py reads again at each call site it resolves.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import replace

from ..model import SchedulerWrapper
from . import apscheduler, arq, asyncio_tasks, celery, fastapi
from .context import CallSite, FileContext, named_args

BY_KIND = {
    "apscheduler": apscheduler,
    "locked_scheduler": apscheduler,
    "create_task": asyncio_tasks,
    "fastapi_background": fastapi,
    "celery_beat": celery,
    "arq": arq,
}


# Kinds whose declaring call link_wrappers.py reads again at a call site in another file.
TEMPLATE_KINDS = frozenset({"apscheduler", "locked_scheduler", "celery_beat"})
MAX_CONSTANT_DEPTH = 3


def templates(ctx: FileContext) -> list[SchedulerWrapper]:
    """Wrappers of this file that other files (or methods' callers) may call: recorded
    before `follow` replaces a module-level wrapper's own job with its calls here."""
    out = []
    for job, inner in ctx.wrapped:
        wrapper = inner.enclosing
        if job.kind not in TEMPLATE_KINDS or not wrapper or "<locals>" in wrapper:
            continue
        params = ctx.function_params.get(wrapper, [])
        if job.target.value.partition(".")[0] not in params or inner.func_text is None:
            continue
        owner = inner.enclosing_class
        if owner is not None and wrapper != f"{owner}.{wrapper.rpartition('.')[2]}":
            continue  # a method of a class nested in a function
        receiver = inner.receiver_text
        out.append(
            SchedulerWrapper(
                function=wrapper,
                owner=owner,
                parameters=tuple(params),
                defaults={
                    name: ast.unparse(node)
                    for name, node in ctx.function_defaults.get(wrapper, {}).items()
                },
                kind=job.kind,
                call=ast.unparse(_inline_locals(ctx, wrapper, inner.node, set(params))),
                method=inner.func_text,
                receivers={receiver: ctx.receivers[receiver]}
                if receiver and receiver in ctx.receivers
                else {},
                receiver_classes={receiver: ctx.receiver_classes[receiver]}
                if receiver and receiver in ctx.receiver_classes
                else {},
                constants=_constants_of(ctx, inner.node, set(params)),
                line=job.line,
                column=job.column,
            )
        )
    return _forwarding(ctx, out) if out else out


MAX_FORWARDS = 3  # add_interval_job -> self.add_job -> self.scheduler.add_job is one


def _forwarding(ctx: FileContext, found: list[SchedulerWrapper]) -> list[SchedulerWrapper]:
    """Functions of this file that hand their parameters to one of its wrappers:

        def add_job(self, func, trigger, job_id=None):
            self.scheduler.add_job(func, trigger, id=job_id)

        def add_interval_job(self, func, minutes, job_id=None):
            self.add_job(func, IntervalTrigger(minutes=minutes), job_id=job_id)

    `add_interval_job` is a wrapper too: `add_job`'s call with its arguments in place."""
    out = list(found)
    for _ in range(MAX_FORWARDS):
        known = {(w.owner, w.function.rpartition(".")[2]): w for w in out}
        done = {w.function for w in out}
        added = False
        for site in ctx.flow_calls:
            function, text = site.enclosing, site.func_text or ""
            if not site.discarded or not function or "<locals>" in function or function in done:
                continue
            if text.startswith("self.") and text.count(".") == 1:
                inner = known.get((site.enclosing_class, text[5:]))
                offset = 1
            else:
                inner = known.get((None, text)) if "." not in text else None
                offset = 0
            if inner is None or (offset == 1) != (inner.owner is not None):
                continue
            params = ctx.function_params.get(function, [])
            composed = _composed(ctx, inner, site, offset, function, set(params))
            if composed is None:
                continue
            out.append(
                replace(
                    inner,
                    function=function,
                    owner=site.enclosing_class,
                    parameters=tuple(params),
                    defaults={
                        name: ast.unparse(node)
                        for name, node in ctx.function_defaults.get(function, {}).items()
                    },
                    call=ast.unparse(composed),
                    constants={**inner.constants, **_constants_of(ctx, composed, set(params))},
                )
            )
            done.add(function)
            added = True
        if not added:
            break
    return out


def _composed(
    ctx: FileContext,
    inner: SchedulerWrapper,
    site: CallSite,
    offset: int,
    function: str,
    params: set[str],
) -> ast.AST | None:
    """`inner`'s declaring call with the arguments `site` gives it, in terms of `function`'s
    parameters; None when none of them reaches it."""
    call = _inline_locals(ctx, function, site.node, params)
    assert isinstance(call, ast.Call)
    own = params - {"self", "cls"}
    if not any(isinstance(n, ast.Name) and n.id in own for n in ast.walk(call)):
        return None
    values: dict[str, ast.expr] = {}
    names = inner.parameters[offset:]
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if len(positional) != len(call.args) or any(k.arg is None for k in call.keywords):
        return None  # *args / **kwargs: which parameter gets what is not known
    values.update(zip(names, positional, strict=False))
    values.update((k.arg, k.value) for k in call.keywords if k.arg in names)
    for name in names:
        if name not in values and name in inner.defaults:
            try:
                values[name] = ast.parse(inner.defaults[name], mode="eval").body
            except SyntaxError:
                return None
    template = ast.parse(inner.call, mode="eval").body
    return _Inline(values).visit(template)


class _Inline(ast.NodeTransformer):
    def __init__(self, values: dict[str, ast.expr]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        found = self.values.get(node.id)
        if found is None or not isinstance(node.ctx, ast.Load):
            return node
        return copy.deepcopy(found)


def _inline_locals(ctx: FileContext, wrapper: str, call: ast.Call, params: set[str]) -> ast.AST:
    """`trigger = IntervalTrigger(minutes=minutes); self.aps.add_job(func, trigger)`: a
    local assigned once in the wrapper is written in place, so the call's parameters are
    all in the template."""
    nodes = ctx.function_nodes.get(wrapper, [])
    if len(nodes) != 1:
        return call
    assigned: dict[str, list[ast.expr]] = {}
    for stmt in ast.walk(nodes[0]):
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        assigned.setdefault(name.id, []).append(stmt.value)
        else:
            bound = _bound_by(stmt)
            for name in ast.walk(bound) if bound is not None else ():
                if isinstance(name, ast.Name):
                    assigned.setdefault(name.id, []).extend([name, name])  # not one value
    used = {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
    values = {
        name: found[0]
        for name, found in assigned.items()
        if len(found) == 1 and name in used and name not in params
    }
    return _Inline(values).visit(copy.deepcopy(call)) if values else call


def _bound_by(node: ast.AST) -> ast.AST | None:
    """What a binding other than a plain assignment binds (`for x in`, `with ... as x`)."""
    if isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
        return node.target
    if isinstance(node, ast.NamedExpr | ast.comprehension):
        return node.target
    if isinstance(node, ast.withitem):
        return node.optional_vars
    return None


def _constants_of(ctx: FileContext, node: ast.AST, params: set[str]) -> dict[str, str]:
    """Module constants the call mentions (and those they mention), as written."""
    out: dict[str, str] = {}
    todo = [node]
    for _ in range(MAX_CONSTANT_DEPTH):
        names = {
            n.id
            for part in todo
            for n in ast.walk(part)
            if isinstance(n, ast.Name) and n.id not in params and n.id not in out
        }
        todo = [ctx.constants[name] for name in sorted(names) if name in ctx.constants]
        for name in sorted(names):
            if name in ctx.constants:
                out[name] = ast.unparse(ctx.constants[name])
        if not todo:
            break
    return out


def follow(ctx: FileContext) -> None:
    for job, inner in list(ctx.wrapped):
        wrapper = inner.enclosing
        framework = BY_KIND.get(job.kind)
        if not wrapper or framework is None or "." in wrapper:
            continue  # only module-level functions are called by a plain name
        if job.target.value.partition(".")[0] not in ctx.function_params.get(wrapper, ()):
            # `ss = Searcher(); add_job(ss.run, ...)`: a local the wrapper makes itself is
            # the same at every call site, and no argument binds it.
            continue
        calls = [c for c in ctx.name_calls.get(wrapper, []) if not _shadowed(ctx, c, wrapper)]
        found = []
        for call in calls:
            found.extend(_read_at(ctx, framework, inner, call, wrapper))
        if found:
            ctx.jobs.remove(job)
            ctx.jobs.extend(found)


def _shadowed(ctx: FileContext, call: CallSite, name: str) -> bool:
    """The call names another function of that name: a nested `def start(...)` (or a
    parameter or local) of a function around the call."""
    scope = call.enclosing
    while scope:
        if name in ctx.function_locals.get(scope, ()) or f"{scope}.<locals>.{name}" in (
            fn.qualname for fn in ctx.functions
        ):
            return True
        scope = scope.rpartition(".<locals>.")[0] if ".<locals>." in scope else ""
    return False


def _bind(params: list[str], defaults: dict[str, ast.expr], call: ast.Call) -> dict[str, ast.expr]:
    bound: dict[str, ast.expr] = dict(defaults)
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    bound.update(zip(params, positional, strict=False))
    bound.update((arg.name, arg.value) for arg in named_args(call))
    return bound


def _read_at(ctx: FileContext, framework, inner: CallSite, call: CallSite, wrapper: str):  # type: ignore[no-untyped-def]
    bound = _bind(
        ctx.function_params.get(wrapper, []), ctx.function_defaults.get(wrapper, {}), call.node
    )
    child = FileContext(
        path=ctx.path,
        module=ctx.module,
        imports=ctx.imports,
        constants={**ctx.constants, **bound},
        receivers=ctx.receivers,
        positions=ctx.positions,
        receiver_classes=ctx.receiver_classes,
        function_locals=ctx.function_locals,
        function_defaults=ctx.function_defaults,
        bindings=bound,
    )
    child.bindings_enclosing = call.enclosing
    # Whether the task is kept is the wrapper's business (it usually stores it).
    child.calls = [replace(inner, enclosing=call.enclosing)]
    framework.collect(child)
    line, column = ctx.position(call.node)
    return [
        replace(
            job,
            line=line,
            column=column,
            enclosing=call.enclosing,
            extra={**job.extra, "via_wrapper": wrapper},
        )
        for job in child.jobs
        if job.target.how != "variable"
    ]
