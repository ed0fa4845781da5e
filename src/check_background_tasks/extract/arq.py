"""arq: `cron(func, hour=..., minute=...)` entries of `WorkerSettings.cron_jobs`."""

from __future__ import annotations

from .. import schedules
from .context import FileContext, arg_value
from .names import code_of, resolves_into, strip_env
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
        fields = {}
        for arg in site.node.args:
            if arg.keyword is not None and arg.keyword.value in FIELDS:
                value = _known(ctx.evaluator.value(arg.value))
                if value is not None:
                    fields[arg.keyword.value] = value
        text = shorten(
            ", ".join(
                f"{a.keyword.value}={code_of(a.value)}"
                for a in site.node.args
                if a.keyword is not None and a.keyword.value in FIELDS
            )
        )
        name = strip_env(ctx.evaluator.value(arg_value(site.node, None, "name") or func))
        ctx.add(
            "arq",
            site.node,
            ctx.target_ref(func, site.enclosing_class, site.enclosing),
            schedules.from_cron_fields(fields, "arq", text or "every minute"),
            name=name if isinstance(name, str) and arg_value(site.node, None, "name") else None,
            site=site,
        )
