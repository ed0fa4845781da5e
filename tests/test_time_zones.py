"""Time zones in the inventory: what a schedule inherits from its scheduler's configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import records

JOBS = {"app/__init__.py": "", "app/jobs.py": "def report():\n    pass\n"}


def zones(tmp_path: Path, files: dict[str, str]) -> dict[str | None, str | None]:
    return {r["name"]: r["timezone"] for r in records(tmp_path, {**JOBS, **files})}


@pytest.mark.parametrize(
    "build",
    [
        'BackgroundScheduler(timezone="Europe/Berlin")',
        'BackgroundScheduler(timezone=pytz.timezone("Europe/Berlin"))',
        'BackgroundScheduler(timezone=ZoneInfo("Europe/Berlin"))',
        'BackgroundScheduler({"apscheduler.timezone": "Europe/Berlin"})',
    ],
)
def test_apscheduler_job_inherits_the_schedulers_zone(tmp_path: Path, build: str) -> None:
    sched = f"""\
        import pytz
        from zoneinfo import ZoneInfo
        from apscheduler.schedulers.background import BackgroundScheduler
        from app.jobs import report

        scheduler = {build}
        scheduler.add_job(report, "cron", hour=3, id="daily")
        scheduler.add_job(report, "interval", hours=3, id="often")
        scheduler.add_job(report, "cron", hour=4, id="own", timezone="Asia/Tokyo")
        """
    found = zones(tmp_path, {"app/sched.py": sched})
    # an interval is as long in any zone; a trigger's own zone wins over the scheduler's
    assert found == {"daily": "Europe/Berlin", "often": None, "own": "Asia/Tokyo"}


def test_zone_set_by_configure_reaches_jobs_added_in_another_module(tmp_path: Path) -> None:
    files = {
        "app/sched.py": """\
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            scheduler = AsyncIOScheduler()
            scheduler.configure(timezone="America/New_York")
            """,
        "app/setup.py": """\
            from app.jobs import report
            from app.sched import scheduler

            @scheduler.scheduled_job("cron", hour=1, minute=30, id="nightly")
            def nightly():
                report()
            """,
    }
    assert zones(tmp_path, files) == {"nightly": "America/New_York"}


def test_unknown_scheduler_zone_stays_unknown(tmp_path: Path) -> None:
    sched = """\
        from apscheduler.schedulers.background import BackgroundScheduler
        from app.config import settings
        from app.jobs import report

        scheduler = BackgroundScheduler(timezone=settings.TZ)
        scheduler.add_job(report, "cron", hour=3, id="daily")
        """
    assert zones(tmp_path, {"app/sched.py": sched}) == {"daily": None}


CELERY_APP = """\
    from celery import Celery
    from celery.schedules import crontab

    app = Celery("proj"{kwargs})
    {config}
    app.conf.beat_schedule = {{
        "nightly": {{"task": "app.jobs.report", "schedule": crontab(hour=2, minute=30)}},
        "often": {{"task": "app.jobs.report", "schedule": 300}},
    }}
    """


@pytest.mark.parametrize(
    ("kwargs", "config", "zone"),
    [
        (', timezone="Europe/Paris"', "", "Europe/Paris"),
        ("", 'app.conf.timezone = "Europe/Paris"', "Europe/Paris"),
        ("", 'app.conf.update(timezone="Europe/Paris", enable_utc=True)', "Europe/Paris"),
        # a later setting in the same file replaces an earlier one
        (', timezone="Asia/Seoul"', 'app.conf.timezone = "Europe/Paris"', "Europe/Paris"),
        ("", "app.conf.enable_utc = True", "UTC"),
        ("", "app.conf.enable_utc = False", None),  # the host's local time: unknown
        ("", "", None),  # nothing written: not claimed
    ],
)
def test_celery_beat_zone(tmp_path: Path, kwargs: str, config: str, zone: str | None) -> None:
    celery = CELERY_APP.format(kwargs=kwargs, config=config)
    assert zones(tmp_path, {"app/celery.py": celery}) == {"nightly": zone, "often": None}


DJANGO_SETTINGS = """\
TIME_ZONE = "Europe/Madrid"
CELERY_BROKER_URL = "redis://localhost"
CELERY_BEAT_SCHEDULE = {
    "nightly": {"task": "app.jobs.report", "schedule": crontab(hour=2, minute=30)},
}
"""


def test_celery_reads_djangos_time_zone(tmp_path: Path) -> None:
    files = {"proj/__init__.py": "", "proj/settings.py": DJANGO_SETTINGS}
    assert zones(tmp_path, files) == {"nightly": "Europe/Madrid"}


def test_celerys_own_zone_wins_over_djangos(tmp_path: Path) -> None:
    settings = DJANGO_SETTINGS + 'CELERY_TIMEZONE = "UTC"\n'
    files = {"proj/__init__.py": "", "proj/settings.py": settings}
    assert zones(tmp_path, files) == {"nightly": "UTC"}


def test_djangos_time_zone_without_celery_settings_is_not_celerys(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": 'TIME_ZONE = "Europe/Madrid"\n',
        "app/celery.py": CELERY_APP.format(kwargs="", config=""),
    }
    assert zones(tmp_path, files) == {"nightly": None, "often": None}


def test_settings_files_that_disagree_leave_the_zone_unknown(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/dev.py": 'CELERY_TIMEZONE = "Europe/Paris"\n',
        "proj/prod.py": 'CELERY_TIMEZONE = "UTC"\n',
        "app/celery.py": CELERY_APP.format(kwargs="", config=""),
    }
    assert zones(tmp_path, files) == {"nightly": None, "often": None}


@pytest.mark.parametrize(("utc", "zone"), [("True", "UTC"), ("False", None)])
def test_huey_utc_setting(tmp_path: Path, utc: str, zone: str | None) -> None:
    tasks = f"""\
        from huey import RedisHuey, crontab

        huey = RedisHuey("app", utc={utc})

        @huey.periodic_task(crontab(hour="3", minute="0"))
        def nightly():
            ...
        """
    found = records(tmp_path, {**JOBS, "app/tasks.py": tasks})
    assert [r["timezone"] for r in found] == [zone]


def test_taskiq_cron_offset_and_kubernetes_zone(tmp_path: Path) -> None:
    tasks = """\
        from taskiq import InMemoryBroker

        broker = InMemoryBroker()

        @broker.task(schedule=[{"cron": "30 16 * * 1-5", "cron_offset": "Asia/Seoul"}])
        async def candles() -> None:
            ...
        """
    cronjob = """\
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: vacuum
        spec:
          schedule: "CRON_TZ=Europe/Berlin 0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: c
                      image: x
        """
    found = records(tmp_path, {**JOBS, "app/tasks.py": tasks, "k8s/cron.yaml": cronjob})
    assert sorted(r["timezone"] for r in found) == ["Asia/Seoul", "Europe/Berlin"]


@pytest.mark.parametrize(
    "source",
    [
        b'TIME_ZONE = "Europe/Madrid"\nCELERY_BROKER_URL = "redis://"\n',
        b'CELERY_TIMEZONE = "Europe/Madrid"\n',
        b'app = Celery("proj")\napp.conf.timezone = "Europe/Madrid"\n',
        b'broker_url = "redis://"\ntimezone = "Europe/Madrid"\n',
        b'from huey import RedisHuey\nhuey = RedisHuey("app", utc=False)\n',
    ],
)
def test_prefilter_reads_files_that_only_configure_a_zone(source: bytes) -> None:
    from check_background_tasks.extract import python_might_matter

    assert python_might_matter(source)


def test_zone_from_a_settings_file_without_jobs(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": 'TIME_ZONE = "Europe/Madrid"\nCELERY_BROKER_URL = "redis://"\n',
        "app/celery.py": CELERY_APP.format(kwargs="", config=""),
    }
    assert zones(tmp_path, files) == {"nightly": "Europe/Madrid", "often": None}
