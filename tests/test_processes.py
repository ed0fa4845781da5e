"""The process model (deploy/processes.py): how many processes run an in-app scheduler,
and what BGT020 / BGT022 / BGT023 say with it.

Every construct has a positive tree and a near miss. A tree is an app whose scheduler is
started in the FastAPI lifespan (`app/main.py`) with two unlocked jobs; only the files that
say how it runs change.
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers import findings, records

JOBS = {
    "app/__init__.py": "",
    "app/jobs.py": """
        def cleanup():
            pass


        def report():
            pass
        """,
    "app/scheduler.py": """
        from apscheduler.schedulers.background import BackgroundScheduler

        from app.jobs import cleanup, report

        scheduler = BackgroundScheduler()
        scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
        scheduler.add_job(report, "cron", hour=3, id="report")
        """,
}
LIFESPAN_APP = """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    from app.scheduler import scheduler


    @asynccontextmanager
    async def lifespan(app):
        scheduler.start()
        yield


    app = FastAPI(lifespan=lifespan)
    """


def tree(**files: str) -> dict[str, str]:
    return {**JOBS, "app/main.py": LIFESPAN_APP, **files}


def dockerfile(cmd: str, *before: str) -> str:
    lines = ["FROM python:3.12-slim", "WORKDIR /app", "COPY . /app", *before, cmd]
    return "\n".join(lines) + "\n"


def bgt020(tmp_path: Path, files: dict[str, str]) -> list:
    return findings(tmp_path, files, code="BGT020")


def processes(tmp_path: Path, files: dict[str, str]) -> dict:
    """The inventory's `processes` of the 'cleanup' job."""
    found = [r for r in records(tmp_path, files) if r["name"] == "cleanup"]
    assert len(found) == 1
    return found[0]["processes"]


# ----------------------------------------------------------------- Dockerfile


def test_gunicorn_workers_in_a_dockerfile_are_counted(tmp_path: Path) -> None:
    files = tree(Dockerfile=dockerfile('CMD ["gunicorn", "-w", "4", "app.main:app"]'))
    found = bgt020(tmp_path, files)
    assert len(found) == 1
    assert "runs in 4 processes: gunicorn -w 4 (" in found[0].message
    assert "Dockerfile:4" in found[0].message
    assert processes(tmp_path / "inv", files)["count"] == 4


def test_one_python_process_in_a_dockerfile_is_silent(tmp_path: Path) -> None:
    run = tree(
        Dockerfile=dockerfile('CMD ["python3", "app/run.py"]'),
        **{
            "app/run.py": """
            import uvicorn

            from app.main import app

            if __name__ == "__main__":
                uvicorn.run(app, host="0.0.0.0")
            """
        },
    )
    assert bgt020(tmp_path, run) == []
    got = processes(tmp_path / "inv", run)
    assert got["count"] == 1 and any("Dockerfile:4" in e for e in got["evidence"])


RUN_SCRIPT = """
    import uvicorn

    from app.main import app

    if __name__ == "__main__":
        uvicorn.run(app, host="0.0.0.0")
    """


def test_a_python_script_named_by_a_path_of_the_image_alone(tmp_path: Path) -> None:
    """`git clone ... /opt/svc` in the image, then `python3 /opt/svc/run.py`: the one
    project file called run.py is the script (Mylar's Dockerfile)."""
    files = tree(
        Dockerfile='FROM python:3.12-slim\nCMD ["python3", "/opt/svc/run.py"]\n',
        **{"run.py": RUN_SCRIPT},
    )
    assert bgt020(tmp_path, files) == []
    assert processes(tmp_path / "inv", files)["count"] == 1


def test_a_script_name_two_project_files_share_stays_unknown(tmp_path: Path) -> None:
    files = tree(
        Dockerfile='FROM python:3.12-slim\nCMD ["python3", "/opt/svc/run.py"]\n',
        **{"run.py": RUN_SCRIPT, "tools/run.py": "print('another')\n"},
    )
    found = bgt020(tmp_path, files)
    assert len(found) == 1 and found[0].severity == "warning"
    assert processes(tmp_path / "inv", files)["count"] is None


def test_shell_form_cmd_and_web_concurrency(tmp_path: Path) -> None:
    files = tree(
        Dockerfile=dockerfile(
            "CMD gunicorn app.main:app --bind 0.0.0.0:80", "ENV WEB_CONCURRENCY=3"
        )
    )
    assert processes(tmp_path, files)["count"] == 3


def test_workers_on_the_command_line_win_over_web_concurrency(tmp_path: Path) -> None:
    files = tree(
        Dockerfile=dockerfile(
            'CMD ["gunicorn", "--workers=2", "app.main:app"]', "ENV WEB_CONCURRENCY=3"
        )
    )
    assert processes(tmp_path, files)["count"] == 2


def test_a_command_the_model_cannot_read_is_unknown(tmp_path: Path) -> None:
    files = tree(Dockerfile=dockerfile('CMD ["./start-the-app"]'))
    found = bgt020(tmp_path, files)
    assert len(found) == 1 and found[0].severity == "warning"
    message = found[0].message
    assert "runs in every process that starts it" in message and "every replica" not in message
    assert "could not be worked out: Dockerfile runs ./start-the-app" in message
    assert processes(tmp_path / "inv", files)["count"] is None


def test_an_entry_that_does_not_load_the_scheduler_says_nothing_of_it(tmp_path: Path) -> None:
    files = tree(
        Dockerfile=dockerfile('CMD ["python3", "app/other.py"]'),
        **{"app/other.py": "print('hello')\n"},
    )
    found = bgt020(tmp_path, files)
    assert len(found) == 1 and found[0].severity == "warning"  # unknown, not "one"
    assert "none of the processes the repository defines was seen to start it" in (found[0].message)


# --------------------------------------------------------------- entry scripts


ENTRYPOINT_SCRIPT = """\
#!/bin/sh
set -e
python manage.py migrate
workers="${WORKERS:-3}"
exec gunicorn -w "$workers" app.main:app
"""


def test_an_entrypoint_script_that_execs_gunicorn(tmp_path: Path) -> None:
    files = tree(
        Dockerfile=dockerfile(
            'ENTRYPOINT ["/entrypoint.sh"]', "COPY docker/entrypoint.sh /entrypoint.sh"
        ),
        **{"docker/entrypoint.sh": ENTRYPOINT_SCRIPT},
    )
    got = processes(tmp_path, files)
    assert got["count"] == 3
    assert any("docker/entrypoint.sh:5" in e for e in got["evidence"])


def test_an_entrypoint_script_that_execs_what_it_is_given(tmp_path: Path) -> None:
    script = '#!/bin/sh\nset -e\nexec "$@"\n'
    files = tree(
        Dockerfile=dockerfile(
            'CMD ["uvicorn", "app.main:app", "--workers", "2"]',
            'ENTRYPOINT ["/docker-entrypoint.sh"]',
            "COPY docker-entrypoint.sh /docker-entrypoint.sh",
        ),
        **{"docker-entrypoint.sh": script},
    )
    assert processes(tmp_path, files)["count"] == 2


def test_an_entrypoint_script_with_several_endings_is_unknown(tmp_path: Path) -> None:
    script = (
        '#!/bin/sh\nif [ "$1" = "web" ]; then\n  exec gunicorn -w 4 app.main:app\n'
        "else\n  exec python app/run.py\nfi\n"
    )
    files = tree(
        Dockerfile=dockerfile('ENTRYPOINT ["/entrypoint.sh"]', "COPY entrypoint.sh /entrypoint.sh"),
        **{"entrypoint.sh": script},
    )
    assert processes(tmp_path, files)["count"] is None


# ------------------------------------------------------------ docker-compose


def test_compose_replicas_times_uvicorn_workers(tmp_path: Path) -> None:
    compose = """
        services:
          web:
            image: example/app:1
            command: uvicorn app.main:app --workers 2
            deploy:
              replicas: 3
          db:
            image: postgres:16
        """
    found = bgt020(tmp_path, tree(**{"docker-compose.yml": compose}))
    assert len(found) == 1
    assert "runs in 6 processes: 3 replicas (" in found[0].message
    assert "uvicorn --workers 2" in found[0].message


def test_compose_one_replica_of_one_process_is_silent(tmp_path: Path) -> None:
    compose = """
        services:
          web:
            image: example/app:1
            command: uvicorn app.main:app
          redis:
            image: redis:7
        """
    assert bgt020(tmp_path, tree(**{"docker-compose.yml": compose})) == []


def test_compose_env_file_may_set_web_concurrency(tmp_path: Path) -> None:
    compose = """
        services:
          web:
            image: example/app:1
            command: uvicorn app.main:app
            env_file: .env
        """
    files = tree(**{"docker-compose.yml": compose})
    assert processes(tmp_path, files)["count"] is None
    (found,) = bgt020(tmp_path / "check", files)
    assert "may run in several processes: uvicorn workers per WEB_CONCURRENCY" in found.message


def test_workers_set_at_run_time_are_named(tmp_path: Path) -> None:
    files = tree(Dockerfile=dockerfile('CMD gunicorn --workers "$WORKERS" app.main:app'))
    (found,) = bgt020(tmp_path, files)
    assert "may run in several processes: gunicorn --workers $WORKERS (" in found.message


def test_compose_service_that_builds_runs_the_dockerfile_cmd(tmp_path: Path) -> None:
    compose = """
        services:
          web:
            build: .
            environment:
              WEB_CONCURRENCY: "5"
        """
    files = tree(
        **{
            "docker-compose.yml": compose,
            "Dockerfile": dockerfile('CMD ["gunicorn", "app.main:app"]'),
        }
    )
    got = processes(tmp_path, files)
    assert got["count"] == 5


def compose_with_image(image: str) -> dict[str, str]:
    compose = f"""
        services:
          web:
            image: example/app:1
            command: python app/run.py
          sidecar:
            image: {image}
        """
    run = "import uvicorn\nfrom app.main import app\nuvicorn.run(app)\n"
    return tree(**{"orders/docker-compose.yml": compose, "app/run.py": run})


def test_compose_image_named_like_the_project_runs_an_unknown_command(tmp_path: Path) -> None:
    # `orders` is a directory of this repository: its image may run this code too
    assert processes(tmp_path, compose_with_image("ghcr.io/acme/orders:1.2"))["count"] is None


def test_compose_image_of_another_project_runs_something_else(tmp_path: Path) -> None:
    assert processes(tmp_path, compose_with_image("ghcr.io/acme/ledger:1.2"))["count"] == 1


# -------------------------------------------------------------- Kubernetes


def deployment(replicas: int | None, command: str | None) -> str:
    lines = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: web",
        "spec:",
    ]
    if replicas is not None:
        lines.append(f"  replicas: {replicas}")
    lines += [
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: web",
        "          image: example/app:1",
    ]
    if command is not None:
        lines.append(f"          command: {command}")
    return "\n".join(lines) + "\n"


def test_kubernetes_replicas_times_gunicorn_config_workers(tmp_path: Path) -> None:
    files = tree(
        **{
            "deploy/web.yaml": deployment(
                3, '["gunicorn", "-c", "gunicorn.conf.py", "app.main:app", "--bind", ":80"]'
            ),
            "gunicorn.conf.py": "bind = '0.0.0.0:80'\nworkers = 4\n",
        }
    )
    found = bgt020(tmp_path, files)
    assert len(found) == 1
    message = found[0].message
    assert "runs in 12 processes: 3 replicas (" in message
    assert "4 gunicorn workers (" in message and "gunicorn.conf.py:2" in message


def test_kubernetes_args_only_leave_the_command_unknown(tmp_path: Path) -> None:
    files = tree(**{"deploy/web.yaml": deployment(3, None)})
    found = bgt020(tmp_path, files)
    assert len(found) == 1 and found[0].severity == "warning"
    assert "Deployment 'web' runs the image's command" in found[0].message


def test_cpu_count_workers_are_more_than_one(tmp_path: Path) -> None:
    conf = "import multiprocessing\n\nbind = ':80'\nworkers = multiprocessing.cpu_count() * 2 + 1\n"
    files = tree(
        **{
            "deploy/web.yaml": deployment(
                1, '["gunicorn", "-c", "conf/gunicorn_conf.py", "app.main:app"]'
            ),
            "conf/gunicorn_conf.py": conf,
        }
    )
    found = bgt020(tmp_path, files)
    assert len(found) == 1 and "runs in at least 2 processes" in found[0].message
    got = processes(tmp_path / "inv", files)
    assert got["count"] is None and got["at_least"] == 2


# ---------------------------------------------------------------- Procfile


def test_procfile_with_app_json_formation(tmp_path: Path) -> None:
    files = tree(
        Procfile="web: hypercorn -w 2 app.main:app\n",
        **{"app.json": '{"formation": {"web": {"quantity": 2}}}'},
    )
    assert processes(tmp_path, files)["count"] == 4


def test_procfile_without_formation_is_unknown(tmp_path: Path) -> None:
    files = tree(Procfile="web: hypercorn app.main:app\n")
    assert processes(tmp_path, files)["count"] is None


# -------------------------------------------------------------- supervisord


def test_supervisord_program_numprocs(tmp_path: Path) -> None:
    conf = (
        "[supervisord]\nnodaemon=true\n\n[program:web]\ncommand=daphne app.main:app\nnumprocs=2\n"
    )
    files = tree(
        Dockerfile=dockerfile('CMD ["supervisord", "-c", "/etc/supervisord.conf"]'),
        **{"deploy/supervisord.conf": conf},
    )
    assert processes(tmp_path, files)["count"] == 2


def test_supervisord_program_not_started(tmp_path: Path) -> None:
    conf = "[program:web]\ncommand=daphne app.main:app\nnumprocs=2\nautostart=false\n"
    files = tree(
        Dockerfile=dockerfile('CMD ["supervisord", "-c", "/etc/supervisord.conf"]'),
        **{"deploy/supervisord.conf": conf},
    )
    assert processes(tmp_path, files)["count"] is None


# ---------------------------------------------------------- servers in Python


def test_uvicorn_run_with_an_import_string_starts_workers(tmp_path: Path) -> None:
    run = """
        import uvicorn

        if __name__ == "__main__":
            uvicorn.run("app.main:app", host="0.0.0.0", workers=4)
        """
    files = tree(Dockerfile=dockerfile('CMD ["python", "-m", "app"]'), **{"app/__main__.py": run})
    got = processes(tmp_path, files)
    assert got["count"] == 4 and any("uvicorn.run(workers=4)" in e for e in got["evidence"])


def test_uvicorn_server_runs_one_process_whatever_workers_says(tmp_path: Path) -> None:
    run = """
        import multiprocessing

        import uvicorn
        from uvicorn import Config

        from app.main import app

        server = uvicorn.Server(Config(app, workers=multiprocessing.cpu_count()))

        if __name__ == "__main__":
            server.run()
        """
    files = tree(Dockerfile=dockerfile('CMD ["python3", "app/run.py"]'), **{"app/run.py": run})
    assert bgt020(tmp_path, files) == []
    assert processes(tmp_path / "inv", files)["count"] == 1


def test_uvicorn_run_of_an_app_object_is_one_process(tmp_path: Path) -> None:
    run = """
        import uvicorn

        from app.main import app

        if __name__ == "__main__":
            uvicorn.run(app, workers=4)
        """
    files = tree(Dockerfile=dockerfile('CMD ["python3", "app/run.py"]'), **{"app/run.py": run})
    assert processes(tmp_path, files)["count"] == 1


# ----------------------------------------------------------- start contexts


def test_a_start_under_the_main_guard_runs_only_in_the_script(tmp_path: Path) -> None:
    main = """
        from app.scheduler import scheduler

        if __name__ == "__main__":
            scheduler.start()
        """
    files = tree(
        Dockerfile=dockerfile('CMD ["gunicorn", "-w", "4", "app.main:app"]'),
        **{"app/main.py": main},
    )
    found = bgt020(tmp_path, files)
    # gunicorn imports app.main as a module: the scheduler is not started there
    assert len(found) == 1 and "4 processes" not in found[0].message


def test_a_start_at_import_runs_in_every_worker(tmp_path: Path) -> None:
    main = """
        from fastapi import FastAPI

        from app.scheduler import scheduler

        scheduler.start()
        app = FastAPI()
        """
    files = tree(
        Dockerfile=dockerfile('CMD ["gunicorn", "-w", "4", "app.main:app"]'),
        **{"app/main.py": main},
    )
    assert "runs in 4 processes" in bgt020(tmp_path, files)[0].message


def test_preload_imports_once_in_the_master(tmp_path: Path) -> None:
    main = """
        from fastapi import FastAPI

        from app.scheduler import scheduler

        scheduler.start()
        app = FastAPI()
        """
    files = tree(
        Dockerfile=dockerfile('CMD ["gunicorn", "--preload", "-w", "4", "app.main:app"]'),
        **{"app/main.py": main},
    )
    assert bgt020(tmp_path, files) == []  # the master's one scheduler


# ------------------------------------------------------- one report per scheduler


def test_every_unlocked_job_of_a_scheduler_is_reported_once_at_its_start(tmp_path: Path) -> None:
    found = bgt020(
        tmp_path, tree(Dockerfile=dockerfile('CMD ["uvicorn", "app.main:app", "--workers", "2"]'))
    )
    assert len(found) == 1
    f = found[0]
    assert (f.location.file.endswith("app/main.py"), f.location.line) == (True, 11)
    assert "none of its 2 periodic jobs" in f.message and "'cleanup', 'report'" in f.message
    assert {r.line for r in f.related} == {7, 8}


def test_a_scheduler_with_one_locked_job_is_reported_per_job(tmp_path: Path) -> None:
    files = tree(Dockerfile=dockerfile('CMD ["uvicorn", "app.main:app", "--workers", "2"]'))
    files["app/jobs.py"] = """
        import redis

        r = redis.Redis()


        def cleanup():
            with r.lock("cleanup"):
                pass


        def report():
            pass
        """
    found = bgt020(tmp_path, files)
    assert len(found) == 1 and found[0].message.startswith("Job 'report' runs in 2 processes")


def test_a_job_suppressed_at_its_line_leaves_the_group(tmp_path: Path) -> None:
    files = tree(Dockerfile=dockerfile('CMD ["uvicorn", "app.main:app", "--workers", "2"]'))
    files["app/scheduler.py"] = files["app/scheduler.py"].replace(
        'id="report")', 'id="report")  # noqa: BGT020'
    )
    found = bgt020(tmp_path, files)
    assert len(found) == 1 and found[0].message.startswith("Job 'cleanup'")


def test_blocking_scheduler_in_its_own_process_stays_silent(tmp_path: Path) -> None:
    files = tree(Dockerfile=dockerfile('CMD ["uvicorn", "app.main:app", "--workers", "2"]'))
    files["app/scheduler.py"] = files["app/scheduler.py"].replace(
        "BackgroundScheduler", "BlockingScheduler"
    )
    assert bgt020(tmp_path, files) == []


def test_a_script_without_extension_the_image_runs(tmp_path: Path) -> None:
    boot = "#!/usr/bin/env bash\nset -e\nexec gunicorn --workers 3 app.main:app\n"
    files = tree(Dockerfile=dockerfile('CMD ["./bin/boot"]'), **{"bin/boot": boot})
    assert processes(tmp_path, files)["count"] == 3


def test_a_file_without_extension_and_without_a_shell_line_is_no_script(tmp_path: Path) -> None:
    files = tree(Dockerfile=dockerfile('CMD ["./bin/boot"]'), **{"bin/boot": "exec gunicorn\n"})
    assert processes(tmp_path, files)["count"] is None


def test_import_lines_read_for_the_model_are_cached(tmp_path: Path, monkeypatch) -> None:
    """A warm run reads no Python file: the import lines of modules between the entry and
    the scheduler (not parsed: no job in them) come from the cache."""
    from check_background_tasks import engine
    from check_background_tasks.config import Config

    files = tree(
        Dockerfile=dockerfile('CMD ["gunicorn", "-w", "2", "app.web:app"]'),
        **{
            "app/web.py": "from app.routes import router\napp = object()\n",
            "app/routes.py": "from app.main import app as inner\nrouter = None\n",
        },
    )
    from helpers import write_tree

    write_tree(tmp_path / "t", files)
    for path in (tmp_path / "t").rglob("*"):
        if path.is_file():  # old files are trusted on size and mtime (the cache's fast path)
            os.utime(path, (1_600_000_000, 1_600_000_000))
    cache = tmp_path / "cache"

    def run() -> dict:
        project = engine.scan([str(tmp_path / "t")], Config(), jobs=1, cache_dir=cache).project
        return next(lj.job.record() for lj in project.jobs if lj.job.name == "cleanup")

    first = run()
    assert first["processes"]["count"] == 2  # web -> routes -> main (lifespan) -> scheduler
    reads: list[str] = []
    real = engine.read_source
    monkeypatch.setattr(engine, "read_source", lambda path: reads.append(path) or real(path))
    assert run() == first
    assert [path for path in reads if path.endswith(".py")] == []
