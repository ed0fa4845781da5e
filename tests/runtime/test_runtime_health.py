"""Health that tells the truth: each reason for "degraded" is listed, from real faults."""

from __future__ import annotations

import asyncio

from async_helpers import asyncio_test, wait_until

from locked_scheduler import JobSpec, LockedScheduler

NS = "health"


def reasons_of(scheduler: LockedScheduler) -> list[str]:
    return scheduler.status().get("reasons", [])  # (absent before 17: read as none)


def has_reason(scheduler: LockedScheduler, *words: str) -> bool:
    return any(all(word in reason for word in words) for reason in reasons_of(scheduler))


@asyncio_test
async def test_a_job_failing_on_every_tick_makes_health_degraded(redis_server) -> None:
    scheduler = LockedScheduler(redis_server.url, NS, replica_id="r", health_interval=0.2)

    @scheduler.job("interval", seconds=0.5, id="broken")
    def broken() -> None:
        raise ValueError("boom")

    scheduler.start()
    try:
        await wait_until(
            lambda: has_reason(scheduler, "'broken'", "times in a row", "boom"),
            20,
            "health names the failing job",
        )
        assert scheduler.status()["status"] == "degraded"
    finally:
        await scheduler.shutdown()


@asyncio_test
async def test_a_job_without_success_for_two_intervals_makes_health_degraded(
    redis_server,
) -> None:
    # A run that never ends: every later tick is skipped_overlap, nothing fails, and
    # health used to stay ok.
    scheduler = LockedScheduler(redis_server.url, NS, replica_id="r", health_interval=0.2)

    @scheduler.job("interval", seconds=0.5, id="stuck")
    async def stuck() -> None:
        await asyncio.sleep(60)

    scheduler.start()
    try:
        await wait_until(
            lambda: has_reason(scheduler, "'stuck'", "has not succeeded", "two of its intervals"),
            20,
            "health names the stalled job",
        )
        assert scheduler.status()["status"] == "degraded"
    finally:
        await scheduler.shutdown()


@asyncio_test
async def test_run_time_jobs_on_a_redis_without_persistence_are_reported(redis_server) -> None:
    # The fixture's redis-server runs with --save "" --appendonly no.
    scheduler = LockedScheduler(redis_server.url, NS, replica_id="r", health_interval=0.2)

    @scheduler.task("report")
    async def report() -> None:
        return None

    scheduler.start()
    try:
        await asyncio.sleep(0.5)
        assert not has_reason(scheduler, "does not persist"), "no run-time job yet"
        await scheduler.schedule(JobSpec(id="weekly", task="report", trigger="cron", hour=3))
        await wait_until(
            lambda: has_reason(scheduler, "does not persist", "weekly"), 20, "persistence"
        )
        redis_server.client().config_set("appendonly", "yes")
        await wait_until(
            lambda: not has_reason(scheduler, "does not persist"), 20, "persistence fixed"
        )
    finally:
        await scheduler.shutdown()


@asyncio_test
async def test_a_paused_redis_shows_in_health_while_it_lasts(redis_server) -> None:
    scheduler = LockedScheduler(
        redis_server.url, NS, replica_id="r", health_interval=0.2, redis_timeout=0.3
    )
    scheduler.add_job(asyncio.sleep, "interval", seconds=0.5, args=[0], id="probe")
    scheduler.start()
    try:
        await wait_until(lambda: scheduler.status()["status"] == "ok", 20, "ok at first")
        redis_server.pause()
        try:
            await wait_until(
                lambda: has_reason(scheduler, "Redis unreachable"), 20, "the pause is seen"
            )
        finally:
            redis_server.resume()
        await wait_until(lambda: scheduler.status()["status"] == "ok", 20, "ok again")
    finally:
        await scheduler.shutdown()


@asyncio_test
async def test_a_job_store_wiped_by_a_redis_restart_is_reported(redis_server) -> None:
    # Redis restarted without persistence: every run-time job is gone. The replicas used
    # to drop them silently and stay ok.
    replicas = []
    for name in ("r", "other"):
        scheduler = LockedScheduler(
            redis_server.url, NS, replica_id=name, health_interval=0.2, reconcile_interval=0.5
        )

        @scheduler.task("report")
        async def report() -> None:
            return None

        replicas.append(scheduler)
        scheduler.start()
    scheduler, other = replicas
    try:
        for n in (1, 2):
            await scheduler.schedule(
                JobSpec(id=f"weekly-{n}", task="report", trigger="cron", hour=3)
            )
        await wait_until(lambda: len(other.list_jobs()) == 2, 20, "the other replica knows")
        redis_server.restart()  # SIGKILL and start empty, same port
        for replica in replicas:
            await wait_until(
                lambda replica=replica: has_reason(replica, "was wiped", "weekly-1, weekly-2"),
                20,
                "the wipe",
            )
            assert replica.status()["status"] == "degraded"
        # Scheduled again: every replica stops reporting the wipe.
        await scheduler.schedule(JobSpec(id="again", task="report", trigger="cron", hour=3))
        for replica in replicas:
            await wait_until(
                lambda replica=replica: not has_reason(replica, "was wiped"), 20, "cleared"
            )
        # Removing every job on purpose is not a wipe.
        await scheduler.unschedule("again")
        await asyncio.sleep(1.5)  # three reconciles
        for replica in replicas:
            assert not has_reason(replica, "was wiped"), reasons_of(replica)
    finally:
        for replica in replicas:
            await replica.shutdown()
