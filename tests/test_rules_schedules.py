"""BGT030 invalid-schedule, BGT031 missing-job-id, BGT032 unknown-beat-task, BGT033 pile-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings, records

from check_background_tasks.config import Config

APS_HEAD = """\
from apscheduler.schedulers.background import BackgroundScheduler
from app.jobs import report

scheduler = BackgroundScheduler()
"""


def aps(*lines: str) -> dict[str, str]:
    return {
        "app/__init__.py": "",
        "app/jobs.py": "def report():\n    pass\n",
        "app/sched.py": APS_HEAD + "\n".join(lines) + "\n",
    }


# --------------------------------------------------------------------------- BGT030


@pytest.mark.parametrize(
    "line",
    [
        'scheduler.add_job(report, "cron", hour=25, id="r")',
        'scheduler.add_job(report, "interval", seconds=0, id="r")',
        'scheduler.add_job(report, "cron", day_of_week="mon-fry", id="r")',
    ],
)
def test_invalid_apscheduler_schedule(tmp_path: Path, line: str) -> None:
    found = findings(tmp_path, aps(line), code="BGT030")
    assert len(found) == 1
    assert found[0].location.line == 5 and "'r'" in found[0].message
    assert found[0].severity == "error"


def test_invalid_cronjob_schedule(tmp_path: Path) -> None:
    manifest = """\
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: report
    spec:
      schedule: "61 * * * *"
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: c
                  image: x
    """
    found = findings(tmp_path, {"k8s/cron.yaml": manifest}, code="BGT030")
    assert len(found) == 1 and "'report'" in found[0].message


def test_invalid_celery_crontab(tmp_path: Path) -> None:
    beat = """\
    from celery import Celery
    from celery.schedules import crontab

    app = Celery("app")
    app.conf.beat_schedule = {
        "r": {"task": "app.jobs.report", "schedule": crontab(minute=0, hour=24)},
    }
    """
    assert len(findings(tmp_path, {"app/celery.py": beat}, code="BGT030")) == 1


def test_valid_schedules_are_silent(tmp_path: Path) -> None:
    files = aps(
        'scheduler.add_job(report, "cron", hour=23, minute="*/15", id="a")',
        'scheduler.add_job(report, "interval", seconds=30, id="b")',
        'scheduler.add_job(report, "cron", day_of_week="mon-fri", id="c")',
    )
    assert findings(tmp_path, files, code="BGT030") == []


def test_unresolved_schedule_is_not_invalid(tmp_path: Path) -> None:
    files = aps(
        "import os",
        'scheduler.add_job(report, "interval", seconds=int(os.environ["EVERY"]), id="a")',
    )
    assert findings(tmp_path, files, code="BGT030") == []


# --------------------------------------------------------------------------- BGT031


def test_missing_id(tmp_path: Path) -> None:
    found = findings(
        tmp_path, aps('scheduler.add_job(report, "interval", minutes=5)'), code="BGT031"
    )
    assert len(found) == 1
    assert "app.jobs.report" in found[0].message and "id=" in found[0].message


def test_decorator_without_id(tmp_path: Path) -> None:
    code = APS_HEAD + '\n@scheduler.scheduled_job("cron", hour=1)\ndef nightly():\n    pass\n'
    assert len(findings(tmp_path, {"app/sched.py": code}, code="BGT031")) == 1


def test_explicit_id_is_silent(tmp_path: Path) -> None:
    files = aps('scheduler.add_job(report, "interval", minutes=5, id="report")')
    assert findings(tmp_path, files, code="BGT031") == []


def test_one_off_job_without_id_is_silent(tmp_path: Path) -> None:
    files = aps(
        "scheduler.add_job(report)", 'scheduler.add_job(report, "date", run_date="2030-01-01")'
    )
    assert findings(tmp_path, files, code="BGT031") == []


def test_locked_scheduler_derives_its_id(tmp_path: Path) -> None:
    code = """\
    from locked_scheduler import LockedScheduler
    from app.jobs import report

    scheduler = LockedScheduler(redis_url="redis://")
    scheduler.add_job(report, "interval", minutes=5)
    """
    files = {"app/__init__.py": "", "app/jobs.py": "def report():\n    pass\n", "app/s.py": code}
    assert findings(tmp_path, files, code="BGT031") == []


# --------------------------------------------------------------------------- BGT032

TASKS = """\
from celery import shared_task


@shared_task
def cleanup():
    pass


@shared_task(name="reports.nightly")
def nightly_report():
    pass
"""


def beat(task: str) -> str:
    return f"""\
from celery import Celery

app = Celery("app")
app.conf.beat_schedule = {{
    "entry": {{"task": "{task}", "schedule": 60}},
}}
"""


@pytest.mark.parametrize("task", ["app.tasks.cleanup", "reports.nightly", "celery.backend_cleanup"])
def test_known_tasks_are_silent(tmp_path: Path, task: str) -> None:
    files = {"app/__init__.py": "", "app/tasks.py": TASKS, "app/celery.py": beat(task)}
    assert findings(tmp_path, files, code="BGT032") == []


def test_unknown_task_with_suggestion(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/tasks.py": TASKS,
        "app/celery.py": beat("app.tasks.cleanpu"),
    }
    found = findings(tmp_path, files, code="BGT032")
    assert len(found) == 1
    assert "'app.tasks.cleanpu'" in found[0].message
    assert "did you mean 'app.tasks.cleanup'" in found[0].message


def test_default_name_is_not_the_explicit_name(tmp_path: Path) -> None:
    # A task declared with name= is registered under that name only.
    files = {
        "app/__init__.py": "",
        "app/tasks.py": TASKS,
        "app/celery.py": beat("app.tasks.nightly_reports"),
    }
    assert len(findings(tmp_path, files, code="BGT032")) == 1


def test_a_task_name_only_the_run_time_knows_may_be_the_one_named(tmp_path: Path) -> None:
    # SurfSense: `@celery_app.task(name=TASK_NAME)` with TASK_NAME from another module
    named_by_constant = TASKS + (
        "\n\nfrom app.names import SYNC_TASK\n\n\n@shared_task(name=SYNC_TASK)\n"
        "def sync():\n    pass\n"
    )
    files = {
        "app/__init__.py": "",
        "app/names.py": 'SYNC_TASK = "sources.sync"\n',
        "app/tasks.py": named_by_constant,
        "app/celery.py": beat("sources.sync"),
    }
    assert findings(tmp_path, files, code="BGT032") == []
    # with every name readable, an unknown one is still reported
    files["app/tasks.py"] = TASKS
    assert len(findings(tmp_path / "b", files, code="BGT032")) == 1


NESTED_TASK = """\
from celery import Celery


class TestBeat:
    def test_beat(self):
        @self.app.task
        def fn_task():
            return 42

        self.app.conf.beat_schedule = {"entry": {"task": TASK, "schedule": 60}}
"""


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        # Celery names a task `fun.__module__ + "." + fun.__name__`, wherever it is defined
        ("tests.test_beat.fn_task", 0),
        ("tests.test_beat.fn_tsak", 1),
    ],
)
def test_a_task_defined_inside_a_function_is_named_by_its_own_name(
    tmp_path: Path, task: str, expected: int
) -> None:
    files = {
        "tests/__init__.py": "",
        "tests/test_beat.py": NESTED_TASK.replace("TASK", repr(task)),
    }
    assert len(findings(tmp_path, files, code="BGT032")) == expected


SHADOWED_TASK = """\
from celery import Celery
from redis import Redis

app = Celery("svc")
redis = Redis()


def cleanup():
    with redis.lock("cleanup"):
        return 0


def register():
    @app.task
    def cleanup():
        return 1


app.conf.beat_schedule = {"nightly": {"task": "svc.tasks.cleanup", "schedule": 60}}
"""


def test_a_beat_entry_runs_the_registered_task_not_a_plain_function_of_its_name(
    tmp_path: Path,
) -> None:
    # The worker looks `svc.tasks.cleanup` up among registered tasks: the nested one,
    # which takes no lock, not the module's plain function of the same name, which does.
    files = {"svc/__init__.py": "", "svc/tasks.py": SHADOWED_TASK}
    (job,) = (r for r in records(tmp_path, files) if r["kind"] == "celery_beat")
    assert job["target"] == "svc.tasks.register.<locals>.cleanup"
    assert job["locked"] is False


def test_a_signature_names_its_own_task_object_not_a_registered_name(tmp_path: Path) -> None:
    # `cleanup.s()` is the module's task object, registered as "locked-cleanup"; the
    # nested task registered as `svc.tasks.cleanup` is another one.
    source = SHADOWED_TASK.replace(
        "def cleanup():\n    with", '@app.task(name="locked-cleanup")\ndef cleanup():\n    with'
    ).replace(
        'app.conf.beat_schedule = {"nightly": {"task": "svc.tasks.cleanup", "schedule": 60}}',
        "app.add_periodic_task(60.0, cleanup.s())",
    )
    files = {"svc/__init__.py": "", "svc/tasks.py": source}
    (job,) = (r for r in records(tmp_path, files) if r["kind"] == "celery_beat")
    assert job["target"] == "svc.tasks.cleanup"
    assert job["locked"] is True


def test_partial_tree_without_any_celery_code_is_silent(tmp_path: Path) -> None:
    settings = 'CELERY_BEAT_SCHEDULE = {"x": {"task": "somewhere.else", "schedule": 60}}\n'
    assert findings(tmp_path, {"settings.py": settings}, code="BGT032") == []


# --------------------------------------------------------------------------- BGT033


def pile(n: int, cron_minute: str = "0") -> dict[str, str]:
    lines = [
        f'scheduler.add_job(report, "cron", hour=3, minute={cron_minute!r}, id="j{i}")'
        for i in range(n)
    ]
    return aps(*lines)


def test_pileup_over_threshold(tmp_path: Path) -> None:
    found = findings(tmp_path, pile(6), code="BGT033")
    assert len(found) == 1
    f = found[0]
    assert f.location.line == 5
    assert len(f.related) == 5
    assert "6 jobs" in f.message and "03:00" in f.message and "stagger" in f.message


def test_at_threshold_is_silent(tmp_path: Path) -> None:
    assert findings(tmp_path, pile(5), code="BGT033") == []


def test_threshold_is_configurable(tmp_path: Path) -> None:
    config = Config(select=["ALL"], pileup_threshold=2)
    assert len(findings(tmp_path, pile(3), config=config, code="BGT033")) == 1


def test_staggered_jobs_are_silent(tmp_path: Path) -> None:
    lines = [
        f'scheduler.add_job(report, "cron", hour=3, minute={i * 5}, id="j{i}")' for i in range(8)
    ]
    assert findings(tmp_path, aps(*lines), code="BGT033") == []


def test_pileup_across_schedulers_and_files(tmp_path: Path) -> None:
    files = pile(3)
    files["app/celery.py"] = """\
    from celery import Celery
    from celery.schedules import crontab

    app = Celery("app")
    app.conf.beat_schedule = {
        "a": {"task": "app.jobs.report", "schedule": crontab(minute=0, hour=3)},
        "b": {"task": "app.jobs.report", "schedule": crontab(minute=0, hour=3)},
        "c": {"task": "app.jobs.report", "schedule": crontab(minute=0, hour=3)},
    }
    """
    found = findings(tmp_path, files, code="BGT033")
    assert len(found) == 1
    assert {r.file for r in found[0].related} == {"app/celery.py", "app/sched.py"}


def test_weekly_pileup(tmp_path: Path) -> None:
    lines = [
        f'scheduler.add_job(report, "cron", day_of_week="sun", hour=4, id="w{i}")' for i in range(6)
    ]
    found = findings(tmp_path, aps(*lines), code="BGT033")
    assert len(found) == 1 and "weekly on Sundays at 04:00 UTC" in found[0].message


def test_intervals_do_not_pile_up_at_the_arbitrary_anchor(tmp_path: Path) -> None:
    lines = [
        f'scheduler.add_job(report, "interval", minutes={m}, id="i{m}")'
        for m in (7, 11, 13, 17, 19, 23)
    ]
    assert findings(tmp_path, aps(*lines), code="BGT033") == []


def test_intervals_have_no_known_phase(tmp_path: Path) -> None:
    # Six 10-minute intervals fire together only if their schedulers started together:
    # a static reading cannot know, so they never make a pile-up.
    lines = [f'scheduler.add_job(report, "interval", minutes=10, id="i{i}")' for i in range(6)]
    assert findings(tmp_path, aps(*lines), code="BGT033") == []


def test_every_minute_jobs_are_not_a_pileup(tmp_path: Path) -> None:
    lines = [f'scheduler.add_job(report, "interval", seconds=30, id="s{i}")' for i in range(4)]
    lines += [f'scheduler.add_job(report, "cron", minute="*", id="m{i}")' for i in range(4)]
    assert findings(tmp_path, aps(*lines), code="BGT033") == []


def test_one_finding_per_first_job(tmp_path: Path) -> None:
    # The same six jobs pile up at 03:00 and at 04:00: one finding naming both times.
    lines = [
        f'scheduler.add_job(report, "cron", hour="3,4", minute=0, id="j{i}")' for i in range(6)
    ]
    found = findings(tmp_path, aps(*lines), code="BGT033")
    assert len(found) == 1 and "daily at 03:00 and 04:00 UTC" in found[0].message
