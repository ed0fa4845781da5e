"""huey: `@huey.periodic_task(crontab(...))` and `@db_periodic_task`."""

from __future__ import annotations

import ast

from ..model import Schedule, TargetRef
from . import triggers
from .context import DecoratedSite, FileContext, arg_value
from .names import CallValue, dotted_expr, last_part, resolves_into

CALL_NAMES: frozenset[str] = frozenset()
DECORATORS = frozenset({"periodic_task", "db_periodic_task"})


def collect(ctx: FileContext) -> None:
    for deco in ctx.decorated:
        _decorated(ctx, deco)


def _decorated(ctx: FileContext, deco: DecoratedSite) -> None:
    expr = deco.decorator.decorator
    if not isinstance(expr, ast.Call):
        return
    text = dotted_expr(expr.func)
    if last_part(text) not in DECORATORS or not text:
        return
    receiver = text.rpartition(".")[0] if "." in text else None
    resolved = ctx.imports.resolve_text(text)
    known = ctx.receiver_kind(receiver) == "huey" or resolves_into(resolved, "huey")
    validate_node = arg_value(expr, 0, "validate_datetime")
    if validate_node is None:
        return
    value = ctx.evaluator.value(validate_node)
    is_crontab = isinstance(value, CallValue) and last_part(value.func) == "crontab"
    if not known and not (is_crontab and resolves_into(value.func, "huey")):
        return
    text_sched = triggers.shorten(ctx.code(validate_node))
    if is_crontab:
        schedule = triggers.cron_fields(value, triggers.HUEY_CRONTAB_FIELDS, "huey", text_sched)
    else:
        schedule = Schedule(text=text_sched, resolved=False)
    ctx.add(
        "huey",
        deco.decorator,
        TargetRef("local", deco.function.qualname),
        schedule,
        site=deco,
        scheduler=receiver,
    )
