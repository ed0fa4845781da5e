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
UTC_NAMES = frozenset({"datetime.timezone.utc", "datetime.UTC", "timezone.utc", "UTC"})


def collect(ctx: FileContext) -> None:
    for deco in ctx.decorated:
        expr = deco.decorator.decorator
        if isinstance(expr, ast.Call) and ctx.imports.resolve(expr.func) in LOOP_DECORATORS:
            _loop(ctx, deco, expr)


def _loop(ctx: FileContext, deco: DecoratedSite, call: ast.Call) -> None:
    given = {k.arg: ctx.evaluator.value(k.value) for k in call.keywords if k.arg}
    text = triggers.shorten(", ".join(ctx.code(k) for k in call.keywords))
    if "time" in given:
        schedule = _daily(given["time"], text)
    elif any(k.arg is None for k in call.keywords) or call.args:
        schedule = schedules.from_interval(None, text)  # **options: not seen here
    else:
        parts = {unit: given.get(unit, 0) for unit in ("hours", "minutes", "seconds")}
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


def _daily(value: Any, text: str) -> Schedule:
    """`time=` as a cron: one `datetime.time`, or a list of them that share their minute
    and zone (discord.py reads a time without tzinfo as UTC)."""
    times = list(value) if isinstance(value, list | tuple) else [value]
    read = [_time_of(t) for t in times]
    if not read or any(r is None for r in read):
        return schedules.from_interval(None, text)
    minutes = {r[1] for r in read if r is not None}
    zones = {r[2] for r in read if r is not None}
    if len(minutes) != 1 or len(zones) != 1:
        return schedules.from_interval(None, text)  # not one cron line
    hours = ",".join(str(h) for h in sorted({r[0] for r in read if r is not None}))
    cron = schedules.from_cron_string(f"{minutes.pop()} {hours} * * *", timezone=zones.pop())
    return replace(cron, text=text)


def _time_of(value: Any) -> tuple[int, int, str] | None:
    """(hour, minute, zone) of `datetime.time(hour=8, minute=30, tzinfo=...)`."""
    if not isinstance(value, CallValue) or value.unpacked or last_part(value.func) != "time":
        return None
    if not value.func.startswith("datetime"):
        return None
    positional = list(value.args) + [None] * 2
    hour = value.kw("hour", positional[0] if positional[0] is not None else 0)
    minute = value.kw("minute", positional[1] if positional[1] is not None else 0)
    tzinfo = value.kw("tzinfo")
    if tzinfo is None:
        zone = "UTC"
    elif isinstance(tzinfo, CallValue) and last_part(tzinfo.func) == "ZoneInfo" and tzinfo.args:
        zone = tzinfo.args[0] if isinstance(tzinfo.args[0], str) else ""
    else:
        zone = "UTC" if _dotted(tzinfo) in UTC_NAMES else ""
    if not zone or type(hour) is not int or type(minute) is not int:
        return None
    return hour, minute, zone


def _dotted(value: Any) -> str:
    return value if isinstance(value, str) else getattr(value, "dotted", "") or ""
