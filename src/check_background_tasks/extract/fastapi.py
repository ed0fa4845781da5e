"""FastAPI / Starlette `BackgroundTasks.add_task(...)`: request-scoped background work."""

from __future__ import annotations

from .context import FileContext, arg_value

CALL_NAMES = frozenset({"add_task"})


def collect(ctx: FileContext) -> None:
    for site in ctx.calls:
        if site.method != "add_task":
            continue
        # Only a receiver we know is BackgroundTasks: rich progress bars have add_task too.
        if ctx.receiver_kind(site.receiver_text) != "background_tasks":
            continue
        func = arg_value(site.node, 0, "func")
        if func is None:
            continue
        ctx.add(
            "fastapi_background",
            site.node,
            ctx.target_ref(func, site.enclosing_class, site.enclosing),
            None,
            site=site,
            periodic=False,
        )
