"""arq: `cron(func, hour=..., minute=...)` entries of `WorkerSettings.cron_jobs`."""

from __future__ import annotations

from .. import schedules
from .context import FileContext, arg_value, named_args
from .names import resolves_into, strip_env
from .triggers import _known, shorten

CALL_NAMES = frozenset({"cron"})
FIELDS = ("month", "day", "weekday", "hour", "minute", "second")


def collect(ctx: FileContext) -> None:
    for site in ctx.calls:
        if site.method != "cron" or not resolves_into(site.func, "arq.cron", "arq.cron.cron"):
            continue
        func = arg_value(site.node, 0, "coroutine")
        if func is None:
            continue
        given = [arg for arg in named_args(site.node) if arg.name in FIELDS]
        fields = {}
        for arg in given:
            value = _known(ctx.evaluator.value(arg.value))
            if value is not None:
                fields[arg.name] = value
        text = shorten(", ".join(f"{arg.name}={ctx.code(arg.value)}" for arg in given))
        name = strip_env(ctx.evaluator.value(arg_value(site.node, None, "name") or func))
        ctx.add(
            "arq",
            site.node,
            ctx.target_ref(func, site.enclosing_class, site.enclosing),
            schedules.from_cron_fields(fields, "arq", text or "every minute"),
            name=name if isinstance(name, str) and arg_value(site.node, None, "name") else None,
            site=site,
        )
