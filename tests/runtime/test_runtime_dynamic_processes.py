"""Run-time jobs across replica processes: sharing, unschedule, one-off across a kill,
full restart without catch-up runs (issue 9's "done when")."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from async_helpers import asyncio_test
from dynamic_replica import build

from locked_scheduler import JobSpec

HERE = Path(__file__).resolve().parent
RECONCILE_S = 1.0


class Group:
    def __init__(self, redis_url: str, directory: Path) -> None:
        self.redis_url = redis_url
        self.dir = directory
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str) -> None:
        log = self.dir / f"{name}.jsonl"
        with open(self.dir / f"{name}.out", "ab") as output:
            self.processes[name] = subprocess.Popen(
                [sys.executable, str(HERE / "dynamic_replica.py"), "--redis-url", self.redis_url,
                 "--replica", name, "--log", str(log), "--reconcile", str(RECONCILE_S)],
                stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip

    async def wait_ready(self, *names: str) -> None:
        while not all((self.dir / f"{name}.jsonl.ready").exists() for name in names):
            await asyncio.sleep(0.05)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def kill_all(self) -> None:
        for name in list(self.processes):
            self.kill(name)

    def runs(self, job: str) -> list[dict]:
        lines = []
        for path in self.dir.glob("*.jsonl"):
            lines += [json.loads(line) for line in path.read_text().splitlines() if line]
        return sorted((line for line in lines if line["job"] == job), key=lambda r: r["tick_ms"])


def assert_once_per_tick(runs: list[dict]) -> None:
    twice = [tick for tick, n in Counter(r["tick_ms"] for r in runs).items() if n > 1]
    assert not twice, f"ticks run more than once: {twice}"


@asyncio_test
async def test_run_time_jobs_across_replica_processes(redis_server, tmp_path) -> None:
    group = Group(redis_server.url, tmp_path)
    local = build(redis_server.url, "local", str(group.dir / "local.jsonl"), RECONCILE_S)
    try:
        group.spawn("p1")
        group.spawn("p2")
        local.start()
        await group.wait_ready("p1", "p2")

        # Scheduled on one replica, fires once per tick across the group.
        await local.schedule(
            JobSpec(
                id="metrics:worker-123",
                task="record",
                trigger="interval",
                seconds=1,
                kwargs={"worker_id": "worker-123"},
            )
        )
        # A one-off due in 2 s; the replica that could have won it is killed first.
        run_at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=3)
        await local.schedule(
            JobSpec(id="report:once", task="record", trigger="date", run_at=run_at)
        )
        await asyncio.sleep(1.0)
        group.kill("p1")
        await asyncio.sleep((run_at - datetime.now(timezone.utc)).total_seconds() + 1.5)

        # Unscheduled on one replica: stops everywhere within one reconcile period.
        await local.unschedule("metrics:worker-123")
        unscheduled_at = time.time()
        await asyncio.sleep(RECONCILE_S + 1.0)

        metrics = group.runs("metrics:worker-123")
        assert len(metrics) >= 3
        assert_once_per_tick(metrics)
        assert {r["kwargs"]["worker_id"] for r in metrics} == {"worker-123"}
        assert not [r for r in metrics if r["t"] > unscheduled_at + RECONCILE_S]
        for name in ("p1", "p2"):  # the processes made the job live (pub/sub or reconcile)
            assert (
                "run-time job live id=metrics:worker-123" in (group.dir / f"{name}.out").read_text()
            )

        once = group.runs("report:once")
        assert [r["tick_ms"] for r in once] == [round(run_at.timestamp() * 1000)]
        stored = json.loads(redis_server.client().hget("dynp:jobs", "report:once"))
        assert stored["state"] == "done"

        # Full restart: every replica down for 3 s, then new processes resume the job from
        # the store. Of the ticks missed meanwhile only the latest runs (catch-up, once);
        # the older ones are never replayed.
        await local.schedule(JobSpec(id="poll", task="record", trigger="interval", seconds=1))
        await asyncio.sleep(2.2)
        group.kill_all()
        await local.shutdown()
        down_at = time.time()
        await asyncio.sleep(3.0)
        up_at = time.time()
        group.spawn("p3")
        group.spawn("p4")
        await group.wait_ready("p3", "p4")
        await asyncio.sleep(2.5)

        poll = group.runs("poll")
        assert_once_per_tick(poll)
        assert [r for r in poll if r["t"] < down_at]
        after = [r for r in poll if r["t"] > up_at]
        assert after, "the job did not resume after the restart"
        replayed = [r for r in after if r["tick_ms"] / 1000 <= up_at - 0.5]
        assert len(replayed) <= 1, f"missed ticks were replayed: {replayed}"
        # The one caught up is the latest tick before the new processes started.
        assert all(r["tick_ms"] / 1000 > up_at - 1.5 for r in replayed), replayed
    finally:
        group.kill_all()
        await local.shutdown()
