"""The console script in its own process: it leaves without tearing the interpreter down
(cli.console_main), so what it wrote and the exit code it meant must still get out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import DEPLOYED, SERVICE, run_cli, write

from check_background_tasks.cli import _exit_status

SCRIPT = [sys.executable, "-m", "check_background_tasks"]

# One module starting many tasks it never keeps: one BGT021 finding each, so the JSON
# output is far larger than a pipe's buffer (64 KiB on Linux).
MANY_TASKS = 1200


def dangling_tasks(root: Path) -> Path:
    calls = "".join(f"    asyncio.create_task(work({n}))\n" for n in range(MANY_TASKS))
    source = f"import asyncio\n\nasync def work(n):\n    return n\n\nasync def main():\n{calls}"
    (root / "app.py").write_text(source, encoding="utf-8")
    return root


# Standard output to a pipe is block-buffered, as for a user; this sandbox sets
# PYTHONUNBUFFERED, which would hide a write that was never flushed.
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def run_script(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCRIPT, *args], cwd=cwd, env=BUFFERED, capture_output=True, text=True, timeout=120
    )


def test_large_output_and_exit_code_match_an_in_process_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dangling_tasks(tmp_path)
    args = ["check", "--format", "json", "--no-cache", "."]
    result = run_script(args, tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(args, capsys)
    assert len(result.stdout) > 64 * 1024
    assert (result.returncode, result.stdout) == (code, out) == (1, out)
    assert len(json.loads(result.stdout)) == MANY_TASKS


@pytest.mark.parametrize(
    ("files", "args", "expected"),
    [
        ({"svc/__init__.py": ""}, ["check", "--no-cache", "svc"], 0),
        (DEPLOYED, ["check", "--no-cache", "svc"], 1),  # a warning: deployed, count unknown
        (SERVICE, ["check", "--no-such-option"], 2),
    ],
)
def test_exit_codes(tmp_path: Path, files: dict[str, str], args: list[str], expected: int) -> None:
    write(tmp_path, files)
    assert run_script(args, tmp_path).returncode == expected


def test_help_written_without_a_flush_still_reaches_a_pipe(tmp_path: Path) -> None:
    # --help leaves through an exception, with nothing flushed; a pipe is block-buffered.
    result = run_script(["inventory", "--help"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("Usage:") and "--format" in result.stdout


def test_a_reader_gone_before_the_output_ends_the_run_quietly(tmp_path: Path) -> None:
    dangling_tasks(tmp_path)
    with subprocess.Popen(
        [*SCRIPT, "check", "--no-cache", "--format", "json", "."],
        cwd=tmp_path,
        env=BUFFERED,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # long before the scan ends, as `| true` would
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=120)
    assert stderr == ""
    assert code == 141  # what a shell reports for a process that SIGPIPE ended


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["check", "nope"], 2), (["report", "--no-cache", "-o", "report.html", "."], 0)],
)
def test_a_closed_standard_output_keeps_the_exit_code(
    tmp_path: Path, args: list[str], expected: int
) -> None:
    # Started with descriptor 1 closed (`>&-`), Python's sys.stdout is None.
    closed = ["sh", "-c", 'exec "$0" "$@" >&-', *SCRIPT, *args]
    result = subprocess.run(
        closed, cwd=tmp_path, env=BUFFERED, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == expected


def test_exit_status_follows_the_interpreter(capsys: pytest.CaptureFixture[str]) -> None:
    assert [_exit_status(None), _exit_status(0), _exit_status(2)] == [0, 0, 2]
    assert _exit_status("stopped") == 1
    assert capsys.readouterr().err == "stopped\n"
