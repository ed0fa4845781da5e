"""Extractors and parsers of the process model: Dockerfiles, supervisord/uWSGI INI files,
entrypoint scripts, import lines, command lines, and what discovery picks up."""

from __future__ import annotations

from check_background_tasks.deploy.commands import expand, programs, script_programs, words_of
from check_background_tasks.discover import is_candidate_name
from check_background_tasks.extract import extract, might_matter
from check_background_tasks.extract.import_scan import imported_modules

# ------------------------------------------------------------------- Dockerfile


def dockerfile(text: str, name: str = "Dockerfile"):  # type: ignore[no-untyped-def]
    facts = extract(name, text.encode())
    assert len(facts.workloads) == 1
    return facts.workloads[0]


def test_dockerfile_exec_form_with_continuations_and_env() -> None:
    w = dockerfile(
        "FROM python:3.12\nARG WORKERS=3\nENV A=1 \\\n    WEB_CONCURRENCY=${WORKERS}\n"
        "WORKDIR /srv\nWORKDIR app\nCOPY docker/entrypoint.sh /entrypoint.sh\n"
        'ENTRYPOINT ["/entrypoint.sh"]\nCMD ["gunicorn", "app:app"]\n'
    )
    assert w.kind == "Dockerfile"
    assert w.extra["command_argv"] == ["/entrypoint.sh", "gunicorn", "app:app"]
    assert w.extra["env"] == {"A": "1", "WEB_CONCURRENCY": "3"}
    assert w.extra["env_lines"]["WEB_CONCURRENCY"] == 3
    assert w.extra["workdir"] == "/srv/app"
    assert w.extra["copies"] == [["docker/entrypoint.sh", "/entrypoint.sh"]]
    assert (w.extra["entrypoint_line"], w.extra["cmd_line"], w.line) == (8, 9, 9)


def test_dockerfile_shell_form_and_old_env_syntax() -> None:
    w = dockerfile("FROM python:3.12\nENV PORT 8000\nCMD uvicorn app:app --port $PORT\n")
    assert w.extra["command_argv"] == ["/bin/sh", "-c", "uvicorn app:app --port $PORT"]
    assert w.extra["env"] == {"PORT": "8000"}


def test_dockerfile_stages_inherit_and_entrypoint_resets_cmd() -> None:
    w = dockerfile(
        'FROM python:3.12 AS base\nCMD ["python", "a.py"]\nFROM base AS web\n'
        "COPY --from=base /x /y\n"
        'ENTRYPOINT ["tini", "--"]\n'
    )
    assert w.extra["command_argv"] == ["tini", "--"]
    assert w.extra["copies"] == []


def test_dockerfile_cmd_before_entrypoint_in_the_same_stage_is_kept() -> None:
    w = dockerfile('FROM python:3.12\nCMD ["python", "a.py"]\nENTRYPOINT ["./start.sh"]\n')
    assert w.extra["command_argv"] == ["./start.sh", "python", "a.py"]


def test_dockerfile_without_a_command_leaves_it_to_the_base_image() -> None:
    w = dockerfile("FROM tiangolo/uvicorn-gunicorn:python3.11\nCOPY . /app\n")
    assert w.extra["command_argv"] is None


def test_dockerfile_names() -> None:
    for name in ("Dockerfile", "Dockerfile.prod", "prod.Dockerfile", "api.dockerfile"):
        assert is_candidate_name(name), name
    for name in ("Dockerfile.dockerignore", "dockerfile.md.txt.dockerignore", "README"):
        assert not is_candidate_name(name), name
    assert extract("x/Dockerfile.dockerignore", b"node_modules\n").workloads == []


# ---------------------------------------------------------------- INI programs

SUPERVISORD = """\
[supervisord]
nodaemon=true

[program:web]
command=gunicorn -w 2
    app.main:app
numprocs = 2

[program:beat]
command=celery -A app beat ; the scheduler
autostart=false

[eventlistener:crash]
command=crashmail
"""


def test_supervisord_programs() -> None:
    facts = extract("deploy/supervisord.conf", SUPERVISORD.encode())
    programs_found = {w.name: w for w in facts.workloads}
    assert set(programs_found) == {"web", "beat"}
    web, beat = programs_found["web"], programs_found["beat"]
    assert (web.command, web.replicas, web.line) == ("gunicorn -w 2 app.main:app", 2, 4)
    assert web.extra["numprocs_line"] == 7
    assert (beat.command, beat.replicas, beat.extra["autostart"]) == (
        "celery -A app beat",
        1,
        False,
    )


def test_uwsgi_ini() -> None:
    facts = extract("uwsgi.ini", b"[uwsgi]\nmodule = app.wsgi:application\nprocesses = 4\n")
    (w,) = facts.workloads
    assert (w.kind, w.extra["processes"], w.extra["module"]) == ("uwsgi", 4, "app.wsgi:application")


def test_ini_files_without_programs_are_not_parsed() -> None:
    assert not might_matter("tox.ini", b"[tox]\nenvlist = py311\n")
    assert not might_matter("nginx.conf", b"server { listen 80; }\n")
    assert might_matter("supervisord.conf", SUPERVISORD.encode())


# --------------------------------------------------------------------- scripts

SCRIPT = """\
#!/bin/bash
set -euo pipefail
workers="${WORKERS:-4}"
if [[ "${FIXTURES:-}" == "true" ]]; then
  workers=1
fi
start() {
  exec python debug.py
}
python manage.py migrate
exec uv run gunicorn \\
  --workers="$workers" app.main:app
"""


def test_entrypoint_script_ends_in_its_exec() -> None:
    facts = extract("bin/entrypoint.sh", SCRIPT.encode())
    (w,) = facts.workloads
    assert w.kind == "script"
    # every exec is kept (the one in a function too): more than one makes it ambiguous
    assert w.extra["launches"] == [
        [8, "python debug.py", True, True],
        [11, 'uv run gunicorn --workers="$workers" app.main:app', True, False],
    ]
    assert w.extra["vars"] == {"workers": "${WORKERS:-4}"}
    assert w.extra["conditional"] == ["workers"]


def test_script_without_exec_ends_in_its_last_known_program() -> None:
    facts = extract("run.sh", b"#!/bin/sh\ncd /app\npython -m app.worker\n")
    assert facts.workloads[0].extra["launches"] == [[3, "python -m app.worker", False, False]]


def test_script_that_only_redirects_with_exec_launches_nothing() -> None:
    facts = extract("log.sh", b"#!/bin/sh\nexec > /var/log/x 2>&1\necho hi\n")
    assert facts.workloads == []


# --------------------------------------------------------------------- imports


def test_imported_modules_from_bytes() -> None:
    source = b"""
import os, app.jobs as jobs
from . import tasks
from ..core import (
    config,
    models as m,
)
from app.scheduler import scheduler  # noqa
    from app.late import thing
x = "import not_this"
"""
    got = imported_modules(source, "app.web.views", False)
    assert got == [
        "os",
        "app.jobs",
        "app.web",
        "app.web.tasks",
        "app.core",
        "app.core.config",
        "app.core.models",
        "app.scheduler",
        "app.scheduler.scheduler",
        "app.late",
        "app.late.thing",
    ]


# --------------------------------------------------------------------- commands


def only(argv: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    found = programs(argv, env or {})
    assert len(found) == 1, found
    return found[0]


def test_wrappers_are_skipped() -> None:
    p = only(["dumb-init", "--", "gosu", "app:app", "env", "X=1", "python3", "-u", "app/main.py"])
    assert (p.kind, p.script) == ("script", "app/main.py")
    p = only(["poetry", "run", "uvicorn", "app.main:app", "--workers", "3"])
    assert (p.kind, p.app, p.workers.exact) == ("server", "app.main:app", 3)
    p = only(
        ["uv", "run", "--no-sync", "ddtrace-run", "gunicorn", "-c", "conf.py", "app:create_app()"]
    )
    assert (p.name, p.app, p.config, p.workers) == ("gunicorn", "app:create_app()", "conf.py", None)


def test_shell_scripts_leave_the_last_command_and_background_ones() -> None:
    found = script_programs("python manage.py migrate && exec gunicorn -w2 app.wsgi", {})
    assert [(p.name, p.workers.exact) for p in found] == [("gunicorn", 2)]
    found = script_programs("celery -A app worker & uvicorn app.main:app", {})
    assert [p.name for p in found] == ["celery", "uvicorn"]
    found = programs(["/bin/sh", "-c", "cd /app && python -m app"], {})
    assert [(p.kind, p.module) for p in found] == [("script", "app")]


def test_variables_expand_from_the_environment_or_their_default() -> None:
    assert expand("${WORKERS:-4}", {}) == "4"
    assert expand("$WORKERS", {"WORKERS": "2"}) == "2"
    assert expand("${WORKERS}", {}) == "${WORKERS}"
    p = only(words_of("gunicorn --workers ${WORKERS:-4} app:app"))
    assert p.workers.exact == 4
    p = only(words_of("gunicorn --workers $WORKERS app:app"))
    assert p.workers.exact is None and p.workers.low == 1


def test_servers_and_their_worker_options() -> None:
    assert only(["uvicorn", "app:app", "--reload", "--workers", "4"]).workers.exact == 1
    assert only(["uvicorn", "app:app", "--lifespan", "off"]).serves is False
    assert only(["hypercorn", "-w", "2", "app:app"]).workers.exact == 2
    assert only(["daphne", "-b", "0.0.0.0", "app.asgi:application"]).workers.exact == 1
    assert only(["granian", "--interface", "asgi", "--workers", "5", "app:app"]).app == "app:app"
    assert only(["python", "-m", "gunicorn", "--preload", "app:app"]).preload is True
    p = only(["fastapi", "run", "app/main.py", "--workers", "2"])
    assert (p.app, p.workers.exact) == ("app/main.py", 2)
    p = only(["gunicorn", "app:app"], {"GUNICORN_CMD_ARGS": "--workers=6 --bind :80"})
    assert p.workers.exact == 6


def test_programs_that_are_not_project_python() -> None:
    assert only(["nginx", "-g", "daemon off;"]).kind == "other"
    assert only(["celery", "-A", "app.worker", "worker"]).kind == "worker"
    assert only(["python", "manage.py", "runserver"]).kind == "server"
    assert only(["./bin/boot"]).kind == "script-file"
    p = only(["/bin/bash", "start.sh", "--fast"])
    assert (p.kind, p.script, p.args) == ("script-file", "start.sh", ("--fast",))
    assert only(["supervisord", "-c", "/etc/sv.conf"]).config == "/etc/sv.conf"
    assert only(["some-binary", "--serve"]).kind == "unknown"


def test_a_test_file_tells_the_process_model_only_what_it_imports() -> None:
    # No deployment runs a test: its scheduler starts and calls are not read for the
    # process model (the same file outside tests/ is).
    source = (
        b"from apscheduler.schedulers.background import BackgroundScheduler\n"
        b"import app.jobs\n"
        b"scheduler = BackgroundScheduler()\n"
        b"def boot():\n    app.jobs.prepare()\n    scheduler.start()\n"
        b"boot()\n"
    )
    in_tests = extract("tests/test_boot.py", source, "tests.test_boot", False).processes
    in_app = extract("app/boot.py", source, "app.boot", False).processes
    assert in_tests is not None and in_app is not None
    assert in_app.starts and in_app.calls
    assert not in_tests.starts and not in_tests.calls
    assert in_tests.imports == in_app.imports
    assert "app.jobs" in in_tests.imports
