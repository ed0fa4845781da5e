"""locked_scheduler's run-time jobs: `@scheduler.task("name")` and
`await scheduler.schedule(JobSpec(...))` (static jobs are in apscheduler.py)."""

from __future__ import annotations

import ast
from typing import Any

from ..model import Schedule, TargetRef
from . import triggers
from .apscheduler import ADD_JOB_PARAMS, trigger_schedule
from .claims import claim_key
from .context import CallSite, DecoratedSite, FileContext, arg_value, named_args
from .names import CallValue, dotted_expr, last_part, strip_env

CALL_NAMES = frozenset({"schedule"})
KIND = "locked_scheduler_dynamic"
SPEC_FIELDS = frozenset({"id", "task", "args", "kwargs", "trigger", "run_at"})


def collect(ctx: FileContext) -> None:
    for deco in ctx.decorated:
        _registered_task(ctx, deco)
    for site in ctx.calls:
        if site.method == "schedule":
            _scheduled_spec(ctx, site)


def _is_locked_scheduler(ctx: FileContext, receiver: str | None) -> bool:
    if ctx.receiver_kind(receiver) == "locked_scheduler":
        return True
    pending = ctx.pending_receiver(receiver)
    return bool(pending and pending.startswith("locked_scheduler"))


def _registered_task(ctx: FileContext, deco: DecoratedSite) -> None:
    expr = deco.decorator.decorator
    if not isinstance(expr, ast.Call):
        return
    text = dotted_expr(expr.func) or ""
    if last_part(text) != "task" or not _is_locked_scheduler(ctx, text.rpartition(".")[0]):
        return
    name_node = arg_value(expr, 0, "name")
    name = ctx.evaluator.value(name_node) if name_node is not None else None
    ctx.add(
        KIND,
        deco.decorator,
        TargetRef("local", deco.function.qualname),
        Schedule(text="scheduled at run time", resolved=False),
        name=name if isinstance(name, str) else None,
        site=deco,
        locked=True,
        extra={"registered_task": True},
    )


def _scheduled_spec(ctx: FileContext, site: CallSite) -> None:
    if not _is_locked_scheduler(ctx, site.receiver_text):
        return
    spec_node = arg_value(site.node, 0, "spec")
    spec = ctx.evaluator.value(spec_node) if spec_node is not None else None
    if not isinstance(spec, CallValue) or last_part(spec.func) != "JobSpec":
        return
    # JobSpec(id, task, trigger, *, args, kwargs, run_at, ..., **trigger_args)
    fields = dict(zip(("id", "task", "trigger"), spec.args, strict=False))
    fields.update(spec.kwargs)
    trigger = strip_env(fields.get("trigger"))
    trigger_args: dict[str, Any] = {
        k: v for k, v in fields.items() if k not in SPEC_FIELDS and k not in ADD_JOB_PARAMS
    }
    if trigger == "date":
        trigger_args["run_date"] = fields.get("run_at")
    text = triggers.shorten(
        ", ".join(
            f"{arg.name}={ctx.code(arg.value)}"
            for arg in named_args(spec.node)
            if arg.name not in ("id", "task", "args", "kwargs")
        )
    )
    schedule, periodic = trigger_schedule(trigger, trigger_args, text)
    if spec.unpacked:  # JobSpec(**spec): fields we cannot see
        schedule = Schedule(text=text or "?", resolved=False)
    task = strip_env(fields.get("task"))
    job_id = strip_env(fields.get("id"))
    ctx.add(
        KIND,
        site.node,
        TargetRef("string", task) if isinstance(task, str) else TargetRef("unknown", "?"),
        schedule,
        name=job_id if isinstance(job_id, str) else None,
        site=site,
        periodic=periodic,
        locked=True,
        lock_key=claim_key(ctx, site.receiver_text, job_id),
    )
