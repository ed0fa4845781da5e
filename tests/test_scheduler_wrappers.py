"""Scheduler wrappers across files (link_wrappers.py): each call of a project function or
method that declares a job with one of its parameters as the callable is a job."""

from __future__ import annotations

from helpers import project_of, records

from check_background_tasks.config import Config, from_table
from check_background_tasks.link import Project

JOBS = """
    from apscheduler.schedulers.background import BackgroundScheduler


    class Jobs:
        def __init__(self):
            self.aps = BackgroundScheduler()

        def add_interval_job(self, func, minutes, job_id):
            self.aps.add_job(func, "interval", minutes=minutes, id=job_id)

        def add_cron(self, func, hour=3):
            self.aps.add_job(func, "cron", hour=hour, id=func.__name__)

        def never_called(self, func):
            self.aps.add_job(func, "interval", seconds=30)

        def not_reaching(self, func, minutes):
            self.aps.add_job(self.heartbeat, "interval", minutes=1, id="hb")

        def heartbeat(self):
            pass


    jobs = Jobs()
    """

SERVICE = """
    from app.jobs import Jobs, jobs
    from app import tasks


    class Service:
        def __init__(self, jobs: Jobs):
            self.jobs = jobs

        def start(self):
            self.jobs.add_interval_job(self.sync, 5, "sync")
            self.jobs.add_cron(tasks.cleanup)

        def sync(self):
            pass


    def boot():
        jobs.add_interval_job(tasks.cleanup, minutes=10, job_id="cleanup-10")
        jobs.not_reaching(tasks.cleanup, 7)
    """

TREE = {
    "app/__init__.py": "",
    "app/jobs.py": JOBS,
    "app/service.py": SERVICE,
    "app/tasks.py": "def cleanup():\n    pass\n",
}


def _by_file(found: list[dict], path: str) -> list[tuple]:
    return [
        (r["name"], r["target"], r["interval_seconds"], r["cron"], r["line"])
        for r in found
        if r["file"].endswith(path)
    ]


def test_method_wrappers_declare_a_job_at_each_call_across_files(tmp_path):
    found = records(tmp_path, TREE)
    assert sorted(_by_file(found, "app/service.py")) == [
        ("cleanup", "app.tasks.cleanup", None, "0 3 * * *", 12),  # the default hour, its name
        ("cleanup-10", "app.tasks.cleanup", 600, None, 19),  # a module singleton's method
        ("sync", "app.service.Service.sync", 300, None, 11),  # through a typed attribute
    ]
    via = {r["via_wrapper"] for r in found if r["file"].endswith("service.py")}
    assert via == {"app.jobs.Jobs.add_interval_job", "app.jobs.Jobs.add_cron"}
    # The wrappers' own records (a parameter as the callable) give way to their calls.
    own = _by_file(found, "app/jobs.py")
    assert ("hb", "app.jobs.Jobs.heartbeat", 60, None, 19) in own
    assert not any(line in (10, 13) for *_, line in own)


def test_near_misses_keep_what_they_declare_themselves(tmp_path):
    found = records(tmp_path, TREE)
    own = _by_file(found, "app/jobs.py")
    # never called: its record stays as it was (the callable known only at a call)
    assert (None, "func", 30, None, 16) in own
    # parameters that never reach add_job: `not_reaching(...)` declares nothing more
    assert not any(r["line"] == 20 and r["file"].endswith("service.py") for r in found)
    assert sum(1 for r in found if r["name"] == "hb") == 1


def test_a_caller_file_the_prefilter_skips_is_read(tmp_path):
    """service.py mentions no scheduler: it is read because it calls a wrapper."""
    project: Project = project_of(tmp_path, TREE)
    assert any(ff.path.endswith("app/service.py") for ff in project.facts)


CELERY_TREE = {
    "app/__init__.py": "",
    "app/tasks.py": "def cleanup():\n    pass\n",
    "app/celery_wrap.py": """
        from celery import Celery
        from celery.schedules import crontab

        app = Celery("x")


        def every(seconds, task, name):
            app.add_periodic_task(seconds, task.s(), name=name)


        def daily_at(hour, task):
            app.add_periodic_task(crontab(hour=hour, minute=0), task.s(), name=f"daily-{hour}")
        """,
    "app/beat.py": """
        import os

        from app import tasks
        from app.celery_wrap import daily_at, every

        every(30.0, tasks.cleanup, "cleanup-30")
        daily_at(4, tasks.cleanup)
        every(int(os.environ["N"]), tasks.cleanup, "cleanup-env")
        """,
}


def test_celery_add_periodic_task_wrappers(tmp_path):
    found = [r for r in records(tmp_path, CELERY_TREE) if r["kind"] == "celery_beat"]
    assert sorted((r["name"], r["target"], r["interval_seconds"], r["cron"]) for r in found) == [
        ("cleanup-30", "app.tasks.cleanup", 30, None),
        ("cleanup-env", "app.tasks.cleanup", None, None),
        ("daily-4", "app.tasks.cleanup", None, "0 4 * * *"),
    ]
    env = next(r for r in found if r["name"] == "cleanup-env")
    assert env["schedule"] == 'int(os.environ["N"])'  # as the call writes it


def test_a_subclass_override_leaves_the_call_unresolved(tmp_path):
    tree = dict(TREE)
    tree["app/other.py"] = """
        from app.jobs import Jobs


        class Quiet(Jobs):
            def add_interval_job(self, func, minutes, job_id):
                pass
        """
    found = records(tmp_path, tree)
    assert not any(r["name"] == "sync" for r in found)  # self.jobs may be a Quiet


CONFIGURED = {
    "app/__init__.py": "",
    "app/tasks.py": "def cleanup():\n    pass\n",
    "app/registry.py": """
        class Registry:
            def every(self, func, minutes, job_id):
                REGISTRY[job_id] = (func, minutes)  # added elsewhere, by name


        registry = Registry()
        """,
    "app/boot.py": """
        from app import tasks
        from app.registry import registry

        registry.every(tasks.cleanup, 5, job_id="cleanup")
        """,
}


def test_configured_scheduler_wrappers(tmp_path):
    config = Config(scheduler_wrappers=["app.registry.Registry.every"])
    project = project_of(tmp_path, CONFIGURED, config)
    found = [lj.job.record() for lj in project.jobs]
    assert [(r["name"], r["target"], r["file"], r["line"]) for r in found] == [
        ("cleanup", "app.tasks.cleanup", "app/boot.py", 5)
    ]
    assert found[0]["schedule"].startswith("every(")
    assert found[0]["interval_seconds"] is None  # only the run time knows


def test_unconfigured_registry_is_no_job(tmp_path):
    assert records(tmp_path, CONFIGURED) == []


def test_scheduler_wrappers_config_key():
    assert from_table({"scheduler-wrappers": ["a.b"]}).scheduler_wrappers == ["a.b"]


def test_a_trigger_built_in_a_local_of_the_wrapper(tmp_path):
    found = records(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/tasks.py": "def cleanup():\n    pass\n",
            "app/sched.py": """
                from apscheduler.schedulers.background import BackgroundScheduler
                from apscheduler.triggers.interval import IntervalTrigger


                class TaskScheduler:
                    def __init__(self):
                        self.scheduler = BackgroundScheduler()

                    def add_interval_job(self, func, seconds: int, job_id: str = None):
                        trigger = IntervalTrigger(seconds=seconds)
                        with self.lock:
                            self.scheduler.add_job(func, trigger, id=job_id)
                """,
            "app/boot.py": """
                from app import tasks
                from app.sched import TaskScheduler

                scheduler = TaskScheduler()
                scheduler.add_interval_job(tasks.cleanup, 90, job_id="cleanup")
                """,
        },
    )
    assert [(r["name"], r["target"], r["interval_seconds"], r["file"]) for r in found] == [
        ("cleanup", "app.tasks.cleanup", 90, "app/boot.py")
    ]


def test_a_wrapper_forwarding_to_another_wrapper_of_its_file(tmp_path):
    found = records(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/tasks.py": "def cleanup():\n    pass\n",
            "app/sched.py": """
                from apscheduler.schedulers.background import BackgroundScheduler
                from apscheduler.triggers.cron import CronTrigger
                from apscheduler.triggers.interval import IntervalTrigger


                class Scheduler:
                    def __init__(self):
                        self.scheduler = BackgroundScheduler()

                    def add_job(self, func, trigger, job_id=None, **kwargs):
                        self.scheduler.add_job(func, trigger, id=job_id, replace_existing=True)

                    def add_interval_job(self, func, minutes: int, job_id=None):
                        trigger = IntervalTrigger(minutes=minutes)
                        self.add_job(func, trigger, job_id=job_id)

                    def add_cron_job(self, func, hour=0, minute=0, job_id=None):
                        self.add_job(func, CronTrigger(hour=hour, minute=minute), job_id=job_id)

                    def log_only(self, func, job_id):
                        self.add_job(self.heartbeat, IntervalTrigger(seconds=5), job_id="hb")

                    def heartbeat(self):
                        pass
                """,
            "app/boot.py": """
                from app import tasks
                from app.sched import Scheduler

                scheduler = Scheduler()
                scheduler.add_interval_job(tasks.cleanup, 15, job_id="cleanup")
                scheduler.add_cron_job(tasks.cleanup, hour=4, job_id="nightly")
                scheduler.log_only(tasks.cleanup, "ignored")
                """,
        },
    )
    rows = sorted(
        (r["name"], r["target"], r["interval_seconds"], r["cron"], r["line"]) for r in found
    )
    assert rows == [
        ("cleanup", "app.tasks.cleanup", 900, None, 6),
        # the class's own call of its add_job (not APScheduler's): its job, once, with its id
        ("hb", "app.sched.Scheduler.heartbeat", 5, None, 22),
        ("nightly", "app.tasks.cleanup", None, "0 4 * * *", 7),
    ]
    # log_only's parameters never reach add_job: its call in boot.py declares nothing


def test_a_wrapper_name_called_from_too_many_files_is_not_looked_for(tmp_path):
    """Reading every file that mentions a common name would cost more than its jobs."""
    tree = {
        "app/__init__.py": "",
        "app/tasks.py": "def cleanup():\n    pass\n",
        "app/jobs.py": """
            from apscheduler.schedulers.background import BackgroundScheduler

            aps = BackgroundScheduler()


            def every(func, minutes):
                aps.add_job(func, "interval", minutes=minutes)
            """,
        "app/boot.py": "from app import tasks\nfrom app.jobs import every\nevery(tasks.cleanup, 5)",
    }
    tree.update({f"app/other{i}.py": "x = every(1)\n" for i in range(45)})
    project = project_of(tmp_path, tree)
    assert not any(ff.path.endswith("app/boot.py") for ff in project.facts)
