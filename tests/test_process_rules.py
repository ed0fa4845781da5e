"""BGT022, BGT023 and BGT024 with the process model: what runs where, and how many times."""

from __future__ import annotations

import textwrap
from pathlib import Path

from helpers import findings

# ------------------------------------------------------------------------- BGT023

CONSTRUCTOR = """
    from apscheduler.schedulers.background import BackgroundScheduler


    def cache_maintenance():
        ...


    class Scheduler:
        def __init__(self):
            self.aps_scheduler = BackgroundScheduler()
            self.aps_scheduler.add_job(cache_maintenance, "interval", hours=24, id="cache")
            self.aps_scheduler.start()
    """


def test_a_scheduler_started_in_the_constructor_of_an_object_built_at_import(
    tmp_path: Path,
) -> None:
    code = textwrap.dedent(CONSTRUCTOR) + "\n\nscheduler = Scheduler()\n"
    files = {"app/__init__.py": "", "app/scheduler.py": code}
    found = findings(tmp_path, files, code="BGT023")
    assert len(found) == 1  # at the call (rules/import_time.py), not also at the start()
    assert (found[0].location.line, [r.line for r in found[0].related]) == (16, [13])


def test_a_constructor_nobody_calls_at_import_starts_nothing_at_import(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/scheduler.py": textwrap.dedent(CONSTRUCTOR)
        + "\n\ndef make():\n    return Scheduler()\n",
    }
    assert findings(tmp_path, files, code="BGT023") == []


def test_a_start_in_the_else_of_the_main_guard_runs_at_import(tmp_path: Path) -> None:
    main = """
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler()

        if __name__ == "__main__":
            print("run as a script")
        else:
            scheduler.start()
        """
    found = findings(tmp_path, {"app/__init__.py": "", "app/main.py": main}, code="BGT023")
    assert len(found) == 1 and found[0].location.line == 9


def test_a_start_in_the_body_of_the_main_guard_is_not_at_import(tmp_path: Path) -> None:
    main = """
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler()

        if __name__ == "__main__":
            scheduler.start()
        """
    assert findings(tmp_path, {"app/__init__.py": "", "app/main.py": main}, code="BGT023") == []


AT_IMPORT = """
    from apscheduler.schedulers.background import BackgroundScheduler
    from fastapi import FastAPI

    scheduler = BackgroundScheduler()
    scheduler.start()
    app = FastAPI()
    """


def test_bgt023_names_the_worker_count(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": AT_IMPORT,
        "Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-w", "3", "app.main:app"]\n',
    }
    found = findings(tmp_path, files, code="BGT023")
    assert len(found) == 1 and "imported in 3 processes: gunicorn -w 3 (" in found[0].message


def test_bgt023_is_silent_for_one_process(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": AT_IMPORT,
        "Dockerfile": 'FROM python:3.12\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n',
    }
    assert findings(tmp_path, files, code="BGT023") == []


# ------------------------------------------------------------------------- BGT022

LOOP_APP = """
    import asyncio
    from contextlib import asynccontextmanager

    from fastapi import FastAPI


    async def refresh_rates():
        while True:
            await asyncio.sleep(60)


    @asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(refresh_rates())
        yield
        task.cancel()


    app = FastAPI(lifespan=lifespan)
    """


def test_bgt022_names_the_process_count(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": LOOP_APP,
        "Procfile": "web: uvicorn app.main:app --workers 3\n",
        "app.json": '{"formation": {"web": {"quantity": 2}}}',
    }
    found = findings(tmp_path, files, code="BGT022")
    assert len(found) == 1
    assert "runs in 6 processes: 2 dynos (" in found[0].message
    assert "uvicorn --workers 3" in found[0].message


def test_bgt022_is_silent_for_one_process(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": LOOP_APP,
        "Procfile": "web: uvicorn app.main:app --workers 1\n",
        "app.json": '{"formation": {"web": {"quantity": 1}}}',
    }
    assert findings(tmp_path, files, code="BGT022") == []


def test_heroku_may_set_web_concurrency_for_a_server_without_workers(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": LOOP_APP,
        "Procfile": "web: uvicorn app.main:app\n",
        "app.json": '{"formation": {"web": {"quantity": 1}}}',
    }
    found = findings(tmp_path, files, code="BGT022")
    assert len(found) == 1
    assert "may run in several processes: uvicorn workers per WEB_CONCURRENCY" in found[0].message
    assert "Heroku" in found[0].message


def test_bgt022_without_a_deployment_says_the_count_is_not_stated(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/main.py": LOOP_APP}
    found = findings(tmp_path, files, code="BGT022")
    assert len(found) == 1 and found[0].severity == "info"
    assert "runs in every process that starts it" in found[0].message
    assert "not stated in this repository (no Dockerfile" in found[0].message


def test_bgt022_with_a_deployment_the_model_cannot_read_still_warns(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/main.py": LOOP_APP,
        "Dockerfile": 'FROM python:3.12\nCMD ["./start-the-app"]\n',
    }
    found = findings(tmp_path, files, code="BGT022")
    assert len(found) == 1 and found[0].severity == "warning"
    assert "could not be worked out: Dockerfile runs ./start-the-app" in found[0].message


# ------------------------------------------------------------------------- BGT024

SUPERVISORD = """\
[supervisord]
nodaemon=true

[program:gunicorn]
command=gunicorn app.wsgi

[program:celery-beat]
command=celery -A app beat
"""


def compose(replicas: int, command: str = '["supervisord", "-c", "/app/supervisord.conf"]') -> str:
    return (
        "services:\n  app:\n    image: example/app:1.0\n"
        f"    command: {command}\n    deploy:\n      replicas: {replicas}\n"
    )


def test_beat_as_a_supervisord_program_of_a_scaled_service(tmp_path: Path) -> None:
    files = {"docker-compose.yml": compose(3), "supervisord.conf": SUPERVISORD}
    found = findings(tmp_path, files, code="BGT024")
    assert len(found) == 1
    assert "supervisord program 'celery-beat'" in found[0].message
    assert "supervisord.conf:7" in found[0].message
    assert any(r.file.endswith("supervisord.conf") and r.line == 7 for r in found[0].related)


def test_supervisord_with_a_worker_only_is_no_beat(tmp_path: Path) -> None:
    conf = SUPERVISORD.replace("celery -A app beat", "celery -A app worker")
    files = {"docker-compose.yml": compose(3), "supervisord.conf": conf}
    assert findings(tmp_path, files, code="BGT024") == []


def test_a_beat_program_supervisord_does_not_start(tmp_path: Path) -> None:
    conf = SUPERVISORD + "autostart=false\n"
    files = {"docker-compose.yml": compose(3), "supervisord.conf": conf}
    assert findings(tmp_path, files, code="BGT024") == []


def test_beat_in_the_cmd_of_the_image_a_scaled_service_builds(tmp_path: Path) -> None:
    service = "services:\n  beat:\n    build: .\n    deploy:\n      replicas: 2\n"
    files = {
        "docker-compose.yml": service,
        "Dockerfile": 'FROM python:3.12\nCMD ["celery", "-A", "app", "beat"]\n',
    }
    found = findings(tmp_path, files, code="BGT024")
    assert len(found) == 1 and "the CMD of Dockerfile" in found[0].message


def test_beat_in_the_cmd_of_a_single_service_is_fine(tmp_path: Path) -> None:
    service = "services:\n  beat:\n    build: .\n"
    files = {
        "docker-compose.yml": service,
        "Dockerfile": 'FROM python:3.12\nCMD ["celery", "-A", "app", "beat"]\n',
    }
    assert findings(tmp_path, files, code="BGT024") == []


def test_beat_at_the_end_of_an_entrypoint_script(tmp_path: Path) -> None:
    script = "#!/bin/sh\nset -e\npython manage.py migrate\nexec celery -A app beat -l info\n"
    files = {
        "docker-compose.yml": compose(2, '["/app/start-beat.sh"]'),
        "start-beat.sh": script,
    }
    found = findings(tmp_path, files, code="BGT024")
    assert len(found) == 1 and "start-beat.sh:4" in found[0].message
