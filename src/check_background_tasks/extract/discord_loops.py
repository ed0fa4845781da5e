"""discord.py's background loops (and its forks' `ext.tasks`), kind `discord_loop`.

    from discord.ext import tasks

    class Reminders(commands.Cog):
        @tasks.loop(minutes=5)                     # every 5 minutes
        async def send_due(self): ...

        @tasks.loop(time=datetime.time(hour=8))    # daily at 08:00, UTC unless tzinfo
        async def digest(self): ...

Each decorated coroutine is a job placed at the `@`: a loop of the bot's process, running
from its `.start()` until `.cancel()`. `seconds=`, `minutes=` and `hours=` add up to the
interval; `time=` (one `datetime.time` or a list of them) is a daily cron. Anything only
the run time knows leaves the schedule unresolved, never invented.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from .. import schedules
from ..model import Schedule, TargetRef
from . import triggers
from .context import DecoratedSite, FileContext
from .names import CallValue, last_part

CALL_NAMES: frozenset[str] = frozenset()
# discord.py and the forks that kept its `ext.tasks` module
LOOP_DECORATORS = frozenset(
    f"{package}.ext.tasks.loop" for package in ("discord", "nextcord", "disnake", "pycord")
)
UTC_NAMES = frozenset(
    {"datetime.timezone.utc", "datetime.UTC", "pytz.utc", "pytz.UTC", "dateutil.tz.UTC"}
)


def collect(ctx: FileContext) -> None:
    for deco in ctx.decorated:
        expr = deco.decorator.decorator
        if isinstance(expr, ast.Call) and ctx.imports.resolve(expr.func) in LOOP_DECORATORS:
            _loop(ctx, deco, expr)


def _loop(ctx: FileContext, deco: DecoratedSite, call: ast.Call) -> None:
    given = {k.arg: ctx.evaluator.value(k.value) for k in call.keywords if k.arg}
    text = triggers.shorten(", ".join(ctx.code(k) for k in call.keywords))
    if "time" in given:
        schedule = _daily(ctx, given["time"], text)
    elif any(k.arg is None for k in call.keywords) or call.args:
        schedule = schedules.from_interval(None, text)  # **options: not seen here
    else:
        parts = {unit: given.get(unit, 0) for unit in ("hours", "minutes", "seconds")}
        if all(value == 0 for value in parts.values()):
            # `@tasks.loop()`: no sleep between runs (a consumer draining a queue), which
            # discord.py allows; a loop, not a zero interval
            schedule = schedules.from_interval(None, text or "back to back, no interval")
        else:
            schedule = triggers.interval(parts, text)
    count = given.get("count")
    ctx.add(
        "discord_loop",
        deco.decorator,
        TargetRef("local", deco.function.qualname),
        schedule,
        site=deco,
        periodic=count is None or (isinstance(count, int) and count > 1),
        extra={"decorator": ctx.imports.resolve(call.func)},
    )


def _daily(ctx: FileContext, value: Any, text: str) -> Schedule:
    """`time=` as a cron: one `datetime.time`, or a list of them that share their minute
    and zone (discord.py reads a time without tzinfo as UTC)."""
    times = list(value) if isinstance(value, list | tuple) else [value]
    read = [_time_of(ctx, t) for t in times]
    if not read or any(r is None for r in read):
        return schedules.from_interval(None, text)
    minutes = {r[1] for r in read if r is not None}
    zones = {r[2] for r in read if r is not None}
    if len(minutes) != 1 or len(zones) != 1:
        return schedules.from_interval(None, text)  # not one cron line
    hours = ",".join(str(h) for h in sorted({r[0] for r in read if r is not None}))
    cron = schedules.from_cron_string(f"{minutes.pop()} {hours} * * *", timezone=zones.pop())
    return replace(cron, text=text)


def _time_of(ctx: FileContext, value: Any) -> tuple[int, int, str] | None:
    """(hour, minute, zone) of `datetime.time(hour=8, minute=30, tzinfo=...)`."""
    if not isinstance(value, CallValue) or value.unpacked or last_part(value.func) != "time":
        return None
    if not value.func.startswith("datetime"):
        return None
    positional = list(value.args) + [None] * 2
    hour = value.kw("hour", positional[0] if positional[0] is not None else 0)
    minute = value.kw("minute", positional[1] if positional[1] is not None else 0)
    zone = _zone_of(ctx, _tzinfo_node(value.node))
    if not zone or type(hour) is not int or type(minute) is not int:
        return None
    return hour, minute, zone


def _tzinfo_node(call: ast.Call) -> ast.expr | None:
    """`tzinfo=` of `time(hour, minute, second, microsecond, tzinfo)`."""
    for keyword in call.keywords:
        if keyword.arg == "tzinfo":
            return keyword.value
    return call.args[4] if len(call.args) > 4 else None


def _zone_of(ctx: FileContext, node: ast.expr | None) -> str:
    """The zone's name: UTC when none is given (discord.py's reading), "" when unknown."""
    if node is None:
        return "UTC"
    if isinstance(node, ast.Name) and isinstance(ctx.constants.get(node.id), ast.expr):
        node = ctx.constants[node.id]  # `utc = datetime.timezone.utc` above
    if isinstance(node, ast.Call) and last_part(ctx.imports.resolve(node.func)) == "ZoneInfo":
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
        return ""
    return "UTC" if ctx.imports.resolve(node) in UTC_NAMES else ""
