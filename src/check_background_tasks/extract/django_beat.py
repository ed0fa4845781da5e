"""django-celery-beat rows created in code or in data migrations: Celery beat entries
that live in the database (DatabaseScheduler), declared where the row is made.

    schedule, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="3")
    PeriodicTask.objects.update_or_create(
        name="nightly-report",
        defaults={"task": "reports.tasks.nightly", "crontab": schedule},
    )

The models come from `django_celery_beat.models` or, in a migration, from
`apps.get_model("django_celery_beat", "PeriodicTask")`. The schedule is the
CrontabSchedule / IntervalSchedule made in place or assigned to a name in the same
function (the last assignment above the row). A row made with `enabled=False` runs
nothing and is not listed; a `one_off=True` or clocked row is not periodic. A row whose
task and name are both unknown is a helper's (`update_or_create(name=name,
defaults=params)`): what it makes is only known at its callers, and it is not listed.

`PeriodicTask(name=..., task=...)` is a row once saved (`.save()` on it or on the name it
is assigned to, or handed to `bulk_create`); one never saved is not.

A row named at run time (`name=f"{plugin.name}HealthCheck"`) is one row per object: no
name is listed (`id_is_expression` holds the expression). Its task may still be known:
`f"{health_check.__module__}.{health_check.__name__}"` is the function's dotted name. A
task made of anything else only the run time knows, and such a row is not invented.
"""

from __future__ import annotations

import ast
from typing import Any

from .. import schedules
from ..model import Schedule, TargetRef
from ..schedules import UNKNOWN
from . import beat_data, triggers
from .context import CallSite, FileContext
from .names import Evaluator, chained_text, dotted_expr, last_part

MANAGER_METHODS = frozenset({"create", "get_or_create", "update_or_create"})
# `PeriodicTask(...)` then `.save()`: a row too (the constructor under its own name; under
# another local name, from `apps.get_model`, its calls are looked up by that name)
CALL_NAMES = MANAGER_METHODS | {"PeriodicTask"}
SAVES = frozenset({"save", "asave"})
BULK_CREATES = frozenset({"bulk_create", "abulk_create"})
PACKAGE = "django_celery_beat"
MODELS = frozenset(
    {"PeriodicTask", "CrontabSchedule", "IntervalSchedule", "SolarSchedule", "ClockedSchedule"}
)
SCHEDULE_FIELDS = {
    "crontab": "CrontabSchedule",
    "interval": "IntervalSchedule",
    "solar": "SolarSchedule",
    "clocked": "ClockedSchedule",
}
CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
PERIOD_SECONDS = {
    "days": 86400.0,
    "hours": 3600.0,
    "minutes": 60.0,
    "seconds": 1.0,
    "microseconds": 1e-6,
}


MANAGERS = (".objects", ".objects.using()")  # `X.objects.using(db).create(...)` too


def _manager_of(text: str) -> str | None:
    """The model a manager's text names: `PeriodicTask.objects` -> `PeriodicTask`."""
    for manager in MANAGERS:
        if text.endswith(manager):
            return text[: -len(manager)]
    return None


def collect(ctx: FileContext) -> None:
    sites = [
        site
        for site in ctx.calls
        if site.method in MANAGER_METHODS and _manager_of(site.receiver_text or "") is not None
    ]
    built = [site for site in ctx.calls if site.method == "PeriodicTask"]
    if ctx.is_test:
        return  # a test's rows are fixtures of a test database
    # (without a manager call or the constructor under its name, only a model from
    # `apps.get_model` under another name is left: a walk of the assignments)
    models = _models(ctx)
    if not (sites or built or models):
        return
    for site in sites:
        holder = _manager_of(site.receiver_text or "") or ""
        if _model_of(ctx, holder, models) == "PeriodicTask" and _migration_runs(ctx, site):
            _periodic_task(ctx, site, models)
    for name, model in models.items():
        if model == "PeriodicTask" and name != "PeriodicTask":
            built += ctx.name_calls.get(name, [])
    for site in built:
        if _model_of(ctx, site.func_text or "", models) != "PeriodicTask":
            continue
        if _saved(ctx, site) and _migration_runs(ctx, site):
            _periodic_task(ctx, site, models)


def _migration_runs(ctx: FileContext, site: CallSite) -> bool:
    """In a migration, a row made in a function is written only when the migration runs
    that function: `operations` names it (`migrations.RunPython(create_task, ...)`, the
    function at module level or in `class Migration`), or anything else in the module
    refers to it. A function whose RunPython was commented out (finmars-core) writes
    nothing."""
    if "migrations" not in ctx.path.split("/")[:-1] or not site.enclosing:
        return True
    function = site.enclosing.rpartition(".")[2]
    own: set[int] = set()  # the nodes of its own definitions (a recursive call is no run)
    for top in ctx.module_statements:
        for node in ast.walk(top):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
                own.update(id(inner) for inner in ast.walk(node))
    for top in ctx.module_statements:
        for node in ast.walk(top):
            if isinstance(node, ast.Name) and node.id == function and id(node) not in own:
                return True
            if isinstance(node, ast.Attribute) and node.attr == function and id(node) not in own:
                return True  # `RunPython(Migration.create_rows)`
    return False


def _saved(ctx: FileContext, site: CallSite) -> bool:
    """`PeriodicTask(...).save()`, `task = PeriodicTask(...)` then `task.save()` below it,
    or either handed to `bulk_create`: the row is written. One made and never saved is
    not a row."""
    scope = ctx.function_nodes.get(site.enclosing or "") or ctx.module_statements
    name = site.assigned_to
    for top in scope:
        for node in ast.walk(top):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr in SAVES:
                made = node.func.value
                if made is site.node:
                    return True
                if name and isinstance(made, ast.Name) and made.id == name:
                    if node.lineno > site.node.lineno:
                        return True
            elif node.func.attr in BULK_CREATES:
                for arg in node.args:
                    items = arg.elts if isinstance(arg, ast.List | ast.Tuple) else [arg]
                    for item in items:
                        if item is site.node or (
                            name and isinstance(item, ast.Name) and item.id == name
                        ):
                            return True
    return False


def _models(ctx: FileContext) -> dict[str, str]:
    """Local names of the models: `PeriodicTask = apps.get_model("django_celery_beat",
    "PeriodicTask")` (or `"django_celery_beat.PeriodicTask"`)."""
    out = {}
    for assign in ctx.assigns:
        value = assign.value
        if assign.subscript_key is not None or not isinstance(value, ast.Call):
            continue
        if last_part(dotted_expr(value.func)) != "get_model":
            continue
        given = [ctx.evaluator.value(arg) for arg in value.args]
        dotted = ".".join(v for v in given if isinstance(v, str))
        package, _, model = dotted.rpartition(".")
        if package == PACKAGE and model in MODELS:
            out[assign.target_text] = model
    return out


def _model_of(ctx: FileContext, text: str, models: dict[str, str]) -> str | None:
    if text in models:
        return models[text]
    if not ctx.imports.is_imported(text):
        return None
    dotted = ctx.imports.resolve_text(text)
    name = last_part(dotted)
    return name if dotted.startswith(PACKAGE + ".") and name in MODELS else None


def _fields(ctx: FileContext, call: ast.Call) -> dict[str, ast.expr]:
    """Keyword arguments, with those of a `defaults={...}` dict (get_or_create)."""
    out: dict[str, ast.expr] = {}
    for keyword in call.keywords:
        if keyword.arg == "defaults" and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                named = ctx.evaluator.value(key) if key is not None else None
                if isinstance(named, str):
                    out.setdefault(named, value)
        elif keyword.arg is not None:
            out[keyword.arg] = keyword.value
        else:  # `create(**task)` with `task` a dict literal (a loop's element)
            spread = _dict_node(ctx, keyword.value)
            for key, value in zip(spread.keys, spread.values, strict=True) if spread else ():
                named = ctx.evaluator.value(key) if key is not None else None
                if isinstance(named, str):
                    out.setdefault(named, value)
    return out


def _dict_node(ctx: FileContext, node: ast.expr) -> ast.Dict | None:
    for _ in range(3):
        if isinstance(node, ast.Name) and node.id in ctx.evaluator.constants:
            node = ctx.evaluator.constants[node.id]
        else:
            break
    return node if isinstance(node, ast.Dict) else None


def _periodic_task(ctx: FileContext, site: CallSite, models: dict[str, str]) -> None:
    """One row, or one per element of the literal list a loop around the call walks
    (`for task in TASKS: PeriodicTask.objects.get_or_create(name=task["name"], ...)`),
    placed at the element, as beat_data.py does for beat entries."""
    loop = _enclosing_loop(ctx, site)
    if loop is None:
        _row(ctx, site, models, site.node)
        return
    evaluator = ctx.evaluator
    try:
        for element, bindings in beat_data.elements(ctx, loop, _locals(ctx, site)):
            ctx.evaluator = Evaluator(ctx.imports, {**ctx.constants, **bindings})
            _row(ctx, site, models, element)
    finally:
        ctx.evaluator = evaluator


def _enclosing_loop(ctx: FileContext, site: CallSite) -> ast.For | None:
    scope = ctx.function_nodes.get(site.enclosing or "") or ctx.module_statements
    for top in scope:
        for node in ast.walk(top):
            if isinstance(node, ast.For) and any(
                inner is site.node for stmt in node.body for inner in ast.walk(stmt)
            ):
                return node
    return None


def _locals(ctx: FileContext, site: CallSite) -> dict[str, ast.expr]:
    """Names the function assigns once (`tasks = [...]`), for the loop's literal."""
    found: dict[str, list[ast.expr]] = {}
    for top in ctx.function_nodes.get(site.enclosing or "", []):
        for node in ast.walk(top):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node.value)
    return {name: values[0] for name, values in found.items() if len(values) == 1}


def _row(ctx: FileContext, site: CallSite, models: dict[str, str], where: ast.AST) -> None:
    fields = _fields(ctx, site.node)
    enabled = ctx.evaluator.value(fields["enabled"]) if "enabled" in fields else True
    if enabled is False:
        return  # a row that runs nothing (until someone enables it)
    task_node = fields.get("task")
    task = ctx.evaluator.value(task_node) if task_node is not None else None
    target = _function_named(ctx, task_node, site) if task_node is not None else None
    if isinstance(task, str):
        target = TargetRef("string", task)
    elif target is None:
        target = TargetRef("unknown", ctx.code(task_node) if task_node is not None else "?")
    name_node = fields.get("name")
    name_value = ctx.evaluator.value(name_node) if name_node is not None else None
    if target.how == "unknown" and not isinstance(name_value, str):
        # a helper making whatever rows its caller describes (`defaults=params`), or one
        # row per object whose task only the run time knows: not invented
        return
    # `name=f"{config.name}HealthCheck"`: one row per object, each its own name
    per_object = name_node is not None and not isinstance(name_value, str)
    schedule: Schedule | None = None
    periodic = ctx.evaluator.value(fields["one_off"]) is not True if "one_off" in fields else True
    for key, model in SCHEDULE_FIELDS.items():
        if key in fields:
            schedule = _schedule(ctx, fields[key], model, site, models)
            periodic = periodic and model != "ClockedSchedule"
            break
    extra: dict[str, Any] = {"source": PACKAGE}
    if per_object and name_node is not None:
        # No name the code gives, one per object at run time: the expression as written
        # (as for a Neuroglia job's id), never quoted as if it were the job's name.
        extra["id_is_expression"] = triggers.shorten(ctx.code(name_node))
    if enabled is not True:
        extra["enabled"] = ctx.code(fields["enabled"])  # decided at run time
    for key in ("args", "kwargs"):
        if key in fields:
            extra[key] = ctx.code(fields[key])
    ctx.add(
        "celery_beat",
        where,
        target,
        schedule,
        name=name_value if isinstance(name_value, str) else None,
        site=site,
        periodic=periodic,
        extra=extra,
    )


def _function_named(ctx: FileContext, node: ast.expr, site: CallSite) -> TargetRef | None:
    """`f"{update.__module__}.{update.__name__}"` names the function `update` (a task
    registered under its default name is found by exactly that text); `f"{f.__name__}"`
    is its bare name, the name= a task may be registered under. Any other f-string is
    known at run time only."""
    if not isinstance(node, ast.JoinedStr):
        return None
    parts: list[str] = []
    named: set[str] = set()
    function: ast.expr | None = None
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
            continue
        if not isinstance(value, ast.FormattedValue) or value.format_spec is not None:
            return None
        inner = value.value
        if not isinstance(inner, ast.Attribute) or inner.attr not in ("__module__", "__name__"):
            return None
        written = dotted_expr(inner.value)
        if written is None or (named and written not in named):
            return None
        named.add(written)
        function = inner.value
        parts.append("{" + inner.attr + "}")
    if function is None:
        return None
    ref = ctx.target_ref(function, site.enclosing_class, site.enclosing)
    if ref.how not in ("import", "local") or ref.bound:
        return None  # a parameter or a local: any function at run time
    shape = "".join(parts)
    if shape == "{__module__}.{__name__}":
        return ref
    if shape == "{__name__}":
        return TargetRef("string", last_part(ref.value))
    return None


def _schedule(
    ctx: FileContext, node: ast.expr, model: str, site: CallSite, models: dict[str, str]
) -> Schedule:
    made = _made(ctx, node, site)
    text = triggers.shorten(ctx.code(node))
    if made is None:
        return Schedule(text=text, resolved=False)
    call = made
    func = dotted_expr(call.func) or (
        chained_text(call.func) if isinstance(call.func, ast.Attribute) else ""
    )
    holder = _manager_of(func.rpartition(".")[0]) or ""
    if last_part(func) in MODELS:
        holder = func  # CrontabSchedule(minute=...) then .save()
    if _model_of(ctx, holder, models) != model:
        return Schedule(text=text, resolved=False)
    fields = _fields(ctx, call)
    shown = ", ".join(f"{k}={ctx.code(v)}" for k, v in fields.items())
    spread = [f"**{ctx.code(k.value)}" for k in call.keywords if k.arg is None]
    shown = ", ".join(part for part in (shown, *spread) if part)
    text = triggers.shorten(f"{model}({shown})")
    if model == "CrontabSchedule":
        values = {
            k: _text(ctx.evaluator.value(v)) for k, v in fields.items() if k in CRONTAB_FIELDS
        }
        zone = ctx.evaluator.value(fields["timezone"]) if "timezone" in fields else None
        return schedules.from_cron_fields(
            values, "celery", text, zone if isinstance(zone, str) else None
        )
    if model == "IntervalSchedule":
        every = ctx.evaluator.value(fields["every"]) if "every" in fields else UNKNOWN
        period = _period(ctx, fields.get("period"))
        if isinstance(every, int | float) and not isinstance(every, bool) and period:
            return schedules.from_interval(every * period, text)
        return Schedule(text=text, resolved=False)
    return Schedule(text=text, resolved=model == "SolarSchedule")


def _text(value: Any) -> Any:
    """CrontabSchedule stores its fields as text: `hour=3` and `hour="3"` are one."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _period(ctx: FileContext, node: ast.expr | None) -> float | None:
    """`period=IntervalSchedule.MINUTES` or `period="minutes"`."""
    if node is None:
        return None
    value = ctx.evaluator.value(node)
    if not isinstance(value, str):
        value = last_part(dotted_expr(node)).lower()
    return PERIOD_SECONDS.get(value)


def _made(ctx: FileContext, node: ast.expr, site: CallSite) -> ast.Call | None:
    """The call that makes the schedule: in place, or assigned to the name above."""
    node = _unwrapped(node, keep_subscript=True)
    if isinstance(node, ast.Call):
        return node
    wanted = _assigned_name(ctx, node)
    if wanted is None:
        return None
    scope = ctx.function_nodes.get(site.enclosing or "") or ctx.module_statements
    line = site.node.lineno
    best: tuple[int, ast.expr] | None = None
    for top in scope:
        for stmt in ast.walk(top):
            if not isinstance(stmt, ast.Assign) or stmt.lineno >= line:
                continue
            for target in stmt.targets:
                first = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else target
                if _assigned_name(ctx, first) == wanted:
                    if best is None or stmt.lineno > best[0]:
                        best = (stmt.lineno, stmt.value)
    if best is None:
        return None
    made = _unwrapped(best[1])
    return made if isinstance(made, ast.Call) else None


def _unwrapped(node: ast.expr, keep_subscript: bool = False) -> ast.expr:
    """`await X.objects.aget_or_create(...)`, `X.objects.get_or_create(...)[0]`."""
    for _ in range(3):
        # a name's item stays: `crontabs["daily"]` is looked up as assigned
        named_item = isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
        if isinstance(node, ast.Await | ast.Subscript) and not (keep_subscript and named_item):
            node = node.value
    return node


def _assigned_name(ctx: FileContext, node: ast.expr) -> tuple[str, Any] | None:
    """`schedule` or `crontabs["daily"]`: what an assignment's target names."""
    if isinstance(node, ast.Name):
        return (node.id, None)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        key = ctx.evaluator.value(node.slice)
        return (node.value.id, key) if isinstance(key, str | int) else None
    return None
