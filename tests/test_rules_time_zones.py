"""BGT035 dst-transition-time and BGT037 time-zone-mismatch."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import findings

from check_background_tasks import dst
from check_background_tasks.rules import time_zones


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time_zones, "_today", lambda: date(2026, 1, 1))


APS = """\
from apscheduler.schedulers.background import BackgroundScheduler

def job():
    ...

scheduler = BackgroundScheduler({scheduler})
scheduler.add_job(job, "cron", {fields}, id="nightly")
"""


def aps(fields: str, scheduler: str = "") -> dict[str, str]:
    return {"sched.py": APS.format(fields=fields, scheduler=scheduler)}


def test_skipped_and_repeated_time_in_berlin(tmp_path: Path) -> None:
    found = findings(tmp_path, aps('hour=2, minute=30, timezone="Europe/Berlin"'), code="BGT035")
    assert len(found) == 1
    message = found[0].message
    assert "in Europe/Berlin" in message
    assert "02:30 does not exist on 2026-03-29 (clocks jump from 02:00 to 03:00)" in message
    assert "02:30 happens twice on 2026-10-25 (clocks go back from 03:00 to 02:00)" in message
    assert "move it outside 02:00-03:00 local time, or schedule it in UTC" in message


def test_zone_inherited_from_the_scheduler(tmp_path: Path) -> None:
    files = aps("hour=2, minute=30", scheduler='timezone="Europe/Berlin"')
    assert len(findings(tmp_path, files, code="BGT035")) == 1


def test_new_york_repeats_one_thirty_only(tmp_path: Path) -> None:
    found = findings(tmp_path, aps('hour=1, minute=30, timezone="America/New_York"'), code="BGT035")
    assert len(found) == 1
    assert "happens twice on 2026-11-01" in found[0].message
    assert "does not exist" not in found[0].message


def test_kubernetes_cronjob_time_zone(tmp_path: Path) -> None:
    manifest = """\
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: backup
    spec:
      schedule: "0 2 * * 0"
      timeZone: Europe/London
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: c
                  image: x
    """
    found = findings(tmp_path, {"cron.yaml": manifest}, code="BGT035")
    # London changes at 01:00: a Sunday 02:00 run is outside both windows
    assert found == []
    manifest = manifest.replace('"0 2 * * 0"', '"30 1 * * 0"')
    found = findings(tmp_path, {"cron.yaml": manifest}, code="BGT035")
    assert len(found) == 1 and "'backup'" in found[0].message


@pytest.mark.parametrize(
    "fields",
    [
        'hour=2, minute=30, timezone="UTC"',
        'hour=2, minute=30, timezone="Asia/Tokyo"',  # no daylight-saving time
        'hour=2, minute=30, timezone="Asia/Seoul"',
        'hour=3, minute=0, timezone="Europe/Berlin"',  # just outside both windows
        'hour=1, minute=59, timezone="Europe/Berlin"',
        'hour=12, timezone="Europe/Berlin"',
        'minute=30, timezone="Europe/Berlin"',  # hourly: one run more or less is nothing
        'day=1, hour=2, minute=30, timezone="Europe/Berlin"',  # never on a transition day
        "hour=2, minute=30",  # no zone: the host's, unknown
    ],
)
def test_safe_variants_are_silent(tmp_path: Path, fields: str) -> None:
    assert findings(tmp_path, aps(fields), code="BGT035") == []


def test_transitions_of_zones() -> None:
    berlin = dst.transitions("Europe/Berlin", date(2026, 1, 1))
    assert [(t.day, t.kind, t.window()) for t in berlin[:2]] == [
        (date(2026, 3, 29), "gap", "02:00-03:00"),
        (date(2026, 10, 25), "fold", "02:00-03:00"),
    ]
    sydney = dst.transitions("Australia/Sydney", date(2026, 1, 1))
    assert [t.kind for t in sydney[:2]] == ["fold", "gap"]  # the southern hemisphere
    lord_howe = dst.transitions("Australia/Lord_Howe", date(2026, 1, 1))
    assert lord_howe[0].window() == "01:30-02:00"  # a half-hour shift
    assert dst.transitions("Asia/Tokyo", date(2026, 1, 1)) == ()
    assert dst.transitions("Not/AZone", date(2026, 1, 1)) == ()
    assert dst.fires_inside("*/20 2 * * *", berlin[0]) == [
        datetime(2026, 3, 29, 2, 0),
        datetime(2026, 3, 29, 2, 20),
        datetime(2026, 3, 29, 2, 40),
    ]


# --------------------------------------------------------------------------- BGT037

TASKIQ = """\
from datetime import timedelta

from taskiq import InMemoryBroker

broker = InMemoryBroker()
_KST = "Asia/Seoul"


@broker.task(schedule=[{"cron": "30 16 * * 1-5", "cron_offset": _KST}])
async def daily_candles() -> None:
    ...


@broker.task(schedule=[{"cron": "0 9 * * 1-5", "cron_offset": timedelta(hours=9)}])
async def opening_bell() -> None:
    ...


@broker.task(schedule=[{"cron": "0 10 * * 1-5"}, {"cron": "0 14 * * 1-5"}])
async def order_review() -> None:
    ...


@broker.task(schedule=[{"interval": 60}])
async def heartbeat() -> None:
    ...
"""


def test_taskiq_schedule_without_offset_among_siblings_with_one(tmp_path: Path) -> None:
    found = findings(tmp_path, {"tasks.py": TASKIQ}, code="BGT037")
    assert len(found) == 1
    message = found[0].message
    assert found[0].location.line == 19
    assert "Schedules `0 10 * * 1-5`, `0 14 * * 1-5` of job `tasks.order_review`" in message
    assert "read in UTC (taskiq's default)" in message
    assert "Asia/Seoul" in message and "cron_offset=timedelta(hours=9)" in message


def test_taskiq_silent_when_every_schedule_has_a_zone_or_none_has(tmp_path: Path) -> None:
    all_zoned = TASKIQ.replace(
        '{"cron": "0 10 * * 1-5"}, {"cron": "0 14 * * 1-5"}',
        '{"cron": "0 10 * * 1-5", "cron_offset": _KST}',
    )
    assert findings(tmp_path / "a", {"tasks.py": all_zoned}, code="BGT037") == []
    none_zoned = TASKIQ.replace(', "cron_offset": _KST', "").replace(
        ', "cron_offset": timedelta(hours=9)', ""
    )
    assert findings(tmp_path / "b", {"tasks.py": none_zoned}, code="BGT037") == []


def test_half_and_half_is_not_a_mismatch(tmp_path: Path) -> None:
    sched = """\
    from apscheduler.schedulers.background import BackgroundScheduler

    def job():
        ...

    scheduler = BackgroundScheduler()
    scheduler.add_job(job, "cron", hour=1, id="a", timezone="Europe/Paris")
    scheduler.add_job(job, "cron", hour=2, id="b", timezone="Europe/Paris")
    scheduler.add_job(job, "cron", hour=3, id="c")
    scheduler.add_job(job, "cron", hour=4, id="d")
    """
    assert findings(tmp_path, {"sched.py": sched}, code="BGT037") == []


def test_apscheduler_trigger_without_zone(tmp_path: Path) -> None:
    sched = """\
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    def job():
        ...

    def other():
        ...

    scheduler = BackgroundScheduler()
    scheduler.add_job(job, CronTrigger(hour=1, timezone="Europe/Paris"), id="a")
    scheduler.add_job(job, "cron", hour=2, id="b", timezone="Europe/Paris")
    scheduler.add_job(other, "cron", hour=3, id="c")
    scheduler.add_job(other, "interval", hours=3, id="d")
    """
    found = findings(tmp_path, {"sched.py": sched}, code="BGT037")
    assert [f.location.line for f in found] == [13]
    assert "the host's local time" in found[0].message
    # the scheduler's own zone gives every job one
    zoned = sched.replace("BackgroundScheduler()", 'BackgroundScheduler(timezone="UTC")')
    assert findings(tmp_path / "z", {"sched.py": zoned}, code="BGT037") == []
