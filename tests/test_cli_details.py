"""The small things of issue 18's item 7, one test each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_cli import DEPLOYED, run_cli, write
from test_diff import repo  # noqa: F401  (the fixture)

from check_background_tasks import discover

ROOT = Path(__file__).resolve().parents[1]


def test_output_never_replaces_a_read_only_file(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    kept = tmp_path / "report.json"
    kept.write_text("keep me\n")
    kept.chmod(0o444)
    for args in (
        ["svc", "--format", "json", "-o", "report.json"],
        ["svc", "--write-baseline", "report.json"],
        ["inventory", "svc", "-o", "report.json"],
        ["report", "svc", "-o", "report.json"],
    ):
        code, _, err = run_cli([*args, "--no-cache"], capsys)
        assert (code, err) == (2, "error: cannot write report.json: the file is read-only\n")
    assert kept.read_text() == "keep me\n"


def test_an_unreadable_directory_is_said(tmp_path, capsys, monkeypatch):
    # Outside git, discovery walks the tree; root reads everything, so the refusal is
    # simulated where the walk meets it.
    write(tmp_path, {**DEPLOYED, "svc/locked/jobs.py": "x = 1\n"})
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith(os.sep + "locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(discover.os, "scandir", scandir)
    code, _, err = run_cli(["svc", "--no-cache"], capsys)
    assert code == 1
    assert "warning: cannot read directory svc/locked (permission denied)" in err
    assert discover.UNREADABLE == []  # said once, not carried into the next run


def test_diff_head_says_uncommitted_edits_are_not_compared(repo, capsys):  # noqa: F811
    code, _, err = run_cli(["diff", "base"], capsys)
    assert code == 0 and "uncommitted" not in err
    (repo / "svc/scheduler.py").write_text("# an edit\n")
    code, _, err = run_cli(["diff", "base"], capsys)
    assert code == 0 and "note: uncommitted changes are not compared" in err
    code, _, err = run_cli(["diff", "base", "base"], capsys)  # two commits: nothing to say
    assert "uncommitted" not in err


def test_a_passing_run_prints_no_fatal_error_dump():
    # The test that kills a worker on purpose used to print "Fatal Python error: Aborted"
    # and two stack dumps (faulthandler, inherited from pytest) into a passing run.
    test = (
        "tests/robustness/test_hostile_trees.py"
        "::test_a_worker_that_dies_while_files_are_still_being_read"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Fatal Python error" not in result.stdout + result.stderr


def test_config_error_names_the_file_for_a_config_option(tmp_path, capsys):
    (tmp_path / "check-background-tasks.toml").write_text('fail-on = "never"\n')
    code, _, err = run_cli(["--config", "check-background-tasks.toml", "."], capsys)
    assert code == 2
    assert err.startswith("error: check-background-tasks.toml: 'fail-on' must be one of")


MULTI_LINE = """import asyncio


async def main():
    asyncio.create_task(
        work()
    )  # noqa: BGT021
    asyncio.create_task(work())  # noqa: BGT021
"""


def test_a_noqa_on_the_closing_line_is_said(tmp_path, capsys):
    (tmp_path / "app.py").write_text(MULTI_LINE)
    code, out, err = run_cli(["app.py", "--no-cache"], capsys)
    assert code == 1 and "app.py:5:5: BGT021" in out and "app.py:8" not in out
    assert err == (
        "note: app.py:7: this noqa does not silence BGT021 reported at line 5: a noqa "
        "applies to the line a finding is reported on (the first line of a multi-line "
        "call); move it to line 5\n"
    )
    fixed = MULTI_LINE.replace("asyncio.create_task(\n", "asyncio.create_task(  # noqa: BGT021\n")
    (tmp_path / "app.py").write_text(fixed)
    assert run_cli(["app.py", "--no-cache"], capsys) == (0, "All checks passed!\n", "")


def test_the_hooks_run_when_a_configuration_file_changes():
    import re

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    for hook in hooks:
        files = re.compile(hook["files"])
        for changed in ("pyproject.toml", "svc/check-background-tasks.toml", "svc/jobs.py"):
            assert files.search(changed), (hook["id"], changed)
