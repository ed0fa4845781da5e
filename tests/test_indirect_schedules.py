"""Schedules declared indirectly (issue 21): Flask-APScheduler's JOBS list, decorators
applied as calls, beat schedules built from data."""

from __future__ import annotations

from helpers import records


def rows(tmp_path, files):
    return [
        (r["kind"], r["name"], r["target"], r["cron"], r["interval_seconds"], r["line"])
        for r in records(tmp_path, files)
    ]


def test_flask_apscheduler_jobs_list(tmp_path):
    found = rows(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/jobs.py": "def cleanup(): ...\ndef report(): ...\n",
            "app/config.py": """
                from app.jobs import report

                class Config:
                    JOBS = [
                        {"id": "cleanup", "func": "app.jobs:cleanup", "trigger": "interval",
                         "minutes": 5},
                        {"id": "report", "func": report, "trigger": "cron", "hour": 3},
                    ]
                    EXPORTS = [{"id": "x", "func": "app.jobs:report"}]   # not JOBS
                    FEEDS = []
                """,
        },
    )
    assert found == [
        ("apscheduler", "cleanup", "app.jobs.cleanup", None, 300.0, 6),
        ("apscheduler", "report", "app.jobs.report", "0 3 * * *", None, 8),
    ]


def test_a_jobs_list_of_other_dicts_is_no_schedule(tmp_path):
    assert (
        records(
            tmp_path,
            {
                "app/settings.py": """
                    JOBS = [
                        {"name": "nightly-export", "queue": "exports"},
                        {"func": "app.x:y"},   # no trigger
                    ]
                    """
            },
        )
        == []
    )


def test_decorators_applied_as_calls(tmp_path):
    found = rows(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/jobs.py": "def cleanup(): ...\ndef purge(): ...\nasync def refresh(): ...\n",
            "app/schedule.py": """
                import functools
                from apscheduler.schedulers.background import BackgroundScheduler
                from huey import RedisHuey, crontab
                from taskiq_redis import ListQueueBroker
                from app.jobs import cleanup, purge, refresh

                scheduler = BackgroundScheduler()
                huey = RedisHuey()
                broker = ListQueueBroker("redis://")

                scheduler.scheduled_job("interval", minutes=10, id="cleanup")(cleanup)
                huey.periodic_task(crontab(minute="0", hour="4"))(purge)
                broker.task(schedule=[{"cron": "*/5 * * * *"}])(refresh)
                cached = functools.lru_cache(maxsize=1)(cleanup)   # not a job
                """,
        },
    )
    assert found == [
        ("apscheduler", "cleanup", "app.jobs.cleanup", None, 600.0, 12),
        ("huey", None, "app.jobs.purge", "0 4 * * *", None, 13),
        ("taskiq", None, "app.jobs.refresh", "*/5 * * * *", None, 14),
    ]


TASKS_MODULE = (
    "from celery import shared_task\n\n"
    "@shared_task\ndef cleanup(): ...\n\n"
    "@shared_task\ndef report(): ...\n"
)


def test_beat_schedule_built_in_a_loop_over_a_literal(tmp_path):
    found = rows(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/tasks.py": TASKS_MODULE,
            "app/settings.py": """
                from celery.schedules import crontab

                TASKS = [
                    {"name": "cleanup", "task": "app.tasks.cleanup", "minutes": 5},
                    {"name": "report", "task": "app.tasks.report", "minutes": 30},
                ]
                CELERY_BEAT_SCHEDULE = {}
                for task in TASKS:
                    CELERY_BEAT_SCHEDULE[task["name"]] = {
                        "task": task["task"],
                        "schedule": crontab(minute=f"*/{task['minutes']}"),
                    }

                ROUTES = {}
                for row in [{"queue": "a", "name": "x"}]:   # data, not a schedule
                    ROUTES[row["name"]] = row
                for row in load_rows():                     # not a literal
                    CELERY_BEAT_SCHEDULE[row["name"]] = row
                """,
        },
    )
    assert found == [
        ("celery_beat", "cleanup", "app.tasks.cleanup", "*/5 * * * *", None, 5),
        ("celery_beat", "report", "app.tasks.report", "*/30 * * * *", None, 6),
    ]


def test_beat_schedule_returned_by_a_function(tmp_path):
    found = rows(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/tasks.py": TASKS_MODULE,
            "app/celeryconfig.py": """
                from celery.schedules import crontab

                NIGHTLY = {"task": "app.tasks.report", "schedule": crontab(hour=2, minute=0)}
                EXTRA = {"nightly": NIGHTLY}

                def build_schedule():
                    \"\"\"The beat schedule.\"\"\"
                    schedule = {"cleanup": {"task": "app.tasks.cleanup", "schedule": 300}}
                    schedule["report"] = {"task": "app.tasks.report", "schedule": crontab(minute=0)}
                    for name, spec in EXTRA.items():
                        schedule[name] = spec
                    return schedule

                beat_schedule = build_schedule()
                """,
        },
    )
    assert found == [
        ("celery_beat", "nightly", "app.tasks.report", "0 2 * * *", None, 5),
        ("celery_beat", "cleanup", "app.tasks.cleanup", None, 300.0, 9),
        ("celery_beat", "report", "app.tasks.report", "0 * * * *", None, 10),
    ]


def test_a_function_doing_more_than_building_stays_opaque(tmp_path):
    found = records(
        tmp_path,
        {
            "app/settings.py": """
                import json

                def build_schedule():
                    schedule = json.load(open("beat.json"))
                    schedule["x"] = {"task": "app.tasks.x", "schedule": 60}
                    return schedule

                CELERY_BEAT_SCHEDULE = build_schedule()
                """,
        },
    )
    assert [(r["kind"], r.get("opaque"), r["schedule"]) for r in found] == [
        ("celery_beat", True, "build_schedule()")
    ]


def test_beat_schedule_made_of_other_modules_parts(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/tasks.py": TASKS_MODULE,
        "app/schedules/__init__.py": "",
        "app/schedules/base.py": """
            from datetime import timedelta

            BASE = {"cleanup": {"task": "app.tasks.cleanup", "schedule": timedelta(minutes=5)}}
            UNUSED = {"never": {"task": "app.tasks.report", "schedule": 60}}   # no schedule uses it
            """,
        "app/schedules/extra.py": """
            class ReportConfig:
                @staticmethod
                def beat_schedule():
                    return {"report": {"task": "app.tasks.report", "schedule": 3600}}
            """,
        "app/settings.py": """
            from app.schedules.base import BASE
            from app.schedules.extra import ReportConfig

            CELERY_BEAT_SCHEDULE = {
                **BASE,
                **ReportConfig.beat_schedule(),
                "local": {"task": "app.tasks.report", "schedule": 30},
            }
            """,
    }
    found = [
        (r["name"], r["file"].rpartition("app/")[2], r["line"], r.get("opaque"))
        for r in records(tmp_path, files)
    ]
    assert found == [
        ("cleanup", "schedules/base.py", 4, None),
        ("report", "schedules/extra.py", 5, None),
        ("local", "settings.py", 8, None),
    ]


def test_a_part_we_cannot_find_keeps_the_schedule_opaque(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/tasks.py": TASKS_MODULE,
        "app/base.py": 'BASE = {"cleanup": {"task": "app.tasks.cleanup", "schedule": 300}}\n',
        "app/settings.py": """
            from app.base import BASE
            from vendor.schedules import VENDOR

            CELERY_BEAT_SCHEDULE = {**BASE, **VENDOR}
            """,
    }
    found = [(r["name"], r.get("opaque")) for r in records(tmp_path, files)]
    assert found == [("cleanup", None), (None, True)]
