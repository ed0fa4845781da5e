"""Scheduler wrappers forwarding to wrappers of other files (link_wrapper_chains.py): each
call of the outermost function is a job, with the arguments it gives."""

from __future__ import annotations

import textwrap

from helpers import findings, project_of, records

TASKS = "".join(
    f"def {name}():\n    pass\n\n\n" for name in ("cleanup", "report", "ping", "sync", "digest")
)

SCHED = """
    from apscheduler.schedulers.background import BackgroundScheduler

    SCHED = BackgroundScheduler()


    def add_interval(func, minutes, job_id):
        SCHED.add_job(func, "interval", minutes=minutes, id=job_id)


    def add_with_trigger(func, trigger, job_id=None):
        SCHED.add_job(func, trigger, id=job_id, replace_existing=True)
    """

# Forwards to sched.py's wrappers; mentions no scheduler (the prefilter skips it).
PERIODIC = """
    from apscheduler.triggers.cron import CronTrigger

    from app import tasks
    from app.sched import add_interval, add_with_trigger


    def every_hour(func, job_id):
        add_interval(func, 60, job_id)


    def every_minutes(func, minutes, job_id="every"):
        add_interval(func, minutes, job_id)


    def nightly(func, hour=3):
        add_with_trigger(func, CronTrigger(hour=hour, minute=0), func.__name__)


    def heartbeat_every(minutes):
        add_interval(tasks.ping, minutes, "heartbeat")  # a constant, not its parameter
    """

# A third level, in a third file.
HOURLY = """
    from app.periodic import every_hour


    def hourly(func):
        every_hour(func, func.__name__)
    """

BOOT = """
    from app import tasks
    from app.periodic import every_hour, every_minutes, heartbeat_every, nightly

    every_hour(tasks.cleanup, "cleanup-hourly")
    every_minutes(tasks.sync, 5)
    nightly(tasks.report, hour=4)
    heartbeat_every(5)
    """

# Calls only the third level: read in the third round.
LATE = """
    from app import tasks
    from app.hourly import hourly

    hourly(tasks.digest)
    """

TREE = {
    "app/__init__.py": "",
    "app/tasks.py": TASKS,
    "app/sched.py": SCHED,
    "app/periodic.py": PERIODIC,
    "app/hourly.py": HOURLY,
    "app/boot.py": BOOT,
    "app/late.py": LATE,
}


def _rows(found: list[dict]) -> list[tuple]:
    return sorted(
        (r["name"], r["target"], r["interval_seconds"], r["cron"], r["file"], r["line"])
        for r in found
    )


def test_calls_of_a_function_forwarding_to_a_wrapper_of_another_file_are_jobs(tmp_path):
    found = records(tmp_path, TREE)
    assert _rows(found) == [
        ("cleanup-hourly", "app.tasks.cleanup", 3600, None, "app/boot.py", 5),
        # three files deep, its id from `func.__name__`
        ("digest", "app.tasks.digest", 3600, None, "app/late.py", 5),
        ("every", "app.tasks.sync", 300, None, "app/boot.py", 6),  # its default id
        # the constant handed over is the job of heartbeat_every's own call, once
        ("heartbeat", "app.tasks.ping", None, None, "app/periodic.py", 21),
        # a trigger built in the forwarding file, with the caller's hour
        ("report", "app.tasks.report", None, "0 4 * * *", "app/boot.py", 7),
    ]
    by_name = {r["name"]: r for r in found}
    assert by_name["report"]["schedule"] == "CronTrigger(hour=4, minute=0)"
    assert by_name["digest"]["via_wrapper"] == "app.hourly.hourly"
    assert by_name["digest"]["wrapper_chain"] == (
        "app.hourly.hourly -> app.periodic.every_hour -> app.sched.add_interval"
    )
    # sched.py's own records (a parameter as the callable) give way to the calls
    assert not any(r["file"] == "app/sched.py" for r in found)


def test_the_files_of_a_chain_are_read(tmp_path):
    """periodic.py, hourly.py, boot.py and late.py mention no scheduler: each is read
    because it calls a wrapper or a function forwarding to one (late.py three steps away)."""
    project = project_of(tmp_path, TREE)
    read = {ff.path for ff in project.facts}
    assert {"app/periodic.py", "app/hourly.py", "app/boot.py", "app/late.py"} <= read


def test_a_chain_adds_no_duplicate_findings(tmp_path):
    assert findings(tmp_path, TREE, code="BGT002") == []
    assert findings(tmp_path, TREE, code="BGT003") == []


def test_a_cycle_forwards_to_nothing(tmp_path):
    tree = dict(TREE)
    tree["app/relay.py"] = """
        from app.echo import echo


        def relay(func, job_id):
            echo(func, job_id)
        """
    tree["app/echo.py"] = """
        from app.relay import relay


        def echo(func, job_id):
            relay(func, job_id)
        """
    tree["app/boot.py"] = (
        textwrap.dedent(BOOT) + "from app.relay import relay\nrelay(tasks.report, 'r')\n"
    )
    found = records(tmp_path, tree)
    assert not any(r["name"] == "r" for r in found)
    assert len(found) == 5  # those of TREE


JOBS = """
    from apscheduler.schedulers.background import BackgroundScheduler


    class Jobs:
        def __init__(self):
            self.aps = BackgroundScheduler()

        def add_interval_job(self, func, minutes, job_id):
            self.aps.add_job(func, "interval", minutes=minutes, id=job_id)
    """

PERIODIC_CLASS = """
    from app.jobs import Jobs


    class Periodic:
        def __init__(self, jobs: Jobs):
            self.jobs = jobs

        def every_minute(self, func, job_id):
            self.jobs.add_interval_job(func, 1, job_id)


    periodic = Periodic(Jobs())
    """

WORKER = """
    from app import tasks
    from app.periodic import Periodic, periodic


    class Worker(Periodic):
        def start(self):
            self.every_minute(self.sync, "sync")

        def sync(self):
            pass


    def boot():
        periodic.every_minute(tasks.cleanup, "cleanup")
    """

METHOD_TREE = {
    "app/__init__.py": "",
    "app/tasks.py": TASKS,
    "app/jobs.py": JOBS,
    "app/periodic.py": PERIODIC_CLASS,
    "app/worker.py": WORKER,
}


def test_methods_forwarding_through_a_typed_attribute(tmp_path):
    found = records(tmp_path, METHOD_TREE)
    assert _rows(found) == [
        ("cleanup", "app.tasks.cleanup", 60, None, "app/worker.py", 15),  # a module singleton
        ("sync", "app.worker.Worker.sync", 60, None, "app/worker.py", 8),  # an inherited `self.m`
    ]


def test_a_chain_whose_inner_wrapper_a_subclass_overrides_stays_silent(tmp_path):
    tree = dict(METHOD_TREE)
    tree["app/quiet.py"] = """
        from app.jobs import Jobs


        class QuietJobs(Jobs):
            def add_interval_job(self, func, minutes, job_id):
                pass
        """
    found = records(tmp_path, tree)
    # self.jobs may be a QuietJobs: neither call is known to declare a job
    assert not any(r["file"] == "app/worker.py" for r in found)
