"""Every declaration form of issue 2, each with a near-miss that must stay out."""

from __future__ import annotations

import pytest
from helpers import records

from check_background_tasks.extract import (
    COMMON_PARTS,
    OWN_NAME_CALLS,
    PYTHON_KEYWORDS,
    SCHEDULER_NAMES,
    python_might_matter,
)

# (files, [(kind, name, target, cron, interval_seconds), ...])
POSITIVE: dict[str, tuple[dict[str, str], list[tuple]]] = {
    "apscheduler add_job interval with alias import": (
        {
            "svc/app.py": """
            from apscheduler.schedulers.asyncio import AsyncIOScheduler as S
            from svc.jobs import cleanup
            sched = S()
            sched.add_job(cleanup, "interval", minutes=5, id="cleanup")
            """,
            "svc/__init__.py": "",
            "svc/jobs.py": "def cleanup(): ...\n",
        },
        [("apscheduler", "cleanup", "svc.jobs.cleanup", None, 300)],
    ),
    "apscheduler add_job positional id and cron trigger words": (
        {
            "app.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            def nightly(): ...
            s = BackgroundScheduler()
            s.add_job(nightly, "cron", None, None, "nightly", hour=2)
            """
        },
        [("apscheduler", "nightly", "app.nightly", "0 2 * * *", None)],
    ),
    "apscheduler trigger objects": (
        {
            "app.py": """
            from apscheduler.schedulers.blocking import BlockingScheduler
            from apscheduler.triggers.cron import CronTrigger
            from apscheduler.triggers.interval import IntervalTrigger
            def a(): ...
            def b(): ...
            def c(): ...
            s = BlockingScheduler()
            s.add_job(a, trigger=CronTrigger(day_of_week="mon-fri", hour=9), id="a")
            s.add_job(b, IntervalTrigger(hours=1), id="b")
            s.add_job(c, CronTrigger.from_crontab("*/5 * * * *"), id="c")
            """
        },
        [
            ("apscheduler", "a", "app.a", "0 9 * * 1-5", None),
            ("apscheduler", "b", "app.b", None, 3600),
            ("apscheduler", "c", "app.c", "*/5 * * * *", None),
        ],
    ),
    "apscheduler textual reference": (
        {
            "app.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            scheduler = BackgroundScheduler()
            scheduler.add_job("pkg.mod:func", "interval", seconds=30, id="t")
            """
        },
        [("apscheduler", "t", "pkg.mod.func", None, 30)],
    ),
    "apscheduler scheduled_job decorator": (
        {
            "app.py": """
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            scheduler = AsyncIOScheduler()
            @scheduler.scheduled_job("interval", minutes=1, id="tick")
            async def tick(): ...
            """
        },
        [("apscheduler", "tick", "app.tick", None, 60)],
    ),
    "apscheduler 4 add_schedule": (
        {
            "app.py": """
            from apscheduler import AsyncScheduler
            from apscheduler.triggers.interval import IntervalTrigger
            async def tick(): ...
            async def main():
                async with AsyncScheduler() as scheduler:
                    await scheduler.add_schedule(tick, IntervalTrigger(seconds=10), id="tick")
            """
        },
        [("apscheduler", "tick", "app.tick", None, 10)],
    ),
    "apscheduler in a function with an unannotated scheduler parameter": (
        {
            "app.py": """
            def cleanup(): ...
            def register(scheduler):
                scheduler.add_job(cleanup, "interval", hours=2, id="cleanup")
            """
        },
        [("apscheduler", "cleanup", "app.cleanup", None, 7200)],
    ),
    "apscheduler on an imported scheduler defined in another file": (
        {
            "core.py": """
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            scheduler = AsyncIOScheduler()
            """,
            "jobs.py": """
            from core import scheduler
            def purge(): ...
            def setup():
                scheduler.add_job(purge, trigger=some_trigger(), id="purge")
            """,
        },
        [("apscheduler", "purge", "jobs.purge", None, None)],
    ),
    "apscheduler self attribute scheduler": (
        {
            "app.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            class Service:
                def __init__(self):
                    self.scheduler = BackgroundScheduler()
                def start(self):
                    self.scheduler.add_job(self.refresh, "interval", minutes=10, id="refresh")
                def refresh(self): ...
            """
        },
        [("apscheduler", "refresh", "app.Service.refresh", None, 600)],
    ),
    "locked_scheduler decorator and add_job": (
        {
            "app.py": """
            from locked_scheduler import LockedScheduler
            scheduler = LockedScheduler(redis_url="redis://x", namespace="a")
            @scheduler.job("interval", minutes=5, id="probe")
            async def probe(): ...
            def nightly(): ...
            scheduler.add_job(nightly, "cron", hour=2, id="nightly")
            """
        },
        [
            ("locked_scheduler", "probe", "app.probe", None, 300),
            ("locked_scheduler", "nightly", "app.nightly", "0 2 * * *", None),
        ],
    ),
    "locked_scheduler run-time jobs": (
        {
            "app.py": """
            from datetime import datetime, UTC
            from locked_scheduler import JobSpec, LockedScheduler
            scheduler = LockedScheduler(redis_url=None, namespace="cml")
            @scheduler.task("collect-worker-metrics")
            async def collect(worker_id: str): ...
            async def start_monitoring(worker_id):
                await scheduler.schedule(JobSpec(id=f"metrics:{worker_id}",
                    task="collect-worker-metrics", kwargs={"worker_id": worker_id},
                    trigger="interval", minutes=5))
                await scheduler.schedule(JobSpec(id="report", task="send-report",
                    trigger="date", run_at="2026-12-01T09:00:00+00:00"))
            """
        },
        [
            ("locked_scheduler_dynamic", "collect-worker-metrics", "app.collect", None, None),
            ("locked_scheduler_dynamic", None, "app.collect", None, 300),
            ("locked_scheduler_dynamic", "report", "send-report", None, None),
        ],
    ),
    "flask-apscheduler decorator and add_job(id, func)": (
        {
            "app.py": """
            from flask_apscheduler import APScheduler
            scheduler = APScheduler()
            @scheduler.task("interval", id="do_job_1", seconds=30)
            def job1(): ...
            def job2(): ...
            scheduler.add_job("job2", job2, trigger="cron", hour=4)
            """
        },
        [
            ("apscheduler", "do_job_1", "app.job1", None, 30),
            ("apscheduler", "job2", "app.job2", "0 4 * * *", None),
        ],
    ),
    "a wrapper's parameter stays a variable; run-time ids are kept as written": (
        {
            "app.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            SCHED = BackgroundScheduler()
            def schedule_job(func, name, hours=0):
                SCHED.add_job(func, id=name, trigger="interval", hours=hours)
            def sync(): ...
            def start(jobs):
                for job in jobs:
                    SCHED.add_job(sync, "cron", id=f"sync-{job}", hour=1)
            """
        },
        [
            ("apscheduler", "name", "func", None, None),
            ("apscheduler", 'f"sync-{job}"', "app.sync", "0 1 * * *", None),
        ],
    ),
    "a wrapper is read again at each of its call sites": (
        {
            "app.py": """
            import asyncio
            from apscheduler.schedulers.background import BackgroundScheduler
            SCHED = BackgroundScheduler()
            def schedule_job(func, name, hours=0, minutes=0):
                SCHED.add_job(func, id=name, trigger="interval", hours=hours, minutes=minutes)
            def check_update(): ...
            def refresh(): ...
            def start():
                schedule_job(check_update, "check-update", hours=6)
                schedule_job(refresh, name="refresh", minutes=5)
            tasks = []
            def create_task(coro):
                task = asyncio.create_task(coro)
                tasks.append(task)
                return task
            async def listener(): ...
            async def startup():
                create_task(listener())
            """
        },
        [
            ("apscheduler", "check-update", "app.check_update", None, 21600),
            ("apscheduler", "refresh", "app.refresh", None, 300),
            ("create_task", None, "app.listener", None, None),
        ],
    ),
    "a wrapper's own local is no parameter; a nested function of the name is no call of it": (
        {
            "app.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            from app import searchit
            SCHED = BackgroundScheduler()
            def start():
                ss = searchit.CurrentSearcher()
                SCHED.add_job(func=ss.run, id="search", trigger="interval", minutes=5)
            def schedule(func, name):
                SCHED.add_job(func, id=name, trigger="interval", hours=1)
            def refresh(): ...
            def queue_schedule(kind):
                def start(name, target):
                    pass
                def schedule(func, name):
                    pass
                if kind == "a":
                    start("A", refresh)
                    schedule(refresh, "refresh")
            def boot():
                start()
                schedule(refresh, "refresh-hourly")
            """
        },
        [
            ("apscheduler", "search", "ss.run", None, 300),
            ("apscheduler", "refresh-hourly", "app.refresh", None, 3600),
        ],
    ),
    "beat schedule built by a function, and legacy periodic_task": (
        {
            "settings.py": """
            from custom import parse_beat_schedule
            CELERY_BEAT_SCHEDULE = parse_beat_schedule()
            """,
            "tasks.py": """
            from datetime import timedelta
            from celery.task import periodic_task
            @periodic_task(run_every=timedelta(minutes=10))
            def cleanup(): ...
            """,
        },
        [
            ("celery_beat", None, "parse_beat_schedule()", None, None),
            ("celery_beat", None, "tasks.cleanup", None, 600),
        ],
    ),
    "defaults of config lookups, aliases and loop attributes": (
        {
            "app.py": """
            import asyncio
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            create_task = asyncio.create_task
            async def work(): ...
            class Bot:
                def __init__(self, config):
                    self.s = AsyncIOScheduler()
                    self.s.add_job(work, "interval", seconds=config.get("interval", 300), id="w")
                    create_task(work())
                    self._eventloop.create_task(work())
            """
        },
        [
            ("apscheduler", "w", "app.work", None, 300),
            ("create_task", None, "app.work", None, None),
            ("create_task", None, "app.work", None, None),
        ],
    ),
    "celery conf.beat_schedule with crontab, timedelta, number and constant": (
        {
            "worker.py": """
            from datetime import timedelta
            from celery import Celery
            from celery.schedules import crontab
            app = Celery("w")
            EVERY = timedelta(minutes=5)
            app.conf.beat_schedule = {
                "a": {"task": "tasks.a", "schedule": crontab(minute=0, hour="*/2")},
                "b": {"task": "tasks.b", "schedule": EVERY},
                "c": {"task": "tasks.c", "schedule": 10.0},
            }
            """
        },
        [
            ("celery_beat", "a", "tasks.a", "0 */2 * * *", None),
            ("celery_beat", "b", "tasks.b", None, 300),
            ("celery_beat", "c", "tasks.c", None, 10),
        ],
    ),
    "celery subscript, update and conf.update forms": (
        {
            "worker.py": """
            from celery import Celery
            app = Celery("w")
            app.conf.beat_schedule["x"] = {"task": "t.x", "schedule": 60}
            app.conf.beat_schedule.update({"y": {"task": "t.y", "schedule": 120}})
            app.conf.update(beat_schedule={"z": {"task": "t.z", "schedule": 180}}, timezone="UTC")
            """
        },
        [
            ("celery_beat", "x", "t.x", None, 60),
            ("celery_beat", "y", "t.y", None, 120),
            ("celery_beat", "z", "t.z", None, 180),
        ],
    ),
    "django settings with dict(), merge and a conditional entry": (
        {
            "settings.py": """
            import os
            from celery.schedules import crontab
            BASE = {"a": {"task": "t.a", "schedule": crontab(hour=1, minute=0)}}
            CELERY_BEAT_SCHEDULE = {**BASE, **dict(b={"task": "t.b", "schedule": 30})}
            if os.environ.get("ENABLE_C"):
                CELERY_BEAT_SCHEDULE["c"] = {
                    "task": "t.c",
                    "schedule": float(os.environ.get("C_EVERY", "300")),
                }
            CELERYBEAT_SCHEDULE = {"d": {"task": "t.d", "schedule": 5}}
            """
        },
        [
            ("celery_beat", "a", "t.a", "0 1 * * *", None),
            ("celery_beat", "b", "t.b", None, 30),
            ("celery_beat", "c", "t.c", None, 300),
            ("celery_beat", "d", "t.d", None, 5),
        ],
    ),
    "celeryconfig module beat_schedule": (
        {
            "celeryconfig.py": """
            from celery.schedules import schedule
            beat_schedule = {"p": {"task": "t.p", "schedule": schedule(run_every=45)}}
            """
        },
        [("celery_beat", "p", "t.p", None, 45)],
    ),
    "celery add_periodic_task in on_after_configure": (
        {
            "worker.py": """
            from celery import Celery
            from celery.schedules import crontab
            app = Celery("w")
            @app.task
            def test(arg): ...
            @app.on_after_configure.connect
            def setup(sender, **kwargs):
                sender.add_periodic_task(10.0, test.s("hello"), name="add every 10")
                sender.add_periodic_task(crontab(hour=7, minute=30, day_of_week=1), test.s("m"))
            """
        },
        [
            ("celery_beat", "add every 10", "worker.test", None, 10),
            ("celery_beat", None, "worker.test", "30 7 * * 1", None),
        ],
    ),
    "celery unresolved schedule is still recorded": (
        {
            "worker.py": """
            from celery import Celery
            from settings import EVERY
            app = Celery("w")
            app.conf.beat_schedule = {"u": {"task": "t.u", "schedule": EVERY}}
            """
        },
        [("celery_beat", "u", "t.u", None, None)],
    ),
    "asyncio create_task forms": (
        {
            "app.py": """
            import asyncio
            async def work(): ...
            async def main():
                asyncio.create_task(work())
                asyncio.ensure_future(work())
                loop = asyncio.get_running_loop()
                loop.create_task(work())
                asyncio.get_event_loop().create_task(work())
                t = asyncio.create_task(work(), name="kept")
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(work())
            """
        },
        [
            ("create_task", None, "app.work", None, None),
            ("create_task", None, "app.work", None, None),
            ("create_task", None, "app.work", None, None),
            ("create_task", None, "app.work", None, None),
            ("create_task", "kept", "app.work", None, None),
            ("create_task", None, "app.work", None, None),
        ],
    ),
    "taskiq decorator schedule and registry": (
        {
            "tasks.py": """
            from taskiq_redis import ListQueueBroker
            broker = ListQueueBroker("redis://")
            @broker.task(schedule=[{"cron": "*/5 * * * *"}, {"interval": 90}])
            async def sync(): ...
            SCHEDULED_TASKS = {"report": {"schedule": [{"cron": "0 6 * * *"}]}}
            """
        },
        [
            ("taskiq", None, "tasks.sync", "*/5 * * * *", None),
            ("taskiq", None, "tasks.sync", None, 90),
            ("taskiq", "report", "report", "0 6 * * *", None),
        ],
    ),
    "fastapi BackgroundTasks": (
        {
            "api.py": """
            from fastapi import BackgroundTasks
            def email(to): ...
            async def signup(to: str, background_tasks: BackgroundTasks):
                background_tasks.add_task(email, to)
            """
        },
        [("fastapi_background", None, "api.email", None, None)],
    ),
    "huey periodic tasks": (
        {
            "tasks.py": """
            from huey import RedisHuey, crontab
            huey = RedisHuey("app")
            @huey.periodic_task(crontab(minute="0", hour="3"))
            def nightly(): ...
            @huey.db_periodic_task(crontab(minute="*/10"))
            def often(): ...
            """
        },
        [
            ("huey", None, "tasks.nightly", "0 3 * * *", None),
            ("huey", None, "tasks.often", "*/10 * * * *", None),
        ],
    ),
    "arq cron jobs": (
        {
            "worker.py": """
            from arq import cron
            async def cleanup(ctx): ...
            class WorkerSettings:
                cron_jobs = [cron(cleanup, hour={2}, minute={0}), cron(cleanup, minute={0, 30})]
            """
        },
        [
            ("arq", None, "worker.cleanup", "0 2 * * *", None),
            ("arq", None, "worker.cleanup", "*/30 * * * *", None),
        ],
    ),
    "modern syntax does not hide jobs": (
        {
            "app.py": """
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            type Pair[T] = tuple[T, T]
            class Box[T]:
                def get(self) -> T: ...
            def tick(): ...
            s = AsyncIOScheduler()
            s.add_job(tick, "interval", seconds=5, id="tick")
            """
        },
        [("apscheduler", "tick", "app.tick", None, 5)],
    ),
    "f-strings of Python 3.12 do not hide jobs": (
        {
            "app.py": """
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            def tick(): ...
            s = AsyncIOScheduler()
            banner = f"{ {"a": 1}["a"] } {f"{"nested"}"}"
            report = f\"\"\"
            {banner["x"]}
            \"\"\"
            try:
                s.add_job(tick, "interval", seconds=5, id="tick")
            except (ValueError, TypeError):
                pass
            """
        },
        [("apscheduler", "tick", "app.tick", None, 5)],
    ),
}

NEGATIVE: dict[str, dict[str, str]] = {
    "rich progress add_task": {
        "cli.py": """
        from rich.progress import Progress
        with Progress() as progress:
            task = progress.add_task("download", total=100)
            progress.add_task("other")
        """
    },
    "unrelated add_job method": {
        "queue.py": """
        class Queue:
            def add_job(self, job): ...
        q = Queue()
        q.add_job(print)
        q.add_job(print, "high")
        """
    },
    "method merely ending in create_task": {
        "svc.py": """
        class Client:
            def create_task(self, payload): ...
            def bulk_create_task(self, payload): ...
        c = Client()
        c.create_task({"a": 1})
        c.bulk_create_task({})
        jira.create_task("x")
        """
    },
    "beat_scheduler setting and conf.update without beat_schedule": {
        "worker.py": """
        from celery import Celery
        app = Celery("w")
        app.conf.beat_scheduler = "django_celery_beat.schedulers:DatabaseScheduler"
        app.conf.update(task_serializer="json", beat_scheduler="x")
        CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
        """
    },
    "jobs in comments and strings": {
        "doc.py": '''
        # scheduler.add_job(cleanup, "interval", minutes=5)
        EXAMPLE = """
        app.conf.beat_schedule = {"a": {"task": "t.a", "schedule": 10}}
        asyncio.create_task(work())
        """
        '''
    },
    "test code reusing a schedule list": {
        "tests/test_tasks.py": """
        from tasks import sync
        def test_labels():
            assert sync.labels["schedule"] == [{"cron": "*/5 * * * *"}]
            expected = [{"cron": "*/5 * * * *"}]
            check(schedule=[{"cron": "* * * * *"}])
        """
    },
    "a dict that is not a beat schedule": {
        "settings.py": """
        beat_schedule = {"a": {"queue": "x"}}
        CACHES = {"default": {"schedule": 10}}
        """
    },
    "BackgroundTasks look-alike without the type": {
        "api.py": """
        def handler(tasks):
            tasks.add_task(print, "x")
        """
    },
    "huey periodic_task not from huey": {
        "x.py": """
        from mylib import registry
        @registry.periodic_task(every=10)
        def f(): ...
        """
    },
    "arq-like cron from elsewhere": {
        "x.py": """
        from mylib import cron
        jobs = [cron(print, hour=1)]
        """
    },
}


def _summary(rec: dict) -> tuple:
    return (rec["kind"], rec["name"], rec["target"], rec["cron"], rec["interval_seconds"])


@pytest.mark.parametrize("case", sorted(POSITIVE), ids=str)
def test_declaration_forms_are_found(tmp_path, case):
    files, expected = POSITIVE[case]
    got = [_summary(r) for r in records(tmp_path, files)]
    assert sorted(got, key=repr) == sorted(expected, key=repr)


@pytest.mark.parametrize("case", sorted(NEGATIVE), ids=str)
def test_look_alikes_stay_out(tmp_path, case):
    assert records(tmp_path, NEGATIVE[case]) == []


def test_discarded_flag_and_positions(tmp_path):
    recs = records(
        tmp_path,
        {
            "app.py": """
            import asyncio
            async def work(): ...
            async def main():
                asyncio.create_task(work())
                kept = asyncio.create_task(work())
                await asyncio.create_task(work())
                return kept
            """
        },
    )
    assert [(r["line"], r["column"], r["discarded"]) for r in recs] == [
        (5, 5, True),
        (6, 12, False),
        (7, 11, False),
    ]
    assert all(r["file"] == "app.py" and r["locked"] is None for r in recs)


def test_locked_decided_through_definition_in_another_file(tmp_path):
    recs = records(
        tmp_path,
        {
            "svc/__init__.py": "",
            "svc/locks.py": "def with_redis_lock(key):\n    return lambda f: f\n",
            "svc/jobs.py": """
            import redis
            from svc.locks import with_redis_lock
            r = redis.Redis()
            @with_redis_lock("a")
            def guarded(): ...
            def manual():
                with r.lock("manual-key", timeout=30):
                    pass
            def nx():
                if r.set("nx-key", "1", nx=True, ex=60):
                    pass
            def open_door(): ...
            """,
            "svc/schedule.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            from svc.jobs import guarded, manual, nx, open_door
            s = BackgroundScheduler()
            s.add_job(guarded, "interval", minutes=1, id="a")
            s.add_job(manual, "interval", minutes=1, id="b")
            s.add_job(nx, "interval", minutes=1, id="c")
            s.add_job(open_door, "interval", minutes=1, id="d")
            """,
        },
    )
    got = {r["name"]: (r["locked"], r["lock_key"]) for r in recs}
    assert got == {
        "a": (True, "a"),  # the lock decorator's name argument
        "b": (True, "manual-key"),
        "c": (True, "nx-key"),
        "d": (False, None),
    }


def test_local_asyncio_lock_does_not_count(tmp_path):
    recs = records(
        tmp_path,
        {
            "app.py": """
            import asyncio
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            lock = asyncio.Lock()
            async def job():
                async with asyncio.Lock():
                    pass
            s = AsyncIOScheduler()
            s.add_job(job, "interval", minutes=1, id="j")
            """
        },
    )
    assert recs[0]["locked"] is False


def test_target_reexported_by_package_is_followed(tmp_path):
    recs = records(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/jobs/__init__.py": "from .cleanup import purge\n",
            "app/jobs/cleanup.py": "from app.locks import single_instance\n"
            "@single_instance\ndef purge(): ...\n",
            "app/sched.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            from app.jobs import purge
            s = BackgroundScheduler()
            s.add_job(purge, "interval", minutes=1, id="p")
            """,
        },
    )
    assert recs[0]["target"] == "app.jobs.cleanup.purge"
    assert recs[0]["locked"] is True


def test_relative_imports_resolve_to_modules(tmp_path):
    recs = records(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/jobs.py": "def work(): ...\n",
            "src/pkg/sub/__init__.py": "",
            "src/pkg/sub/sched.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            from ..jobs import work
            s = BackgroundScheduler()
            s.add_job(work, "interval", minutes=1, id="w")
            """,
        },
    )
    assert recs[0]["target"] == "pkg.jobs.work"
    assert recs[0]["file"] == "src/pkg/sub/sched.py"


def test_import_time_start_but_not_under_main_guard(tmp_path):
    from helpers import project_of

    project = project_of(
        tmp_path,
        {
            "a.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            s = BackgroundScheduler()
            s.start()
            """,
            "b.py": """
            from apscheduler.schedulers.blocking import BlockingScheduler
            s = BlockingScheduler()
            if __name__ == "__main__":
                s.start()
            """,
        },
    )
    starts = {ff.path: ff.scheduler_starts for ff in project.facts}
    assert starts == {
        "a.py": [(4, 1, "s", "apscheduler.schedulers.background.BackgroundScheduler")],
        "b.py": [],
    }


def test_cls_targets_and_job_extras(tmp_path):
    recs = records(
        tmp_path,
        {
            "app.py": """
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            scheduler = AsyncIOScheduler()
            class Ext:
                @classmethod
                def register(cls):
                    scheduler.add_job(cls.refresh, "interval", minutes=1, id="r",
                                      args=[1], replace_existing=True)
                @classmethod
                def refresh(cls, n): ...
            """
        },
    )
    assert recs[0]["target"] == "app.Ext.refresh"
    assert recs[0]["args"] == "[1]" and recs[0]["replace_existing"] is True
    assert recs[0]["scheduler_class"] == "apscheduler.schedulers.asyncio.AsyncIOScheduler"


def test_task_call_form_registers_a_celery_task(tmp_path):
    from helpers import project_of

    project = project_of(
        tmp_path,
        {
            "tasks.py": """
            from celery import Celery
            app = Celery("x")
            def cleanup(): ...
            cleanup_task = app.task(name="custom.cleanup")(cleanup)
            app.conf.beat_schedule = {"c": {"task": "custom.cleanup", "schedule": 60}}
            """
        },
    )
    assert "custom.cleanup" in project.celery_task_names
    assert project.jobs[0].job.target == "tasks.cleanup"


def test_locked_scheduler_claim_keys_follow_the_runtime_layout(tmp_path):
    recs = records(
        tmp_path,
        {
            "app.py": """
            from locked_scheduler import JobSpec, LockedScheduler
            scheduler = LockedScheduler(redis_url="redis://x", namespace="myapp")
            @scheduler.job("interval", minutes=5, id="probe")
            async def probe(): ...
            @scheduler.task("collect")
            async def collect(worker): ...
            async def go():
                await scheduler.schedule(JobSpec("metrics:1", "collect", "interval", minutes=5))
            """
        },
    )
    got = [(r["kind"], r["name"], r["target"], r["locked"], r["lock_key"]) for r in recs]
    assert got == [
        ("locked_scheduler", "probe", "app.probe", True, "myapp:claim:probe:{tick}"),
        ("locked_scheduler_dynamic", "collect", "app.collect", True, None),
        (
            "locked_scheduler_dynamic",
            "metrics:1",
            "app.collect",
            True,
            "myapp:claim:metrics:1:{tick}",
        ),
    ]


def test_prefilter_first_stage_covers_every_keyword():
    # The cheap first stage may only reject a file that no keyword could match.
    own_names = [name for name, _ in OWN_NAME_CALLS]
    for keyword in (*PYTHON_KEYWORDS, *own_names, *SCHEDULER_NAMES, b"SCHEDULE"):
        assert any(part in keyword for part in COMMON_PARTS), keyword


@pytest.mark.parametrize(
    ("source", "candidate"),
    [
        (b"from app.jobs import scheduler\nscheduler.start()\n", True),
        (b"from app import scheduling\nscheduling.bg.start()\n", True),
        (b"from app import runner\nrunner.SCHEDULER.update(x)\n", True),
        (b"from app import jobs\njobs.Scheduler.schedule(spec)\n", True),
        # the call is found after other mentions of `sched`, in any case
        (b"# schedules\nRESCHEDULE = 1\nmy_SCHEDULER.start()\n", True),
        (b"# schedules: see docs\nsCHEDULER.remove_job('nightly')\n", True),
        (b"# a schedule\nclient.remove_job('nightly')\n", False),
        (b'"""Reschedule later."""\nthread.start()\n', False),
        (b"acronym = 'crontab is a word here'\n", False),
        (b"from arq import cron\ncron_jobs = [cron(tick, minute=5)]\n", True),
        (b"import arq\ncron_jobs = [arq.cron(tick, minute=5)]\n", True),
        # a name ending in `cron(` is another function (prefect's tests: 270 KB)
        (b"def test_deployment_accepts_cron(flow):\n    pass\n", False),
        # `.schedule` / `.update` read as data, not called (prefect's deployment schedules)
        (b"print(deployment_schedule.schedule.interval)\n", False),
        (b"kwargs = dict(schedule=schedule.schedule)\n", False),
        (b"scheduler.started = True\n", False),
        # a start handed over as a callback still starts the scheduler
        (b'app.add_event_handler("startup", scheduler.start)\n', True),
        (b"SCHEDULE.update ({'a': 1})\n", True),
        # task-runner names that only look like ours
        (b"run = client.create_task_run(flow)\n", False),
        (b"if state.type == StateType.SCHEDULED:\n    pass\n", False),
        (b"bus.add_task_handler(h)\n", False),
        (b"t = asyncio.create_task(work())\n", True),
        (b"loop.create_task (work())\n", True),
        (b"from asyncio import create_task\ncreate_task(work())\n", True),
        (b"ef = asyncio.ensure_future\n", True),
        (b"x=ensure_future(y)\n", True),
        # a project's own helpers named after them: read, since a call that throws their
        # task away is a dangling task when the helper is a factory (link_factories.py)
        (b"from app.utils import safe_ensure_future\nsafe_ensure_future(poll())\n", True),
        (b"self._create_task(work())\n", True),
        (b"self.create_task_run(work)\n", False),
        (b"safe_ensure_future(a())\nasyncio.ensure_future(b())\n", True),
        (b'SCHEDULED_TASKS = [{"task": "a.b", "schedule": [{"cron": "* * * * *"}]}]\n', True),
    ],
)
def test_prefilter_scheduler_calls_and_cron(source: bytes, candidate: bool):
    assert python_might_matter(source) is candidate


def test_schedules_built_from_unpacked_arguments_are_unknown_not_defaults(tmp_path):
    recs = records(
        tmp_path,
        {
            "celeryconfig.py": """
            from celery.schedules import crontab
            from datetime import timedelta
            from app import settings
            CELERY_BEAT_SCHEDULE = {
                "backup": {"task": "app.tasks.backup", "schedule": crontab(**settings.CRON)},
                "sync": {"task": "app.tasks.sync", "schedule": timedelta(**settings.EVERY)},
            }
            """,
            "jobs.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            from apscheduler.triggers.cron import CronTrigger
            from app import settings
            def tick(): ...
            s = BackgroundScheduler()
            s.add_job(tick, CronTrigger(**settings.CRON), id="a")
            s.add_job(tick, "cron", id="b", **settings.CRON)
            s.add_job(tick, "interval", id="c", minutes=5)
            """,
        },
    )
    got = {r["name"]: (r["cron"], r["interval_seconds"]) for r in recs}
    assert got == {
        "backup": (None, None),
        "sync": (None, None),
        "a": (None, None),
        "b": (None, None),
        "c": (None, 300),  # the control: a visible interval still resolves
    }


def test_locked_scheduler_task_named_by_keyword(tmp_path):
    recs = records(
        tmp_path,
        {
            "app.py": """
            from locked_scheduler import LockedScheduler
            sched = LockedScheduler(redis_url="redis://x")
            @sched.task(name="cleanup")
            def cleanup(): ...
            """
        },
    )
    assert [(r["kind"], r["name"], r["target"]) for r in recs] == [
        ("locked_scheduler_dynamic", "cleanup", "app.cleanup")
    ]
