"""Neuroglia background jobs (kind `neuroglia`): job classes and the descriptors that
schedule them through the tasks bus.

    @backgroundjob(task_type="recurrent")
    class WorkerMetricsCollectionJob(RecurrentBackgroundJob):
        async def run_every(self, *args, **kwargs): ...

    descriptor = RecurrentTaskDescriptor(
        id="metrics", name="WorkerMetricsCollectionJob", data={}, interval=300
    )
    bus.schedule_task(descriptor)

A descriptor is a job: its `name` names the job class (linked project-wide,
link_neuroglia.py), `interval` is in seconds; a ScheduledTaskDescriptor runs once, at
`scheduled_at`. A job class no descriptor names is listed on its own (registered, its
schedule given at run time, or by the decorator: `@backgroundjob(task_type="recurrent",
interval=300)` classes are scheduled when the scheduler starts). The framework is often
copied into a project (`application.services.background_scheduler`): the names are
recognised wherever they come from.
"""

from __future__ import annotations

import ast
from typing import Any

from .. import schedules
from ..model import Schedule, TargetRef
from . import triggers
from .context import CallSite, FileContext, arg_value
from .names import dotted_expr, last_part

RECURRENT = "RecurrentTaskDescriptor"
SCHEDULED = "ScheduledTaskDescriptor"
CALL_NAMES = frozenset({RECURRENT, SCHEDULED})
JOB_BASES = {"RecurrentBackgroundJob": "recurrent", "ScheduledBackgroundJob": "scheduled"}
RUNS = {"recurrent": "run_every", "scheduled": "run_at"}
DECORATOR = "backgroundjob"


def collect(ctx: FileContext) -> None:
    for site in ctx.calls:
        if site.method in CALL_NAMES:
            _descriptor(ctx, site)
    for qualname, node in ctx.class_nodes:
        _job_class(ctx, qualname, node)


def _descriptor(ctx: FileContext, site: CallSite) -> None:
    call = site.node
    recurrent = site.method == RECURRENT
    # TaskDescriptor(id, name, data), then interval / scheduled_at
    id_node = arg_value(call, 0, "id")
    job_id = _string(ctx, id_node)
    job_class = _string(ctx, arg_value(call, 1, "name"))
    when = arg_value(call, 3, "interval" if recurrent else "scheduled_at")
    text = triggers.shorten(ctx.code(when)) if when is not None else "?"
    schedule: Schedule
    if when is None:
        schedule = Schedule(text=text, resolved=False)
    elif recurrent:
        schedule = triggers.seconds_value(ctx.evaluator.value(when), text)
    else:
        run = ctx.evaluator.value(when)
        schedule = schedules.from_date(run, text, None)
    extra: dict[str, Any] = {"descriptor": site.method}
    if job_class is not None:
        extra["job_class"] = job_class
    if id_node is not None and job_id is None:
        extra["id_is_expression"] = ctx.code(id_node)  # one job per value, e.g. per worker
    target = TargetRef("string", job_class) if job_class else TargetRef("unknown", "?")
    ctx.add(
        "neuroglia",
        call,
        target,
        schedule,
        name=job_id or job_class,
        site=site,
        periodic=recurrent,
        extra=extra,
    )


def _string(ctx: FileContext, node: ast.expr | None) -> str | None:
    value = ctx.evaluator.value(node) if node is not None else None
    return value if isinstance(value, str) else None


def _job_class(ctx: FileContext, qualname: str, node: ast.ClassDef) -> None:
    task_type = None
    for base in node.bases:
        task_type = JOB_BASES.get(last_part(dotted_expr(base))) or task_type
    decorated = None
    schedule: Schedule | None = None
    for decorator in node.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        if last_part(dotted_expr(func)) == DECORATOR:
            decorated = decorator
            call = decorator if isinstance(decorator, ast.Call) else None
            given = arg_value(call, 0, "task_type") if call is not None else None
            value = ctx.evaluator.value(given) if given is not None else None
            task_type = value if value in RUNS else task_type
            # @backgroundjob(task_type="recurrent", interval=300): scheduled at start-up
            every = arg_value(call, 1, "interval") if call is not None else None
            if every is not None:
                text = triggers.shorten(ctx.code(every))
                schedule = triggers.seconds_value(ctx.evaluator.value(every), text)
    if decorated is None or task_type is None:
        return  # a base class, or a job class the scheduler does not register
    ctx.add(
        "neuroglia",
        node,
        TargetRef("local", f"{qualname}.{RUNS[task_type]}"),
        schedule,
        name=node.name,
        periodic=task_type == "recurrent",
        extra={"job_class": node.name, "task_type": task_type, "registered": True},
    )
