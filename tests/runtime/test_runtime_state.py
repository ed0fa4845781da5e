"""Cluster-wide job state in Redis and ``python -m locked_scheduler status``."""

from __future__ import annotations

import asyncio
import json

from async_helpers import asyncio_test, wait_until

from locked_scheduler import LockedScheduler
from locked_scheduler.cli import main as cli_main

NS = "state"


def register(scheduler: LockedScheduler) -> None:
    @scheduler.job("interval", seconds=0.5, id="healthy")
    async def healthy() -> None:
        return None

    @scheduler.job("interval", seconds=0.5, id="broken")
    def broken() -> None:
        raise ValueError("boom")


def read_states(redis_server) -> dict:
    raw = redis_server.client().hgetall(f"{NS}:state")
    return {job_id: json.loads(value) for job_id, value in raw.items()}


@asyncio_test
async def test_every_run_lands_in_the_cluster_state_and_the_cli_prints_it(
    redis_server, capsys
) -> None:
    schedulers = [LockedScheduler(redis_server.url, NS, replica_id=name) for name in "ab"]
    for scheduler in schedulers:
        register(scheduler)
        scheduler.start()
    try:
        await wait_until(
            lambda: (
                read_states(redis_server).get("broken", {}).get("consecutive_failures", 0) >= 3
                and "last_success_at" in read_states(redis_server).get("healthy", {})
            ),
            20,
            "three failures of broken and a success of healthy",
        )
    finally:
        for scheduler in schedulers:
            await scheduler.shutdown()

    # No scheduler runs any more: the CLI reads Redis alone.
    capsys.readouterr()
    args = ["status", "--redis-url", redis_server.url, "--namespace", NS]
    assert await asyncio.to_thread(cli_main, [*args, "--json"]) == 0
    states = json.loads(capsys.readouterr().out)
    healthy, broken = states["healthy"], states["broken"]
    assert healthy["last_outcome"] == "ran" and healthy["consecutive_failures"] == 0
    assert healthy["replica"] in {"a", "b"} and healthy["duration_s"] >= 0
    assert healthy["last_tick"] and healthy["last_success_tick"] and healthy["fence"] > 0
    assert broken["last_outcome"] == "failed" and broken["consecutive_failures"] >= 3
    assert "boom" in broken["last_error"] and "last_success_at" not in broken

    assert await asyncio.to_thread(cli_main, args) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[:3] == ["JOB", "LAST", "TICK"]
    assert "never" in text and "boom" in text


def test_status_cli_without_redis_says_so(capsys) -> None:
    url = "redis://127.0.0.1:1/0"
    assert cli_main(["status", "--redis-url", url, "--namespace", NS]) == 2
    assert "Redis unavailable" in capsys.readouterr().err
