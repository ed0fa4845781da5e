"""Faults injected for real against a real redis-server: pauses, partitions, skew, restarts.

Each test here failed on the scheduler before the fault was handled (base commit 8deab0f).
Assertions are about correctness (which ticks ran, where, whether runs overlapped), never
about speed; every wait is a poll with a generous deadline.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from async_helpers import asyncio_test, wait_until
from tcp_proxy import TcpProxy

from locked_scheduler import JobSpec, LockedScheduler, current_run

INTERVAL = 0.5


def replica(redis_server, name: str, **options) -> LockedScheduler:
    options.setdefault("lease_ttl", 3.0)
    options.setdefault("health_interval", 0.2)
    return LockedScheduler(redis_server.url, "faults", replica_id=name, **options)


def proxy_server(proxy: TcpProxy) -> SimpleNamespace:
    """Looks like the redis_server fixture to ``replica()``, but points at the proxy."""
    return SimpleNamespace(url=proxy.url)


@asyncio_test
async def test_claims_held_by_a_paused_redis_do_nothing_when_it_resumes(redis_server) -> None:
    # A claim sent on an open connection just as Redis stops times out on the client, but
    # Redis runs it on SIGCONT. Before the server checked the deadline, it took the running
    # lease with a token nobody owns, and the job stood still for a whole lease ttl.
    ticks: list[datetime] = []
    # No health pings: they would be the ones to hit the pause and reset the pool, and the
    # next tick's claim has to go out on an idle pooled connection, as in a busy cluster.
    scheduler = replica(redis_server, "r", redis_timeout=0.3, lease_ttl=30.0, health_interval=60)

    @scheduler.job("interval", seconds=1, id="paused")
    async def paused() -> None:
        ticks.append(current_run().tick)

    scheduler.start()
    try:
        await wait_until(lambda: ticks, 10, "a first run while Redis is healthy")
        # Pause half-way between two ticks, so the next claim goes out during the pause.
        await asyncio.sleep(max(0.0, ticks[-1].timestamp() + 0.5 - time.time()))
        redis_server.pause()
        try:
            await asyncio.sleep(2.5)
        finally:
            redis_server.resume()
        resumed = datetime.now(timezone.utc)
        await wait_until(lambda: any(tick > resumed for tick in ticks), 15, "a run after the pause")
    finally:
        await scheduler.shutdown()
    assert scheduler.status()["jobs"]["paused"]["counts"]["skipped_redis"] >= 1


@asyncio_test
async def test_a_sync_job_outliving_shutdown_keeps_its_lease_until_its_thread_ends(
    redis_server,
) -> None:
    # A rolling deploy: the old replica's sync job runs past shutdown_grace. Its thread
    # cannot be stopped, so its lease must stay (renewed) until the thread ends; before,
    # shutdown() released it and the next replica started the same job alongside.
    release = threading.Event()
    started = threading.Event()
    old = replica(redis_server, "old", shutdown_grace=0.3, lease_ttl=2.0)

    @old.job("interval", seconds=INTERVAL, id="stubborn")
    def stubborn_old() -> None:
        started.set()
        release.wait(30)  # ignores shutdown, as most sync code does

    new_runs: list[float] = []
    new = replica(redis_server, "new", lease_ttl=2.0)

    @new.job("interval", seconds=INTERVAL, id="stubborn")
    def stubborn_new() -> None:
        new_runs.append(time.monotonic())

    client = redis_server.client()
    old.start()
    try:
        await wait_until(started.is_set, 10, "the old replica's run started")
        await old.shutdown()
        new.start()
        # Three lease ttls: the old thread still runs, so its lease must still be there.
        until = time.monotonic() + 6.0
        while time.monotonic() < until:
            owner = client.get("faults:running:stubborn")
            assert owner is not None and owner.startswith("old:"), owner
            assert not new_runs, "the new replica ran the job while the old run went on"
            await asyncio.sleep(0.1)
        release.set()
        ended = time.monotonic()
        await wait_until(lambda: new_runs, 15, "the new replica runs once the old run ended")
        assert new_runs[0] >= ended
    finally:
        release.set()
        await new.shutdown()
    assert old.status()["jobs"]["stubborn"]["counts"]["failed"] == 1


@asyncio_test
async def test_a_partitioned_replica_cancels_its_async_job_before_its_lease_expires(
    redis_server,
) -> None:
    # Replica "cut" reaches Redis through a proxy that starts dropping every packet. Its
    # lease can no longer be renewed and will expire on the server, where "peer" is waiting
    # to take it. "cut" must have cancelled its run before "peer" starts one; before, it
    # noticed only after the lease had expired (1-2 s of overlap).
    proxy = TcpProxy(redis_server.port)
    spans: dict[str, list[float]] = {}  # replica -> [start, end]

    def register(scheduler: LockedScheduler) -> None:
        @scheduler.job("interval", seconds=INTERVAL, id="exclusive")
        async def exclusive() -> None:
            name = current_run().replica_id
            spans[name] = [time.monotonic()]
            try:
                await asyncio.sleep(60)
            finally:
                spans[name].append(time.monotonic())

    cut = replica(proxy_server(proxy), "cut", lease_ttl=3.0, redis_timeout=1.0)
    peer = replica(redis_server, "peer", lease_ttl=3.0)
    register(cut)
    register(peer)
    cut.start()
    try:
        await wait_until(lambda: "cut" in spans, 10, "the replica to be cut runs the job")
        peer.start()
        await asyncio.sleep(1.0)  # peer tries ticks, finds the lease taken
        proxy.partition()
        await wait_until(lambda: "peer" in spans, 20, "peer runs once the lease expired")
        assert len(spans["cut"]) == 2, "the cut-off run is still going"
        assert spans["cut"][1] < spans["peer"][0], spans
    finally:
        proxy.heal()
        await cut.shutdown()
        await peer.shutdown()
        proxy.close()
    assert cut.status()["jobs"]["exclusive"]["counts"]["lease_lost"] == 1


@asyncio_test
async def test_replicas_with_clocks_90_s_off_claim_nothing_and_say_why(redis_server) -> None:
    # A replica 90 s behind re-ran ticks whose claims had expired; one 90 s ahead claimed
    # ticks before they were due. Beyond max_clock_skew (5 s) a replica now claims nothing.
    ran_on: list[str] = []
    schedulers = {}
    for name, skew_s in (("good", 0.0), ("behind", -90.0), ("ahead", 90.0)):
        scheduler = replica(redis_server, name, clock=lambda skew_s=skew_s: time.time() + skew_s)

        @scheduler.job("interval", seconds=INTERVAL, id="skewed")
        async def skewed() -> None:
            ran_on.append(current_run().replica_id)

        schedulers[name] = scheduler
        scheduler.start()
    try:
        await wait_until(lambda: ran_on.count("good") >= 4, 15, "good runs four ticks")
        await wait_until(
            lambda: all(
                sum(s.status()["jobs"]["skewed"]["counts"].values()) >= 2
                for name, s in schedulers.items()
                if name != "good"
            ),
            15,
            "the skewed replicas try ticks",
        )
        statuses = {name: scheduler.status() for name, scheduler in schedulers.items()}
    finally:
        for scheduler in schedulers.values():
            await scheduler.shutdown()
    assert set(ran_on) == {"good"}, ran_on
    for name in ("behind", "ahead"):
        assert statuses[name]["jobs"]["skewed"]["counts"]["skipped_clock_skew"] >= 2
    good = statuses["good"]
    assert good["status"] == "ok" and good["reasons"] == []
    assert abs(good["clock_offset_s"]) < 1.0
    for name, sign in (("behind", "+"), ("ahead", "-")):
        status = statuses[name]
        assert status["status"] == "degraded"
        assert abs(abs(status["clock_offset_s"]) - 90) < 1.0
        (reason,) = status["reasons"]
        offset_s = float(reason.removeprefix("clock off by ").split()[0])
        assert abs(offset_s - float(f"{sign}90")) < 1.0, reason
        assert "max_clock_skew=5 s" in reason


@asyncio_test
async def test_a_tick_missed_while_every_replica_was_down_runs_once_at_start(
    redis_server,
) -> None:
    await _missed_tick_runs_once(redis_server)


@asyncio_test
async def test_in_leader_mode_the_new_leader_runs_the_tick_missed_while_all_were_down(
    redis_server,
) -> None:
    # At start no replica leads yet: the catch-up waits for the election (before, the
    # tick was recorded skipped_not_leader and lost).
    await _missed_tick_runs_once(redis_server, mode="leader", leader_ttl=3.0)


async def _missed_tick_runs_once(redis_server, **options) -> None:
    # A deploy across 02:00: the old replica is gone before the tick, the new ones start
    # after it. The tick is within misfire_grace_time, so it runs once, on one replica.
    ticks: list[tuple[int, str]] = []

    def register(scheduler: LockedScheduler) -> None:
        @scheduler.job("interval", seconds=3, id="nightly", misfire_grace_time=2)
        async def nightly() -> None:
            run = current_run()
            ticks.append((run.tick_ms, run.replica_id))

    old = replica(redis_server, "old", **options)
    register(old)
    old.start()
    try:
        await wait_until(lambda: ticks, 15, "a first run")
    finally:
        await old.shutdown()
    last_ms = ticks[-1][0]
    missed_ms = last_ms + 3000
    # Nobody is up when the next tick falls; the new replicas start half a second later.
    await asyncio.sleep(max(0.0, missed_ms / 1000 + 0.5 - time.time()))
    assert time.time() < missed_ms / 1000 + 2, "the machine is too slow for this test"
    new = [replica(redis_server, name, **options) for name in ("new-a", "new-b")]
    for scheduler in new:
        register(scheduler)
        scheduler.start()
    try:
        await wait_until(
            lambda: any(tick == missed_ms for tick, _ in ticks), 10, "the missed tick ran"
        )
        await wait_until(
            lambda: any(tick > missed_ms for tick, _ in ticks), 10, "the next tick ran"
        )
    finally:
        for scheduler in new:
            await scheduler.shutdown()
    ran = [name for tick, name in ticks if tick == missed_ms]
    assert len(ran) == 1 and ran[0].startswith("new-"), ticks
    assert len({tick for tick, _ in ticks}) == len(ticks), "a tick ran twice"


@asyncio_test
async def test_a_one_off_due_during_a_redis_pause_runs_once_after_it(redis_server) -> None:
    # APScheduler forgets a date job once it fired; when its claim met a paused Redis the
    # one-off was lost for good. It is now tried again while its grace lasts.
    runs: list[datetime] = []
    scheduler = replica(redis_server, "r", redis_timeout=0.3)

    @scheduler.task("report")
    async def report() -> None:
        runs.append(current_run().tick)

    scheduler.start()
    try:
        run_at = datetime.now(timezone.utc) + timedelta(seconds=2)
        spec = JobSpec(
            id="report:once", task="report", trigger="date", run_at=run_at, misfire_grace_time=60
        )
        await scheduler.schedule(spec)
        await asyncio.sleep(max(0.0, run_at.timestamp() - 0.7 - time.time()))
        redis_server.pause()
        try:
            await asyncio.sleep(2.5)  # run_at falls inside the pause
        finally:
            redis_server.resume()
        await wait_until(lambda: runs, 20, "the one-off ran after the pause")
        await wait_until(
            lambda: (
                json.loads(redis_server.client().hget("faults:jobs", "report:once"))["state"]
                == "done"
            ),
            10,
            "the one-off is marked done",
        )
    finally:
        await scheduler.shutdown()
    assert runs == [run_at]


@asyncio_test
async def test_a_run_time_job_tick_missed_while_every_replica_was_down_runs_once(
    redis_server,
) -> None:
    ticks: list[tuple[int, str]] = []

    def new_replica(name: str) -> LockedScheduler:
        scheduler = replica(redis_server, name)

        @scheduler.task("sweep")
        async def sweep() -> None:
            run = current_run()
            ticks.append((run.tick_ms, run.replica_id))

        return scheduler

    old = new_replica("old")
    old.start()
    try:
        await old.schedule(
            JobSpec(id="sweep:1", task="sweep", trigger="interval", seconds=3, misfire_grace_time=2)
        )
        await wait_until(lambda: ticks, 15, "a first run")
    finally:
        await old.shutdown()
    missed_ms = ticks[-1][0] + 3000
    await asyncio.sleep(max(0.0, missed_ms / 1000 + 0.5 - time.time()))
    assert time.time() < missed_ms / 1000 + 2, "the machine is too slow for this test"
    new = [new_replica(name) for name in ("new-a", "new-b")]
    for scheduler in new:
        scheduler.start()
    try:
        await wait_until(
            lambda: any(tick == missed_ms for tick, _ in ticks), 10, "the missed tick ran"
        )
        await wait_until(
            lambda: any(tick > missed_ms for tick, _ in ticks), 10, "the next tick ran"
        )
    finally:
        for scheduler in new:
            await scheduler.shutdown()
    ran = [name for tick, name in ticks if tick == missed_ms]
    assert len(ran) == 1 and ran[0].startswith("new-"), ticks
    assert len({tick for tick, _ in ticks}) == len(ticks), "a tick ran twice"
