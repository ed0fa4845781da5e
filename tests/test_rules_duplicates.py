"""BGT001 duplicate-across-schedulers, BGT002 duplicate-job-id, BGT003 duplicate-schedule-entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

from check_background_tasks.rules.duplicates import normalize_name

JOBS = """\
def cleanup_expired_data_job():
    pass


def send_report():
    pass
"""

APS = """\
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from app.jobs import cleanup_expired_data_job

scheduler = AsyncIOScheduler()
scheduler.add_job(cleanup_expired_data_job, "interval", minutes=5, id="cleanup")
"""

BEAT = """\
from celery import Celery

app = Celery("app")
app.conf.beat_schedule = {
    "cleanup": {"task": "app.jobs.cleanup_expired_data_job", "schedule": 300.0},
}
"""


def cronjob(command: str, name: str = "nightly", namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}{ns}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: main
              image: app:1
              command: {command}
"""


def base(**more: str) -> dict[str, str]:
    return {"app/__init__.py": "", "app/jobs.py": JOBS, **more}


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        "cleanup-expired",
        "cleanup_expired",
        "cleanup_expired_job",
        "CleanupExpired",
        "cleanup_expired_task",
        "CLEANUP_EXPIRED",
    ],
)
def test_normalized_names_agree(name: str) -> None:
    assert normalize_name(name) == "cleanup_expired"


@pytest.mark.parametrize("name", ["run", "main", "job", "x", "<templated>", None, "task"])
def test_generic_names_never_match(name: str | None) -> None:
    assert normalize_name(name) is None


# --------------------------------------------------------------------------- BGT001


def test_same_target_in_apscheduler_and_beat_cross_file(tmp_path: Path) -> None:
    found = findings(tmp_path, base(**{"app/sched.py": APS, "app/celery.py": BEAT}), code="BGT001")
    assert [(f.location.file, f.location.line) for f in found] == [
        ("app/celery.py", 5),
        ("app/sched.py", 5),
    ]
    for f in found:
        assert "APScheduler" in f.message and "Celery beat" in f.message
        assert "same target" in f.message
        assert len(f.related) == 1
    assert found[0].related[0] == found[1].location


def test_beat_task_object_reference_matches(tmp_path: Path) -> None:
    beat = """\
    from celery import Celery
    from app.jobs import cleanup_expired_data_job

    app = Celery("app")
    app.conf.beat_schedule = {
        "x": {"task": cleanup_expired_data_job.name, "schedule": 60},
    }
    """
    found = findings(tmp_path, base(**{"app/sched.py": APS, "app/celery.py": beat}), code="BGT001")
    assert len(found) == 2


@pytest.mark.parametrize(
    "command",
    [
        '["python", "-m", "app.jobs"]',
        '["python3", "-u", "app/jobs.py"]',
        '["/usr/local/bin/python", "/srv/app/jobs.py"]',
        '["python", "-c", "from app.jobs import cleanup_expired_data_job; '
        'cleanup_expired_data_job()"]',
        '["python", "-c", "import app.jobs; app.jobs.cleanup_expired_data_job()"]',
        '["sh", "-c", "cd /srv && python -m app.jobs --once"]',
    ],
)
def test_cronjob_running_the_module(tmp_path: Path, command: str) -> None:
    files = base(**{"app/sched.py": APS, "k8s/cron.yaml": cronjob(command)})
    found = findings(tmp_path, files, code="BGT001")
    assert {f.location.file for f in found} == {"app/sched.py", "k8s/cron.yaml"}
    cron = next(f for f in found if f.location.file == "k8s/cron.yaml")
    assert "Kubernetes CronJob" in cron.message and "APScheduler" in cron.message


def test_cronjob_running_another_module_is_silent(tmp_path: Path) -> None:
    files = base(
        **{
            "app/other.py": "def main():\n    pass\n",
            "app/sched.py": APS,
            "k8s/cron.yaml": cronjob('["python", "-m", "app.other"]'),
        }
    )
    assert findings(tmp_path, files, code="BGT001") == []


def test_cronjob_importing_another_function_is_silent(tmp_path: Path) -> None:
    files = base(
        **{
            "app/sched.py": APS,
            "k8s/cron.yaml": cronjob('["python", "-c", "from app.jobs import send_report"]'),
        }
    )
    assert findings(tmp_path, files, code="BGT001") == []


def test_same_normalized_name(tmp_path: Path) -> None:
    files = base(
        **{
            "app/sched.py": APS,
            "k8s/cron.yaml": cronjob('["./bin/cleanup"]', name="cleanup-expired-data"),
        }
    )
    found = findings(tmp_path, files, code="BGT001")
    assert len(found) == 2
    assert all("same name" in f.message for f in found)


def test_locked_scheduler_counts_as_apscheduler(tmp_path: Path) -> None:
    sched = """\
    from locked_scheduler import LockedScheduler
    from app.jobs import cleanup_expired_data_job

    scheduler = LockedScheduler(redis_url="redis://")
    scheduler.add_job(cleanup_expired_data_job, "interval", minutes=5, id="cleanup")
    """
    found = findings(
        tmp_path, base(**{"app/sched.py": sched, "app/celery.py": BEAT}), code="BGT001"
    )
    assert len(found) == 2
    assert "APScheduler" in found[1].message


def test_startup_loop_and_apscheduler(tmp_path: Path) -> None:
    loop = """\
    import asyncio
    from app.jobs import cleanup_expired_data_job

    async def cleanup_expired_data_loop():
        while True:
            cleanup_expired_data_job()
            await asyncio.sleep(300)

    async def startup():
        app.state.task = asyncio.create_task(cleanup_expired_data_loop())
    """
    found = findings(tmp_path, base(**{"app/sched.py": APS, "app/main.py": loop}), code="BGT001")
    assert {f.location.file for f in found} == {"app/sched.py", "app/main.py"}
    assert any("start-up loop" in f.message for f in found)


def test_one_scheduler_only_is_silent(tmp_path: Path) -> None:
    beat = BEAT.replace("cleanup_expired_data_job", "send_report").replace('"cleanup"', '"r"')
    files = base(**{"app/sched.py": APS, "app/celery.py": beat})
    assert findings(tmp_path, files, code="BGT001") == []


def test_one_off_job_does_not_count(tmp_path: Path) -> None:
    aps = APS.replace('"interval", minutes=5', '"date", run_date="2030-01-01"')
    files = base(**{"app/sched.py": aps, "app/celery.py": BEAT})
    assert findings(tmp_path, files, code="BGT001") == []


# --------------------------------------------------------------------------- BGT002


def test_duplicate_apscheduler_id(tmp_path: Path) -> None:
    aps = APS + 'scheduler.add_job(send_report, "cron", hour=1, id="cleanup")\n'
    aps = aps.replace(
        "import cleanup_expired_data_job", "import cleanup_expired_data_job, send_report"
    )
    found = findings(tmp_path, base(**{"app/sched.py": aps}), code="BGT002")
    assert len(found) == 1
    assert found[0].location.line == 6
    assert "'cleanup'" in found[0].message and "app/sched.py:5" in found[0].message
    assert found[0].related == ((found[0].related[0]),) and found[0].related[0].line == 5


def test_duplicate_beat_key_across_files(tmp_path: Path) -> None:
    other = """\
    from celery import Celery

    app = Celery("app")
    app.conf.beat_schedule["cleanup"] = {"task": "app.jobs.send_report", "schedule": 60}
    """
    files = base(**{"app/celery.py": BEAT, "app/more.py": other})
    found = findings(tmp_path, files, code="BGT002")
    assert [(f.location.file, f.location.line) for f in found] == [("app/more.py", 4)]
    assert "Celery beat entry 'cleanup'" in found[0].message


def test_distinct_ids_are_silent(tmp_path: Path) -> None:
    aps = APS + 'scheduler.add_job(cleanup_expired_data_job, "cron", hour=1, id="other")\n'
    assert findings(tmp_path, base(**{"app/sched.py": aps}), code="BGT002") == []


def test_cronjob_same_name_same_namespace(tmp_path: Path) -> None:
    files = {
        "k8s/a.yaml": cronjob('["true"]', name="report", namespace="prod"),
        "k8s/b.yaml": cronjob('["false"]', name="report", namespace="prod"),
    }
    found = findings(tmp_path, files, code="BGT002")
    assert len(found) == 1
    assert "CronJob 'report' in namespace 'prod'" in found[0].message


def test_cronjob_copies_in_sibling_directories_are_environments(tmp_path: Path) -> None:
    # one name in two directories is taken for two places it is deployed (clusters,
    # environments): the tool cannot know they meet, so it says nothing
    files = {
        "k8s/a.yaml": cronjob('["true"]', name="report", namespace="prod"),
        "deploy/b.yaml": cronjob('["false"]', name="report", namespace="prod"),
    }
    assert findings(tmp_path, files, code="BGT002") == []


def test_cronjob_same_name_other_namespace_is_silent(tmp_path: Path) -> None:
    files = {
        "k8s/a.yaml": cronjob('["true"]', name="report", namespace="prod"),
        "k8s/b.yaml": cronjob('["true"]', name="report", namespace="staging"),
    }
    assert findings(tmp_path, files, code="BGT002") == []


def test_cronjob_without_namespace_only_same_directory(tmp_path: Path) -> None:
    overlays = {
        "overlays/prod/cron.yaml": cronjob('["true"]', name="report"),
        "overlays/staging/cron.yaml": cronjob('["true"]', name="report"),
    }
    assert findings(tmp_path, overlays, code="BGT002") == []
    same_dir = {
        "k8s/a.yaml": cronjob('["true"]', name="report"),
        "k8s/b.yaml": cronjob('["true"]', name="report"),
    }
    assert len(findings(tmp_path / "x", same_dir, code="BGT002")) == 1


# --------------------------------------------------------------------------- BGT003


def test_same_target_twice_in_one_scheduler(tmp_path: Path) -> None:
    aps = APS + 'scheduler.add_job(cleanup_expired_data_job, "cron", hour=1, id="nightly")\n'
    found = findings(tmp_path, base(**{"app/sched.py": aps}), code="BGT003")
    assert len(found) == 1
    assert found[0].location.line == 6
    assert "app.jobs.cleanup_expired_data_job" in found[0].message
    assert found[0].related[0].line == 5


def test_same_target_twice_across_files_same_scheduler_kind(tmp_path: Path) -> None:
    beat2 = BEAT.replace('"cleanup"', '"cleanup-again"')
    files = base(**{"app/celery.py": BEAT, "app/settings.py": beat2})
    found = findings(tmp_path, files, code="BGT003")
    assert [(f.location.file, f.location.line) for f in found] == [("app/settings.py", 5)]


def test_different_targets_are_silent(tmp_path: Path) -> None:
    aps = APS.replace(
        "import cleanup_expired_data_job", "import cleanup_expired_data_job, send_report"
    )
    aps += 'scheduler.add_job(send_report, "cron", hour=1, id="report")\n'
    assert findings(tmp_path, base(**{"app/sched.py": aps}), code="BGT003") == []


def test_same_id_twice_is_bgt002_not_bgt003(tmp_path: Path) -> None:
    aps = APS + 'scheduler.add_job(cleanup_expired_data_job, "cron", hour=1, id="cleanup")\n'
    files = base(**{"app/sched.py": aps})
    assert findings(tmp_path, files, code="BGT003") == []
    assert len(findings(tmp_path, files, code="BGT002")) == 1


def test_cronjob_calling_the_celery_task(tmp_path: Path) -> None:
    command = '["celery", "-A", "app.celery", "call", "app.jobs.cleanup_expired_data_job"]'
    files = base(**{"app/sched.py": APS, "k8s/cron.yaml": cronjob(command)})
    found = findings(tmp_path, files, code="BGT001")
    assert {f.location.file for f in found} == {"app/sched.py", "k8s/cron.yaml"}
    assert all("CronJob runs the function" in f.message for f in found)
