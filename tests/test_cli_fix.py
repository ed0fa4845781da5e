"""`check --fix`, `--diff`, `--unsafe-fixes` and `--add-noqa` from the command line, with
ruff's semantics and exit codes (the fixes themselves: tests/test_fix_*.py)."""

from __future__ import annotations

import subprocess

from test_cli import run_cli, write

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: sync  # the dashboards use this name
spec:
  schedule: "*/5 * * * *"
  startingDeadlineSeconds: 60
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: sync
              image: app:1
              command: ["python", "-m", "app.sync"]
              resources:
                limits: {cpu: "1", memory: 1Gi}
          restartPolicy: Never
"""
ONLY = ["--select", "BGT011,BGT021"]  # what these tests fix (BGT012 has no fix)

SIGNUP = """\
import asyncio


async def send_welcome(user):
    pass


async def signup(user):
    asyncio.create_task(send_welcome(user))
    return user
"""


def codes(out: str) -> list[str]:
    """The codes of the reported findings (`file:line:col: CODE message`)."""
    return sorted({line.split()[1] for line in out.splitlines() if ": BGT" in line})


def test_diff_prints_the_fix_changes_nothing_and_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"deploy/cronjob.yaml": CRONJOB})
    code, out, err = run_cli(["check", "deploy", "--diff", "--no-cache", *ONLY], capsys)
    assert code == 1
    assert "+  concurrencyPolicy: Forbid" in out and "deploy/cronjob.yaml" in out
    assert "Would fix 1 finding." in err
    assert (tmp_path / "deploy/cronjob.yaml").read_text() == CRONJOB
    # the diff is a patch git applies as it is
    (tmp_path / "fix.patch").write_text(out)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True)
    assert "  concurrencyPolicy: Forbid\n" in (tmp_path / "deploy/cronjob.yaml").read_text()
    code, out, err = run_cli(["check", "deploy", "--diff", "--no-cache", *ONLY], capsys)
    assert (code, out) == (0, "")  # nothing left to fix


def test_fix_applies_safe_fixes_and_reports_what_is_left(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"deploy/cronjob.yaml": CRONJOB, "app/signup.py": SIGNUP})
    code, out, err = run_cli(["check", ".", "--fix", *ONLY], capsys)
    assert "Fixed 1 finding (1 hidden fix can be enabled with --unsafe-fixes)." in err
    assert "concurrencyPolicy: Forbid" in (tmp_path / "deploy/cronjob.yaml").read_text()
    # what is reported is what is left: the dangling task, whose fix is unsafe
    assert codes(out) == ["BGT021"] and code == 1
    assert (tmp_path / "app/signup.py").read_text() == SIGNUP
    code, out, err = run_cli(["check", ".", "--fix", *ONLY], capsys)
    assert "Fixed 0 findings" in err  # idempotent


def test_unsafe_fixes_with_fix_keep_the_task(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"app/signup.py": SIGNUP})
    code, out, err = run_cli(["check", ".", "--fix", "--unsafe-fixes", *ONLY], capsys)
    assert "Fixed 1 finding." in err
    assert code == 0 and "BGT021" not in out
    text = (tmp_path / "app/signup.py").read_text()
    assert "_background_tasks.add(task)" in text
    compile(text, "signup.py", "exec")


def test_add_noqa_silences_every_finding_and_exits_0(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"deploy/cronjob.yaml": CRONJOB, "app/signup.py": SIGNUP})
    code, _out, err = run_cli(["check", ".", "--add-noqa", *ONLY], capsys)
    assert code == 0 and "Added 2 noqa directives." in err
    assert "# noqa: BGT021" in (tmp_path / "app/signup.py").read_text()
    code, out, _err = run_cli(["check", ".", *ONLY], capsys)
    assert code == 0 and codes(out) == []


def test_add_noqa_with_fix_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"app/signup.py": SIGNUP})
    code, _out, err = run_cli(["check", ".", "--add-noqa", "--fix"], capsys)
    assert code == 2 and "--add-noqa cannot be combined" in err
    assert (tmp_path / "app/signup.py").read_text() == SIGNUP


def test_diff_with_exit_zero_exits_0(tmp_path, capsys, monkeypatch):
    # as ruff: --exit-zero holds for --diff too (the patch is still printed)
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"deploy/cronjob.yaml": CRONJOB})
    code, out, err = run_cli(
        ["check", "deploy", "--diff", "--exit-zero", "--no-cache", *ONLY], capsys
    )
    assert code == 0, err
    assert "+  concurrencyPolicy: Forbid" in out
    assert (tmp_path / "deploy/cronjob.yaml").read_text() == CRONJOB


def test_fixes_leave_findings_in_the_baseline_alone(tmp_path, capsys, monkeypatch):
    # The team accepted the CronJob's finding in a baseline: --fix, --diff and --add-noqa
    # change only what the check reports (the new dangling task), never the accepted file.
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"deploy/cronjob.yaml": CRONJOB})
    code, _out, _err = run_cli(["check", ".", "--write-baseline", "base.json", *ONLY], capsys)
    assert code == 0
    write(tmp_path, {"app/signup.py": SIGNUP})
    base = ["check", ".", "--no-cache", "--baseline", "base.json", *ONLY]
    code, out, err = run_cli([*base, "--diff"], capsys)
    assert (code, out) == (0, "") and "Would fix 0 findings" in err
    assert "1 findings in the baseline base.json are left as they are" in err
    code, out, err = run_cli([*base, "--fix", "--unsafe-fixes"], capsys)
    assert "Fixed 1 finding." in err and code == 0
    assert "_background_tasks.add(task)" in (tmp_path / "app/signup.py").read_text()
    assert (tmp_path / "deploy/cronjob.yaml").read_text() == CRONJOB
    write(tmp_path, {"app/signup.py": SIGNUP})
    code, _out, err = run_cli([*base, "--add-noqa"], capsys)
    assert code == 0 and "Added 1 noqa directive." in err
    assert "# noqa: BGT021" in (tmp_path / "app/signup.py").read_text()
    assert "noqa" not in (tmp_path / "deploy/cronjob.yaml").read_text()
