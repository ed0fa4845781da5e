"""discord.py's `@tasks.loop(...)` background loops are jobs of kind `discord_loop`
(python-discord/bot: 8 of them, none listed before): an interval from seconds/minutes/
hours, a daily cron from `time=` (UTC unless a zone is given)."""

from __future__ import annotations

from pathlib import Path

from helpers import findings, records

COG = """\
import datetime
from zoneinfo import ZoneInfo

from discord.ext import commands, tasks
from discord.ext.tasks import loop

utc = datetime.timezone.utc


class Reminders(commands.Cog):
    @tasks.loop(minutes=5)
    async def send_due(self):
        pass

    @tasks.loop(hours=1, minutes=30)
    async def sync(self):
        pass

    @tasks.loop(time=datetime.time(hour=8, minute=15))
    async def digest(self):
        pass

    @tasks.loop(time=[datetime.time(hour=6), datetime.time(hour=18)])
    async def twice(self):
        pass

    @tasks.loop(time=datetime.time(9, 0, tzinfo=ZoneInfo("Europe/Paris")))
    async def paris(self):
        pass

    @loop(seconds=30)
    async def imported(self):
        pass

    @tasks.loop(time=datetime.time(hour=6, minute=5), **options)
    async def unknown_options(self):
        pass

    @tasks.loop(time=datetime.time(hour=9, tzinfo=datetime.timezone.utc))
    async def explicit_utc(self):
        pass

    @tasks.loop(time=datetime.time(hour=8, minute=30, tzinfo=utc))
    async def utc_constant(self):
        pass

    @tasks.loop()
    async def drain(self):
        pass
"""


def test_each_loop_is_a_job_with_its_schedule(tmp_path: Path) -> None:
    recs = records(tmp_path, {"bot/cogs/reminders.py": COG})
    got = [
        (r["kind"], r["target"].rpartition(".")[2], r["cron"], r["interval_seconds"], r["timezone"])
        for r in recs
    ]
    assert got == [
        ("discord_loop", "send_due", None, 300, None),
        ("discord_loop", "sync", None, 5400, None),
        ("discord_loop", "digest", "15 8 * * *", None, "UTC"),
        ("discord_loop", "twice", "0 6,18 * * *", None, "UTC"),
        ("discord_loop", "paris", "0 9 * * *", None, "Europe/Paris"),
        ("discord_loop", "imported", None, 30, None),
        # a time given beside options not seen here is still read: **options cannot
        # change it, but nothing else is assumed
        ("discord_loop", "unknown_options", "5 6 * * *", None, "UTC"),
        ("discord_loop", "explicit_utc", "0 9 * * *", None, "UTC"),
        ("discord_loop", "utc_constant", "30 8 * * *", None, "UTC"),
        # no sleep between runs: a loop, never a "zero interval" (BGT030)
        ("discord_loop", "drain", None, None, None),
    ]


NOT_DISCORD = """\
import asyncio

from myapp import tasks


class Worker:
    @tasks.loop(minutes=5)  # the project's own `tasks` module: not discord.py's
    async def poll(self):
        pass

    async def run(self):
        loop = asyncio.get_running_loop()
        loop.call_later(5, print)
"""


def test_a_loop_decorator_of_another_module_is_no_job(tmp_path: Path) -> None:
    assert records(tmp_path, {"app/worker.py": NOT_DISCORD}) == []


def test_a_loop_without_interval_is_no_invalid_schedule(tmp_path: Path) -> None:
    assert findings(tmp_path, {"bot/cogs/reminders.py": COG}, code="BGT030") == []


def test_an_aliased_tasks_module_is_read(tmp_path: Path) -> None:
    source = (
        "from discord.ext import tasks as t\n\n\n@t.loop(minutes=7)\nasync def poll():\n    pass\n"
    )
    (rec,) = records(tmp_path, {"bot/poll.py": source})
    assert (rec["kind"], rec["interval_seconds"]) == ("discord_loop", 420)
