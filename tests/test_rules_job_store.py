"""BGT025 persistent-store-re-adds-job, and what BGT031 says depending on the job store."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

HEAD = """\
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from django_apscheduler.jobstores import DjangoJobStore

def sync():
    ...

"""


def run(tmp_path: Path, body: str, code: str = "BGT025") -> list:
    return findings(tmp_path, {"sched.py": HEAD + body}, code=code)


PERSISTENT_SCHEDULERS = [
    "scheduler = BackgroundScheduler(jobstores={'default': SQLAlchemyJobStore(url='x')})",
    'STORES = {"default": RedisJobStore()}\nscheduler = BackgroundScheduler(jobstores=STORES)',
    "scheduler = BackgroundScheduler()\nscheduler.add_jobstore(DjangoJobStore(), 'default')",
    'scheduler = BackgroundScheduler()\nscheduler.add_jobstore("sqlalchemy", url="sqlite://")',
    "scheduler = BackgroundScheduler()\nscheduler.configure(jobstores={'x': RedisJobStore()})",
    'scheduler = BackgroundScheduler({"apscheduler.jobstores.default": {"type": "mongodb"}})',
]


@pytest.mark.parametrize("build", PERSISTENT_SCHEDULERS)
def test_id_without_replace_existing_fails_at_the_second_start(tmp_path: Path, build: str) -> None:
    store = ', jobstore="x"' if "{'x':" in build else ""
    job = f'scheduler.add_job(sync, "interval", minutes=5, id="sync"{store})'
    found = run(tmp_path, build + "\n" + job + "\n")
    assert len(found) == 1
    assert found[0].severity == "error"
    assert "ConflictingIdError" in found[0].message and "replace_existing=True" in found[0].message


@pytest.mark.parametrize("build", PERSISTENT_SCHEDULERS[:2])
def test_no_id_adds_a_copy_per_restart(tmp_path: Path, build: str) -> None:
    body = build + '\nscheduler.add_job(sync, "interval", minutes=5)\n'
    body += '\n@scheduler.scheduled_job("cron", hour=3)\ndef nightly():\n    ...\n'
    found = run(tmp_path, body)
    assert len(found) == 2
    assert all("one more copy" in f.message for f in found)
    # BGT031 does not say it a second time
    assert run(tmp_path, body, code="BGT031") == []


@pytest.mark.parametrize(
    "job",
    [
        'scheduler.add_job(sync, "interval", minutes=5, id="sync", replace_existing=True)',
        'if not scheduler.get_job("sync"):\n    scheduler.add_job(sync, "cron", hour=1, id="sync")',
        'try:\n    scheduler.add_job(sync, "cron", hour=1, id="sync")\n'
        "except ConflictingIdError:\n    pass",
        'scheduler.add_job(sync, "interval", minutes=5, id=f"sync-{tenant}")',  # built at run time
        'scheduler.add_job(sync, "date", run_date="2030-01-01", id="once")',  # one-off
        'scheduler.add_job(sync, "interval", minutes=5, id="sync", jobstore="mem")',
        'scheduler.add_job(sync, "interval", minutes=5, id="sync", replace_existing=REPLACE)',
        'scheduler.add_job(sync, "interval", minutes=5, **options)',
        '@scheduler.scheduled_job("cron", hour=3, id="nightly")\ndef nightly():\n    ...',
    ],
)
def test_safe_additions_to_a_persistent_store(tmp_path: Path, job: str) -> None:
    build = (
        'scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url="x"), '
        '"mem": MemoryJobStore()})'
    )
    assert run(tmp_path, build + "\n" + job + "\n") == []


@pytest.mark.parametrize(
    "build",
    [
        "scheduler = BackgroundScheduler()",
        'scheduler = BackgroundScheduler(jobstores={"default": MemoryJobStore()})',
        'scheduler = BackgroundScheduler(jobstores={"default": {"type": "memory"}})',
    ],
)
def test_memory_store_is_silent_and_bgt031_says_less(tmp_path: Path, build: str) -> None:
    body = build + '\nscheduler.add_job(sync, "interval", minutes=5, id="sync")\n'
    body += 'scheduler.add_job(sync, "interval", minutes=6)\n'
    assert run(tmp_path, body) == []
    [missing] = run(tmp_path, body, code="BGT031")
    assert missing.severity == "info"
    assert "persistent" not in missing.message and "copy" not in missing.message


def test_unknown_store_is_silent_and_bgt031_says_what_it_would_do(tmp_path: Path) -> None:
    body = "from app.config import STORES\n"
    body += "scheduler = BackgroundScheduler(jobstores=STORES)\n"
    body += 'scheduler.add_job(sync, "interval", minutes=5, id="sync")\n'
    body += 'scheduler.add_job(sync, "interval", minutes=6)\n'
    assert run(tmp_path, body) == []
    [missing] = run(tmp_path, body, code="BGT031")
    assert missing.severity == "info"
    assert "if its job store is persistent, each restart also adds a copy" in missing.message


def test_store_configured_in_another_module(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/sched.py": HEAD + "scheduler = BackgroundScheduler()\n",
        "app/stores.py": (
            "from apscheduler.jobstores.redis import RedisJobStore\n"
            "from app.sched import scheduler\n"
            "scheduler.add_jobstore(RedisJobStore())\n"
        ),
        "app/jobs.py": (
            "from app.sched import scheduler, sync\n"
            'scheduler.add_job(sync, "cron", hour=3, id="nightly")\n'
        ),
    }
    found = findings(tmp_path, files, code="BGT025")
    assert len(found) == 1 and found[0].location.file.endswith("app/jobs.py")
    assert "RedisJobStore" in found[0].message


def test_flask_apscheduler_config(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/config.py": (
            "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\n"
            "class Config:\n"
            '    SCHEDULER_JOBSTORES = {"default": SQLAlchemyJobStore(url="sqlite://")}\n'
        ),
        "app/tasks.py": (
            "from flask_apscheduler import APScheduler\n"
            "scheduler = APScheduler()\n"
            "def sync():\n    ...\n"
            'scheduler.add_job("sync", sync, trigger="interval", minutes=5)\n'
        ),
    }
    found = findings(tmp_path, files, code="BGT025")
    assert len(found) == 1 and "'sync'" in found[0].message
