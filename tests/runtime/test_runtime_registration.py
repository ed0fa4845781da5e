"""Registration rules: aligned triggers, refused options, stable ids (no Redis needed)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from locked_scheduler import LockedScheduler, UnalignedTriggerError


def make() -> LockedScheduler:
    return LockedScheduler(None, "test")


async def job() -> None:
    return None


def test_interval_is_anchored_on_the_epoch_grid() -> None:
    registered = make().add_job(job, "interval", minutes=5, id="probe")
    trigger = registered.trigger
    assert trigger.start_date == datetime(1970, 1, 1, tzinfo=timezone.utc)
    now = datetime(2026, 11, 23, 4, 7, 13, tzinfo=timezone.utc)
    assert trigger.get_next_fire_time(None, now) == datetime(
        2026, 11, 23, 4, 10, tzinfo=timezone.utc
    )


def test_two_replicas_started_apart_compute_the_same_ticks() -> None:
    first = make().add_job(job, "interval", seconds=7, id="j").trigger
    second = make().add_job(job, "interval", seconds=7, id="j").trigger
    now = datetime.now(timezone.utc)
    later = now + timedelta(seconds=3.3)
    assert first.get_next_fire_time(None, later) == second.get_next_fire_time(None, later)


def test_explicit_start_date_is_kept() -> None:
    start = datetime(2026, 1, 1, 0, 0, 7, tzinfo=timezone.utc)
    trigger = make().add_job(job, "interval", minutes=5, start_date=start, id="j").trigger
    assert trigger.start_date == start


def test_cron_uses_the_scheduler_timezone_utc_by_default() -> None:
    trigger = make().add_job(job, "cron", hour=2, id="nightly").trigger
    assert str(trigger.timezone) == "UTC"


@pytest.mark.parametrize(
    ("trigger", "args"),
    [
        ("date", {"run_date": datetime(2030, 1, 1, tzinfo=timezone.utc)}),
        ("interval", {"seconds": 10, "jitter": 2}),
        ("cron", {"minute": "*", "jitter": 5}),
        (DateTrigger(datetime(2030, 1, 1, tzinfo=timezone.utc)), {}),
        (
            IntervalTrigger(
                seconds=10, start_date=datetime(2030, 1, 1, 0, 0, 3, tzinfo=timezone.utc)
            ),
            {},
        ),
    ],
)
def test_triggers_replicas_cannot_agree_on_are_refused(trigger, args) -> None:
    with pytest.raises(UnalignedTriggerError):
        make().add_job(job, trigger, id="j", **args)


def test_aligned_trigger_instances_are_accepted() -> None:
    scheduler = make()
    scheduler.add_job(job, CronTrigger(minute="*/5", timezone="UTC"), id="cron")
    aligned = IntervalTrigger(seconds=10, start_date=datetime(2030, 1, 1, tzinfo=timezone.utc))
    scheduler.add_job(job, aligned, id="interval")
    assert {j.id for j in scheduler.get_jobs()} == {"cron", "interval"}


def test_unknown_trigger_word_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported trigger"):
        make().add_job(job, "calendarinterval", id="j", days=1)


@pytest.mark.parametrize(
    "options",
    [
        {"coalesce": False},
        {"max_instances": 2},
        {"replace_existing": False},
        {"next_run_time": datetime.now(timezone.utc)},
        {"jobstore": "redis"},
        {"misfire_grace_time": 2.5},
        {"misfire_grace_time": 0},
        {"on_redis_error": "retry"},
    ],
)
def test_settings_that_break_the_guarantees_are_refused(options) -> None:
    with pytest.raises(ValueError):
        make().add_job(job, "interval", seconds=5, id="j", **options)


def test_apscheduler_settings_are_forced() -> None:
    registered = make().add_job(job, "interval", seconds=5, id="j", misfire_grace_time=7)
    assert registered.coalesce is True
    assert registered.max_instances == 1
    assert registered.misfire_grace_time == 7


def test_default_id_is_the_dotted_name() -> None:
    registered = make().add_job(job, "interval", seconds=5)
    assert registered.id == f"{__name__}.job"


def test_lambda_needs_an_explicit_id() -> None:
    with pytest.raises(ValueError, match="id="):
        make().add_job(lambda: None, "interval", seconds=5)


def test_re_registering_replaces_the_job() -> None:
    scheduler = make()
    scheduler.add_job(job, "interval", seconds=5, id="j")
    scheduler.add_job(job, "interval", seconds=9, id="j")
    (only,) = scheduler.get_jobs()
    assert only.trigger.interval == timedelta(seconds=9)


def test_decorator_returns_the_function_and_registers_it() -> None:
    scheduler = make()

    @scheduler.job("interval", minutes=5, id="probe-providers")
    async def probe_providers() -> None:
        return None

    assert probe_providers.__name__ == "probe_providers"
    assert [j.id for j in scheduler.get_jobs()] == ["probe-providers"]


def test_start_outside_a_running_loop_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        make().start()


def test_in_process_backend_warns_once_at_start(caplog) -> None:
    async def main() -> None:
        scheduler = make()
        scheduler.start()
        scheduler.start()
        await scheduler.shutdown()

    with caplog.at_level(logging.WARNING, logger="locked_scheduler"):
        asyncio.run(main())
    warnings = [r for r in caplog.records if "in-process backend" in r.getMessage()]
    assert len(warnings) == 1


def test_a_stopped_scheduler_cannot_be_restarted() -> None:
    async def main() -> None:
        scheduler = make()
        scheduler.start()
        await scheduler.shutdown()
        with pytest.raises(RuntimeError, match="cannot be restarted"):
            scheduler.start()

    asyncio.run(main())


def test_bad_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        LockedScheduler(None, mode="follower")
