"""BGT034 bursting-or-uneven-cron: crons whose real fire pattern is not what they say."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

from check_background_tasks.cron_patterns import shapes
from check_background_tasks.schedules import from_cron_string


def cronjob(schedule: str) -> dict[str, str]:
    manifest = f"""\
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: vacuum
    spec:
      schedule: "{schedule}"
      concurrencyPolicy: Forbid
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: c
                  image: x
    """
    return {"k8s/cron.yaml": manifest}


@pytest.mark.parametrize(
    ("schedule", "says"),
    [
        ("* */3 * * *", "every minute of hours 0, 3, 6, 9, 12, 15, 18, 21 (480 runs a day)"),
        ("* */6 * * *", "write `0 */6 * * *`"),
        ("* 3 * * *", "every minute of hour 3"),
        ("* * * * 1", "every minute of Monday"),
        ("*/40 * * * *", "fires at :00, :40 each hour (gaps of 40 minutes, then 20)"),
        ("0 */5 * * *", "gaps of 5 hours, then 4 from 20:00"),
        ("0 0 */7 * *", "days 1, 8, 15, 22, 29 of the month"),
        ("0 0 */7 * *", "a day of the week (`0 0 * * 1`)"),
        ("0 0 1 */5 *", "months 1, 6, 11"),
        ("CRON_TZ=UTC */45 * * * *", ":00, :45"),
        ("30 */36 * * *", "fires only at 00:30 each day (a step of 36"),
    ],
)
def test_bursts_and_uneven_steps_are_reported(tmp_path: Path, schedule: str, says: str) -> None:
    found = findings(tmp_path, cronjob(schedule), code="BGT034")
    assert len(found) == 1
    assert says in found[0].message and "'vacuum'" in found[0].message


@pytest.mark.parametrize(
    "schedule",
    [
        "0 */6 * * *",
        "*/15 * * * *",
        "*/30 * * * *",
        "0 */12 * * *",
        "*/60 * * * *",  # = minute 0: divides its range
        "* * * * *",
        "* 9-17 * * 1-5",  # every minute of working hours: a choice
        "* * * * 1-5",
        "0,40 * * * *",  # a list written out
        "10-40/15 * * * *",  # a step inside a window
        "0 0 */2 * *",  # every other day: the accepted idiom
        "0 0 1 */4 *",
        "0 9 * * 1",
    ],
)
def test_even_and_deliberate_schedules_are_silent(tmp_path: Path, schedule: str) -> None:
    assert findings(tmp_path, cronjob(schedule), code="BGT034") == []


CELERY = """\
from celery import Celery
from celery.schedules import crontab

app = Celery("proj")

@app.task
def tick():
    ...

app.conf.beat_schedule = {{"tick": {{"task": "proj.tick", "schedule": {schedule}}}}}
"""


@pytest.mark.parametrize(
    ("schedule", "says"),
    [
        ('crontab(minute="*/40")', "fires at :00, :40"),
        # the hours at the minute it fires (mediacms), not at :00
        ('crontab(minute=1, hour="*/10")', "fires at 00:01, 10:01, 20:01"),
        # a step longer than the day: hour 0 alone (mediacms' "*/30" meant for the minutes)
        ('crontab(minute=2, hour="*/30")', "fires only at 00:02 each day"),
        # Celery's crontab() leaves the minute at "*": a classic burst
        ("crontab(hour=3)", "write `0 3 * * *` (minute=0)"),
        ('crontab(day_of_week="mon")', "every minute of Monday"),
    ],
)
def test_celery_crontab_fields(tmp_path: Path, schedule: str, says: str) -> None:
    found = findings(tmp_path, {"proj.py": CELERY.format(schedule=schedule)}, code="BGT034")
    assert len(found) == 1 and says in found[0].message


@pytest.mark.parametrize(
    "schedule",
    ["crontab(minute=0, hour=3)", 'crontab(minute="*/20")', 'crontab(minute=0, hour="0")'],
)
def test_celery_crontab_fields_silent(tmp_path: Path, schedule: str) -> None:
    assert findings(tmp_path, {"proj.py": CELERY.format(schedule=schedule)}, code="BGT034") == []


def test_apscheduler_fields_below_the_given_one_are_zero(tmp_path: Path) -> None:
    # APScheduler sets fields below the least significant given one to their minimum:
    # hour="*/6" alone is minute 0, second 0. Not a burst.
    sched = """\
    from apscheduler.schedulers.background import BackgroundScheduler

    def job():
        ...

    scheduler = BackgroundScheduler()
    scheduler.add_job(job, "cron", hour="*/6", id="even")
    scheduler.add_job(job, "cron", minute="*/40", id="uneven")
    """
    found = findings(tmp_path, {"sched.py": sched}, code="BGT034")
    assert [f.location.line for f in found] == [8]


def test_arq_cron_without_minute_is_a_burst(tmp_path: Path) -> None:
    worker = """\
    from arq import cron

    async def report(ctx):
        ...

    class WorkerSettings:
        cron_jobs = [cron(report, hour=3)]
    """
    found = findings(tmp_path, {"worker.py": worker}, code="BGT034")
    assert len(found) == 1 and "every minute of hour 3" in found[0].message


def test_one_finding_per_declaration_and_cron(tmp_path: Path) -> None:
    tasks = """\
    from taskiq import InMemoryBroker

    broker = InMemoryBroker()

    @broker.task(schedule=[{"cron": "*/40 * * * *"}, {"cron": "*/40 * * * *"}])
    async def tick() -> None:
        ...
    """
    assert len(findings(tmp_path, {"tasks.py": tasks}, code="BGT034")) == 1


def test_shapes_of_unreadable_crons_are_unknown() -> None:
    schedule = from_cron_string("0 0 L * *")  # cronsim's last-day-of-month extension
    assert schedule.cron is not None and shapes(schedule.cron, schedule.text) == []


def test_mild_unevenness_is_info(tmp_path: Path) -> None:
    [mild] = findings(tmp_path / "a", cronjob("*/7 * * * *"), code="BGT034")
    assert mild.severity == "info" and "gaps of 7 minutes, then 4" in mild.message
    [strong] = findings(tmp_path / "b", cronjob("*/40 * * * *"), code="BGT034")
    assert strong.severity == "warning"


def test_suspended_cronjob_is_silent(tmp_path: Path) -> None:
    files = cronjob("* */6 * * *")
    files["k8s/cron.yaml"] = files["k8s/cron.yaml"].replace(
        "concurrencyPolicy: Forbid", "concurrencyPolicy: Forbid\n      suspend: true"
    )
    assert findings(tmp_path, files, code="BGT034") == []


def test_step_computed_from_a_settings_default(tmp_path: Path) -> None:
    # kobotoolbox/kpi: the step comes to 40 with the environment's default
    settings = """\
    import os
    from celery.schedules import crontab

    CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERYD_TASK_TIME_LIMIT", 2100))
    minute_interval = (CELERY_TASK_TIME_LIMIT + (60 * 5)) // 60
    CELERY_BEAT_SCHEDULE = {
        "update-exceeded-limit-counters": {
            "task": "app.tasks.update_exceeded_limit_counters",
            "schedule": crontab(minute="*/" + str(minute_interval)),
        },
    }
    """
    [found] = findings(tmp_path, {"settings.py": settings}, code="BGT034")
    assert "fires at :00, :40 each hour" in found.message
    listed = settings.replace('"*/" + str(minute_interval)', '"0," + str(minute_interval)')
    assert findings(tmp_path / "listed", {"settings.py": listed}, code="BGT034") == []
