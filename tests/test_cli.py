"""The command line end to end: formats, exit codes, inventory --check, cache options."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from check_background_tasks.cli import main

# A small service with one unlocked periodic job (BGT020, a warning) and a locked one.
SERVICE = {
    "svc/__init__.py": "",
    "svc/jobs.py": """
        from redis import Redis
        r = Redis()

        def cleanup():
            return 0

        def refresh():
            with r.lock("refresh"):
                return 1
        """,
    "svc/scheduler.py": """
        from apscheduler.schedulers.background import BackgroundScheduler
        from svc.jobs import cleanup, refresh

        scheduler = BackgroundScheduler()
        scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
        scheduler.add_job(refresh, "cron", hour=3, id="refresh")
        """,
}
# The same, deployed by a command the process model cannot read: how many processes run
# the scheduler is unknown, and the unlocked job is a warning (with no deployment
# description at all, as in SERVICE, it is info).
DEPLOYED = {**SERVICE, "svc/Dockerfile": 'FROM python:3.12-slim\nCMD ["serve-the-app"]\n'}

CLEAN = {
    "svc/__init__.py": "",
    "svc/util.py": "def nothing():\n    return 1\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one in-process run."""
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_text_finds_the_unlocked_job(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    code, out, _ = run_cli(["svc", "--no-cache"], capsys)
    assert code == 1
    assert "svc/scheduler.py:5:1: BGT020" in out
    assert "refresh" not in out.split("BGT020", 1)[1].splitlines()[0]


def test_clean_tree_exits_zero(tmp_path, capsys):
    write(tmp_path, CLEAN)
    code, out, _ = run_cli(["check", "svc"], capsys)
    assert (code, out) == (0, "All checks passed!\n")


def test_fail_on_error_ignores_warnings(tmp_path, capsys):
    write(tmp_path, SERVICE)
    code, _, _ = run_cli(["svc", "--fail-on", "error"], capsys)
    assert code == 0


def test_exit_zero(tmp_path, capsys):
    write(tmp_path, SERVICE)
    assert run_cli(["svc", "--exit-zero"], capsys)[0] == 0


def test_missing_path_is_a_usage_error(tmp_path, capsys):
    code, _, err = run_cli(["check", "nope"], capsys)
    assert code == 2
    assert err.strip() == "error: nope: no such file or directory"


def test_bad_format_is_a_usage_error(tmp_path, capsys):
    assert run_cli(["check", "--format", "xml"], capsys)[0] == 2


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["check", "--format", "xml"], "Invalid value for '--format': 'xml' is not one of"),
        (["--bogus"], "No such option '--bogus'."),
        # No abbreviations (a later option must never change what one meant); a suggestion.
        (["--form", "json"], "No such option '--form'. Did you mean '--format'?"),
        (["-j", "0"], "Invalid value for '--jobs' / '-j': 0 is not in the range 1<=x<=256."),
        (["--jobs", "many"], "Invalid value for '--jobs' / '-j': 'many' is not a valid integer"),
        (["--baseline", "svc"], "Invalid value for '--baseline': svc is a directory"),
        (["inventory", "--check", "svc"], "Invalid value for '--check': svc is a directory"),
        (
            ["--cache-dir", "svc/jobs.py"],
            "Invalid value for '--cache-dir': svc/jobs.py is not a directory",
        ),
        (["diff"], "Missing argument 'BASE'."),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path, capsys, args, said):
    write(tmp_path, SERVICE)
    code, out, err = run_cli(args, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {said}") and err.count("\n") == 1, err


def test_options_may_come_before_between_and_after_paths(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    (tmp_path / "more").mkdir()
    (tmp_path / "more/jobs.py").write_text(
        "from apscheduler.schedulers.background import BackgroundScheduler\n"
        "def tick():\n    pass\n"
        "BackgroundScheduler().add_job(tick, 'interval', minutes=1, id='tick')\n"
    )
    found = set()
    for args in (
        ["--format", "json", "svc", "more"],
        ["svc", "--format", "json", "more"],
        ["svc", "more", "--format", "json"],
        ["check", "svc", "--no-cache", "more", "--format", "json"],
    ):
        code, out, _ = run_cli([*args, "--select", "BGT020"], capsys)
        assert code == 1
        found.add(tuple(sorted(f["file"] for f in json.loads(out))))
    assert found == {("more/jobs.py", "svc/scheduler.py")}


def test_paths_after_double_dash_may_start_with_a_dash(tmp_path, capsys):
    write(tmp_path, SERVICE)
    (tmp_path / "-odd").mkdir()
    (tmp_path / "-odd/tasks.py").write_text("import asyncio\nasyncio.create_task(work())\n")
    args = ["check", "--format", "json", "--select", "BGT021", "--", "-odd"]
    code, out, err = run_cli(args, capsys)
    assert (code, err) == (1, "")
    assert [f["file"] for f in json.loads(out)] == ["-odd/tasks.py"]
    code, out, _ = run_cli(["--format", "json", "svc", "--", "-odd"], capsys)  # check: default
    assert {f["file"] for f in json.loads(out)} == {"-odd/tasks.py", "svc/scheduler.py"}
    # After `--` everything is a path, options included.
    code, _, err = run_cli(["check", "--", "-odd", "--no-cache"], capsys)
    assert code == 2 and err.strip() == "error: --no-cache: no such file or directory"


def test_help_lists_the_commands(capsys):
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    assert all(f"  {name} " in out for name in ("check", "inventory", "report", "diff", "rule"))
    code, out, _ = run_cli(["inventory", "--help"], capsys)
    assert code == 0 and out.startswith("Usage: check-background-tasks inventory")


def test_json_is_the_finding_contract(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    code, out, _ = run_cli(["svc", "--format", "json"], capsys)
    assert code == 1
    records = json.loads(out)
    assert records and isinstance(records, list)
    for key in ("code", "name", "severity", "message", "file", "line", "column"):
        assert key in records[0]


def test_output_file_is_written(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    code, out, _ = run_cli(["svc", "--format", "json", "-o", "report.json"], capsys)
    assert code == 1 and out == ""
    assert json.loads((tmp_path / "report.json").read_text())[0]["code"] == "BGT020"


def test_markdown_format(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    _, out, _ = run_cli(["svc", "--format", "markdown"], capsys)
    assert out.startswith("### check-background-tasks: 1 finding (1 warning)")
    assert "| Severity | Code | Location | Message |" in out
    assert "svc/scheduler.py:5:1" in out


def test_inventory_csv_header_and_rows(tmp_path, capsys):
    write(tmp_path, SERVICE)
    code, out, _ = run_cli(["inventory", "svc", "--format", "csv"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "kind,name,target,schedule,cron,interval_seconds,timezone,locked,lock_key,file,line,column"
    )
    assert len(lines) == 3


def test_inventory_check_up_to_date_and_stale(tmp_path, capsys):
    write(tmp_path, SERVICE)
    assert run_cli(["inventory", "-o", "jobs.csv"], capsys)[0] == 0
    code, out, err = run_cli(["inventory", "--check", "jobs.csv"], capsys)
    assert (code, out, err) == (0, "", "")
    scheduler = tmp_path / "svc/scheduler.py"
    scheduler.write_text(scheduler.read_text().replace("minutes=5", "minutes=10"))
    code, out, err = run_cli(["inventory", "--check", "jobs.csv"], capsys)
    assert code == 1
    assert "--- jobs.csv (committed)" in out and "+++ jobs.csv (current code)" in out
    assert '-apscheduler,cleanup,svc.jobs.cleanup,"""interval"", minutes=5"' in out
    assert '+apscheduler,cleanup,svc.jobs.cleanup,"""interval"", minutes=10"' in out
    assert len(out.splitlines()) < 12  # short: one line of context
    assert "regenerate it with: check-background-tasks inventory --format csv -o jobs.csv" in err
    # -o rewrites it, after which --check passes again.
    assert run_cli(["inventory", "-o", "jobs.csv"], capsys)[0] == 0
    assert run_cli(["inventory", "--check", "jobs.csv"], capsys)[0] == 0


def test_inventory_check_missing_file(tmp_path, capsys):
    write(tmp_path, SERVICE)
    code, _, err = run_cli(["inventory", "--check", "jobs.csv"], capsys)
    assert code == 1
    assert "jobs.csv does not exist" in err


def test_inventory_check_json_by_suffix_and_crlf(tmp_path, capsys):
    write(tmp_path, SERVICE)
    run_cli(["inventory", "-o", "jobs.json"], capsys)
    assert json.loads((tmp_path / "jobs.json").read_text())[0]["kind"] == "apscheduler"
    crlf = (tmp_path / "jobs.json").read_text().replace("\n", "\r\n")
    (tmp_path / "jobs.json").write_bytes(crlf.encode())  # a Windows checkout
    assert run_cli(["inventory", "--check", "jobs.json"], capsys)[0] == 0


def test_inventory_check_and_output_conflict(tmp_path, capsys):
    assert run_cli(["inventory", "--check", "a.csv", "-o", "b.csv"], capsys)[0] == 2


def test_cache_dir_option_and_gitignore(tmp_path, capsys):
    write(tmp_path, SERVICE)
    run_cli(["svc", "--cache-dir", "cachedir"], capsys)
    assert (tmp_path / "cachedir" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert list((tmp_path / "cachedir").glob("facts-*.pickle"))
    assert not (tmp_path / ".check_background_tasks_cache").exists()


def test_default_cache_in_project_root(tmp_path, capsys):
    write(tmp_path, SERVICE)
    (tmp_path / "pyproject.toml").write_text("[tool.check-background-tasks]\n")
    sub = tmp_path / "svc"
    run_cli([str(sub)], capsys)
    assert (tmp_path / ".check_background_tasks_cache" / ".gitignore").is_file()


def test_no_cache_writes_nothing(tmp_path, capsys):
    write(tmp_path, SERVICE)
    run_cli(["svc", "--no-cache"], capsys)
    assert not (tmp_path / ".check_background_tasks_cache").exists()


def test_version(capsys):
    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0 and out.startswith("check-background-tasks, version ")


def test_max_file_size_from_config_reaches_the_extractor(tmp_path, capsys):
    write(tmp_path, SERVICE)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.check-background-tasks]\nmax-file-size = 100\nselect = ['BGT900']\n"
    )
    _, out, _ = run_cli(["svc", "--format", "json"], capsys)
    messages = {f["file"]: f["message"] for f in json.loads(out)}
    assert "larger than max-file-size" in messages["svc/scheduler.py"]


def test_pyproject_of_another_tool_is_not_ours_to_parse(tmp_path, capsys):
    """Broken TOML that cannot hold our section is another tool's business: the scan runs
    (and the inner file does not hide an outer one that configures us)."""
    write(tmp_path, SERVICE)
    (tmp_path / "pyproject.toml").write_text("[tool.check-background-tasks]\nignore = ['BGT020']\n")
    (tmp_path / "svc" / "pyproject.toml").write_text("[tool.poetry\nname = 'svc'\n")
    code, out, err = run_cli(["svc"], capsys)
    assert (code, err) == (0, "")
    assert "All checks passed" in out


def test_invalid_toml_that_configures_us_is_a_usage_error(tmp_path, capsys):
    write(tmp_path, SERVICE)
    (tmp_path / "pyproject.toml").write_text("[tool.check-background-tasks]\nselect = [\n")
    code, _, err = run_cli(["svc"], capsys)
    assert code == 2
    assert "pyproject.toml: invalid TOML" in err and len(err.strip().splitlines()) == 1


def test_output_to_a_fifo_is_written_through_not_replaced(tmp_path, capsys):
    """`-o /dev/null` once replaced /dev/null with a regular file: special files are
    written through. (A FIFO stands in for the device, so a regression cannot break the
    machine running the test.)"""
    import stat
    import threading

    write(tmp_path, DEPLOYED)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, out, _ = run_cli(["svc", "--format", "json", "-o", str(fifo)], capsys)
    reader.join(timeout=30)
    assert code == 1 and out == ""
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(received[0])[0]["code"] == "BGT020"


def test_output_through_a_symlink_keeps_the_link(tmp_path, capsys):
    write(tmp_path, SERVICE)
    (tmp_path / "real.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to("real.csv")
    assert run_cli(["inventory", "svc", "-o", "link.csv"], capsys)[0] == 0
    assert (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "real.csv").read_text().startswith("kind,name,")


def test_output_to_a_directory_is_a_usage_error(tmp_path, capsys):
    write(tmp_path, SERVICE)
    code, _, err = run_cli(["svc", "-o", "svc"], capsys)
    assert code == 2 and err.strip() == "error: svc is a directory"


def test_a_config_file_given_by_name_is_always_parsed(tmp_path, capsys):
    write(tmp_path, SERVICE)
    (tmp_path / "bad.toml").write_text("[tool.ruff\n")
    code, _, err = run_cli(["svc", "--config", "bad.toml"], capsys)
    assert code == 2 and "bad.toml: invalid TOML" in err
