"""BGT001/BGT002/BGT003 judge what runs: alternatives in exclusive branches, an override
under a flag, one declaration with several triggers, and a target's identity by definition."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings, project_of, records

APS_HEAD = """\
from apscheduler.schedulers.background import BackgroundScheduler

MODE = "rss"


def refresh(job_id):
    pass


s = BackgroundScheduler()
"""


def sched(body: str) -> dict[str, str]:
    return {"sched.py": APS_HEAD + body}


# ----------------------------------------------------------- exclusive branches

EXCLUSIVE = {
    "if-else": """\
if MODE == "spider":
    s.add_job(refresh, "cron", id="refresh", hour=1)
else:
    s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
""",
    "elif": """\
if MODE == "spider":
    s.add_job(refresh, "cron", id="refresh", hour=1)
elif MODE == "atom":
    s.add_job(refresh, "cron", id="refresh-atom", hour=2)
else:
    s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
""",
    "match": """\
match MODE:
    case "spider":
        s.add_job(refresh, "cron", id="refresh", hour=1)
    case _:
        s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
""",
    "try-except": """\
try:
    import feedparser
    s.add_job(refresh, "cron", id="refresh", hour=1)
except ImportError:
    s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
""",
    "except and else": """\
try:
    import feedparser
except ImportError:
    s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
else:
    s.add_job(refresh, "cron", id="refresh", hour=1)
""",
    "nested in a function": """\
def setup(spider):
    if spider:
        s.add_job(refresh, "cron", id="refresh", hour=1)
    else:
        s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
""",
}


@pytest.mark.parametrize("shape", sorted(EXCLUSIVE))
def test_alternatives_in_exclusive_branches_are_not_duplicates(tmp_path: Path, shape: str) -> None:
    body = EXCLUSIVE[shape]
    assert findings(tmp_path / "target", sched(body), code="BGT003") == []
    same_id = body.replace('"refresh-rss"', '"refresh"').replace('"refresh-atom"', '"refresh"')
    assert findings(tmp_path / "id", sched(same_id), code="BGT002") == []


def test_both_in_one_arm_still_fire(tmp_path: Path) -> None:
    body = """\
if MODE == "spider":
    s.add_job(refresh, "cron", id="refresh", hour=1)
    s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
else:
    pass
"""
    assert len(findings(tmp_path / "a", sched(body), code="BGT003")) == 1
    same_id = body.replace('"refresh-rss"', '"refresh"')
    assert len(findings(tmp_path / "b", sched(same_id), code="BGT002")) == 1


def test_unconditional_twice_still_fires(tmp_path: Path) -> None:
    body = """\
s.add_job(refresh, "cron", id="refresh", hour=1)
s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
"""
    assert len(findings(tmp_path, sched(body), code="BGT003")) == 1


def test_one_branch_and_one_outside_both_run(tmp_path: Path) -> None:
    """The `if` arm adds to what runs anyway: two entries (BGT003), or an id APScheduler
    refuses (ConflictingIdError without replace_existing: BGT002)."""
    body = """\
s.add_job(refresh, "cron", id="refresh", hour=1)
if MODE == "spider":
    s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
"""
    assert len(findings(tmp_path / "a", sched(body), code="BGT003")) == 1
    same_id = body.replace('"refresh-rss"', '"refresh"').replace(
        '(refresh, "interval"', '(print, "interval"'
    )
    assert len(findings(tmp_path / "b", sched(same_id), code="BGT002")) == 1


def test_separate_ifs_are_not_exclusive(tmp_path: Path) -> None:
    body = """\
if MODE == "spider":
    s.add_job(refresh, "cron", id="refresh", hour=1)
if MODE != "atom":
    s.add_job(refresh, "interval", id="refresh-rss", minutes=30)
"""
    assert len(findings(tmp_path, sched(body), code="BGT003")) == 1


def test_apscheduler_override_with_replace_existing(tmp_path: Path) -> None:
    body = """\
s.add_job(refresh, "cron", id="refresh", hour=1)
if MODE == "spider":
    s.add_job(print, "interval", id="refresh", minutes=5, replace_existing=True)
"""
    assert findings(tmp_path, sched(body), code="BGT002") == []


def test_alternative_schedulers_are_not_bgt001(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/jobs.py": "def cleanup_expired():\n    pass\n",
        "app/schedule.py": """\
            import os

            from apscheduler.schedulers.background import BackgroundScheduler
            from celery import Celery

            from app.jobs import cleanup_expired

            if os.environ.get("USE_CELERY"):
                app = Celery("app")
                app.conf.beat_schedule = {
                    "cleanup": {"task": "app.jobs.cleanup_expired", "schedule": 300.0},
                }
            else:
                scheduler = BackgroundScheduler()
                scheduler.add_job(cleanup_expired, "interval", minutes=5, id="cleanup")
            """,
    }
    assert findings(tmp_path / "a", files, code="BGT001") == []
    both = dict(files)
    both["app/schedule.py"] = files["app/schedule.py"].replace(
        "            else:\n", "            if True:\n"
    )
    assert len(findings(tmp_path / "b", both, code="BGT001")) == 2


# ----------------------------------------------------------- beat override under a flag

BEAT_DEFAULT = """\
import os

from celery import Celery
from celery.schedules import crontab

app = Celery("proj")


@app.task
def send_emails():
    ...


CELERY_BEAT_SCHEDULE = {
    "mass-emails-send": {"task": "proj.celery.send_emails", "schedule": crontab(minute=1)},
}
"""


def beat(more: str) -> dict[str, str]:
    return {"proj/__init__.py": "", "proj/celery.py": BEAT_DEFAULT + more}


def test_beat_override_under_a_flag_is_an_alternative(tmp_path: Path) -> None:
    more = """\
if os.environ.get("CONDENSE") == "1":
    CELERY_BEAT_SCHEDULE["mass-emails-send"] = {
        "task": "proj.celery.send_emails",
        "schedule": crontab(minute="1-59/5"),
    }
"""
    assert findings(tmp_path, beat(more), code="BGT002") == []


def test_beat_entry_redefined_unconditionally_still_fires(tmp_path: Path) -> None:
    more = """\
CELERY_BEAT_SCHEDULE["mass-emails-send"] = {
    "task": "proj.celery.send_emails",
    "schedule": crontab(minute="1-59/5"),
}
"""
    found = findings(tmp_path, beat(more), code="BGT002")
    assert [f.location.line for f in found] == [17]


def test_conditional_default_overwritten_unconditionally_still_fires(tmp_path: Path) -> None:
    """The later, unconditional entry always wins: the conditional one never runs."""
    source = """\
        import os

        from celery.schedules import crontab

        beat_schedule = {}
        if os.environ.get("CONDENSE"):
            beat_schedule["send"] = {"task": "proj.send", "schedule": crontab(minute="*/5")}
        beat_schedule["send"] = {"task": "proj.send", "schedule": crontab(minute=1)}
        """
    found = findings(tmp_path, {"proj/__init__.py": "", "proj/celery.py": source}, code="BGT002")
    assert [f.location.line for f in found] == [8]


# ----------------------------------------------------------- one declaration, several triggers

TASKIQ = """\
from taskiq import InMemoryBroker

broker = InMemoryBroker()


@broker.task({name}schedule=[{{"cron": "30 0 * * 1-5"}}, {{"cron": "0 4 * * 1-5"}}])
async def us_order_review() -> None:
    ...
"""


@pytest.mark.parametrize("name", ["", 'task_name="review", '])
def test_several_triggers_of_one_taskiq_task_are_one_job(tmp_path: Path, name: str) -> None:
    files = {"app/__init__.py": "", "app/tasks.py": TASKIQ.format(name=name)}
    assert findings(tmp_path, files, code="BGT003") == []
    assert findings(tmp_path, files, code="BGT002") == []
    found = records(tmp_path, {})
    # One record per trigger: `schedule` stays one schedule, at the one declaration.
    assert [(r["cron"], r["line"]) for r in found] == [("30 0 * * 1-5", 6), ("0 4 * * 1-5", 6)]


def test_taskiq_task_declared_twice_still_fires(tmp_path: Path) -> None:
    source = TASKIQ.format(name='task_name="review", ')
    source += source.split("broker = InMemoryBroker()\n", 1)[1].replace(
        "us_order_review", "eu_order_review"
    )
    files = {"app/__init__.py": "", "app/tasks.py": source}
    found = findings(tmp_path, files, code="BGT002")
    assert [(f.location.line, f.related[0].line) for f in found] == [(11, 6)]  # once


REGISTRY = """\
    SCHEDULED_TASKS = [
        {"task": "app.tasks.review", "schedule": [{"cron": "0 1 * * *"}, {"cron": "0 2 * * *"}]},
        {"task": "app.tasks.%s", "schedule": [{"cron": "0 3 * * *"}]},
    ]
    """


def test_taskiq_registry_lists_triggers_of_one_entry(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/schedule.py": REGISTRY % "digest"}
    assert findings(tmp_path / "a", files, code="BGT003") == []
    twice = {"app/__init__.py": "", "app/schedule.py": REGISTRY % "review"}
    found = findings(tmp_path / "b", twice, code="BGT003")
    # a second entry at 03:00 beside one at 01:00 and 02:00: the same days, other times
    assert [(f.location.line, f.related[0].line) for f in found] == [(3, 2)]
    assert "runs it again on the same days" in found[0].message
    at_one = {"app/__init__.py": "", "app/schedule.py": (REGISTRY % "review").replace("0 3", "0 1")}
    found = findings(tmp_path / "c", at_one, code="BGT003")
    assert [(f.location.line, f.severity) for f in found] == [(3, "warning")]


# ----------------------------------------------------------- identity is the definition

SAME_NAME = """\
from apscheduler.schedulers.asyncio import AsyncIOScheduler

scheduler = AsyncIOScheduler()


@scheduler.scheduled_job("cron", hour=3, minute=1, id="update-groups")
async def _():
    print("refresh group list")


@scheduler.scheduled_job("cron", hour=3, minute=1, id="update-friends")
async def _():
    print("refresh friend list")
"""


def test_two_functions_of_one_name_are_two_targets(tmp_path: Path) -> None:
    files = {"jobs.py": SAME_NAME}
    assert findings(tmp_path, files, code="BGT003") == []
    jobs = project_of(tmp_path, {}).jobs
    # Each job is linked to the function under its own decorator.
    assert [(lj.job.location.line, lj.definition.line) for lj in jobs] == [(6, 7), (11, 12)]


def test_one_function_scheduled_twice_still_fires(tmp_path: Path) -> None:
    source = SAME_NAME.replace(
        'async def _():\n    print("refresh group list")\n\n\n', ""
    )  # two decorators on one function
    assert len(findings(tmp_path, {"jobs.py": source}, code="BGT003")) == 1
