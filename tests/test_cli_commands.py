"""The click command line: lazy command modules, shell completion, suggestions."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_cli import CLEAN, run_cli, write

from check_background_tasks.cli import COMMANDS, COMPLETE_VAR

LOADED = (
    "import sys\n"
    "from check_background_tasks.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(sorted(m for m in sys.modules if '.commands.' in m), file=sys.stderr)\n"
)


def loaded_commands(args: list[str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, timeout=60
    )
    return [m.rpartition(".")[2] for m in eval(result.stderr.strip().splitlines()[-1])]


def test_each_command_module_is_loaded_only_when_it_runs():
    assert loaded_commands(["rule", "BGT001"]) == ["rule"]
    assert loaded_commands(["--help"]) == []  # the listing needs no command module
    assert loaded_commands(["diff", "--help"]) == ["diff"]


def test_bare_paths_and_bare_options_mean_check(tmp_path, capsys, monkeypatch):
    write(tmp_path, CLEAN)
    monkeypatch.chdir(tmp_path)
    assert run_cli(["svc"], capsys)[:2] == (0, "All checks passed!\n")
    assert run_cli(["--format", "json"], capsys)[:2] == (0, "[]\n")
    assert run_cli([], capsys)[:2] == (0, "All checks passed!\n")


def test_a_mistyped_command_is_not_taken_for_a_missing_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["chekc", "."], capsys)
    assert (code, out) == (2, "")
    assert "'chekc' is neither a command nor a file or directory; did you mean 'check'?" in err
    assert run_cli(["invetnory"], capsys)[2].count("did you mean 'inventory'?") == 1
    # A word close to no command stays a path that does not exist.
    assert run_cli(["nope"], capsys)[2] == "error: nope: no such file or directory\n"


def test_a_directory_named_like_a_command_typo_is_a_path(tmp_path, capsys, monkeypatch):
    write(tmp_path, {"chekc/util.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)
    assert run_cli(["chekc"], capsys)[:2] == (0, "All checks passed!\n")


def test_mistyped_options_get_a_suggestion(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["inventory", "--fromat", "csv"], capsys)
    assert code == 2 and "Did you mean '--format'?" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _check_background_tasks_completion"),
        ("zsh", "compdef _check_background_tasks_completion check-background-tasks"),
        ("fish", "complete --no-files --command check-background-tasks"),
    ],
)
def test_completion_scripts(shell, marker, capsys, monkeypatch):
    monkeypatch.setenv(COMPLETE_VAR, f"{shell}_source")
    code, out, _ = run_cli([], capsys)
    assert code == 0 and marker in out


def test_completion_of_commands_and_options(capsys, monkeypatch):
    monkeypatch.setenv(COMPLETE_VAR, "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "check-background-tasks in")
    monkeypatch.setenv("COMP_CWORD", "1")
    code, out, _ = run_cli([], capsys)
    assert code == 0 and out.split() == ["plain,inventory"]
    monkeypatch.setenv("COMP_WORDS", "check-background-tasks inventory --form")
    monkeypatch.setenv("COMP_CWORD", "2")
    assert run_cli([], capsys)[1].split() == ["plain,--format"]
    monkeypatch.setenv("COMP_WORDS", "check-background-tasks inventory --format ")
    monkeypatch.setenv("COMP_CWORD", "3")
    assert run_cli([], capsys)[1].split() == [
        f"plain,{f}" for f in ("csv", "json", "table", "text", "markdown")
    ]


def test_help_lists_every_command_once(capsys):
    code, out, _ = run_cli(["-h"], capsys)
    assert code == 0 and out.startswith("Usage: check-background-tasks [COMMAND]")
    listed = out.split("Commands:", 1)[1].split("\n\n")[0]
    assert [line.split()[0] for line in listed.splitlines() if line[:3].strip()] == list(COMMANDS)
    assert COMPLETE_VAR in out


def test_version_and_json_still_work_after_options(tmp_path, capsys, monkeypatch):
    write(tmp_path, CLEAN)
    monkeypatch.chdir(tmp_path)
    assert run_cli(["--version"], capsys)[1].startswith("check-background-tasks, version ")
    code, out, _ = run_cli(["check", "--no-cache", "--format=json", "svc"], capsys)
    assert (code, json.loads(out)) == (0, [])


def test_every_command_names_its_formats_alike(tmp_path, capsys, monkeypatch):
    write(tmp_path, CLEAN)
    monkeypatch.chdir(tmp_path)
    table = run_cli(["inventory", "svc", "--format", "table"], capsys)
    assert run_cli(["inventory", "svc", "--format", "text"], capsys) == table
    for command in (["check", "svc"], ["inventory", "svc"], ["rule", "BGT001"]):
        for fmt in ("text", "json", "markdown"):
            assert run_cli([*command, "--format", fmt], capsys)[0] == 0, (command, fmt)
