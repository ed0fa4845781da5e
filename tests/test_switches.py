"""Configuration switches (extract/switches.py, deploy/switches.py) and what BGT020 / BGT022
/ BGT023 say of a start that runs only where one holds; and what they say when the
repository holds no process definition at all.

Every construct has a positive case and a near miss.
"""

from __future__ import annotations

from pathlib import Path

from helpers import findings, records
from test_extract_switches import GUARDED

# ------------------------------------------------------------------ BGT020


FACTORY = """
    from flask import Flask

    from app.jobs import start_if_appropriate


    def create_app():
        app = Flask(__name__)
        start_if_appropriate(app)
        return app


    app = create_app()
    """


def guarded_tree(**more: str) -> dict[str, str]:
    return {
        "app/__init__.py": "",
        "app/jobs.py": GUARDED,
        "app/factory.py": FACTORY,
        "wsgi.py": "from app.factory import app\n",
        **more,
    }


def gunicorn_compose(*services: tuple[str, int, str | None]) -> str:
    lines = ["services:"]
    for name, workers, value in services:
        lines += [
            f"  {name}:",
            "    build: .",
            f'    command: ["gunicorn", "-w", "{workers}", "wsgi:app"]',
        ]
        if value is not None:
            lines += ["    environment:", f'      RUN_SCHEDULER: "{value}"']
    return "\n".join(lines) + "\n"


DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /srv\nCOPY . /srv\n"


def test_a_scheduler_started_only_where_a_switch_is_set_is_info(tmp_path: Path) -> None:
    found = findings(tmp_path, guarded_tree(), code="BGT020")
    assert len(found) == 1 and found[0].severity == "info"
    message = found[0].message
    assert "started only where `RUN_SCHEDULER` is set (`should_start(app)`, app/jobs.py:14)" in (
        message
    )
    assert "make sure exactly one process sets it" in message
    assert (found[0].location.file, found[0].location.line) == ("app/jobs.py", 22)


def test_a_guard_that_reads_no_configuration_keeps_the_warning(tmp_path: Path) -> None:
    jobs = GUARDED.replace("if not should_start(app):", "if not app.extensions:")
    files = guarded_tree(**{"app/jobs.py": jobs, "Dockerfile": DOCKERFILE + 'CMD ["./boot"]\n'})
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "warning"
    assert "started only where" not in found[0].message


def test_an_unknown_count_with_an_unseen_switch_stays_info(tmp_path: Path) -> None:
    """Four workers, but whether they set the switch is the deployment's choice."""
    files = guarded_tree(
        Dockerfile=DOCKERFILE, **{"docker-compose.yml": gunicorn_compose(("web", 4, None))}
    )
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "info"
    assert "started only where `RUN_SCHEDULER` is set" in found[0].message


def test_a_switch_set_on_where_the_count_is_unknown_names_the_process(tmp_path: Path) -> None:
    """The workers call create_app() through wsgi.py: how many start it is not followed
    that far, so it stays info, with the process that sets the switch named."""
    files = guarded_tree(
        Dockerfile=DOCKERFILE, **{"docker-compose.yml": gunicorn_compose(("web", 4, "true"))}
    )
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "info"
    assert (
        "make sure exactly one process sets it (docker-compose service 'web' runs with "
        "`RUN_SCHEDULER=true` (docker-compose.yml:2))"
    ) in found[0].message


def test_a_switch_set_on_in_several_processes_warns_with_the_evidence(tmp_path: Path) -> None:
    files = import_tree('os.environ.get("RUN_SCHEDULER") == "1"', "ENV RUN_SCHEDULER=1")
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "warning"
    message = found[0].message
    assert "runs in 4 processes: gunicorn -w 4 (Dockerfile:3)" in message
    assert "where Dockerfile runs with `RUN_SCHEDULER=1` (Dockerfile:3)" in message


def test_a_switch_no_process_is_seen_to_set_stays_info(tmp_path: Path) -> None:
    files = import_tree('os.environ.get("RUN_SCHEDULER") == "1"')
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "info"
    assert "started only where `RUN_SCHEDULER` is `1`" in found[0].message


def test_a_process_that_sets_the_switch_off_does_not_start_it(tmp_path: Path) -> None:
    compose = gunicorn_compose(("web", 4, "false"), ("jobs", 1, "true"))
    files = guarded_tree(Dockerfile=DOCKERFILE, **{"docker-compose.yml": compose})
    assert findings(tmp_path, files, code="BGT020") == []
    got = [r for r in records(tmp_path / "inv", files) if r["name"] == "cleanup"]
    assert got[0]["processes"]["count"] == 1
    assert "docker-compose service 'jobs'" in got[0]["processes"]["process"]


def test_a_guard_in_a_caller_in_another_file(tmp_path: Path) -> None:
    factory = """
        from flask import Flask

        from app.jobs import start


        def create_app():
            app = Flask(__name__)
            if app.config.get("RUN_SCHEDULER"):
                start(app)
            return app
        """
    files = guarded_tree(**{"app/factory.py": factory, "Dockerfile": DOCKERFILE + 'CMD ["./b"]\n'})
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "info"
    assert '`RUN_SCHEDULER` is set (`app.config.get("RUN_SCHEDULER")`, app/factory.py:9)' in (
        found[0].message
    )


def test_another_caller_without_the_switch_keeps_the_warning(tmp_path: Path) -> None:
    """The ungated caller is in a file the prefilter does not read: it is looked for."""
    cli = """
        from app.jobs import start


        def run_everything(app):
            start(app)
        """
    files = guarded_tree(**{"app/cli.py": cli, "Dockerfile": DOCKERFILE + 'CMD ["./boot"]\n'})
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "warning"
    assert "started only where" not in found[0].message


def test_a_script_that_starts_it_on_purpose_is_named(tmp_path: Path) -> None:
    script = """
        from app.factory import create_app
        from app.jobs import start


        def main():
            start(create_app())


        if __name__ == "__main__":
            main()
        """
    files = guarded_tree(**{"bin/clock.py": script})
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "info"
    assert "is set (`should_start(app)`, app/jobs.py:14), and by the script bin/clock.py" in (
        found[0].message
    )


def test_a_test_that_calls_the_start_is_no_deployment(tmp_path: Path) -> None:
    test = """
        from app.jobs import start


        def test_start(app):
            start(app)
        """
    files = guarded_tree(**{"tests/test_jobs.py": test})
    found = findings(tmp_path, files, code="BGT020")
    assert len(found) == 1 and found[0].severity == "info"
    assert "started only where `RUN_SCHEDULER` is set" in found[0].message


# ------------------------------------------------------------------ BGT023


IMPORT_TIME = """
    import os

    from apscheduler.schedulers.background import BackgroundScheduler
    from fastapi import FastAPI


    def refresh():
        pass


    scheduler = BackgroundScheduler()
    scheduler.add_job(refresh, "interval", minutes=5, id="refresh")
    if {test}:
        scheduler.start()
    app = FastAPI()
    """


def import_tree(test: str, *dockerfile_lines: str) -> dict[str, str]:
    dockerfile = "\n".join(
        ["FROM python:3.12", *dockerfile_lines, 'CMD ["gunicorn", "-w", "4", "app.main:app"]']
    )
    return {
        "app/__init__.py": "",
        "app/main.py": IMPORT_TIME.replace("{test}", test),
        "Dockerfile": dockerfile + "\n",
    }


def test_bgt023_under_a_switch_the_workers_may_not_set(tmp_path: Path) -> None:
    files = import_tree('os.environ.get("RUN_SCHEDULER") == "1"')
    found = findings(tmp_path, files, code="BGT023")
    assert len(found) == 1 and found[0].severity == "info"
    assert "starts its own where `RUN_SCHEDULER` is `1`" in found[0].message


def test_bgt023_under_a_switch_the_image_sets(tmp_path: Path) -> None:
    files = import_tree('os.environ.get("RUN_SCHEDULER") == "1"', "ENV RUN_SCHEDULER=1")
    found = findings(tmp_path, files, code="BGT023")
    assert len(found) == 1 and found[0].severity == "warning"
    assert "imported in 4 processes" in found[0].message
    assert "runs with `RUN_SCHEDULER=1`" in found[0].message


def test_bgt023_under_a_switch_the_image_sets_off(tmp_path: Path) -> None:
    files = import_tree('os.environ.get("RUN_SCHEDULER") == "1"', "ENV RUN_SCHEDULER=0")
    found = findings(tmp_path, files, code="BGT023")
    assert all(f.severity == "info" for f in found)


def test_bgt023_under_a_test_that_is_no_switch(tmp_path: Path) -> None:
    files = import_tree("scheduler.get_jobs()")
    found = findings(tmp_path, files, code="BGT023")
    assert len(found) == 1 and found[0].severity == "warning"
    assert "imported in 4 processes" in found[0].message


# ------------------------------------------------------------------ BGT022


LOOP = """
    import asyncio
    from contextlib import asynccontextmanager

    from django.conf import settings
    from fastapi import FastAPI


    async def refresh_rates():
        while True:
            await asyncio.sleep(60)


    @asynccontextmanager
    async def lifespan(app):
        if {test}:
            task = asyncio.create_task(refresh_rates())
        yield


    app = FastAPI(lifespan=lifespan)
    """


def loop_tree(test: str) -> dict[str, str]:
    return {
        "app/__init__.py": "",
        "app/main.py": LOOP.replace("{test}", test),
        "Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "-w", "3", "app.main:app"]\n',
    }


def test_bgt022_loop_started_under_a_switch(tmp_path: Path) -> None:
    found = findings(tmp_path, loop_tree("settings.RUN_RATE_LOOP"), code="BGT022")
    assert len(found) == 1 and found[0].severity == "info"
    assert "started only where `RUN_RATE_LOOP` is set" in found[0].message


def test_bgt022_loop_started_unless_testing(tmp_path: Path) -> None:
    found = findings(tmp_path, loop_tree("not settings.TESTING"), code="BGT022")
    assert len(found) == 1 and found[0].severity == "warning"
    assert "runs in 3 processes" in found[0].message


# ---------------------------------------------------- no deployment description


BAZARR_LIKE = {
    "app/__init__.py": "",
    "app/scheduler.py": """
        from apscheduler.schedulers.background import BackgroundScheduler


        def sync():
            pass


        def backup():
            pass


        class Scheduler:
            def __init__(self):
                self.aps_scheduler = BackgroundScheduler()
                self.aps_scheduler.add_job(sync, "interval", hours=1, id="sync")
                self.aps_scheduler.add_job(backup, "interval", hours=24, id="backup")
                self.aps_scheduler.start()


        scheduler = Scheduler()
        """,
}


def test_a_repository_with_no_process_definition_says_the_count_is_not_stated(
    tmp_path: Path,
) -> None:
    files = {**BAZARR_LIKE, "frontend/Dockerfile": 'FROM node:20\nCMD ["npm", "start"]\n'}
    found = [f for f in findings(tmp_path, files) if f.code in ("BGT020", "BGT023")]
    assert sorted(f.code for f in found) == ["BGT020", "BGT023"]
    assert all(f.severity == "info" for f in found)
    for finding in found:
        assert "not stated in this repository" in finding.message
        assert "; frontend/Dockerfile runs another program" in finding.message
        assert "every replica" not in finding.message


def test_a_supervisord_configuration_is_a_process_definition(tmp_path: Path) -> None:
    """The model reads supervisord programs only when a container runs supervisord: one on
    its own is a definition the scheduler could not be tied to, and the warning stays."""
    conf = "[supervisord]\nnodaemon=true\n\n[program:web]\ncommand=python -m app\n"
    files = {**BAZARR_LIKE, "deploy/supervisord.conf": conf}
    found = [f for f in findings(tmp_path, files) if f.code in ("BGT020", "BGT023")]
    assert len(found) == 2 and all(f.severity == "warning" for f in found)
    assert all("not stated in this repository" not in f.message for f in found)
