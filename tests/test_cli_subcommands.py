"""Processes that run one Python command line with different sub-commands (deploy/cli.py,
extract/cli_commands.py): only the function registered for the sub-command a process
names runs there.

Each tree is a service whose compose file runs `python -m svc <sub-command>` in several
services; the scheduler starts in `svc/clock.py:run`, which only the clock sub-command
calls. Positives for typer, click and argparse, each with near misses: a process running
another sub-command does not count; a sub-command set at run time stays unknown (never
"does not run"); a group callback that starts the scheduler counts for every sub-command.
"""

from __future__ import annotations

from pathlib import Path

from helpers import findings, records

CLOCK = """
    from apscheduler.schedulers.background import BackgroundScheduler


    def cleanup():
        pass


    def run():
        scheduler = BackgroundScheduler()
        scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
        scheduler.start()
    """
WORKER = """
    def work(queue):
        pass
    """
MAIN = """
    from svc.cli import main

    if __name__ == "__main__":
        main()
    """
TYPER_CLI = """
    import typer

    app = typer.Typer()


    @app.command()
    def run_scheduler():
        from svc import clock

        clock.run()


    @app.command()
    def run_worker(queue: str):
        from svc.worker import work

        work(queue)


    def main():
        app()
    """


def compose(clock: str, worker: str, worker_replicas: int = 3, clock_replicas: int = 1) -> str:
    return f"""
        services:
          clock:
            build: .
            command: {clock}
            deploy:
              replicas: {clock_replicas}
          worker:
            build: .
            command: {worker}
            deploy:
              replicas: {worker_replicas}
        """


def service(cli: str, clock: str, worker: str, **more: str) -> dict[str, str]:
    return {
        "svc/__init__.py": "",
        "svc/__main__.py": MAIN,
        "svc/cli.py": cli,
        "svc/clock.py": CLOCK,
        "svc/worker.py": WORKER,
        "docker-compose.yml": compose(clock, worker),
        **more,
    }


def processes(tmp_path: Path, files: dict[str, str]) -> dict:
    """The inventory's `processes` of the 'cleanup' job."""
    found = [r for r in records(tmp_path, files) if r["name"] == "cleanup"]
    assert len(found) == 1
    return found[0]["processes"]


# ---------------------------------------------------------------------- typer


def test_typer_only_the_named_sub_command_starts_the_scheduler(tmp_path: Path) -> None:
    files = service(TYPER_CLI, "python -m svc run-scheduler", "python -m svc run-worker high")
    found = processes(tmp_path, files)
    assert found["count"] == 1  # the three workers run run-worker: not counted
    assert "docker-compose service 'clock'" in found["process"]
    assert any(
        "sub-command `run-scheduler` runs run_scheduler (svc/cli.py:8)" in e
        for e in found["evidence"]
    ), found["evidence"]
    assert findings(tmp_path, files, code="BGT020") == []  # one process: safe


def test_typer_sub_command_run_in_several_replicas_is_counted(tmp_path: Path) -> None:
    files = service(
        TYPER_CLI,
        "python -m svc run-scheduler",
        "python -m svc run-worker high",
        **{"docker-compose.yml": compose("python -m svc run-scheduler", "sleep 1", 1, 2)},
    )
    found = processes(tmp_path, files)
    assert found["count"] == 2
    [finding] = findings(tmp_path, files, code="BGT020")
    assert "runs in 2 processes: 2 replicas (docker-compose.yml:" in finding.message


def test_typer_sub_command_set_at_run_time_stays_unknown(tmp_path: Path) -> None:
    files = service(TYPER_CLI, "python -m svc run-scheduler", "python -m svc $COMMAND")
    found = processes(tmp_path, files)
    assert found["count"] is None  # the workers may run run-scheduler: not "one"
    assert "up to 4 processes" in found["note"]
    [finding] = findings(tmp_path, files, code="BGT020")
    assert finding.severity == "warning"


def test_typer_named_command_and_callback(tmp_path: Path) -> None:
    cli = """
        import typer

        app = typer.Typer()


        @app.callback()
        def setup():
            from svc import clock

            clock.run()


        @app.command("clock")
        def clock_command():
            pass


        @app.command(name="work")
        def worker_command(queue: str):
            pass


        def main():
            app()
        """
    files = service(cli, "python -m svc clock", "python -m svc work high")
    found = processes(tmp_path, files)
    # the callback runs before every sub-command: the three workers start it too
    assert found["count"] == 3
    assert "docker-compose service 'worker'" in found["process"]


def test_typer_nested_group(tmp_path: Path) -> None:
    cli = """
        import typer

        app = typer.Typer()
        jobs = typer.Typer()
        app.add_typer(jobs, name="jobs")


        @jobs.command()
        def clock():
            from svc import clock

            clock.run()


        @jobs.command()
        def work():
            pass


        def main():
            app()
        """
    files = service(cli, "python -m svc jobs clock", "python -m svc jobs work")
    assert processes(tmp_path, files)["count"] == 1


def test_a_caller_outside_the_command_line_keeps_it_unknown(tmp_path: Path) -> None:
    # `run` is also called by a function nothing registers (found by looking for the
    # files that import svc.clock): a worker may reach it, so the count is not known
    other = """
        from svc import clock


        def nightly():
            clock.run()
        """
    files = service(
        TYPER_CLI,
        "python -m svc run-scheduler",
        "python -m svc run-worker high",
        **{"svc/nightly.py": other},
    )
    assert processes(tmp_path, files)["count"] is None


def test_an_entry_without_a_known_dispatcher_keeps_it_unknown(tmp_path: Path) -> None:
    main = """
        import sys

        from svc.cli import run_scheduler, run_worker

        if __name__ == "__main__":
            if sys.argv[1] == "run-scheduler":
                run_scheduler()
            else:
                run_worker(sys.argv[2])
        """
    cli = """
        def run_scheduler():
            from svc import clock

            clock.run()


        def run_worker(queue):
            pass
        """
    files = service(
        cli,
        "python -m svc run-scheduler",
        "python -m svc run-worker high",
        **{"svc/__main__.py": main},
    )
    assert processes(tmp_path, files)["count"] is None


# ---------------------------------------------------------------------- click


CLICK_CLI = """
    import click


    @click.group()
    def cli():
        pass


    @cli.command()
    def run_scheduler_command():
        from svc import clock

        clock.run()


    @click.command(name="work")
    @click.argument("queue")
    def worker(queue):
        pass


    cli.add_command(worker)


    def main():
        cli()
    """


def test_click_only_the_named_sub_command_starts_the_scheduler(tmp_path: Path) -> None:
    # click 8.2 names `run_scheduler_command` `run-scheduler`; older click
    # `run-scheduler-command`: a process naming either runs it
    for name in ("run-scheduler", "run-scheduler-command"):
        files = service(CLICK_CLI, f"python -m svc {name}", "python -m svc work high")
        found = processes(tmp_path / name, files)
        assert found["count"] == 1, name
        assert any(f"sub-command `{name}`" in e for e in found["evidence"])


def test_click_other_sub_command_in_every_process_is_not_counted(tmp_path: Path) -> None:
    files = service(CLICK_CLI, "python -m svc work low", "python -m svc work high")
    found = processes(tmp_path, files)
    # nothing runs it: not "one", and not unknown either; BGT020 has nothing to say
    # about a count it cannot state, so it keeps its warning about the code
    assert found["count"] is None
    assert "worker" not in found.get("note", "")


def test_click_unknown_sub_command_stays_unknown(tmp_path: Path) -> None:
    files = service(CLICK_CLI, "python -m svc run-scheduler", "python -m svc serve")
    assert processes(tmp_path, files)["count"] is None


def test_click_group_callback_runs_for_every_sub_command(tmp_path: Path) -> None:
    cli = """
        import click


        @click.group()
        def cli():
            from svc import clock

            clock.run()


        @cli.command()
        def clock():
            pass


        @cli.command()
        def work():
            pass


        if __name__ == "__main__":
            cli()
        """
    files = service(cli, "python -m svc.cli clock", "python -m svc.cli work")
    found = processes(tmp_path, files)
    assert found["count"] == 3
    assert "docker-compose service 'worker'" in found["process"]


# ------------------------------------------------------------------- argparse


ARGPARSE_MAIN = """
    import argparse

    from svc import clock, worker


    def main():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        sub.add_parser("clock", aliases=["tick"]).set_defaults(func=clock.run)
        work = sub.add_parser("work")
        work.add_argument("queue")
        work.set_defaults(func=worker.work)
        args = parser.parse_args()
        args.func()


    if __name__ == "__main__":
        main()
    """


def test_argparse_only_the_named_sub_command_starts_the_scheduler(tmp_path: Path) -> None:
    for name in ("clock", "tick"):
        files = service(
            "",
            f"python -m svc {name}",
            "python -m svc work high",
            **{"svc/__main__.py": ARGPARSE_MAIN},
        )
        found = processes(tmp_path / name, files)
        assert found["count"] == 1, name


def test_argparse_option_before_the_sub_command_is_skipped(tmp_path: Path) -> None:
    files = service(
        "",
        "python -m svc --verbose clock",
        "python -m svc -v work high",
        **{"svc/__main__.py": ARGPARSE_MAIN},
    )
    assert processes(tmp_path, files)["count"] == 1


def test_argparse_dispatch_by_comparison(tmp_path: Path) -> None:
    main = """
        import argparse

        from svc import clock, worker

        if __name__ == "__main__":
            parser = argparse.ArgumentParser()
            sub = parser.add_subparsers(dest="command")
            sub.add_parser("clock")
            sub.add_parser("work")
            args = parser.parse_args()
            if args.command == "clock":
                clock.run()
            else:
                worker.work("q")
        """
    files = service(
        "", "python -m svc clock", "python -m svc work high", **{"svc/__main__.py": main}
    )
    assert processes(tmp_path, files)["count"] == 1


# ------------------------------------------------------- BGT023 and BGT022


CLOCK_AT_IMPORT = """
    from apscheduler.schedulers.background import BackgroundScheduler


    def cleanup():
        pass


    scheduler = BackgroundScheduler()
    scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
    scheduler.start()
    """
LAZY_TYPER_CLI = """
    import typer

    app = typer.Typer()


    @app.command()
    def run_scheduler():
        import time

        from svc import clock

        while True:
            time.sleep(60)


    @app.command()
    def run_worker(queue: str):
        pass


    def main():
        app()
    """


def import_time_service(clock_replicas: int, worker: str = "python -m svc run-worker high"):
    return service(
        LAZY_TYPER_CLI,
        "python -m svc run-scheduler",
        worker,
        **{
            "svc/clock.py": CLOCK_AT_IMPORT,
            "docker-compose.yml": compose(
                "python -m svc run-scheduler", worker, clock_replicas=clock_replicas
            ),
        },
    )


def test_bgt023_module_imported_by_a_sub_command_counts_its_processes(tmp_path: Path) -> None:
    # imported only inside run_scheduler: loaded where a process names run-scheduler (2
    # replicas), not in the three workers
    [finding] = findings(tmp_path, import_time_service(2), code="BGT023")
    assert "svc.clock is imported in 2 processes: 2 replicas (docker-compose.yml:" in (
        finding.message
    )
    assert processes(tmp_path / "inv", import_time_service(2))["count"] == 2


def test_bgt023_module_imported_by_a_sub_command_one_process(tmp_path: Path) -> None:
    assert findings(tmp_path, import_time_service(1), code="BGT023") == []
    assert processes(tmp_path / "inv", import_time_service(1))["count"] == 1


def test_bgt023_sub_command_unknown_keeps_the_warning(tmp_path: Path) -> None:
    files = import_time_service(1, worker="python -m svc $COMMAND")
    [finding] = findings(tmp_path, files, code="BGT023")
    assert finding.severity == "warning"
    assert "every process that imports svc.clock" in finding.message


LOOP_AT_IMPORT = """
    import threading
    import time


    def refresh_rates():
        while True:
            time.sleep(60)


    threading.Thread(target=refresh_rates, daemon=True).start()
    """


def test_bgt022_loop_in_a_module_a_sub_command_imports(tmp_path: Path) -> None:
    files = import_time_service(2)
    files["svc/clock.py"] = LOOP_AT_IMPORT
    [finding] = findings(tmp_path, files, code="BGT022")
    assert "runs in 2 processes: 2 replicas (docker-compose.yml:" in finding.message
    files = import_time_service(1)
    files["svc/clock.py"] = LOOP_AT_IMPORT
    assert findings(tmp_path / "one", files, code="BGT022") == []


# ------------------------------------------------- a branch on the first word


def test_sys_argv_branch_calling_a_local_function(tmp_path: Path) -> None:
    main = """
        import sys

        from svc import clock


        def run_clock():
            clock.run()


        if __name__ == "__main__":
            if sys.argv[1] == "clock":
                run_clock()
            elif sys.argv[1] in ("work", "worker"):
                pass
        """
    files = service(
        "", "python -m svc clock", "python -m svc worker high", **{"svc/__main__.py": main}
    )
    found = processes(tmp_path, files)
    assert found["count"] == 1
    assert any("sub-command `clock` (svc/__main__.py:" in e for e in found["evidence"])
    # sys.argv[1] is the first word as typed: after an option it is that option
    files["docker-compose.yml"] = compose("python -m svc clock", "python -m svc -v worker")
    assert processes(tmp_path / "option", files)["count"] is None


def test_a_start_right_under_a_match_case(tmp_path: Path) -> None:
    main = """
        import sys

        from apscheduler.schedulers.blocking import BlockingScheduler


        def cleanup():
            pass


        scheduler = BlockingScheduler()
        scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")

        if __name__ == "__main__":
            match sys.argv[1]:
                case "clock" | "tick":
                    scheduler.start()
                case _:
                    pass
        """
    files = service(
        "",
        "python -m svc tick",
        "python -m svc work high",
        **{"svc/__main__.py": main, "svc/clock.py": ""},
    )
    assert processes(tmp_path, files)["count"] == 1
    # before: started under the main guard, so every `python -m svc` process counted
    files["docker-compose.yml"] = compose("python -m svc tick", "python -m svc tick")
    assert processes(tmp_path / "both", files)["count"] == 3


def test_click_group_invoked_as_main_from_another_module(tmp_path: Path) -> None:
    main = """
        from svc.cli import cli

        cli.main(prog_name="svc")
        """
    cli = CLICK_CLI.replace("def main():\n        cli()", "def unused():\n        pass")
    files = service(
        cli, "python -m svc run-scheduler", "python -m svc work high", **{"svc/__main__.py": main}
    )
    assert processes(tmp_path, files)["count"] == 1


# ------------------------------------------------------------- other images


def test_another_projects_image_runs_its_own_program(tmp_path: Path) -> None:
    # the typer service with a sidecar: `fasttext-serving` in messense/fasttext-serving
    # is that image's program, not this project's code; the count is known again
    sidecar = """
          fasttext:
            image: messense/fasttext-serving
            entrypoint: "fasttext-serving --model=/models/lid.176.bin --port 8000"
        """
    files = service(TYPER_CLI, "python -m svc run-scheduler", "python -m svc run-worker q")
    files["docker-compose.yml"] = compose(
        "python -m svc run-scheduler", "python -m svc run-worker q"
    ).rstrip(" ") + sidecar.lstrip("\n")
    assert processes(tmp_path, files)["count"] == 1


def test_the_projects_own_image_with_an_unknown_program_stays_unknown(tmp_path: Path) -> None:
    sidecar = """
          svc-tool:
            image: ghcr.io/acme/svc:latest
            command: svc-tool serve
        """
    files = service(TYPER_CLI, "python -m svc run-scheduler", "python -m svc run-worker q")
    files["docker-compose.yml"] = compose(
        "python -m svc run-scheduler", "python -m svc run-worker q"
    ).rstrip(" ") + sidecar.lstrip("\n")
    found = processes(tmp_path, files)
    assert found["count"] is None
    assert "svc-tool" in found["note"]
    # the process seen to start it is named all the same
    assert found["process"] == "docker-compose service 'clock' (python -m svc run-scheduler)"
