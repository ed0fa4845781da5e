"""BGT023 when a module-level call starts the scheduler: a constructor, a start-up function."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

CLASS = """\
from apscheduler.schedulers.{module} import {cls}


def cache_maintenance():
    ...


class Scheduler:
    def __init__(self):
        self.aps_scheduler = {cls}()
        self.aps_scheduler.add_job(cache_maintenance, "interval", hours=24, id="cache")
        {init_start}

    def run(self):
        self.aps_scheduler.start()

"""


def scheduler_class(init_start: str = "self.aps_scheduler.start()", blocking: bool = False) -> str:
    module, cls = (
        ("blocking", "BlockingScheduler") if blocking else ("background", "BackgroundScheduler")
    )
    return CLASS.format(module=module, cls=cls, init_start=init_start)


def test_constructor_that_starts_at_import(tmp_path: Path) -> None:
    source = scheduler_class() + "scheduler = Scheduler()\n"
    [found] = findings(tmp_path, {"app/__init__.py": "", "app/sched.py": source}, code="BGT023")
    assert found.location.line == 17
    assert "`Scheduler()` runs at import time" in found.message
    assert "Scheduler.__init__ calls start() at app/sched.py:12" in found.message


def test_function_called_at_import_in_another_module(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/sched.py": (
            "from apscheduler.schedulers.background import BackgroundScheduler\n"
            "scheduler = BackgroundScheduler()\n"
            "def start_scheduler():\n"
            "    scheduler.start()\n"
        ),
        "app/main.py": (
            "from app.sched import start_scheduler, scheduler\n"
            "def create_app():\n"
            "    start_scheduler()\n"
            "app = create_app()\n"
            "start_scheduler()\n"
            'scheduler.add_job(print, "interval", minutes=1, id="tick")\n'
        ),
    }
    found = findings(tmp_path, files, code="BGT023")
    # create_app() is two calls deep: only the direct call is followed
    assert [(f.location.file.rpartition("/")[2], f.location.line) for f in found] == [
        ("main.py", 5)
    ]


@pytest.mark.parametrize(
    "tail",
    [
        "scheduler = Scheduler()\n",  # with __init__ not starting (below)
        'if __name__ == "__main__":\n    Scheduler().run()\n',
        "def main():\n    Scheduler()\n",
    ],
)
def test_silent_when_nothing_starts_at_import(tmp_path: Path, tail: str) -> None:
    init_start = "pass" if tail.startswith("scheduler =") else "self.aps_scheduler.start()"
    source = scheduler_class(init_start) + tail
    assert findings(tmp_path, {"app/__init__.py": "", "app/sched.py": source}, code="BGT023") == []


def test_blocking_scheduler_in_a_clock_process_is_its_purpose(tmp_path: Path) -> None:
    source = scheduler_class(blocking=True) + "scheduler = Scheduler()\n"
    assert findings(tmp_path, {"app/__init__.py": "", "app/sched.py": source}, code="BGT023") == []
