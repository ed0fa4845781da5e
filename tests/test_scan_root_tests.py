"""Which files are tests is judged below the scanned root, never on the path as given
(issue 16): a project under a directory named `tests`, checked from outside it or by its
absolute path, is not all tests. Test files give no jobs or starts to the process model,
so judging the path as given made every finding that rests on it vanish."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from check_background_tasks.cli import main

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample-service"
# A test of the project that starts a scheduler at import: no deployment runs it, so
# BGT023 (scheduler started at import) never names it, wherever the project lies.
TEST_START = """
    from apscheduler.schedulers.background import BackgroundScheduler

    from app.jobs import cleanup_expired_data_job

    scheduler = BackgroundScheduler()
    scheduler.add_job(cleanup_expired_data_job, "interval", minutes=5)
    scheduler.start()
    """


def _project(at: Path) -> Path:
    shutil.copytree(SAMPLE, at, ignore=shutil.ignore_patterns("expected-*.json"))
    (at / "tests").mkdir()
    (at / "tests" / "test_x.py").write_text(textwrap.dedent(TEST_START), encoding="utf-8")
    return at


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    try:
        main([*args, "--format", "json"])
    except SystemExit as exc:
        assert exc.code in (None, 0, 1), capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _same_paths(value: Any, prefix: str) -> Any:
    """`value` with `prefix` taken off every path in it, and no fingerprints (they hash
    the reported path)."""
    if isinstance(value, dict):
        return {k: _same_paths(v, prefix) for k, v in value.items() if k != "fingerprint"}
    if isinstance(value, list):
        return [_same_paths(v, prefix) for v in value]
    if isinstance(value, str) and prefix:
        # `procfile:tests/proj`: processes named after the directory their Procfile is
        # in (`procfile:` when that is the current one)
        return value.replace(prefix + "/", "").replace(":" + prefix, ":")
    return value


def _outputs(
    capsys: pytest.CaptureFixture[str], path: str, prefix: str, *more: str
) -> dict[str, Any]:
    return {
        command: _same_paths(_run([command, path, *more], capsys), prefix)
        for command in ("check", "inventory")
    }


@pytest.fixture
def trees(tmp_path: Path) -> Path:
    _project(tmp_path / "tests" / "proj")
    _project(tmp_path / "proj")
    return tmp_path


def _bgt023_files(findings: list[dict[str, Any]]) -> set[str]:
    return {f["file"] for f in findings if f["code"] == "BGT023"}


def test_a_project_under_tests_reads_as_one_that_is_not(trees, capsys, monkeypatch):
    monkeypatch.chdir(trees)
    plain = _outputs(capsys, "proj", "proj", "--no-cache")
    assert plain["check"] and plain["inventory"]
    # the control: the process model knows which process runs the jobs
    assert any(r.get("processes", {}).get("process") for r in plain["inventory"])
    assert _outputs(capsys, "tests/proj", "tests/proj", "--no-cache") == plain
    absolute = str(trees / "tests" / "proj")
    assert _outputs(capsys, absolute, "tests/proj", "--no-cache") == plain
    monkeypatch.chdir(trees / "tests" / "proj")
    assert _outputs(capsys, ".", "", "--no-cache") == plain
    monkeypatch.chdir(trees / "proj")
    assert _outputs(capsys, "../tests/proj", "../tests/proj", "--no-cache") == plain


def test_a_test_of_the_project_stays_a_test_from_outside(trees, capsys, monkeypatch):
    monkeypatch.chdir(trees)
    for path in ("tests/proj", str(trees / "tests" / "proj"), "proj"):
        assert _bgt023_files(_run(["check", path, "--no-cache"], capsys)) == set()
    # the control: the very start in the project's own code is reported
    shutil.move(trees / "proj" / "tests" / "test_x.py", trees / "proj" / "app" / "boot.py")
    assert _bgt023_files(_run(["check", "proj", "--no-cache"], capsys)) == {"proj/app/boot.py"}


def test_a_tests_directory_given_with_others_holds_tests(trees, capsys, monkeypatch):
    """`check app tests`, and pre-commit's list of files: paths are judged below the
    directory holding every path given, so the tests directory's helpers stay tests."""
    helper = trees / "proj" / "tests" / "helpers.py"
    shutil.move(trees / "proj" / "tests" / "test_x.py", helper)
    monkeypatch.chdir(trees / "proj")
    assert _bgt023_files(_run(["check", "app", "tests", "--no-cache"], capsys)) == set()
    files = ["app/main.py", "app/scheduler.py", "tests/helpers.py"]
    assert _bgt023_files(_run(["check", *files, "--no-cache"], capsys)) == set()
    # the control: the helper checked as part of the project's own code
    shutil.move(helper, trees / "proj" / "app" / "helpers.py")
    found = _bgt023_files(_run(["check", "app/main.py", "app/helpers.py", "--no-cache"], capsys))
    assert found == {"app/helpers.py"}


def test_the_cache_keeps_a_file_read_as_a_test_apart(trees, capsys, monkeypatch, tmp_path_factory):
    """The same bytes at the same path, once a test (`check .` above `tests/`) and once
    not (`check tests/proj`): extraction's facts depend on it, so the cache must not hand
    one run's facts, nor one run's findings, to the other."""
    cache = str(tmp_path_factory.mktemp("cache"))
    monkeypatch.chdir(trees)
    shutil.rmtree(trees / "proj")
    wanted = _outputs(capsys, "tests/proj", "tests/proj", "--no-cache")
    everything = _outputs(capsys, ".", "", "--no-cache")
    assert everything != wanted  # everything under tests/ is a test from here
    # each twice: the second run of a command reads its findings back (remembered)
    for path, prefix, want in [(".", "", everything), ("tests/proj", "tests/proj", wanted)] * 2:
        for _ in range(2):
            assert _outputs(capsys, path, prefix, "--cache-dir", cache) == want
