"""LockedScheduler replicas in one event loop against a real redis-server."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from async_helpers import asyncio_test

from locked_scheduler import LockedScheduler, current_run

INTERVAL = 0.5


def skewed(offset_s: float):
    return lambda: time.time() + offset_s


def replica(redis_server, name: str, **options) -> LockedScheduler:
    options.setdefault("lease_ttl", 3.0)
    options.setdefault("health_interval", 0.2)
    return LockedScheduler(redis_server.url, "test", replica_id=name, **options)


async def run_for(schedulers, seconds: float) -> None:
    for scheduler in schedulers:
        scheduler.start()
    await asyncio.sleep(seconds)
    for scheduler in schedulers:
        await scheduler.shutdown()


@asyncio_test
async def test_each_tick_runs_once_across_skewed_replicas(redis_server) -> None:
    runs: list[tuple[int, str, int, str]] = []
    schedulers = []
    for n, skew in enumerate((0.0, 0.15, 0.3)):
        scheduler = replica(redis_server, f"r{n}", clock=skewed(skew))

        @scheduler.job("interval", seconds=INTERVAL, id="sync-job")
        def sync_job() -> None:
            run = current_run()
            runs.append((run.tick_ms, run.replica_id, run.fence, threading.current_thread().name))

        schedulers.append(scheduler)
    await run_for(schedulers, 2.7)

    ticks = [tick for tick, *_ in runs]
    assert len(ticks) >= 4
    assert len(ticks) == len(set(ticks)), f"a tick ran twice: {sorted(runs)}"
    assert all(tick % 500 == 0 for tick in ticks)  # on the epoch grid
    fences = [fence for _, _, fence, _ in sorted(runs)]
    assert fences == sorted(fences) and len(set(fences)) == len(fences)
    assert all(name.startswith("locked-scheduler-job") for *_, name in runs)
    # Every replica takes part in every tick inside its own window. The clocks differ by
    # up to 0.3 s, under one interval, so the union of windows holds at most one more tick
    # at each end than any single replica sees.
    for scheduler in schedulers:
        counts = scheduler.status()["jobs"]["sync-job"]["counts"]
        assert counts["ran"] + counts["skipped_claimed"] >= len(ticks) - 2


@asyncio_test
async def test_async_job_gets_its_run(redis_server) -> None:
    seen = []
    scheduler = replica(redis_server, "only")

    @scheduler.job("interval", seconds=INTERVAL, id="async-job")
    async def async_job() -> None:
        seen.append(current_run())

    await run_for([scheduler], 1.2)
    assert seen
    run = seen[0]
    assert run.job_id == "async-job"
    assert run.replica_id == "only"
    assert run.tick.tzinfo is not None and run.tick.utcoffset() == timedelta(0)
    assert isinstance(run.fence, int)


@asyncio_test
async def test_long_job_never_overlaps_itself(redis_server) -> None:
    spans: list[tuple[float, float]] = []
    schedulers = []
    for n, skew in enumerate((0.0, 0.2)):
        scheduler = replica(redis_server, f"r{n}", clock=skewed(skew))

        @scheduler.job("interval", seconds=INTERVAL, id="long")
        async def long_job() -> None:
            start = time.monotonic()
            await asyncio.sleep(0.8)
            spans.append((start, time.monotonic()))

        schedulers.append(scheduler)
    await run_for(schedulers, 3.2)

    spans.sort()
    assert len(spans) >= 2
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        assert next_start >= end
    overlaps = sum(s.status()["jobs"]["long"]["counts"]["skipped_overlap"] for s in schedulers)
    assert overlaps >= 1


@asyncio_test
async def test_lost_lease_cancels_the_async_job(redis_server) -> None:
    cancelled = asyncio.Event()
    scheduler = replica(redis_server, "r", lease_ttl=0.6)

    @scheduler.job("interval", seconds=INTERVAL, id="victim")
    async def victim() -> None:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    scheduler.start()
    client = redis_server.client()
    while not client.exists("test:running:victim"):
        await asyncio.sleep(0.02)
    client.delete("test:running:victim")  # e.g. Redis lost its data
    await asyncio.wait_for(cancelled.wait(), timeout=3)
    await asyncio.sleep(0.05)
    await scheduler.shutdown()
    assert scheduler.status()["jobs"]["victim"]["counts"]["lease_lost"] == 1


@asyncio_test
async def test_sync_job_sees_lease_loss_through_its_run(redis_server) -> None:
    observed = threading.Event()
    scheduler = replica(redis_server, "r", lease_ttl=0.6)

    @scheduler.job("interval", seconds=INTERVAL, id="sync-victim")
    def sync_victim() -> None:
        run = current_run()
        deadline = time.monotonic() + 5
        while run.lease_ok() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not run.lease_ok():
            observed.set()

    scheduler.start()
    client = redis_server.client()
    while not client.exists("test:running:sync-victim"):
        await asyncio.sleep(0.02)
    client.set("test:running:sync-victim", "someone-else")
    while not observed.is_set():
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    await scheduler.shutdown()
    assert scheduler.status()["jobs"]["sync-victim"]["counts"]["lease_lost"] == 1
    assert client.get("test:running:sync-victim") == "someone-else"  # not deleted by us


@asyncio_test
async def test_redis_outage_skips_degrades_and_recovers(redis_server) -> None:
    runs = []
    scheduler = replica(redis_server, "r", redis_timeout=0.3)

    @scheduler.job("interval", seconds=INTERVAL, id="job")
    async def job() -> None:
        runs.append(current_run().tick)

    scheduler.start()
    await asyncio.sleep(1.1)
    assert scheduler.status()["status"] == "ok"
    redis_server.kill()
    killed_at = datetime.now(timezone.utc)
    await asyncio.sleep(1.2)
    down = scheduler.status()
    assert down["status"] == "degraded"
    assert down["redis_ok"] is False and down["last_redis_error"]
    assert down["jobs"]["job"]["counts"]["skipped_redis"] >= 1
    assert not [tick for tick in runs if tick > killed_at]

    redis_server.start()  # same port, empty data
    restarted_at = datetime.now(timezone.utc)
    await asyncio.sleep(1.5)
    await scheduler.shutdown()
    assert [tick for tick in runs if tick > restarted_at]
    assert scheduler.status()["redis_ok"] is True


@asyncio_test
async def test_on_redis_error_run_is_an_explicit_opt_in(redis_server) -> None:
    fences = []
    scheduler = replica(redis_server, "r", redis_timeout=0.3)

    @scheduler.job("interval", seconds=INTERVAL, id="idempotent", on_redis_error="run")
    async def idempotent() -> None:
        fences.append(current_run().fence)

    @scheduler.job("interval", seconds=INTERVAL, id="careful")
    async def careful() -> None:
        raise AssertionError("must not run without Redis")

    redis_server.kill()
    await run_for([scheduler], 1.2)
    assert fences and set(fences) == {None}
    assert scheduler.status()["jobs"]["careful"]["counts"]["skipped_redis"] >= 1


@asyncio_test
async def test_leader_mode_fires_only_on_the_leader_and_hands_over(redis_server) -> None:
    ran_on: list[str] = []
    schedulers = []
    for name in ("a", "b"):
        scheduler = replica(redis_server, name, mode="leader", leader_ttl=0.9)

        @scheduler.job("interval", seconds=INTERVAL, id="led")
        async def led() -> None:
            ran_on.append(current_run().replica_id)

        schedulers.append(scheduler)
        scheduler.start()
    await asyncio.sleep(1.6)
    leaders = [s for s in schedulers if s.status()["is_leader"]]
    assert len(leaders) == 1
    (leader,) = leaders
    (follower,) = [s for s in schedulers if s is not leader]
    assert set(ran_on) == {leader.replica_id}
    assert follower.status()["jobs"]["led"]["counts"]["skipped_not_leader"] >= 1

    await leader.shutdown()  # releases the leader lease
    ran_on.clear()
    await asyncio.sleep(1.5)
    await follower.shutdown()
    assert follower.replica_id in ran_on


@asyncio_test
async def test_shutdown_waits_for_running_jobs_and_releases_the_lease(redis_server) -> None:
    finished = []
    scheduler = replica(redis_server, "r", shutdown_grace=5)

    @scheduler.job("interval", seconds=INTERVAL, id="slowish")
    async def slowish() -> None:
        await asyncio.sleep(0.4)
        finished.append(True)

    scheduler.start()
    client = redis_server.client()
    while not client.exists("test:running:slowish"):
        await asyncio.sleep(0.01)
    await scheduler.shutdown()
    assert finished == [True]
    assert not client.exists("test:running:slowish")
    assert scheduler.status()["status"] == "stopped"


@asyncio_test
async def test_shutdown_grace_cancels_stragglers_and_releases(redis_server) -> None:
    scheduler = replica(redis_server, "r", shutdown_grace=0.2)

    @scheduler.job("interval", seconds=INTERVAL, id="straggler")
    async def straggler() -> None:
        await asyncio.sleep(30)

    scheduler.start()
    client = redis_server.client()
    while not client.exists("test:running:straggler"):
        await asyncio.sleep(0.01)
    await scheduler.shutdown()
    assert not client.exists("test:running:straggler")
    assert scheduler.status()["jobs"]["straggler"]["last_outcome"] == "failed"


@asyncio_test
async def test_a_late_tick_is_skipped_without_claiming(redis_server) -> None:
    scheduler = replica(redis_server, "r")

    @scheduler.job("interval", seconds=60, id="minutely")
    async def minutely() -> None:
        raise AssertionError("a late tick must not run")

    scheduler.start()
    (job,) = scheduler.get_jobs()
    tick = job.next_run_time - timedelta(seconds=120)  # two intervals ago
    outcome = await scheduler._submit_tick(job, tick)
    await scheduler.shutdown()
    assert outcome == "skipped_late"
    tick_ms = round(tick.timestamp() * 1000)
    assert not redis_server.client().exists(f"test:claim:minutely:{tick_ms}")


@asyncio_test
async def test_failures_are_counted_and_release_the_lease(redis_server) -> None:
    scheduler = replica(redis_server, "r")

    @scheduler.job("interval", seconds=INTERVAL, id="broken")
    def broken() -> None:
        raise ValueError("boom")

    await run_for([scheduler], 1.2)
    job = scheduler.status()["jobs"]["broken"]
    assert job["last_outcome"] == "failed"
    assert job["consecutive_failures"] >= 1
    assert job["last_success_at"] is None
    assert not redis_server.client().exists("test:running:broken")


@asyncio_test
async def test_status_is_json_ready_and_complete(redis_server) -> None:
    scheduler = replica(redis_server, "r")
    scheduler.add_job(asyncio.sleep, "cron", minute="*/5", args=[0], id="cron-job")
    scheduler.start()
    await asyncio.sleep(0.3)
    status = json.loads(json.dumps(scheduler.status()))
    await scheduler.shutdown()
    for key in ("status", "mode", "replica_id", "is_leader", "redis_ok", "redis_latency_ms",
                "last_redis_error"):  # fmt: skip
        assert key in status
    assert status["status"] == "ok"
    job = status["jobs"]["cron-job"]
    for key in ("next_run_time", "last_tick", "last_outcome", "last_duration_s",
                "last_success_at", "consecutive_failures", "counts", "fence"):  # fmt: skip
        assert key in job
    assert job["next_run_time"].endswith("+00:00")


@asyncio_test
async def test_one_structured_log_line_per_tick_per_replica(redis_server, caplog) -> None:
    schedulers = [replica(redis_server, name) for name in ("a", "b")]
    for scheduler in schedulers:
        scheduler.add_job(asyncio.sleep, "interval", seconds=INTERVAL, args=[0], id="logged")
    with caplog.at_level(logging.INFO, logger="locked_scheduler"):
        await run_for(schedulers, 1.3)
    lines = [r.locked_scheduler for r in caplog.records if hasattr(r, "locked_scheduler")]
    keys = [(line["replica"], line["tick"]) for line in lines]
    assert len(keys) == len(set(keys)) >= 4
    assert {"job", "tick", "replica", "outcome", "fence", "duration_s"} <= set(lines[0])
    per_tick = {}
    for line in lines:
        per_tick.setdefault(line["tick"], []).append(line["outcome"])
    for outcomes in per_tick.values():
        assert outcomes.count("ran") <= 1
