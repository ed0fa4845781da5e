"""A job's target seen through no-op wrappers: `cast(T, f)`, `partial(f, ...)`, signatures;
the arguments a wrapper binds make another job (BGT003)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings, records

ARQ = """\
from typing import cast

from arq import cron
from arq.typing import WorkerCoroutine


async def prune_sessions(ctx): ...
async def promote_badges(ctx): ...


class WorkerSettings:
    cron_jobs = [
        cron(cast(WorkerCoroutine, prune_sessions), hour=3, minute=0, second=0),
        cron(cast("WorkerCoroutine", {second}), hour=5, minute=0, second=0),
    ]
"""


def test_cast_is_seen_through(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/worker.py": ARQ.format(second="promote_badges")}
    assert findings(tmp_path / "a", files, code="BGT003") == []
    assert [r["target"] for r in records(tmp_path / "a", {})] == [
        "app.worker.prune_sessions",
        "app.worker.promote_badges",
    ]
    twice = {"app/__init__.py": "", "app/worker.py": ARQ.format(second="prune_sessions")}
    assert len(findings(tmp_path / "b", twice, code="BGT003")) == 1


PARTIAL = """\
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler


def sync(source):
    pass


s = BackgroundScheduler()
s.add_job(partial(sync, "github"), "interval", minutes=5, id="sync-github")
s.add_job(partial(sync, {other}), "interval", minutes=5, id="sync-gitlab")
"""


def test_partial_with_other_arguments_is_another_job(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/sched.py": PARTIAL.format(other='"gitlab"')}
    assert findings(tmp_path / "a", files, code="BGT003") == []
    assert {r["target"] for r in records(tmp_path / "a", {})} == {"app.sched.sync"}
    same = {"app/__init__.py": "", "app/sched.py": PARTIAL.format(other='"github"')}
    assert len(findings(tmp_path / "b", same, code="BGT003")) == 1


SIGNATURES = """\
from celery import Celery

app = Celery("app")


@app.task
def add(x, y):
    return x + y


@app.on_after_configure.connect
def setup_periodic_tasks(sender, **kwargs):
    sender.add_periodic_task(10.0, add.s(1, 2), name="add-small")
    sender.add_periodic_task(10.0, add.s({args}), name="add-large")
"""


def test_celery_signature_arguments_tell_entries_apart(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/celery.py": SIGNATURES.format(args="100, 200")}
    assert findings(tmp_path / "a", files, code="BGT003") == []
    same = {"app/__init__.py": "", "app/celery.py": SIGNATURES.format(args="1, 2")}
    assert len(findings(tmp_path / "b", same, code="BGT003")) == 1


WRAPPED = """\
import typing
from functools import partial
from typing import Any, cast

from apscheduler.schedulers.background import BackgroundScheduler
from asgiref.sync import async_to_sync


def sync(source):
    pass


s = BackgroundScheduler()
s.add_job({wrapped}, "interval", minutes=5, id="sync")
"""


@pytest.mark.parametrize(
    "wrapped",
    [
        "typing.cast(Any, sync)",
        'cast("Callable[[], None]", sync)',
        "cast(Any, partial(sync, 1))",
        "partial(cast(Any, sync), source=1)",
        "async_to_sync(sync)",
    ],
)
def test_wrappers_are_seen_through(tmp_path: Path, wrapped: str) -> None:
    files = {"app/__init__.py": "", "app/sched.py": WRAPPED.format(wrapped=wrapped)}
    [record] = records(tmp_path, files)
    assert record["target"] == "app.sched.sync"


def test_an_unknown_call_is_not_seen_through(tmp_path: Path) -> None:
    """`make_job(sync)` may run anything: the target stays the factory, not `sync`."""
    files = {"app/__init__.py": "", "app/sched.py": WRAPPED.format(wrapped="make_job(sync)")}
    [record] = records(tmp_path, files)
    assert record["target"] == "app.sched.make_job"


def test_a_method_of_an_instance_built_in_place_is_its_class_method(tmp_path: Path) -> None:
    files = {
        "svc/__init__.py": "",
        "svc/service.py": """
            class BackgroundService:
                def __init__(self, app):
                    self.app = app

                def process_future_tasks(self):
                    return 1
            """,
        "svc/sched.py": """
            from apscheduler.schedulers.background import BackgroundScheduler
            from svc.service import BackgroundService

            scheduler = BackgroundScheduler()
            scheduler.add_job(BackgroundService(None).process_future_tasks, "interval", seconds=5)
            scheduler.add_job(make_service(None).process_future_tasks, "interval", seconds=5)
            """,
    }
    targets = [r["target"] for r in records(tmp_path, files)]
    # a class (capitalised) built for the job names its method; another call's result
    # (a factory that may return anything) stays as written
    assert targets == [
        "svc.service.BackgroundService.process_future_tasks",
        "make_service(None).process_future_tasks",
    ]
    messages = [f.message for f in findings(tmp_path, {}, code="BGT020")]
    assert not any("BackgroundService" in m and "not defined" in m for m in messages)
