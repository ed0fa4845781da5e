"""BGT026 shared-lock-name: two periodic jobs that take the same lock."""

from __future__ import annotations

from pathlib import Path

from helpers import findings

HUEY = """\
from huey import RedisHuey, crontab

huey = RedisHuey("app")


@huey.periodic_task(crontab(hour="*/1", minute="0"))
@huey.lock_task("{first}")
def populate_ferries():
    ...


@huey.periodic_task(crontab(hour="0", minute="5", day_of_week="0"))
@huey.lock_task("{second}")
def populate_coastal_ferries():
    ...
"""


def test_huey_tasks_sharing_a_lock(tmp_path: Path) -> None:
    files = {"tasks.py": HUEY.format(first="ferries-lock", second="ferries-lock")}
    [found] = findings(tmp_path, files, code="BGT026")
    assert found.location.line == 6
    assert "'ferries-lock'" in found.message
    assert "populate_ferries" in found.message and "populate_coastal_ferries" in found.message
    assert [r.line for r in found.related] == [12]


def test_distinct_lock_names_are_silent(tmp_path: Path) -> None:
    files = {"tasks.py": HUEY.format(first="ferries-lock", second="coastal-ferries-lock")}
    assert findings(tmp_path, files, code="BGT026") == []


APS = """\
import redis
from apscheduler.schedulers.background import BackgroundScheduler

r = redis.Redis()


def cleanup():
    with r.lock("{first}", timeout=60):
        ...


def report():
    with r.lock("{second}", timeout=60):
        ...


scheduler = BackgroundScheduler()
scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
scheduler.add_job(report, "cron", hour=1, id="report")
scheduler.add_job(cleanup, "cron", hour=3, id="cleanup-nightly")
"""


def test_redis_locks_across_schedulers_and_definitions(tmp_path: Path) -> None:
    files = {"sched.py": APS.format(first="jobs", second="jobs")}
    [found] = findings(tmp_path, files, code="BGT026")
    assert "'cleanup'" in found.message and "'report'" in found.message


def test_one_function_scheduled_twice_is_not_two_jobs_sharing(tmp_path: Path) -> None:
    files = {"sched.py": APS.format(first="jobs", second="report")}
    assert findings(tmp_path, files, code="BGT026") == []


def test_lock_names_built_at_run_time_are_silent(tmp_path: Path) -> None:
    source = APS.format(first="jobs", second="jobs").replace('r.lock("jobs"', 'r.lock(f"{n}"')
    assert findings(tmp_path, {"sched.py": source}, code="BGT026") == []
