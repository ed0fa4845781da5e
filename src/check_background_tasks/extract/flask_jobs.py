"""Flask-APScheduler's job configuration: `JOBS = [{...}, ...]` in the Flask config.

    class Config:
        JOBS = [
            {"id": "cleanup", "func": "app.jobs:cleanup", "trigger": "interval", "minutes": 5},
        ]

Each entry becomes an `apscheduler` record placed at its dict, with the schedule its
trigger and trigger arguments give (the same reading as `add_job(**entry)`). Only entries
that have both `func` and `trigger` are jobs: a list named JOBS of other dicts is not.
"""

from __future__ import annotations

import ast

from ..model import TargetRef
from . import triggers
from .apscheduler import ADD_JOB_PARAMS, trigger_schedule
from .context import FileContext
from .names import last_part, strip_env

CALL_NAMES: frozenset[str] = frozenset()
JOB_LISTS = ("JOBS", "SCHEDULER_JOBS")
FLASK_SCHEDULER = "flask_apscheduler.APScheduler"


def collect(ctx: FileContext) -> None:
    for assign in ctx.assigns:
        if assign.subscript_key is None and last_part(assign.target_text) in JOB_LISTS:
            if isinstance(assign.value, ast.List | ast.Tuple):
                for element in assign.value.elts:
                    if isinstance(element, ast.Dict):
                        _entry(ctx, element)


def _entry(ctx: FileContext, entry: ast.Dict) -> None:
    fields: dict[str, ast.expr] = {}
    for key, value in zip(entry.keys, entry.values, strict=True):
        if key is None:
            return  # `**defaults`: fields we cannot see
        name = ctx.evaluator.value(key)
        if not isinstance(name, str):
            return
        fields[name] = value
    if "func" not in fields or "trigger" not in fields:
        return
    trigger = ctx.evaluator.value(fields["trigger"])
    trigger_fields = {k: v for k, v in fields.items() if k not in ADD_JOB_PARAMS}
    trigger_args = {k: ctx.evaluator.value(v) for k, v in trigger_fields.items()}
    text = triggers.shorten(
        ", ".join(
            [ctx.code(fields["trigger"])]
            + [f"{k}={ctx.code(v)}" for k, v in trigger_fields.items()]
        )
    )
    schedule, periodic = trigger_schedule(trigger, trigger_args, text)
    target = ctx.target_ref(fields["func"], None)
    if target.how == "string":
        target = TargetRef("string", target.value.replace(":", "."))
    job_id = strip_env(ctx.evaluator.value(fields["id"])) if "id" in fields else None
    extra: dict[str, object] = {"scheduler_class": FLASK_SCHEDULER, "declared_in": "JOBS"}
    replace_existing = (
        ctx.evaluator.value(fields["replace_existing"]) if "replace_existing" in fields else None
    )
    if isinstance(replace_existing, bool):
        extra["replace_existing"] = replace_existing
    for passed in ("args", "kwargs"):
        if passed in fields:
            extra[passed] = ctx.code(fields[passed])
    ctx.add(
        "apscheduler",
        entry,
        target,
        schedule,
        name=job_id if isinstance(job_id, str) else None,
        periodic=periodic,
        extra=extra,
    )
