"""BGT024: Celery beat started from Python code by a scaled process.

`app.Beat(...).run()`, `Beat(app=app).run()`, `app.worker_main([..., "--beat"])` and
`app.start(["celery", "beat"])` in the module a deployed process runs (`python
run_beat.py`, `python -m pkg.beat`) make that process a beat process, like `celery beat`
on its command line (extract/beat_starts.py, deploy/beat_starts.py).
"""

from __future__ import annotations

import io
import pickle
import textwrap
from pathlib import Path

import pytest
from helpers import findings, write_tree
from test_cli import run_cli

from check_background_tasks import cache as cache_module

# An app module with nothing else the prefilter looks for: read because a start uses it.
CELERY_APP = """
    from celery import Celery

    app = Celery("proj", broker="redis://redis:6379/0")
    app.config_from_object("proj.settings")
    """


def deployment(command: str, replicas: int = 3, kind: str = "Deployment") -> str:
    return f"""\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: beat
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: beat}}
  template:
    metadata:
      labels: {{app: beat}}
    spec:
      containers:
        - name: beat
          image: ghcr.io/example/proj:1.0
          command: {command}
"""


def bgt024(tmp_path: Path, files: dict[str, str]) -> list:
    return findings(tmp_path, files, code="BGT024")


def project(script: str, command: str = '["python", "run_beat.py"]', replicas: int = 3) -> dict:
    return {
        "proj/__init__.py": "",
        "proj/celery_app.py": CELERY_APP,
        "run_beat.py": script,
        "k8s/beat.yaml": deployment(command, replicas),
    }


# ------------------------------------------------------------------------ positives

FORMS = {
    "app.Beat().run()": (
        """
        from proj.celery_app import app

        if __name__ == "__main__":
            app.Beat(loglevel="info").run()
        """,
        'Celery beat (started in code by `app.Beat(loglevel="info").run()`',
        5,
    ),
    "celery.apps.beat.Beat kept in a local": (
        """
        from celery.apps.beat import Beat

        from proj.celery_app import app

        if __name__ == "__main__":
            beat = Beat(app=app, loglevel="INFO", max_interval=10)
            beat.run()
        """,
        "Celery beat (started in code by `beat.run()`",
        8,
    ),
    "worker_main --beat": (
        """
        from proj.celery_app import app

        if __name__ == "__main__":
            app.worker_main(["worker", "--beat", "--loglevel=info"])
        """,
        "Celery beat (embedded in the worker by -B) (started in code by `app.worker_main(",
        5,
    ),
    "worker_main(argv=[..., -B]) Celery 4": (
        """
        from proj.celery_app import app

        if __name__ == "__main__":
            app.worker_main(argv=["", "-B", "--loglevel=info"])
        """,
        "Celery beat (embedded in the worker by -B)",
        5,
    ),
    "argv built with append": (
        """
        from proj.celery_app import app

        if __name__ == "__main__":
            argv = ["worker", "--loglevel=info"]
            argv.append("--beat")
            app.worker_main(argv)
        """,
        "Celery beat (embedded in the worker by -B)",
        7,
    ),
    "app.start argv in a function main calls": (
        """
        import argparse

        from proj.celery_app import app


        def start_beat(loglevel: str = "info") -> None:
            app.start(["celery", "beat", "-l", loglevel])


        def main() -> None:
            parser = argparse.ArgumentParser()
            parser.add_argument("--loglevel", default="info")
            start_beat(parser.parse_args().loglevel)


        if __name__ == "__main__":
            main()
        """,
        'Celery beat (started in code by `app.start(["celery", "beat", "-l", loglevel])`',
        8,
    ),
    "app.start without the program name": (
        """
        from proj.celery_app import app

        if __name__ == "__main__":
            app.start(["beat", "--loglevel=info"])
        """,
        "Celery beat (started in code",
        5,
    ),
    "at the top of the script": (
        """
        from proj.celery_app import app

        app.Beat().run()
        """,
        "Celery beat (started in code by `app.Beat().run()`",
        4,
    ),
    "the app made in the script": (
        """
        from celery import Celery

        celery = Celery("beat")
        celery.config_from_object("proj.settings")

        if __name__ == "__main__":
            celery.Beat().run()
        """,
        "Celery beat (started in code",
        8,
    ),
    "celery's current_app": (
        """
        from celery import current_app

        import proj.celery_app  # noqa: F401

        if __name__ == "__main__":
            current_app.Beat(loglevel="info").run()
        """,
        "Celery beat (started in code",
        7,
    ),
}


@pytest.mark.parametrize("form", list(FORMS), ids=list(FORMS))
def test_each_form_in_a_scaled_deployment(tmp_path: Path, form: str) -> None:
    script, label, line = FORMS[form]
    found = bgt024(tmp_path, project(script))
    assert len(found) == 1, [f.message for f in found]
    f = found[0]
    assert (f.location.file, f.location.line) == ("k8s/beat.yaml", 1)
    assert f.message.startswith(f"Deployment 'beat' runs {label}"), f.message
    assert f"in `python run_beat.py`, run_beat.py:{line}) with replicas: 3: " in f.message
    assert ("run_beat.py", line) in [(r.file, r.line) for r in f.related]


def test_message_names_the_call_the_program_and_the_replicas(tmp_path: Path) -> None:
    script, _, _ = FORMS["app.Beat().run()"]
    [f] = bgt024(tmp_path, project(script))
    assert f.message == (
        "Deployment 'beat' runs Celery beat (started in code by "
        '`app.Beat(loglevel="info").run()` in `python run_beat.py`, run_beat.py:5) with '
        "replicas: 3: every replica sends every periodic task, so each one runs several "
        "times; run beat in exactly one process (its own Deployment with replicas: 1) or use "
        "a lock-based scheduler such as RedBeat"
    )
    assert [(r.file, r.line, r.column) for r in f.related] == [("run_beat.py", 5, 5)]


def test_python_dash_m_runs_the_package_main(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": CELERY_APP,
        "proj/beat/__init__.py": "",
        "proj/beat/__main__.py": """
            from proj.celery_app import app

            app.worker_main(["worker", "-B", "-l", "info"])
            """,
        "k8s/beat.yaml": deployment('["python", "-m", "proj.beat"]'),
    }
    [f] = bgt024(tmp_path, files)
    assert "in `python -m proj.beat`, proj/beat/__main__.py:4) with replicas: 3" in f.message


def test_start_in_another_module_the_script_calls(tmp_path: Path) -> None:
    # The module holding the start is no entry and holds nothing the prefilter looks for:
    # it is read because the script calls into it under its main guard.
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": CELERY_APP,
        "proj/beat_service.py": """
            from proj.celery_app import app


            class BeatService:
                @staticmethod
                def start_beat() -> None:
                    app.Beat(loglevel="info").run()
            """,
        "main.py": """
            from proj.beat_service import BeatService


            def main() -> None:
                BeatService.start_beat()


            if __name__ == "__main__":
                main()
            """,
        "k8s/beat.yaml": deployment('["python", "main.py"]'),
    }
    [f] = bgt024(tmp_path, files)
    assert "in `python main.py`, proj/beat_service.py:8) with replicas: 3" in f.message


def test_app_re_exported_by_the_package(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "from .celery_app import app\n",
        "proj/celery_app.py": CELERY_APP,
        "run_beat.py": """
            from proj import app

            if __name__ == "__main__":
                app.Beat().run()
            """,
        "k8s/beat.yaml": deployment('["python", "run_beat.py"]'),
    }
    assert len(bgt024(tmp_path, files)) == 1


def test_compose_service_scaled(tmp_path: Path) -> None:
    script, _, _ = FORMS["worker_main --beat"]
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": CELERY_APP,
        "run_beat.py": script,
        "docker-compose.yml": """
            services:
              worker:
                build: .
                command: python run_beat.py
                deploy:
                  replicas: 2
            """,
        "Dockerfile": "FROM python:3.12\nCOPY . /app\nWORKDIR /app\n",
    }
    [f] = bgt024(tmp_path, files)
    assert f.message.startswith(
        "docker-compose service 'worker' runs Celery beat (embedded in the worker by -B) "
        "(started in code by `app.worker_main("
    )
    assert "with 2 replicas" in f.message


def test_a_warm_run_finds_it_from_the_cache(tmp_path: Path, capsys, monkeypatch) -> None:
    fixed = cache_module._tool_fingerprint()
    monkeypatch.setattr(cache_module, "_tool_fingerprint", lambda: fixed)
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, project(FORMS["celery.apps.beat.Beat kept in a local"][0]))
    args = ["check", ".", "--select", "BGT024", "--format", "json"]
    cold = run_cli(args, capsys)
    assert cold[0] == 1 and "started in code by `beat.run()`" in cold[1]
    assert run_cli(args, capsys) == cold
    assert (tmp_path / ".check_background_tasks_cache").is_dir()


def test_beat_starts_pass_the_cache_allow_list() -> None:
    from check_background_tasks.extract import extract

    script = FORMS["worker_main --beat"][0]
    facts = extract("run_beat.py", textwrap.dedent(script).encode(), "run_beat")
    assert facts.processes is not None and facts.processes.beat_starts
    blob = pickle.dumps(facts, protocol=4)
    again = cache_module._SafeUnpickler(io.BytesIO(blob)).load()
    assert again.processes.beat_starts == facts.processes.beat_starts


def test_a_command_line_beat_is_reported_once(tmp_path: Path) -> None:
    # The command line already says beat: the start in code is the same process.
    files = project(FORMS["app.Beat().run()"][0], '["celery", "-A", "proj.celery_app", "beat"]')
    [f] = bgt024(tmp_path, files)
    assert "started in code" not in f.message


# ----------------------------------------------------------------------- near misses


def test_one_replica_is_fine(tmp_path: Path) -> None:
    for script, _, _ in FORMS.values():
        assert not bgt024(tmp_path, project(script, replicas=1))


NEAR_MISSES = {
    "worker_main without --beat": """
        from proj.celery_app import app

        if __name__ == "__main__":
            app.worker_main(["worker", "--loglevel=info", "--concurrency=4"])
        """,
    "worker_main with the process's own argv": """
        import sys

        from proj.celery_app import app

        if __name__ == "__main__":
            app.worker_main(sys.argv)
        """,
    "app.start of a worker": """
        from proj.celery_app import app

        if __name__ == "__main__":
            app.start(["celery", "worker", "-l", "info"])
        """,
    "in a function nothing calls": """
        from proj.celery_app import app


        def start_beat() -> None:
            app.Beat(loglevel="info").run()


        if __name__ == "__main__":
            print("use `celery beat`")
        """,
    "under a condition the command line decides": """
        import sys

        from proj.celery_app import app

        if __name__ == "__main__":
            if sys.argv[1] == "beat":
                app.Beat().run()
            else:
                app.worker_main(["worker"])
        """,
    "a function called under a condition": """
        import sys

        from proj.celery_app import app


        def start_beat() -> None:
            app.Beat().run()


        if __name__ == "__main__":
            if "--beat" in sys.argv:
                start_beat()
        """,
    "Beat of another object": """
        class Drum:
            def Beat(self, tempo=120):
                return self

            def run(self):
                return None


        drum = Drum()

        if __name__ == "__main__":
            drum.Beat(tempo=90).run()
        """,
    "a Beat class of another library": """
        from metronome import Beat

        if __name__ == "__main__":
            Beat(bpm=120).run()
        """,
    "a lock-based scheduler": """
        from proj.celery_app import app

        if __name__ == "__main__":
            app.Beat(scheduler="redbeat.RedBeatScheduler").run()
        """,
    "a scheduler known only at run time": """
        import os

        from proj.celery_app import app

        if __name__ == "__main__":
            app.Beat(scheduler=os.environ["BEAT_SCHEDULER"]).run()
        """,
    "worker_main with a lock-based scheduler": """
        from proj.celery_app import app

        if __name__ == "__main__":
            app.worker_main(["worker", "-B", "--scheduler=redbeat.RedBeatScheduler"])
        """,
}


@pytest.mark.parametrize("script", list(NEAR_MISSES.values()), ids=list(NEAR_MISSES))
def test_near_miss_is_silent(tmp_path: Path, script: str) -> None:
    assert not bgt024(tmp_path, project(script))


def test_an_app_that_is_not_celery(tmp_path: Path) -> None:
    files = project(FORMS["app.Beat().run()"][0])
    files["proj/celery_app.py"] = """
        from music import Metronome

        app = Metronome(bpm=120)
        """
    assert not bgt024(tmp_path, files)


def test_the_scaled_process_runs_another_script(tmp_path: Path) -> None:
    files = project(FORMS["app.Beat().run()"][0], '["python", "run_web.py"]')
    files["run_web.py"] = """
        from proj.celery_app import app

        if __name__ == "__main__":
            print(app.main)
        """
    assert not bgt024(tmp_path, files)


def test_a_script_that_imports_the_start_module_does_not_run_its_main(tmp_path: Path) -> None:
    files = project(FORMS["app.Beat().run()"][0], '["python", "run_web.py"]')
    files["run_web.py"] = """
        import run_beat  # noqa: F401

        if __name__ == "__main__":
            print("web")
        """
    assert not bgt024(tmp_path, files)


def test_a_test_file(tmp_path: Path) -> None:
    files = project("", '["python", "tests/run_beat.py"]')
    files["tests/run_beat.py"] = FORMS["app.Beat().run()"][0]
    assert not bgt024(tmp_path, files)


def test_another_module_calls_the_start_under_a_condition(tmp_path: Path) -> None:
    # (The task makes the prefilter read the module: silent for the condition alone.)
    files = {
        "proj/__init__.py": "",
        "proj/celery_app.py": CELERY_APP,
        "proj/beat_service.py": """
            from proj.celery_app import app


            @app.task
            def ping() -> None:
                return None


            def start_beat() -> None:
                app.Beat().run()
            """,
        "main.py": """
            import sys

            from proj.beat_service import start_beat

            if __name__ == "__main__":
                if sys.argv[1] == "beat":
                    start_beat()
            """,
        "k8s/beat.yaml": deployment('["python", "main.py", "worker"]'),
    }
    assert not bgt024(tmp_path, files)
