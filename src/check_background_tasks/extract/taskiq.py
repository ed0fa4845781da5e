"""taskiq: `@broker.task(schedule=[...])` labels and SCHEDULED_TASKS-style registries."""

from __future__ import annotations

import ast
from typing import Any

from .. import schedules
from ..model import Schedule, TargetRef
from . import triggers
from .context import AssignSite, DecoratedSite, Decorator, FileContext, arg_value
from .names import DeferredNode, dotted_expr, last_part, strip_env

CALL_NAMES: frozenset[str] = frozenset()
SCHEDULE_KEYS = frozenset({"cron", "interval", "time"})


def collect(ctx: FileContext) -> None:
    for deco in ctx.decorated:
        _decorated(ctx, deco)
    for assign in ctx.assigns:
        if assign.module_level and assign.subscript_key is None and _is_registry(assign):
            _registry(ctx, assign)


def _decorated(ctx: FileContext, deco: DecoratedSite) -> None:
    expr = deco.decorator.decorator
    if not isinstance(expr, ast.Call) or last_part(dotted_expr(expr.func)) != "task":
        return
    sched_node = arg_value(expr, None, "schedule")
    if sched_node is None:
        return
    items = ctx.evaluator.value(sched_node)
    if not _is_schedule_list(ctx, items):
        return
    name_node = arg_value(expr, 0, "task_name")
    name = ctx.evaluator.value(name_node) if name_node is not None else None
    target = TargetRef("local", deco.function.qualname)
    broker = (dotted_expr(expr.func) or "").rpartition(".")[0] or None
    for item in items:
        _emit(
            ctx,
            deco.decorator,
            target,
            item,
            name if isinstance(name, str) else None,
            deco,
            broker,
        )


def _is_schedule_list(ctx: FileContext, items: Any) -> bool:
    if not isinstance(items, list) or not items:
        return False
    return all(isinstance(item, dict) and SCHEDULE_KEYS & set(item) for item in items)


def _emit(
    ctx: FileContext,
    node: ast.AST | Decorator,
    target: TargetRef,
    item: dict[str, Any],
    name: str | None,
    site: DecoratedSite | None,
    broker: str | None = None,
) -> None:
    schedule, periodic = _item_schedule(ctx, item)
    extra = {}
    offset = item.get("cron_offset")
    given = isinstance(offset, DeferredNode) and ctx.evaluator.resolved(offset) is not None
    if given and schedule.timezone is None:
        assert isinstance(offset, DeferredNode)
        extra["cron_offset"] = ctx.code(offset.node)  # timedelta(hours=9): a fixed offset
    ctx.add(
        "taskiq",
        node,
        target,
        schedule,
        name=name,
        site=site,
        periodic=periodic,
        scheduler=broker,
        extra=extra,
    )


def _item_schedule(ctx: FileContext, item: dict[str, Any]) -> tuple[Schedule, bool]:
    offset = strip_env(ctx.evaluator.resolved(item.get("cron_offset")))
    timezone = offset if isinstance(offset, str) else None
    for key in ("cron", "interval", "time"):
        if key not in item:
            continue
        raw = item[key]
        node = raw.node if isinstance(raw, DeferredNode) else None
        text = triggers.shorten(f"{key}: {ctx.code(node)}" if node is not None else key)
        value = strip_env(ctx.evaluator.resolved(raw))
        if key == "cron":
            if isinstance(value, str):
                return schedules.from_cron_string(value, "taskiq", timezone), True
            return Schedule(text=text, resolved=False), True
        if key == "interval":
            return triggers.seconds_value(value, text), True
        return Schedule(text=text, run_at=value if isinstance(value, str) else None), False
    return Schedule(text="?", resolved=False), True


def _is_registry(assign: AssignSite) -> bool:
    name = last_part(assign.target_text)
    return "SCHEDULE" in name.upper() and name.isupper()


def _registry(ctx: FileContext, assign: AssignSite) -> None:
    value = ctx.evaluator.value(assign.value)
    entries: list[tuple[str | None, Any]] = []
    if isinstance(value, dict):
        entries = [(k if isinstance(k, str) else None, v) for k, v in value.items()]
    elif isinstance(value, list):
        # Each entry of a list is placed at itself: the triggers of one entry share a
        # place (one declaration), two entries for one task do not.
        elements = getattr(assign.value, "elts", None)
        if isinstance(elements, list) and len(elements) == len(value):
            entries = [(None, DeferredNode(node, node)) for node in elements]
        else:
            entries = [(None, v) for v in value]
    for key, raw in entries:
        entry = ctx.evaluator.resolved(raw) if isinstance(raw, DeferredNode) else raw
        if not isinstance(entry, dict) or "schedule" not in entry:
            continue
        items = ctx.evaluator.resolved(entry["schedule"])
        if not _is_schedule_list(ctx, items):
            continue
        task = None
        for task_key in ("task", "task_name", "name"):
            if task_key in entry:
                task = ctx.evaluator.resolved(entry[task_key])
                break
        task_name = task if isinstance(task, str) else key
        target = TargetRef("string", task_name) if task_name else TargetRef("unknown", "?")
        node = raw.key if isinstance(raw, DeferredNode) and raw.key is not None else assign.value
        for item in items:
            _emit(ctx, node, target, item, key, None)
