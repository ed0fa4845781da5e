"""Decorators applied as calls: the job declared without an `@`.

    scheduler.scheduled_job("interval", minutes=5)(cleanup)
    db_periodic_task(crontab(minute="0"))(purge)
    broker.task(schedule=[{"cron": "*/5 * * * *"}])(refresh)

Each is read as if `@<decorator>` stood above the function it is given: `expand` adds a
decorated site for it before the framework readers run, and `retarget` points the jobs
they made at the function as the argument names it (an imported function too), placed at
the call.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from ..model import FunctionFacts
from .context import DecoratedSite, Decorator, FileContext
from .names import dotted_expr, last_part

# Decorator names a framework reader declares jobs with (Celery's `app.task(...)(f)` is a
# task registration, read by celery.py from `task_call_forms`).
JOB_DECORATORS = frozenset({"scheduled_job", "periodic_task", "db_periodic_task", "task", "job"})


def expand(ctx: FileContext) -> dict[int, ast.expr]:
    """Add a decorated site per applied call; id(site's facts) -> the function argument."""
    applied: dict[int, ast.expr] = {}
    for call in ctx.applied_calls:
        inner = call.func
        assert isinstance(inner, ast.Call)
        if last_part(dotted_expr(inner.func)) not in JOB_DECORATORS:
            continue
        if len(call.args) != 1 or call.keywords:
            continue
        function = call.args[0]
        text = dotted_expr(function)
        if text is None:
            continue
        line, column = ctx.position(function)
        stand_in = FunctionFacts(qualname=text, line=line, column=column, is_async=False)
        ctx.decorated.append(DecoratedSite(Decorator(inner), stand_in, None))  # type: ignore[arg-type]
        applied[id(stand_in)] = function
    return applied


def retarget(ctx: FileContext, applied: dict[int, ast.expr], sites: list[DecoratedSite]) -> None:
    """Jobs of the stand-in sites run the function the argument names."""
    if not applied:
        return
    stand_ins = {
        (ctx.position(site.decorator), site.function.qualname): applied[id(site.function)]
        for site in sites
        if id(site.function) in applied
    }
    for index, job in enumerate(ctx.jobs):
        if job.target.how != "local":
            continue
        function = stand_ins.get(((job.line, job.column), job.target.value))
        if function is not None:
            ctx.jobs[index] = replace(job, target=ctx.target_ref(function, None), defined_at=None)
