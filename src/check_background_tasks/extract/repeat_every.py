"""fastapi-utils' `@repeat_every(seconds=...)` and a project's own copies of it.

    @repeat_every(seconds=60)              # fastapi_utils.tasks / fastapi_restful.tasks
    async def refresh_rates(): ...         # / fastapi_utilities

    @asynccontextmanager
    async def lifespan(app):
        await refresh_rates()              # the first call starts the loop task
        yield

Each decorated function is a job of kind `repeat_every`, placed at the `@`. A project's
own copy is recognised by what it does, not by its name: a module-level decorator factory
whose wrapper starts a task (`ensure_future` / `create_task`) of a loop that calls the
decorated function and sleeps. Which parameter the sleep is made of
(`asyncio.sleep(minutes * 60)`) gives the interval at each use. A use whose decorator is
imported from another module stays pending (`extra["pending_decorator"]`) until the
project pass finds that decorator's definition (link_loops.py); it is dropped otherwise.

Start-up hooks also note what they call (`FunctionFacts.startup_calls`): a repeat_every
job starts on its first call, so BGT022 asks whether a start-up hook makes it.
"""

from __future__ import annotations

import ast

from ..model import FunctionFacts, Schedule, TargetRef
from . import triggers
from .context import DecoratedSite, FileContext
from .definitions import SLEEPS
from .names import dotted_expr, last_part

CALL_NAMES: frozenset[str] = frozenset()
LIBRARY_DECORATORS = (
    "fastapi_utils.tasks.repeat_every",
    "fastapi_restful.tasks.repeat_every",
    "fastapi_utilities.repeat_every",
    "fastapi_utilities.repeat.repeat_every.repeat_every",
)
LIBRARY_INTERVAL = ("seconds", 1.0)
TASK_STARTERS = frozenset({"create_task", "ensure_future"})
# Start-up code besides the hooks, as BGT022 counts it (rules/asyncio_rules.py)
STARTUP_NAMES = frozenset({"__init__", "start", "startup", "__aenter__"})
UNKNOWN_INTERVAL = ("", 0.0)
# A decorator imported from elsewhere is only a candidate when a number is given under
# one of these names (`@repeat_every(minutes=5)`, not `@lru_cache(maxsize=128)`).
TIME_WORDS = frozenset(
    {"seconds", "minutes", "hours", "days", "interval", "period", "every", "delay", "wait"}
)


def collect(ctx: FileContext) -> None:
    local = _local_decorators(ctx)
    for deco in ctx.decorated:
        _use(ctx, deco, local)
    for fn in ctx.functions:
        if fn.is_startup_hook or fn.qualname.rpartition(".")[2] in STARTUP_NAMES:
            fn.startup_calls = _calls_of(ctx, fn)


def interval_seconds(interval: tuple[str, float], given: dict[str, float]) -> float | None:
    """Seconds between runs for a decorator whose sleep is `parameter * factor`
    (link_loops.py asks the same of a decorator defined in another file)."""
    param, factor = interval
    if not param or param not in given:
        return None
    return given[param] * factor


def _local_decorators(ctx: FileContext) -> dict[str, tuple[str, float]]:
    # Only a module-level function that starts a task from a function nested in it can be
    # one: the others are never walked again.
    outer = {
        site.enclosing.partition(".")[0]
        for site in ctx.calls
        if site.method in TASK_STARTERS and site.enclosing and ".<locals>." in site.enclosing
    }
    found: dict[str, tuple[str, float]] = {}
    for fn in ctx.functions:
        if fn.qualname not in outer:
            continue
        for node in ctx.function_nodes.get(fn.qualname, []):
            interval = _repeat_interval(ctx, node)
            if interval is not None:
                fn.repeat_decorator = interval
                found[fn.qualname] = interval
    return found


def _repeat_interval(ctx: FileContext, factory: ast.AST) -> tuple[str, float] | None:
    """(parameter, factor) when `factory` is a repeat_every-style decorator factory."""
    starts_task = False
    loop_sleep: ast.Call | None = None
    for node in ast.walk(factory):
        if isinstance(node, ast.Call):
            if last_part(dotted_expr(node.func)) in TASK_STARTERS:
                starts_task = True
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and loop_sleep is None:
            loop_sleep = _loop_over_parameter(ctx, node, _outer_parameters(factory, node))
    if not starts_task or loop_sleep is None:
        return None
    return _sleep_parameter(factory, loop_sleep) or UNKNOWN_INTERVAL


def _outer_parameters(factory: ast.AST, inner: ast.AST) -> set[str]:
    """Parameters of the functions around `inner` inside `factory` (where `func` is)."""
    names: set[str] = set()

    def visit(node: ast.AST, around: list[ast.AST]) -> bool:
        if node is inner:
            for outer in around:
                args = outer.args  # type: ignore[attr-defined]
                names.update(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
            return True
        inside = (
            [*around, node] if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else around
        )
        return any(visit(child, inside) for child in ast.iter_child_nodes(node))

    visit(factory, [])
    return names


def _loop_over_parameter(
    ctx: FileContext, fn: ast.FunctionDef | ast.AsyncFunctionDef, parameters: set[str]
) -> ast.Call | None:
    """The sleep of a `while` loop in `fn` that also calls one of `parameters`."""
    for node in ast.walk(fn):
        if not isinstance(node, ast.While):
            continue
        sleep = None
        calls_parameter = False
        for inner in ast.walk(node):
            if not isinstance(inner, ast.Call):
                continue
            if isinstance(inner.func, ast.Name) and inner.func.id in parameters:
                calls_parameter = True
            resolved = ctx.imports.resolve(inner.func) or ""
            if resolved in SLEEPS or (resolved.endswith(".sleep") and inner.args):
                sleep = inner
        if sleep is not None and calls_parameter:
            return sleep
    return None


def _sleep_parameter(factory: ast.AST, sleep: ast.Call) -> tuple[str, float] | None:
    if not sleep.args:
        return None
    args = factory.args  # type: ignore[attr-defined]
    own = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    value = sleep.args[0]
    if isinstance(value, ast.Name) and value.id in own:
        return value.id, 1.0
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        for name, number in ((value.left, value.right), (value.right, value.left)):
            factor = number.value if isinstance(number, ast.Constant) else None
            if isinstance(name, ast.Name) and name.id in own and type(factor) in (int, float):
                assert isinstance(factor, int | float)
                return name.id, float(factor)
    return None


def _use(ctx: FileContext, deco: DecoratedSite, local: dict[str, tuple[str, float]]) -> None:
    expr = deco.decorator.decorator
    if not isinstance(expr, ast.Call):
        return
    text = dotted_expr(expr.func)
    if text is None:
        return
    resolved = ctx.imports.resolve_text(text)
    extra: dict[str, object] = {"decorator": resolved}
    given = _numbers(ctx, expr)
    if resolved in LIBRARY_DECORATORS:
        interval: tuple[str, float] | None = LIBRARY_INTERVAL
    elif text in local:
        interval = local[text]
        resolved = f"{ctx.module}.{text}" if ctx.module else text
        extra["decorator"] = resolved
    elif ctx.imports.is_imported(text) and TIME_WORDS.intersection(given):
        interval = None  # known once the project pass finds the decorator (link_loops.py)
        extra["pending_decorator"] = resolved
        extra["decorator_args"] = given
    else:
        return
    seconds = interval_seconds(interval, given) if interval else None
    text_sched = triggers.shorten(", ".join(ctx.code(a) for a in [*expr.args, *expr.keywords]))
    ctx.add(
        "repeat_every",
        deco.decorator,
        TargetRef("local", deco.function.qualname),
        Schedule(text=text_sched, interval_seconds=seconds, resolved=seconds is not None),
        site=deco,
        periodic=True,
        extra=extra,
    )


def _numbers(ctx: FileContext, call: ast.Call) -> dict[str, float]:
    """Keyword arguments whose value is a number (constants of this file included)."""
    out: dict[str, float] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            continue
        value = ctx.evaluator.value(keyword.value)
        if type(value) in (int, float):
            out[keyword.arg] = float(value)
    return out


def _calls_of(ctx: FileContext, fn: FunctionFacts) -> list[TargetRef]:
    refs: list[TargetRef] = []
    for node in ctx.function_nodes.get(fn.qualname, []):
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and dotted_expr(inner.func) is not None:
                ref = ctx.target_ref(inner.func, None, fn.qualname)
                if ref.how in ("local", "import") and ref not in refs:
                    refs.append(ref)
    return refs
