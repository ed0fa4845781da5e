"""asyncio tasks: create_task / ensure_future on asyncio, a loop, or a TaskGroup."""

from __future__ import annotations

import ast

from .context import CallSite, FileContext, arg_value, receiver_kind_of_factory
from .names import resolves_into
from .task_locals import kept_only_in_local

CALL_NAMES = frozenset({"create_task", "ensure_future", "run_coroutine_threadsafe"})

MODULE_FUNCTIONS = (
    "asyncio.create_task",
    "asyncio.ensure_future",
    "asyncio.tasks.create_task",
    "asyncio.tasks.ensure_future",
    # from another thread: the concurrent future it returns is what keeps the task
    "asyncio.run_coroutine_threadsafe",
    "asyncio.tasks.run_coroutine_threadsafe",
)
# Names that by convention hold an event loop even when we cannot see it assigned.
LOOP_NAMES = frozenset(
    {"loop", "_loop", "event_loop", "self.loop", "self._loop", "self.event_loop"}
)


def collect(ctx: FileContext) -> None:
    for site in ctx.calls:
        if site.method in CALL_NAMES:
            via = _via(ctx, site)
            if via:
                _task(ctx, site, via)


def _via(ctx: FileContext, site: CallSite) -> str | None:
    """What creates the task: asyncio, a loop, a task group; None for look-alikes."""
    if site.func and resolves_into(site.func, *MODULE_FUNCTIONS):
        return site.func.replace("asyncio.tasks.", "asyncio.")
    receiver = site.receiver_text
    if receiver is None or site.method != "create_task":
        return None
    if receiver.endswith("()"):
        factory = ctx.imports.resolve_text(receiver[:-2])
        if receiver_kind_of_factory(factory) == "asyncio_loop":
            return f"{factory}().create_task"
        return None
    kind = ctx.receiver_kind(receiver)
    by_name = receiver in LOOP_NAMES or receiver.rpartition(".")[2].lower().endswith("loop")
    if kind == "asyncio_loop" or (kind is None and by_name and not _mocked(ctx, receiver)):
        return "loop.create_task"
    if kind == "task_group":
        return "TaskGroup.create_task"
    return None


via_of = _via  # what creates a task a function returns (factories.py)

# What a test builds its stand-ins with: a mock's `create_task` makes no task.
MOCK_MODULES = ("unittest.mock", "mock", "asynctest", "pytest_mock")
MOCK_PREFIXES = ("mock", "fake")


def _mocked(ctx: FileContext, receiver: str) -> bool:
    """A loop reached through a test's mock (`bot = MagicMock()`, `self.bot = MockBot()`,
    a `mock_bot` fixture): its `create_task` only records the call (python-discord/bot's
    MockBot closes the coroutine), so nothing is left dangling. Only in test files, where
    mocks are built; a name is judged by any assignment of it in the file."""
    if not ctx.is_test:
        return False
    parts = receiver.split(".")
    root = ".".join(parts[:2]) if parts[0] in ("self", "cls") and len(parts) > 2 else parts[0]
    if root.rpartition(".")[2].lower().startswith(MOCK_PREFIXES):
        return True
    return any(site.target_text == root and _builds_a_mock(ctx, site.value) for site in ctx.assigns)


def _builds_a_mock(ctx: FileContext, value: ast.expr) -> bool:
    if not isinstance(value, ast.Call):
        return False
    built = ctx.imports.resolve(value.func)
    if built is None:
        return False
    return resolves_into(built, *MOCK_MODULES) or built.rpartition(".")[2].startswith(
        ("Mock", "Fake", "AsyncMock")
    )


def _task(ctx: FileContext, site: CallSite, via: str) -> None:
    coro = arg_value(site.node, 0, "coro")
    if coro is None:
        return
    name_node = arg_value(site.node, None, "name")
    name = ctx.evaluator.value(name_node) if name_node is not None else None
    in_group = via == "TaskGroup.create_task"
    extra = {
        "discarded": site.discarded and not in_group,
        "via": via,
        "coroutine_call": _is_call(coro),
    }
    local = None if in_group else kept_only_in_local(ctx, site)
    if local is not None:
        extra["discarded"] = True
        extra["kept_in_local"] = local
    ctx.add(
        "create_task",
        site.node,
        ctx.target_ref(coro, site.enclosing_class, site.enclosing),
        None,
        name=name if isinstance(name, str) else None,
        site=site,
        periodic=False,
        extra=extra,
    )


def _is_call(node: object) -> bool:
    return isinstance(node, ast.Call | ast.Await)
