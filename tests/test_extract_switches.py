"""Configuration switches as one file tells them (extract/switches.py): the tests that
gate a scheduler start or a call on the way to it, and the functions that only return a
configuration reading. Every construct has a positive case and a near miss."""

from __future__ import annotations

import textwrap

from check_background_tasks.extract import extract
from check_background_tasks.model import Switch

# ------------------------------------------------------------------ extraction


def start_switch(code: str) -> Switch | None:
    """`code` follows HEAD: the start's switch."""
    facts = extract("app/main.py", (textwrap.dedent(HEAD) + code).encode(), "app.main")
    assert facts.processes is not None and len(facts.processes.starts) == 1
    return facts.processes.starts[0].switch


HEAD = """
    import os

    from apscheduler.schedulers.background import BackgroundScheduler
    from flask import current_app

    scheduler = BackgroundScheduler()
"""


def test_an_app_config_reading_around_the_start_is_a_switch() -> None:
    switch = start_switch("\nif current_app.config['RUN_SCHEDULER']:\n    scheduler.start()\n")
    assert switch is not None
    assert (switch.name, switch.negated, switch.how) == ("RUN_SCHEDULER", False, "words")


def test_a_test_that_reads_no_configuration_is_no_switch() -> None:
    code = "\njobs = [1]\nif jobs:\n    scheduler.start()\n"
    assert start_switch(code) is None


def test_a_mode_setting_is_no_switch() -> None:
    """`if not settings.TESTING`: false in every production process, so no choice."""
    code = "\nfrom django.conf import settings\nif not settings.TESTING:\n    scheduler.start()\n"
    assert start_switch(code) is None


def test_an_environment_comparison_keeps_its_values() -> None:
    code = '\nif os.getenv("RUN_JOBS", "false").lower() == "true":\n    scheduler.start()\n'
    switch = start_switch(code)
    assert switch is not None
    assert (switch.name, switch.how, switch.values, switch.fold) == (
        "RUN_JOBS",
        "equals",
        ("true",),
        True,
    )


def test_the_else_branch_runs_where_the_switch_is_off() -> None:
    code = '\nif os.environ.get("NO_JOBS"):\n    pass\nelse:\n    scheduler.start()\n'
    switch = start_switch(code)
    assert switch is not None and switch.negated and switch.how == "raw"


def test_a_name_imported_from_a_settings_module_is_a_reading() -> None:
    code = (
        "\nfrom app.settings import SCHEDULER_ENABLED\n"
        "if SCHEDULER_ENABLED:\n    scheduler.start()\n"
    )
    switch = start_switch(code)
    assert switch is not None and switch.name == "SCHEDULER_ENABLED"


def test_or_with_a_test_that_is_no_reading_is_no_switch() -> None:
    code = '\nready = True\nif ready or os.getenv("RUN_JOBS"):\n    scheduler.start()\n'
    assert start_switch(code) is None


def test_and_with_another_test_keeps_the_switch() -> None:
    code = '\nready = True\nif ready and os.getenv("RUN_JOBS"):\n    scheduler.start()\n'
    switch = start_switch(code)
    assert switch is not None and switch.name == "RUN_JOBS"


GUARDED = """
    from apscheduler.schedulers.background import BackgroundScheduler


    def should_start(app) -> bool:
        if not app.config["RUN_SCHEDULER"]:
            return False
        if app.config["ENV"] == "local" and app.config["RELOADER"]:
            return False
        return True


    def start_if_appropriate(app) -> None:
        if not should_start(app):
            return None
        start(app)


    def start(app) -> None:
        scheduler = BackgroundScheduler()
        add_jobs(app, scheduler)
        scheduler.start()


    def add_jobs(app, scheduler) -> None:
        scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
        scheduler.add_job(report, "interval", minutes=10, id="report")


    def cleanup():
        pass


    def report():
        pass
"""


def test_an_early_return_on_a_function_that_returns_a_reading_gates_its_calls() -> None:
    facts = extract("app/jobs.py", textwrap.dedent(GUARDED).encode(), "app.jobs")
    assert facts.processes is not None
    switch = facts.processes.call_switches["start_if_appropriate"]["app.jobs.start"]
    assert (switch.name, switch.via, switch.negated) == ("RUN_SCHEDULER", "should_start()", False)
    assert set(facts.processes.switch_functions) == {"should_start"}


def test_a_scheduler_handed_to_a_function_is_the_one_its_callers_pass() -> None:
    facts = extract("app/jobs.py", textwrap.dedent(GUARDED).encode(), "app.jobs")
    assert facts.processes is not None
    identities = {identity for _, _, identity in facts.processes.job_schedulers}
    assert identities == {"app.jobs.start.<locals>.scheduler"}


def test_a_function_that_returns_true_on_a_test_of_its_own_is_no_switch() -> None:
    code = GUARDED.replace(
        'if app.config["ENV"] == "local" and app.config["RELOADER"]:\n            return False',
        "if app.debug:\n            return True",
    )
    facts = extract("app/jobs.py", textwrap.dedent(code).encode(), "app.jobs")
    assert facts.processes is not None
    assert facts.processes.switch_functions == {}
    assert facts.processes.call_switches == {}
