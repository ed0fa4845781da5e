"""BGT036 unknown-job-reference: a job referred to by an id no job is added with."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

HEAD = """\
from apscheduler.schedulers.background import BackgroundScheduler

def sync():
    ...

scheduler = BackgroundScheduler()
scheduler.add_job(sync, "interval", minutes=5, id="sync_series")
"""


def run(tmp_path: Path, body: str) -> list:
    return findings(tmp_path, {"sched.py": HEAD + body}, code="BGT036")


@pytest.mark.parametrize(
    ("call", "says"),
    [
        ('scheduler.modify_job("sync_episodes", max_instances=2)', "raises JobLookupError"),
        ('scheduler.reschedule_job("sync_episodes", trigger="cron", hour=1)', "JobLookupError"),
        ('scheduler.pause_job("sync_episodes")', "JobLookupError"),
        ('scheduler.resume_job(job_id="sync_episodes")', "JobLookupError"),
        ('scheduler.remove_job("sync_episodes")', "JobLookupError"),
        ('job = scheduler.get_job("sync_episodes")', "returns None"),
    ],
)
def test_unknown_ids_are_reported(tmp_path: Path, call: str, says: str) -> None:
    found = run(tmp_path, call + "\n")
    assert len(found) == 1
    assert "'sync_episodes'" in found[0].message and says in found[0].message
    assert found[0].location.line == 8


def test_close_match_is_suggested(tmp_path: Path) -> None:
    [found] = run(tmp_path, 'scheduler.pause_job("sync-series")\n')
    assert "did you mean 'sync_series'?" in found.message


@pytest.mark.parametrize(
    "body",
    [
        'scheduler.modify_job("sync_series", max_instances=2)',
        'SYNC = "sync_series"\nscheduler.pause_job(SYNC)',
        'scheduler.remove_job(f"sync-{name}")',  # an id known at run time
        # ids built at run time match
        'scheduler.add_job(sync, "interval", minutes=1, id=f"tenant-{t}")\n'
        'scheduler.remove_job("tenant-42")',
        'if scheduler.get_job("legacy"):\n    scheduler.remove_job("legacy")',
        'try:\n    scheduler.remove_job("legacy")\nexcept JobLookupError:\n    pass',
        # other objects' methods
        'cache.remove_job("legacy")',
        # an id that could be anything is added to this scheduler
        'scheduler.add_job(sync, "interval", minutes=1, id=job_id)\nscheduler.remove_job("legacy")',
        # a decorator declares the id
        '@scheduler.scheduled_job("cron", hour=1, id="nightly")\n'
        "def nightly():\n    ...\n"
        'scheduler.pause_job("nightly")',
    ],
)
def test_known_or_unknowable_ids_are_silent(tmp_path: Path, body: str) -> None:
    assert run(tmp_path, body + "\n") == []


def test_id_added_in_another_module_or_through_another_receiver(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/sched.py": HEAD,
        "app/setup.py": (
            'def register(s, func):\n    s.add_job(func, "cron", hour=2, id="nightly_report")\n'
        ),
        "app/api.py": (
            "from app.sched import scheduler\n"
            "def pause():\n"
            '    scheduler.pause_job("nightly_report")\n'
            '    scheduler.pause_job("sync_series")\n'
        ),
    }
    assert findings(tmp_path, files, code="BGT036") == []


def test_flask_apscheduler_jobs_config_declares_ids(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/config.py": (
            "class Config:\n"
            "    SCHEDULER_API_ENABLED = True\n"
            '    JOBS = [{"id": "job1", "func": "app.jobs:job1", "trigger": "interval"}]\n'
        ),
        "app/views.py": (
            "from app.ext import scheduler\n"
            "def pause():\n"
            '    scheduler.pause_job("job1")\n'
            '    scheduler.pause_job("job2")\n'
        ),
    }
    found = findings(tmp_path, files, code="BGT036")
    assert [f.location.line for f in found] == [4]
