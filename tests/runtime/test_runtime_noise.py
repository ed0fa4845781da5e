"""One log line per tick and replica; no redis-py warnings; no import cycle."""

from __future__ import annotations

import ast
import asyncio
import logging
import warnings
from pathlib import Path

from async_helpers import asyncio_test, wait_until

import locked_scheduler
from locked_scheduler import LockedScheduler

PACKAGE = Path(locked_scheduler.__file__).parent


@asyncio_test
async def test_a_long_job_logs_one_line_per_tick_and_replica(redis_server, caplog) -> None:
    # Before, APScheduler added a WARNING of its own on every tick the run still went on.
    scheduler = LockedScheduler(redis_server.url, "noise", replica_id="r")

    @scheduler.job("interval", seconds=0.5, id="long")
    async def long() -> None:
        await asyncio.sleep(1.6)

    with caplog.at_level(logging.INFO):
        scheduler.start()
        try:
            await wait_until(
                lambda: scheduler.status()["jobs"]["long"]["counts"]["skipped_overlap"] >= 2,
                20,
                "ticks skipped while the run goes on",
            )
        finally:
            await scheduler.shutdown()
    aps = [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler")]
    assert not [m for m in aps if "maximum number of running instances" in m], aps
    ticks = [r.locked_scheduler for r in caplog.records if hasattr(r, "locked_scheduler")]
    keys = [(line["replica"], line["tick"]) for line in ticks]
    assert len(keys) == len(set(keys))
    assert "skipped_overlap" in {line["outcome"] for line in ticks}


@asyncio_test
async def test_no_redis_py_retry_warning(redis_server) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Retry.*")
        scheduler = LockedScheduler(redis_server.url, "noise", replica_id="r")
        scheduler.add_job(asyncio.sleep, "interval", seconds=0.5, args=[0], id="probe")
        scheduler.start()
        try:
            await wait_until(
                lambda: scheduler.status()["jobs"]["probe"]["counts"]["ran"] >= 1, 20, "a run"
            )
        finally:
            await scheduler.shutdown()


def test_run_time_jobs_do_not_import_the_scheduler() -> None:
    tree = ast.parse((PACKAGE / "dynamic.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level and node.module
    }
    assert "scheduler" not in imported, imported
