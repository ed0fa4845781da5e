"""BGT020 unlocked-periodic-job, BGT023 scheduler-started-at-import."""

from __future__ import annotations

from pathlib import Path

from helpers import findings

from check_background_tasks.config import Config

SCHED = """\
from apscheduler.schedulers.background import BackgroundScheduler
from app.jobs import cleanup_expired_data_job

scheduler = BackgroundScheduler()
scheduler.add_job(cleanup_expired_data_job, "interval", minutes=5, id="cleanup-expired")
"""

UNLOCKED = """\
def cleanup_expired_data_job():
    pass
"""

LOCKED_DECORATOR = """\
from app.locks import with_redis_lock


@with_redis_lock("cleanup")
def cleanup_expired_data_job():
    pass
"""

LOCKED_WITH = """\
import redis

r = redis.Redis()


def cleanup_expired_data_job():
    with r.lock("cleanup-expired", timeout=600):
        pass
"""


def tree(jobs: str, sched: str = SCHED) -> dict[str, str]:
    return {"app/__init__.py": "", "app/jobs.py": jobs, "app/scheduler.py": sched}


# --------------------------------------------------------------------------- BGT020


def test_unlocked_job_defined_in_another_file(tmp_path: Path) -> None:
    found = findings(tmp_path, tree(UNLOCKED), code="BGT020")
    assert len(found) == 1
    f = found[0]
    assert (f.location.file, f.location.line) == ("app/scheduler.py", 5)
    assert "'cleanup-expired'" in f.message and "cleanup_expired_data_job" in f.message
    assert "locked_scheduler" in f.message
    # no Dockerfile, compose file, Procfile or Kubernetes workload: the count is not stated
    assert "not stated in this repository" in f.message and "every replica" not in f.message
    assert f.severity == "info"


def test_lock_decorator_in_another_file_is_silent(tmp_path: Path) -> None:
    assert findings(tmp_path, tree(LOCKED_DECORATOR), code="BGT020") == []


def test_with_redis_lock_is_silent(tmp_path: Path) -> None:
    assert findings(tmp_path, tree(LOCKED_WITH), code="BGT020") == []


LOCKED_ON_A_FRESH_CLIENT = """\
from redis import Redis


def cleanup_expired_data_job():
    with Redis.from_url("redis://cache").lock("cleanup-expired", timeout=600):
        pass
"""


def test_lock_taken_on_a_client_made_in_place_is_silent(tmp_path: Path) -> None:
    assert findings(tmp_path, tree(LOCKED_ON_A_FRESH_CLIENT), code="BGT020") == []


def test_process_local_lock_made_in_place_still_fires(tmp_path: Path) -> None:
    # A Manager's lock guards the processes of one replica, not the replicas.
    local = LOCKED_ON_A_FRESH_CLIENT.replace("from redis import Redis", "import multiprocessing")
    made_in_place = 'Redis.from_url("redis://cache").lock('
    local = local.replace(made_in_place, "multiprocessing.Manager().Lock(")
    assert len(findings(tmp_path, tree(local), code="BGT020")) == 1


def test_configured_lock_decorator(tmp_path: Path) -> None:
    jobs = (
        "from app.util import exclusive\n\n@exclusive\ndef cleanup_expired_data_job():\n    pass\n"
    )
    assert len(findings(tmp_path, tree(jobs), code="BGT020")) == 1
    config = Config(select=["ALL"], lock_decorators=["exclusive"])
    assert findings(tmp_path, tree(jobs), config=config, code="BGT020") == []


def test_locked_scheduler_is_locked(tmp_path: Path) -> None:
    sched = """\
    from locked_scheduler import LockedScheduler
    from app.jobs import cleanup_expired_data_job

    scheduler = LockedScheduler(redis_url="redis://redis:6379/0")
    scheduler.add_job(cleanup_expired_data_job, "interval", minutes=5, id="cleanup-expired")
    """
    assert findings(tmp_path, tree(UNLOCKED, sched), code="BGT020") == []


def test_decorated_scheduled_job_unlocked(tmp_path: Path) -> None:
    sched = """\
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler()

    @scheduler.scheduled_job("cron", hour=3, id="nightly")
    async def nightly():
        pass
    """
    found = findings(tmp_path, {"app/scheduler.py": sched}, code="BGT020")
    assert len(found) == 1 and "'nightly'" in found[0].message


def test_one_off_date_job_is_silent(tmp_path: Path) -> None:
    sched = SCHED.replace('"interval", minutes=5', '"date", run_date="2030-01-01"')
    assert findings(tmp_path, tree(UNLOCKED, sched), code="BGT020") == []


def test_celery_beat_entries_are_not_bgt020(tmp_path: Path) -> None:
    beat = """\
    from celery import Celery

    app = Celery("app")
    app.conf.beat_schedule = {"x": {"task": "app.jobs.cleanup_expired_data_job", "schedule": 60}}
    """
    assert findings(tmp_path, tree(UNLOCKED, beat), code="BGT020") == []


# --------------------------------------------------------------------------- BGT023


def test_start_at_import(tmp_path: Path) -> None:
    sched = SCHED + "scheduler.start()\n"
    found = findings(tmp_path, tree(UNLOCKED, sched), code="BGT023")
    assert len(found) == 1
    assert (found[0].location.file, found[0].location.line) == ("app/scheduler.py", 6)
    assert "`scheduler`" in found[0].message and "lifespan" in found[0].message


def test_start_of_imported_scheduler_at_import(tmp_path: Path) -> None:
    main = "from app.scheduler import scheduler\n\nscheduler.start()\n"
    files = {**tree(UNLOCKED), "app/main.py": main}
    found = findings(tmp_path, files, code="BGT023")
    assert [(f.location.file, f.location.line) for f in found] == [("app/main.py", 3)]


def test_start_inside_startup_hook_is_silent(tmp_path: Path) -> None:
    sched = SCHED + "\n\nasync def lifespan(app):\n    scheduler.start()\n    yield\n"
    assert findings(tmp_path, tree(UNLOCKED, sched), code="BGT023") == []


def test_start_of_something_else_is_silent(tmp_path: Path) -> None:
    other = "import threading\n\nworker = threading.Thread(target=print)\nworker.start()\n"
    assert findings(tmp_path, {"app/worker.py": other}, code="BGT023") == []
