"""Configuration as in ruff: unknown codes are errors, each file is judged by its nearest
configuration, patterns are anchored at the configuration's directory."""

from __future__ import annotations

import json

import pytest
from test_cli import run_cli, write

DANGLING = "import asyncio\n\n\nasync def main():\n    asyncio.create_task(work())\n"


def found(capsys, args: list[str]) -> list[tuple[str, str]]:
    code, out, err = run_cli([*args, "--format", "json", "--no-cache"], capsys)
    assert code in (0, 1), err
    return [(f["file"], f["code"]) for f in json.loads(out)]


# --- unknown rule codes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--select", "BGT999"], "unknown rule code 'BGT999' in --select (did you mean BGT"),
        (["--ignore", "XYZ1"], "unknown rule code 'XYZ1' in --ignore"),
        (["--extend-select", "bgt0201"], "unknown rule code 'BGT0201' in --extend-select"),
        (
            ["--select", "BGT020 BGT001"],
            "in --select (separate codes with commas: BGT020,BGT001)",
        ),
        (["--select", "RUF006"], "RUF006 is an alias of BGT021, which only `# noqa` reads"),
    ],
)
def test_unknown_codes_on_the_command_line_exit_2(tmp_path, capsys, monkeypatch, args, said):
    write(tmp_path, {"app.py": DANGLING})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["check", ".", *args], capsys)
    assert (code, out) == (2, "")
    assert said in err and err.count("\n") == 1, err


def test_prefixes_and_all_are_codes(tmp_path, capsys, monkeypatch):
    write(tmp_path, {"app.py": DANGLING})
    monkeypatch.chdir(tmp_path)
    assert found(capsys, ["--select", "BGT02"]) == [("app.py", "BGT021")]
    assert found(capsys, ["--select", "ALL", "--ignore", "BGT"]) == []


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('select = ["BGT999"]', "pyproject.toml: 'select'"),
        ('ignore = ["BGT2"]', "unknown rule code 'BGT2' in"),
        ('severity = { BGT999 = "info" }', "unknown rule code 'BGT999' in"),
        ('severity = { BGT02 = "info" }', "unknown rule code 'BGT02' in"),  # not a prefix
        ('per-file-ignores = { "x/*" = ["BGT0999"] }', "'per-file-ignores.\"x/*\"'"),
    ],
)
def test_unknown_codes_in_the_configuration_exit_2(tmp_path, capsys, monkeypatch, table, said):
    write(
        tmp_path,
        {"app.py": DANGLING, "pyproject.toml": f"[tool.check-background-tasks]\n{table}\n"},
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["check", "."], capsys)
    assert (code, out) == (2, "")
    assert said in err and "pyproject.toml" in err and err.count("\n") == 1, err


def test_unknown_code_in_a_nested_configuration_names_that_file(tmp_path, capsys, monkeypatch):
    write(
        tmp_path,
        {
            "svc/app.py": DANGLING,
            "svc/pyproject.toml": '[tool.check-background-tasks]\nignore = ["BGT0211"]\n',
        },
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["check", "."], capsys)
    assert code == 2 and "svc/pyproject.toml: 'ignore'" in err, err


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('fail-on = "loud"', "pyproject.toml: 'fail-on' must be one of error, warning, info"),
        ('selct = ["BGT"]', "unknown configuration key 'selct' (did you mean 'select'?)"),
        ("pileup-threshold = 0", "pyproject.toml: 'pileup-threshold' must be a positive"),
    ],
)
def test_configuration_errors_name_the_file_and_the_key(tmp_path, capsys, monkeypatch, table, said):
    write(tmp_path, {"pyproject.toml": f"[tool.check-background-tasks]\n{table}\n"})
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["check", "."], capsys)
    assert code == 2 and said in err and str(tmp_path / "pyproject.toml") in err, err


# --- which configuration judges which file ------------------------------------------

TWO_SERVICES = {
    "a/app.py": DANGLING,
    "a/pyproject.toml": '[tool.check-background-tasks]\nignore = ["BGT021"]\n',
    "b/app.py": DANGLING,
    "b/pyproject.toml": '[tool.check-background-tasks]\nselect = ["BGT021"]\n',
}


def test_the_same_findings_for_any_argument_order(tmp_path, capsys, monkeypatch):
    write(tmp_path, TWO_SERVICES)
    monkeypatch.chdir(tmp_path)
    assert found(capsys, ["a", "b"]) == found(capsys, ["b", "a"]) == [("b/app.py", "BGT021")]


def test_a_nested_configuration_is_honoured_from_the_root(tmp_path, capsys, monkeypatch):
    write(tmp_path, {**TWO_SERVICES, "c/app.py": DANGLING})
    monkeypatch.chdir(tmp_path)
    assert found(capsys, ["."]) == [("b/app.py", "BGT021"), ("c/app.py", "BGT021")]
    monkeypatch.chdir(tmp_path / "a")
    assert found(capsys, ["."]) == []


def test_config_option_judges_every_file(tmp_path, capsys, monkeypatch):
    write(tmp_path, {**TWO_SERVICES, "strict.toml": "select = []\n"})
    (tmp_path / "check-background-tasks.toml").write_text('select = ["BGT021"]\n')
    monkeypatch.chdir(tmp_path)
    config = str(tmp_path / "check-background-tasks.toml")
    assert found(capsys, [".", "--config", config]) == [
        ("a/app.py", "BGT021"),
        ("b/app.py", "BGT021"),
    ]


def test_own_configuration_file_beats_pyproject(tmp_path, capsys, monkeypatch):
    write(
        tmp_path,
        {
            **TWO_SERVICES,
            "a/check-background-tasks.toml": 'select = ["BGT021"]\n',
        },
    )
    monkeypatch.chdir(tmp_path)
    assert found(capsys, ["."]) == [("a/app.py", "BGT021"), ("b/app.py", "BGT021")]


EXCLUDING = {
    "svc/pyproject.toml": (
        "[tool.check-background-tasks]\n"
        'exclude = ["legacy/*"]\n'
        'per-file-ignores = { "jobs/*.py" = ["BGT021"] }\n'
    ),
    "svc/legacy/old.py": DANGLING,
    "svc/jobs/run.py": DANGLING,
    "svc/app.py": DANGLING,
}


@pytest.mark.parametrize(("cwd", "path"), [(".", "svc"), (".", "."), ("svc", "."), ("svc", "..")])
def test_patterns_are_anchored_at_their_configuration(tmp_path, capsys, monkeypatch, cwd, path):
    write(tmp_path, EXCLUDING)
    monkeypatch.chdir(tmp_path / cwd)
    files = {f.rsplit("svc/", 1)[-1] for f, _ in found(capsys, [path])}
    assert files == {"app.py"}


def test_an_excluded_path_given_by_name_is_checked_unless_forced(tmp_path, capsys, monkeypatch):
    write(tmp_path, EXCLUDING)
    monkeypatch.chdir(tmp_path)
    _, out, err = run_cli(["check", "svc/legacy/old.py", "--format", "json"], capsys)
    assert [f["file"] for f in json.loads(out)] == ["svc/legacy/old.py"]
    assert "note: svc/legacy/old.py matches exclude 'legacy/*'" in err
    args = ["check", "svc/legacy/old.py", "--force-exclude", "--format", "json"]
    _, out, err = run_cli(args, capsys)
    assert json.loads(out) == []
    assert "note: svc/legacy/old.py: skipped, excluded by 'legacy/*'" in err
    _, out, _ = run_cli(["check", "svc/legacy", "--force-exclude", "--format", "json"], capsys)
    assert json.loads(out) == []


def test_exclude_options(tmp_path, capsys, monkeypatch):
    write(tmp_path, EXCLUDING)
    monkeypatch.chdir(tmp_path)
    assert {f for f, _ in found(capsys, ["svc", "--extend-exclude", "app.py"])} == set()
    # --exclude replaces the configuration's patterns.
    got = {f for f, _ in found(capsys, ["svc", "--exclude", "app.py"])}
    assert got == {"svc/legacy/old.py"}


def test_a_config_file_without_our_section_is_said(tmp_path, capsys, monkeypatch):
    write(tmp_path, {"app.py": DANGLING, "other.toml": "[tool.black]\nline-length = 80\n"})
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["check", ".", "--config", "other.toml"], capsys)
    assert code == 1
    assert "warning: other.toml has no [tool.check-background-tasks] section" in err


# --- never a silent pass ------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "args"),
    [
        ({"empty/README.md": "nothing\n"}, ["empty"]),
        ({"svc/app.py": DANGLING}, ["svc", "--exclude", "*.py"]),
        (
            {
                "svc/app.py": DANGLING,
                "pyproject.toml": '[tool.check-background-tasks]\nexclude = ["svc"]\n',
            },
            ["."],
        ),
    ],
)
def test_nothing_to_check_is_a_warning_not_a_pass(tmp_path, capsys, monkeypatch, files, args):
    write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["check", *args], capsys)
    assert code == 0 and out == "All checks passed!\n"
    assert err.startswith(f"warning: no files to check in {args[0]}:"), err


def test_a_git_ignored_directory_given_by_name_warns(tmp_path, capsys, monkeypatch):
    import subprocess

    write(tmp_path, {"build/app.py": DANGLING, ".gitignore": "build/\n"})
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["check", "build"], capsys)
    assert code == 0 and "warning: no files to check in build" in err


def test_something_to_check_says_nothing_more(tmp_path, capsys, monkeypatch):
    write(tmp_path, {"util.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)
    assert run_cli(["check", "."], capsys) == (0, "All checks passed!\n", "")


# --- --show-settings, --show-files --------------------------------------------------


def test_show_settings_says_where_each_setting_comes_from(tmp_path, capsys, monkeypatch):
    write(
        tmp_path,
        {**EXCLUDING, "pyproject.toml": '[tool.check-background-tasks]\nfail-on = "error"\n'},
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["--show-settings", "svc/app.py", "--select", "BGT02"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == [
        "Settings for svc/app.py",
        "configuration: svc/pyproject.toml",
        "project-wide settings: pyproject.toml",
    ]
    assert 'select = ["BGT02"]  # --select' in lines
    assert 'exclude = ["legacy/*"]  # svc/pyproject.toml' in lines
    assert 'fail-on = "error"  # pyproject.toml' in lines
    assert "pileup-threshold = 5  # default" in lines


def test_show_files_lists_what_would_be_checked(tmp_path, capsys, monkeypatch):
    write(tmp_path, EXCLUDING)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--show-files", "."], capsys)
    assert (code, out) == (0, "svc/app.py\nsvc/jobs/run.py\n")


def test_diff_judges_each_file_by_its_configuration_in_that_revision(tmp_path, capsys):
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    write(tmp_path, {"a/app.py": "x = 1\n", "b/app.py": "x = 1\n"})
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    write(tmp_path, {**TWO_SERVICES, "b/pyproject.toml": ""})
    git("add", "-A")
    git("commit", "-qm", "head")
    code, out, err = run_cli(["diff", "HEAD~1", "--format", "json"], capsys)
    assert code == 0, err
    # a/ ignores BGT021 in its own pyproject.toml; b/ has no configuration of ours.
    assert [f["file"] for f in json.loads(out)["new_findings"]] == ["b/app.py"]


def test_a_nested_project_wide_setting_that_cannot_apply_is_said(tmp_path, capsys, monkeypatch):
    write(
        tmp_path,
        {
            "svc/app.py": DANGLING,
            "svc/pyproject.toml": (
                '[tool.check-background-tasks]\nfail-on = "error"\nignore = ["BGT03"]\n'
            ),
        },
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["check", "."], capsys)
    assert code == 1  # the warning fails the run: fail-on comes from the root (none)
    assert (
        "note: svc/pyproject.toml sets fail-on, which only the project-wide configuration "
        "decides ((none: the defaults) here)"
    ) in err
    code, _, err = run_cli(["check", "svc"], capsys)
    assert code == 0 and "note" not in err  # svc's configuration is the root one now


def test_our_own_file_holds_the_settings_at_its_top_level(tmp_path, capsys, monkeypatch):
    write(tmp_path, {"check-background-tasks.toml": "[tool.check-background-tasks]\nselect = []\n"})
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["check", "."], capsys)
    assert code == 2
    assert "unknown configuration key 'tool' (check-background-tasks.toml holds the settings" in err


NIGHTLY = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: c
              image: x
"""


def test_a_nested_project_wide_setting_does_not_switch_a_rule_on(tmp_path, capsys, monkeypatch):
    # allow-kubernetes-cronjobs is the root's to decide (the note says so): a nested
    # configuration that sets it must not turn BGT010 on for its own files all the same.
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.check-background-tasks]\n",
            "a/check-background-tasks.toml": "allow-kubernetes-cronjobs = false\n",
            "a/cron.yaml": NIGHTLY,
        },
    )
    monkeypatch.chdir(tmp_path)
    assert ("a/cron.yaml", "BGT010") not in found(capsys, ["check", "."])
    assert ("a/cron.yaml", "BGT010") in found(capsys, ["check", "a"])  # a's is the root now


def test_diff_reads_a_revisions_own_configuration_file(tmp_path, capsys, monkeypatch):
    # check-background-tasks.toml judges a/ in the revision as it does in check
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    write(tmp_path, {"a/app.py": "x = 1\n", "b/app.py": "x = 1\n"})
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    write(
        tmp_path,
        {
            "a/app.py": DANGLING,
            "a/check-background-tasks.toml": 'ignore = ["BGT021"]\n',
            "b/app.py": DANGLING,
        },
    )
    git("add", "-A")
    git("commit", "-qm", "head")
    monkeypatch.chdir(tmp_path)
    assert found(capsys, ["check", "."]) == [("b/app.py", "BGT021")]
    code, out, err = run_cli(["diff", "HEAD~1", "--format", "json"], capsys)
    assert code == 0, err
    assert [f["file"] for f in json.loads(out)["new_findings"]] == ["b/app.py"]
