"""APScheduler calls that name jobs by id, and how each job is added (BGT025, BGT036).

Rows of `FileFacts.job_calls`, `(what, receiver, value, line, column)`:

- `declared`: a literal job id given to any add_job / add_schedule / scheduled_job, or
  the `"id"` of a Flask-APScheduler `JOBS` entry, whatever the receiver;
- `pattern`: an id built at run time from an f-string, as a glob (`sync-*`);
- `dynamic`: an id built at run time some other way (it could be anything);
- `reference`: (method, id) of modify_job / reschedule_job / pause_job / resume_job /
  remove_job / get_job with a literal id, not inside a check for the job;
- `added`: (job store alias, replace_existing, checked first) of an add_job call or a
  scheduled_job decorator, placed where the job is.

Ids are collected from every receiver: a job added through an object this reading does not
recognise still exists, so a reference to it is not "unknown".
"""

from __future__ import annotations

import ast
from typing import Any

from ..scheduler_config import UNKNOWN_VALUE
from .context import CallSite, FileContext, arg_value, kwarg
from .names import dotted_expr, last_part

ADDERS = frozenset({"add_job", "add_schedule"})
REFERENCES = frozenset(
    {"modify_job", "reschedule_job", "pause_job", "resume_job", "remove_job", "get_job"}
)
CALL_NAMES = ADDERS | REFERENCES
SCHEDULER_KINDS = ("apscheduler", "apscheduler4", "locked_scheduler")

Row = tuple[str, str, Any, int, int]


def collect(ctx: FileContext) -> None:
    rows: list[Row] = []
    for site in ctx.calls:
        if site.method in ADDERS:
            _added(ctx, site, rows)
        elif site.method in REFERENCES:
            _reference(ctx, site, rows)
    for deco in ctx.decorated:
        expr = deco.decorator.decorator
        if isinstance(expr, ast.Call) and last_part(dotted_expr(expr.func)) == "scheduled_job":
            receiver = (dotted_expr(expr.func) or "").rpartition(".")[0]
            _id(ctx, receiver, kwarg(expr, "id"), rows)
            line, column = ctx.position(deco.decorator)
            alias = _alias(ctx, kwarg(expr, "jobstore"))
            # scheduled_job passes replace_existing=True to add_job, always
            rows.append(("added", receiver, (alias, True, False), line, column))
    for assign in ctx.assigns:
        if last_part(assign.target_text) in ("JOBS", "SCHEDULER_JOBS"):
            _flask_jobs(ctx, assign.value, rows)
    ctx.job_calls.extend(rows)


def _receiver(site: CallSite) -> str:
    return site.receiver_text or ""


def _id(ctx: FileContext, receiver: str, node: ast.expr | None, rows: list[Row]) -> None:
    if node is None:
        return
    line, column = ctx.position(node)
    value = ctx.evaluator.value(node)
    if isinstance(value, str):
        rows.append(("declared", receiver, value, line, column))
    elif isinstance(node, ast.JoinedStr):
        glob = "".join(
            str(part.value) if isinstance(part, ast.Constant) else "*" for part in node.values
        )
        rows.append(("pattern", receiver, glob, line, column))
    else:
        rows.append(("dynamic", receiver, ctx.code(node), line, column))


def _alias(ctx: FileContext, node: ast.expr | None) -> str:
    if node is None:
        return "default"
    value = ctx.evaluator.value(node)
    return value if isinstance(value, str) else UNKNOWN_VALUE


def _added(ctx: FileContext, site: CallSite, rows: list[Row]) -> None:
    call = site.node
    receiver = _receiver(site)
    flask = ctx.receiver_classes.get(receiver, "").startswith("flask_apscheduler")
    id_node = arg_value(call, 0 if flask else None, "id")
    if id_node is None and not flask and site.method == "add_job":
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        id_node = positional[4] if len(positional) > 4 else None  # add_job(f, t, a, kw, id)
    unpacked = any(kw.arg is None for kw in call.keywords)
    if id_node is not None:
        _id(ctx, receiver, id_node, rows)
    elif unpacked:
        rows.append(("dynamic", receiver, "**", *ctx.position(call)))
    replace_node = kwarg(call, "replace_existing")
    replace: Any = False
    if replace_node is not None:
        value = ctx.evaluator.value(replace_node)
        replace = value if isinstance(value, bool) else UNKNOWN_VALUE
    elif unpacked:
        replace = UNKNOWN_VALUE
    alias = _alias(ctx, kwarg(call, "jobstore")) if not unpacked else UNKNOWN_VALUE
    line, column = ctx.position(call)
    rows.append(("added", receiver, (alias, replace, site.job_guarded), line, column))


def _is_scheduler(ctx: FileContext, text: str | None) -> bool:
    if not text:
        return False
    kind = ctx.receiver_kind(text)
    if kind is not None:
        return kind in SCHEDULER_KINDS
    return "sched" in last_part(text).lower()


def _reference(ctx: FileContext, site: CallSite, rows: list[Row]) -> None:
    if site.job_guarded or not _is_scheduler(ctx, site.receiver_text):
        return
    node = arg_value(site.node, 0, "job_id")
    if node is None:
        return
    value = ctx.evaluator.value(node)
    if not isinstance(value, str):
        return  # an id known at run time: nothing to compare
    line, column = ctx.position(site.node)
    rows.append(("reference", _receiver(site), (site.method, value), line, column))


def _flask_jobs(ctx: FileContext, node: ast.expr, rows: list[Row]) -> None:
    """JOBS = [{"id": "job1", "func": "app.jobs:job1", "trigger": "interval", ...}]"""
    if not isinstance(node, ast.List | ast.Tuple):
        return
    for element in node.elts:
        if isinstance(element, ast.Dict):
            for key, value in zip(element.keys, element.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "id":
                    _id(ctx, "", value, rows)
