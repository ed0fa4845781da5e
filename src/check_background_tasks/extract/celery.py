"""Celery beat schedules (settings, `conf`, `add_periodic_task`) and task definitions."""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from ..model import Schedule, TargetRef
from . import beat_data, triggers
from .context import (
    AssignSite,
    CallSite,
    FileContext,
    arg_value,
    kwarg,
    named_args,
    unnamed_args,
)
from .names import DeferredNode, Evaluator, dotted_expr, last_part, resolves_into

CALL_NAMES = frozenset({"update", "add_periodic_task"})

# Names a beat schedule is assigned to: app.conf.beat_schedule, Django settings, celeryconfig.
BEAT_NAMES = frozenset({"beat_schedule", "CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"})
SIGNATURE_METHODS = frozenset({"s", "si", "signature", "delay_s"})
NOT_CELERY_RECEIVERS = frozenset(
    {"taskiq_broker", "huey", "apscheduler", "apscheduler4", "locked_scheduler"}
)


def collect(ctx: FileContext) -> None:
    for assign in ctx.assigns:
        if last_part(assign.target_text) in BEAT_NAMES:
            _assigned_schedule(ctx, assign)
    for key, value, where, bindings in beat_data.module_loops(ctx):
        _bound_entry(ctx, key, value, where, bindings)
    _pending(ctx)
    for site in ctx.calls:
        if site.method == "update":
            _update(ctx, site)
        elif site.method == "add_periodic_task":
            _periodic_task(ctx, site)
    _legacy_periodic_tasks(ctx)
    _task_definitions(ctx)


# Names that can only hold a beat schedule (unlike a bare `beat_schedule` variable).
SETTINGS_NAMES = frozenset({"CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"})


def _assigned_schedule(ctx: FileContext, assign: AssignSite) -> None:
    if assign.subscript_key is None:
        value = ctx.evaluator.value(assign.value)
        if isinstance(value, dict):
            _entries(ctx, value)
            return
        built = beat_data.built_by(ctx, assign.value)
        if built is not None:
            for key, entry, where, bindings in built:
                _bound_entry(ctx, key, entry, where, bindings)
        elif last_part(assign.target_text) in SETTINGS_NAMES or ".conf." in assign.target_text:
            _opaque(ctx, assign.value)
    elif isinstance(assign.subscript_key, str):
        _entry(ctx, assign.subscript_key, DeferredNode(assign.value, assign.value))


def _bound_entry(
    ctx: FileContext, key: str, value: ast.expr, where: ast.AST, bindings: dict[str, ast.expr]
) -> None:
    """An entry written once for many (beat_data.py), read with the loop's names bound."""
    evaluator = ctx.evaluator
    ctx.evaluator = Evaluator(ctx.imports, {**ctx.constants, **bindings})
    try:
        _entry(ctx, key, DeferredNode(value, where))
    finally:
        ctx.evaluator = evaluator


def _update(ctx: FileContext, site: CallSite) -> None:
    receiver = site.receiver_text or ""
    call = site.node
    if last_part(receiver) in BEAT_NAMES:
        for mapping in unnamed_args(call):
            value = ctx.evaluator.value(mapping)
            if isinstance(value, dict):
                _entries(ctx, value)
            else:
                _opaque(ctx, mapping)
        for arg in named_args(call):
            _entry(ctx, arg.name, DeferredNode(arg.value, arg.node))
        return
    if last_part(receiver) == "conf":
        for arg in named_args(call):
            if arg.name in BEAT_NAMES:
                _entries(ctx, ctx.evaluator.value(arg.value))
        for mapping in unnamed_args(call):
            settings = ctx.evaluator.value(mapping)
            if isinstance(settings, dict):
                for key in BEAT_NAMES & set(settings):
                    _entries(ctx, ctx.evaluator.resolved(settings[key]))


def _opaque(ctx: FileContext, node: ast.expr) -> None:
    """A schedule built by code we do not run (`= parse_beat_schedule()`): say it exists.
    What it is made of, when that is other modules' dicts and builders, is named for the
    project pass (`built_from`, link_beat.py), and its literal entries are read here."""
    text = triggers.shorten(ctx.code(node))
    extra: dict[str, Any] = {"opaque": True}
    made_of = beat_data.references(ctx, node)
    if made_of is not None:
        names, literals = made_of
        for literal in literals:
            for key, value, where, bindings in beat_data.literal_entries(ctx, literal):
                _bound_entry(ctx, key, value, where, bindings)
        if not names:
            return
        extra["built_from"] = sorted(names)
    ctx.add(
        "celery_beat",
        node,
        TargetRef("unknown", text),
        Schedule(text=text, resolved=False),
        extra=extra,
    )


def _pending(ctx: FileContext) -> None:
    """Beat-shaped dicts and builders another module's schedule may be made of."""
    for name, (key, value, where, bindings) in beat_data.pending(ctx):
        before = len(ctx.jobs)
        _bound_entry(ctx, key, value, where, bindings)
        for job in ctx.jobs[before:]:
            job.extra["pending_beat"] = name


def _entries(ctx: FileContext, value: Any) -> None:
    if not isinstance(value, dict):
        return
    for key, entry in value.items():
        if isinstance(key, str) and isinstance(entry, DeferredNode):
            _entry(ctx, key, entry)


def _entry(ctx: FileContext, key: str, deferred: DeferredNode) -> None:
    entry = ctx.evaluator.resolved(deferred)
    # The shape of a beat entry is what tells it from any other dict of dicts.
    if not isinstance(entry, dict) or "task" not in entry:
        return
    task = entry["task"]
    task_value = ctx.evaluator.resolved(task)
    if isinstance(task_value, str):
        target = TargetRef("string", task_value)
    elif isinstance(task, DeferredNode):
        node = task.node
        if isinstance(node, ast.Attribute) and node.attr == "name":
            node = node.value  # cleanup.name -> the task object itself
        target = ctx.target_ref(node, None)
    else:
        target = TargetRef("unknown", "?")
    schedule = None
    sched = entry.get("schedule")
    if isinstance(sched, DeferredNode):
        text = triggers.shorten(ctx.code(sched.node))
        schedule = triggers.celery_schedule(ctx.evaluator.value(sched.node), text)
    where: ast.AST = deferred.key if deferred.key is not None else deferred.node
    extra = {
        k: ctx.code(entry[k].node)
        for k in ("args", "kwargs")
        if isinstance(entry.get(k), DeferredNode)
    }
    ctx.add("celery_beat", where, target, schedule, name=key, extra=extra)


def _periodic_task(ctx: FileContext, site: CallSite) -> None:
    call = site.node
    sched_node = arg_value(call, 0, "schedule")
    sig_node = arg_value(call, 1, "sig")
    if sched_node is None or sig_node is None:
        return
    text = triggers.shorten(ctx.code(sched_node))
    schedule = triggers.celery_schedule(ctx.evaluator.value(sched_node), text)
    # add_periodic_task(schedule, sig, args=(), kwargs=(), name=None, **opts)
    name_node = arg_value(call, 4, "name")
    name = ctx.evaluator.value(name_node) if name_node is not None else None
    ctx.add(
        "celery_beat",
        call,
        _signature_target(ctx, sig_node, site.enclosing_class, site.enclosing),
        schedule,
        name=name if isinstance(name, str) else None,
        site=site,
    )


def _signature_target(
    ctx: FileContext, node: ast.expr, enclosing_class: str | None, enclosing: str | None = None
) -> TargetRef:
    """The task a signature runs, with the arguments it binds (`add.s(2, 2)`). A parameter
    of the enclosing function (`enclosing`) is only known at its calls (wrappers.py)."""
    if isinstance(node, ast.Call):
        func = dotted_expr(node.func)
        if func and last_part(func) in SIGNATURE_METHODS and "." in func:
            if last_part(func) == "signature" and node.args:
                # app.signature("tasks.add") names the task as a string
                named = ctx.evaluator.value(node.args[0])
                if isinstance(named, str):
                    return _bound(ctx, TargetRef("string", named), node, skip=1)
            assert isinstance(node.func, ast.Attribute)  # a dotted name with a dot
            ref = ctx.target_ref(node.func.value, enclosing_class, enclosing)
            return _bound(ctx, ref, node, skip=0)
        if func and last_part(func) == "signature" and node.args:
            named = ctx.evaluator.value(node.args[0])
            if isinstance(named, str):
                return _bound(ctx, TargetRef("string", named), node, skip=1)
    return ctx.target_ref(node, enclosing_class, enclosing)


def _bound(ctx: FileContext, ref: TargetRef, call: ast.Call, skip: int) -> TargetRef:
    given: list[ast.AST] = [*call.args[skip:], *call.keywords]
    if not given:
        return ref
    return replace(ref, bound=", ".join(ctx.code(arg) for arg in given))


def _legacy_periodic_tasks(ctx: FileContext) -> None:
    """Celery < 5: `@periodic_task(run_every=...)` from celery.task / celery.decorators."""
    for deco in ctx.decorated:
        expr = deco.decorator.decorator
        if not isinstance(expr, ast.Call):
            continue
        resolved = ctx.imports.resolve(expr.func) or ""
        if last_part(resolved) != "periodic_task" or not resolves_into(resolved, "celery"):
            continue
        every = arg_value(expr, None, "run_every")
        text = triggers.shorten(ctx.code(every)) if every is not None else "?"
        schedule = triggers.celery_schedule(
            ctx.evaluator.value(every) if every is not None else None, text
        )
        deco.function.is_celery_task = True
        ctx.add(
            "celery_beat",
            deco.decorator,
            TargetRef("local", deco.function.qualname),
            schedule,
            site=deco,
            extra={"legacy_periodic_task": True},
        )


# Decorators named like a task decorator that register no Celery task.
NOT_TASK_DECORATORS = frozenset({"periodic_task", "db_periodic_task", "db_task", "create_task"})

# A task registered under a name this reading cannot know (model.py says why it is kept).
UNKNOWN_TASK_NAME = "<unknown task name>"


def _task_definitions(ctx: FileContext) -> None:
    """Mark functions that are Celery tasks and remember explicit task names."""
    by_name = {fn.qualname: fn for fn in ctx.functions}
    for registration, func in ctx.task_call_forms:
        fn = by_name.get(func)
        if fn is None:
            continue
        fn.is_celery_task = True
        name_node = arg_value(registration, None, "name")
        fn.celery_task_name = _task_name(ctx, name_node)
    for deco in ctx.decorated:
        expr = deco.decorator.decorator
        call: ast.Call | None = expr if isinstance(expr, ast.Call) else None
        text = dotted_expr(call.func if call else expr)
        if not text:
            continue
        resolved = ctx.imports.resolve_text(text)
        method = last_part(text)
        if method == "shared_task" or resolves_into(resolved, "celery.shared_task"):
            pass
        elif method.endswith("_task") and call is not None and kwarg(call, "name") is not None:
            # a project's own task decorator (`@finmars_task(name="history.export")`, a
            # wrapper of shared_task): the name it registers is what beat entries use
            if method in NOT_TASK_DECORATORS:
                continue
        elif method == "task" and "." in text:
            receiver = text.rpartition(".")[0]
            if ctx.receiver_kind(receiver) in NOT_CELERY_RECEIVERS:
                continue
            if call is not None and any(
                kw.arg in ("schedule", "task_name") for kw in call.keywords
            ):
                continue  # taskiq's @broker.task(schedule=..., task_name=...)
        else:
            continue
        deco.function.is_celery_task = True
        if call is not None:
            deco.function.celery_task_name = _task_name(ctx, arg_value(call, None, "name"))


def _task_name(ctx: FileContext, given: ast.expr | None) -> str | None:
    """A task's `name=`: its text, UNKNOWN_TASK_NAME when only the run time knows it (a
    constant imported from another module), None when no name is given."""
    if given is None:
        return None
    name = ctx.evaluator.value(given)
    return name if isinstance(name, str) else UNKNOWN_TASK_NAME
