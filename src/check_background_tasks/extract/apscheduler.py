"""APScheduler 3 (`add_job`, `@scheduled_job`), APScheduler 4 (`add_schedule`), and
`locked_scheduler.LockedScheduler` (`@scheduler.job`, `add_job`)."""

from __future__ import annotations

import ast
from typing import Any

from .. import schedules
from ..model import Schedule, TargetRef
from ..schedules import UNKNOWN
from . import triggers
from .claims import claim_key
from .context import CallSite, DecoratedSite, FileContext, arg_value, named_args
from .names import CallValue, dotted_expr, last_part, resolves_into, strip_env

CALL_NAMES = frozenset({"add_job", "add_schedule", "start"})

SCHEDULER_KINDS = ("apscheduler", "apscheduler4", "locked_scheduler")
TRIGGER_ALIASES = ("interval", "cron", "date", "calendarinterval")

ADD_JOB_PARAMS = frozenset(
    {
        "func",
        "trigger",
        "args",
        "kwargs",
        "id",
        "name",
        "misfire_grace_time",
        "coalesce",
        "max_instances",
        "next_run_time",
        "jobstore",
        "executor",
        "replace_existing",
        "job_executor",
        "conflict_policy",
        "paused",
        "max_jitter",
        "metadata",
        "job_result_expiration_time",
    }
)
# Trigger-argument keywords that describe the trigger itself, not a cron field.
TRIGGER_META = frozenset({"timezone", "start_date", "end_date", "jitter", "run_date"})
INTERVAL_TRIGGER_ARGS = ("weeks", "days", "hours", "minutes", "seconds")
NONE = ast.Constant(value=None)  # what an argument left out means


def collect(ctx: FileContext) -> None:
    for site in ctx.calls:
        method = site.method
        if method == "add_job":
            _add_job(ctx, site, func_index=0, trigger_index=1)
        elif method == "add_schedule":
            _add_job(ctx, site, func_index=0, trigger_index=1, v4=True)
        elif method == "start" and site.enclosing is None and not site.under_main_guard:
            _started_at_import(ctx, site)
        elif method == "start" and site.enclosing is not None:
            _started_in_function(ctx, site)
    for deco in ctx.decorated:
        _decorator(ctx, deco)


def _started_at_import(ctx: FileContext, site: CallSite) -> None:
    kind, pending = _scheduler_kind(ctx, site.receiver_text)
    if kind or pending:
        receiver = site.receiver_text or ""
        line, column = ctx.position(site.node)
        ctx.starts.append((line, column, receiver, ctx.receiver_classes.get(receiver, "")))


def _started_in_function(ctx: FileContext, site: CallSite) -> None:
    """`def __init__(self): ... self.scheduler.start()`: remembered on the function, so a
    module-level `Scheduler()` or `start_scheduler()` is known to start one (BGT023)."""
    kind, pending = _scheduler_kind(ctx, site.receiver_text)
    if not (kind or pending) or kind == "apscheduler4":
        return
    receiver = site.receiver_text or ""
    if ctx.receiver_classes.get(receiver, "").endswith("BlockingScheduler"):
        return  # a dedicated clock process: starting it is the function's purpose
    for fn in ctx.functions:
        if fn.qualname == site.enclosing and fn.starts_scheduler is None:
            fn.starts_scheduler = (receiver, *ctx.position(site.node))


def _scheduler_kind(ctx: FileContext, receiver: str | None) -> tuple[str | None, str | None]:
    """(receiver kind, dotted path of an imported receiver to confirm later)."""
    kind = ctx.receiver_kind(receiver)
    if kind in SCHEDULER_KINDS:
        return kind, None
    if kind is not None:
        return None, None  # a receiver we know to be something else
    return None, ctx.pending_receiver(receiver)


def _trigger_looks_apscheduler(ctx: FileContext, trigger: Any) -> bool:
    if isinstance(trigger, str):
        return trigger in TRIGGER_ALIASES
    if isinstance(trigger, CallValue):
        return resolves_into(trigger.func, "apscheduler")
    return False


def _add_job(
    ctx: FileContext, site: CallSite, func_index: int, trigger_index: int, v4: bool = False
) -> None:
    call = site.node
    if _own_method(ctx, site):
        return  # the class's own `add_job` (a wrapper: wrappers.py follows it)
    kind, pending = _scheduler_kind(ctx, site.receiver_text)
    trigger_node = arg_value(call, trigger_index, "trigger")
    trigger = ctx.evaluator.value(trigger_node) if trigger_node is not None else None
    if kind is None and pending is None and not _trigger_looks_apscheduler(ctx, trigger):
        return
    if _is_flask(ctx, site.receiver_text):
        func_index = 1  # Flask-APScheduler: add_job(id, func, **kwargs)
    func_node = arg_value(call, func_index, "func" if not v4 else "func_or_task_id")
    if func_node is None:
        return
    target = ctx.target_ref(func_node, site.enclosing_class, site.enclosing)
    _emit(ctx, site, call, target, trigger, trigger_node, kind, pending)


def _own_method(ctx: FileContext, site: CallSite) -> bool:
    """`self.add_job(...)` in a class that defines `add_job` itself."""
    if site.receiver_text != "self" or site.enclosing_class is None:
        return False
    own = f"{site.enclosing_class}.{site.method}"
    return any(fn.qualname == own for fn in ctx.functions)


def _is_flask(ctx: FileContext, receiver: str | None) -> bool:
    return ctx.receiver_classes.get(receiver or "", "").startswith("flask_apscheduler")


def _decorator(ctx: FileContext, deco: DecoratedSite) -> None:
    expr = deco.decorator.decorator
    if not isinstance(expr, ast.Call):
        return
    text = dotted_expr(expr.func)
    method = last_part(text)
    if method not in ("scheduled_job", "job", "task"):
        return
    receiver = text.rpartition(".")[0] if text and "." in text else None
    kind, pending = _scheduler_kind(ctx, receiver)
    if method == "task" and not _is_flask(ctx, receiver):
        return  # Flask-APScheduler's @scheduler.task; other .task decorators are not ours
    trigger_node = arg_value(expr, 0, "trigger")
    trigger = ctx.evaluator.value(trigger_node) if trigger_node is not None else None
    if method == "job" and kind != "locked_scheduler":
        return  # `.job(...)` is too common a name to guess from
    if kind is None and pending is None and not _trigger_looks_apscheduler(ctx, trigger):
        return
    target = TargetRef("local", deco.function.qualname)
    _emit(ctx, deco, expr, target, trigger, trigger_node, kind, pending)


def _emit(
    ctx: FileContext,
    where: CallSite | DecoratedSite,
    call: ast.Call,
    target: TargetRef,
    trigger: Any,
    trigger_node: ast.expr | None,
    kind: str | None,
    pending: str | None,
) -> None:
    flask = _is_flask(ctx, getattr(where, "receiver_text", None))
    trigger_kwargs = [arg for arg in named_args(call) if arg.name not in ADD_JOB_PARAMS]
    trigger_args = {arg.name: ctx.evaluator.value(arg.value) for arg in trigger_kwargs}
    text_parts = [ctx.code(trigger_node)] if trigger_node is not None else []
    text_parts += [f"{arg.name}={ctx.code(arg.value)}" for arg in trigger_kwargs]
    text = triggers.shorten(", ".join(text_parts)) if text_parts else "now (one-off)"
    schedule, periodic = trigger_schedule(trigger, trigger_args, text)
    if isinstance(trigger, str) and any(kw.arg is None for kw in call.keywords):
        schedule = Schedule(text=text, resolved=False)  # add_job(f, "cron", **fields)
    id_node = arg_value(call, None, "id")
    if id_node is None and isinstance(where, CallSite):
        id_node = _positional_id(call, flask)
    job_id = strip_env(ctx.evaluator.value(id_node)) if id_node is not None else None
    id_is_expression = id_node is not None and not isinstance(job_id, str)
    if id_node is not None and id_is_expression:
        job_id = ctx.code(id_node)  # an id built at run time, e.g. f"sync-{name}"
    job_name = ctx.evaluator.value(arg_value(call, None, "name") or NONE)
    job_kind = "locked_scheduler" if kind == "locked_scheduler" else "apscheduler"
    extra: dict[str, Any] = {}
    if pending:
        extra["receiver"] = pending
    receiver_text = getattr(where, "receiver_text", None)
    if isinstance(where, DecoratedSite):
        decorator_func = call.func
        receiver_text = (dotted_expr(decorator_func) or "").rpartition(".")[0] or None
    if receiver_text and receiver_text in ctx.receiver_classes:
        extra["scheduler_class"] = ctx.receiver_classes[receiver_text]
    for key in ("args", "kwargs"):
        given = arg_value(call, None, key)
        if given is not None:
            extra[key] = ctx.code(given)
    replace_existing = ctx.evaluator.value(arg_value(call, None, "replace_existing") or NONE)
    if isinstance(replace_existing, bool):
        extra["replace_existing"] = replace_existing
    if isinstance(job_name, str):
        extra["job_name"] = job_name
    if id_is_expression:
        extra["id_is_expression"] = True
    node = where.node if isinstance(where, CallSite) else where.decorator
    ctx.add(
        job_kind,
        node,
        target,
        schedule,
        name=job_id if isinstance(job_id, str) else None,
        site=where,
        periodic=periodic,
        locked=True if job_kind == "locked_scheduler" else None,
        lock_key=claim_key(ctx, receiver_text, job_id) if job_kind == "locked_scheduler" else None,
        scheduler=receiver_text,
        extra=extra,
    )


def _positional_id(call: ast.Call, flask: bool) -> ast.expr | None:
    # APScheduler: add_job(func, trigger, args, kwargs, id, ...); Flask-APScheduler:
    # add_job(id, func, **kwargs)
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    index = 0 if flask else 4
    return positional[index] if len(positional) > index else None


def trigger_schedule(
    trigger: Any, trigger_args: dict[str, Any], text: str
) -> tuple[Schedule, bool]:
    """(schedule, periodic) for an APScheduler trigger alias or trigger object."""
    timezone = triggers._tz(trigger_args.get("timezone"))
    if trigger is None:
        return Schedule(text=text), False
    if isinstance(trigger, str):
        if trigger == "interval":
            return triggers.interval(trigger_args, text, timezone), True
        if trigger == "cron":
            fields = {
                k: triggers._known(v) for k, v in trigger_args.items() if k not in TRIGGER_META
            }
            return schedules.from_cron_fields(fields, "apscheduler", text, timezone), True
        if trigger == "date":
            run = strip_env(trigger_args.get("run_date", UNKNOWN))
            return schedules.from_date(run, text, timezone), False
        return Schedule(text=text, resolved=False), True
    if isinstance(trigger, CallValue):
        return _trigger_object(trigger, text)
    return Schedule(text=text, resolved=False), True


def _trigger_object(trigger: CallValue, text: str) -> tuple[Schedule, bool]:
    name = last_part(trigger.func)
    if trigger.unpacked:  # CronTrigger(**fields): unknown, not the defaults
        return Schedule(text=text, resolved=False), name != "DateTrigger"
    timezone = triggers._tz(trigger.kw("timezone"))
    if name == "from_crontab":
        expr = strip_env(trigger.args[0] if trigger.args else trigger.kw("expr"))
        if not isinstance(expr, str):
            return Schedule(text=text, resolved=False), True
        # APScheduler 3's from_crontab hands the fifth field over as its own
        # day_of_week, which counts from Monday = 0.
        return schedules.from_cron_string(expr, "apscheduler_crontab", timezone), True
    if name == "CronTrigger":
        return (
            triggers.cron_fields(
                trigger, triggers.APSCHEDULER_CRON_FIELDS, "apscheduler", text, timezone
            ),
            True,
        )
    if name == "IntervalTrigger":
        parts = dict(zip(INTERVAL_TRIGGER_ARGS, trigger.args, strict=False))
        parts.update(trigger.kwargs)
        return triggers.interval(parts, text, timezone), True
    if name == "DateTrigger":
        run = strip_env(trigger.args[0] if trigger.args else trigger.kw("run_date", UNKNOWN))
        return schedules.from_date(run, text, timezone), False
    return Schedule(text=text, resolved=False), True
