"""Output for people: the inventory table fits the terminal, colour only where wanted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_cli import DEPLOYED, run_cli, write

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample-service"
ANSI = re.compile(r"\x1b\[")


@pytest.mark.parametrize("columns", [80, 100, 120, 160, 240])
def test_the_inventory_table_fits_the_terminal(columns, capsys, monkeypatch):
    monkeypatch.chdir(SAMPLE)
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run_cli(["inventory", "--no-cache", "--format", "table"], capsys)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= columns
    _, records, _ = run_cli(["inventory", "--no-cache", "--format", "json"], capsys)
    for record in json.loads(records):  # file:line whole, so a terminal can open it
        assert f"{record['file']}:{record['line']}" in out
    assert not ANSI.search(out)


def terminal(monkeypatch, colour: bool = True) -> None:
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    if colour:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", "1")


def test_no_colour_in_a_pipe_colour_on_a_terminal(tmp_path, capsys, monkeypatch):
    write(tmp_path, DEPLOYED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, piped, _ = run_cli(["svc", "--no-cache"], capsys)
    assert "BGT020" in piped and not ANSI.search(piped)
    terminal(monkeypatch)
    _, coloured, _ = run_cli(["svc", "--no-cache"], capsys)
    assert ANSI.search(coloured)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert plain.splitlines()[0] == piped.splitlines()[0]  # the same words


def test_force_color_and_no_color(tmp_path, capsys, monkeypatch):
    write(tmp_path, DEPLOYED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert ANSI.search(run_cli(["svc", "--no-cache"], capsys)[1])
    monkeypatch.setenv("NO_COLOR", "1")  # wins, as no-color.org asks
    assert not ANSI.search(run_cli(["svc", "--no-cache"], capsys)[1])


def test_report_hint_only_on_a_terminal_with_the_users_paths(tmp_path, capsys, monkeypatch):
    write(tmp_path, DEPLOYED)
    monkeypatch.chdir(tmp_path)
    _, piped, _ = run_cli(["svc", "--no-cache"], capsys)
    assert "See when every job fires" not in piped  # pre-commit, CI logs
    terminal(monkeypatch, colour=False)
    _, out, _ = run_cli(["svc", "--no-cache"], capsys)
    assert out.endswith(
        "See when every job fires: check-background-tasks report svc -o background-tasks.html\n"
    )
    _, out, _ = run_cli(["svc", "--no-cache", "--quiet"], capsys)
    assert "See when" not in out and "Found" not in out and "BGT020" in out


def test_quiet_prints_findings_only(tmp_path, capsys, monkeypatch):
    write(tmp_path, DEPLOYED)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["svc", "-q", "--no-cache"], capsys)
    assert code == 1 and all(": BGT" in line for line in out.splitlines()) and err == ""
    assert run_cli(["empty", "-q"], capsys) == (0, "", "")
    code, out, err = run_cli(["empty"], capsys)
    assert out == "All checks passed!\n" and err.startswith("warning: no files to check")


def test_inventory_hint_keeps_the_users_paths(tmp_path, capsys, monkeypatch):
    write(tmp_path, DEPLOYED)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["inventory", "svc", "--check", "jobs.csv"], capsys)
    assert code == 1
    assert "create it with: check-background-tasks inventory svc --format csv -o jobs.csv" in err


def test_progress_on_a_terminal_from_discovery_to_the_rules(tmp_path, capsys, monkeypatch):
    import sys

    from check_background_tasks import cli_common

    write(tmp_path, DEPLOYED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(cli_common, "PROGRESS_DELAY_SECONDS", 0.0)
    seen: list[str] = []
    real = cli_common._Reporter.phase
    monkeypatch.setattr(
        cli_common._Reporter, "phase", lambda self, what: (seen.append(what), real(self, what))
    )
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, out, err = run_cli(["svc", "--no-cache"], capsys)
    assert code == 1 and "BGT020" in out
    assert seen == ["running the rules"]
    assert "finding files in svc" in err or "running the rules" in err
    seen.clear()
    run_cli(["svc", "--no-cache", "--quiet"], capsys)  # --quiet: none
    assert seen == []
