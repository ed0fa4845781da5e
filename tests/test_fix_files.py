"""What every fix keeps: encoding, byte order mark, line endings, unparseable files left
alone; and a `--diff` that `git apply` takes as it is."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest
from fixing import codes_left, fix

from check_background_tasks.fix import apply
from check_background_tasks.model import Finding, Location

STORE_JOB = """\
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url="sqlite:///j.db")})


def cleanup():
    pass


scheduler.add_job(cleanup, "interval", minutes=5, id="c")
"""
FIXED_LINE = 'scheduler.add_job(cleanup, "interval", minutes=5, id="c", replace_existing=True)'

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: sync
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: sync
              image: app:1
              command: ["python", "-m", "app.sync"]
          restartPolicy: Never
"""


def test_crlf_python_keeps_crlf(tmp_path):
    source = STORE_JOB.replace("\n", "\r\n").encode()
    fix(tmp_path, {"app/jobs.py": source}, codes=("BGT025",))
    after = (tmp_path / "app/jobs.py").read_bytes()
    assert after == source.replace(b'id="c")\r\n', b'id="c", replace_existing=True)\r\n'), after
    assert "BGT025" not in codes_left(tmp_path)


def test_crlf_yaml_keeps_crlf(tmp_path):
    source = CRONJOB.replace("\n", "\r\n").encode()
    fix(tmp_path, {"cronjob.yaml": source}, codes=("BGT011",))
    after = (tmp_path / "cronjob.yaml").read_bytes()
    assert after == source.replace(
        b'"*/5 * * * *"\r\n', b'"*/5 * * * *"\r\n  concurrencyPolicy: Forbid\r\n'
    )


def test_latin1_python_keeps_its_encoding(tmp_path):
    source = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + STORE_JOB).encode("latin-1")
    fix(tmp_path, {"app/jobs.py": source}, codes=("BGT025",))
    after = (tmp_path / "app/jobs.py").read_bytes()
    assert after == source.replace(b'id="c")\n', b'id="c", replace_existing=True)\n')
    assert b"caf\xe9" in after


def test_latin1_yaml_keeps_its_bytes(tmp_path):
    source = ("# r\xe9sum\xe9\n" + CRONJOB).encode("latin-1")
    fix(tmp_path, {"cronjob.yaml": source}, codes=("BGT011",))
    after = (tmp_path / "cronjob.yaml").read_bytes()
    assert after.startswith(b"# r\xe9sum\xe9\n")
    assert b"  concurrencyPolicy: Forbid\n" in after


def test_bom_and_missing_final_newline_are_kept(tmp_path):
    source = b"\xef\xbb\xbf" + STORE_JOB.rstrip("\n").encode()
    fix(tmp_path, {"app/jobs.py": source}, codes=("BGT025",))
    after = (tmp_path / "app/jobs.py").read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and after.endswith(FIXED_LINE.encode())


def test_file_permissions_are_kept(tmp_path):
    (tmp_path / "app").mkdir()
    path = tmp_path / "app/jobs.py"
    path.write_text(STORE_JOB)
    path.chmod(0o750)
    fix(tmp_path, codes=("BGT025",))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o750
    assert FIXED_LINE in path.read_text()


def test_a_file_that_does_not_parse_is_not_touched(tmp_path):
    (tmp_path / "app").mkdir()
    source = STORE_JOB + "def broken(:\n"
    (tmp_path / "app/jobs.py").write_text(source)
    finding = Finding("BGT025", "n", "error", "m", Location("app/jobs.py", 11, 1))
    for mode in ("fix", "add-noqa"):
        run = apply([finding], mode=mode, root=tmp_path)  # type: ignore[arg-type]
        assert not run.edits and "cannot parse" in run.skipped[0].reason
    assert (tmp_path / "app/jobs.py").read_text() == source


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_applies_with_git_apply(tmp_path):
    files = {
        "app/jobs.py": STORE_JOB,
        "app/crlf.py": STORE_JOB.replace("\n", "\r\n").replace("cleanup", "purge").encode(),
        "app/last.py": STORE_JOB.replace("cleanup", "trim").rstrip("\n"),
        "deploy/cronjob.yaml": CRONJOB,
        # a latin-1 line next to the change: the patch carries it in latin-1
        "app/latin.py": ("# -*- coding: latin-1 -*-\n" + STORE_JOB)
        .replace("cleanup", "sweep")
        .replace("scheduler.add_job", "# caf\xe9\nscheduler.add_job")
        .encode("latin-1"),
    }
    run = fix(tmp_path, files, mode="diff", codes=("BGT011", "BGT025"))
    assert run.written == [] and len(run.edits) == 5
    git = ["git", "-c", "core.autocrlf=false", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "before"], cwd=tmp_path, check=True)
    (tmp_path / "fix.patch").write_bytes(run.diff_bytes)
    subprocess.run([*git, "apply", "--check", "fix.patch"], cwd=tmp_path, check=True)
    subprocess.run([*git, "apply", "fix.patch"], cwd=tmp_path, check=True)
    (tmp_path / "fix.patch").unlink()
    for edit in run.edits:
        assert (tmp_path / edit.file).read_bytes() == edit.after
    assert not {"BGT011", "BGT025"} & set(codes_left(tmp_path))


def test_inserted_python_lines_take_the_file_line_ending_and_encoding(tmp_path):
    source = (
        "# -*- coding: latin-1 -*-\r\nimport asyncio\r\n\r\n\r\nasync def caf\u00e9_go(c):\r\n"
        "    asyncio.create_task(c)  # d\u00e9j\u00e0\r\n"
    )
    fix(tmp_path, {"app/go.py": source.encode("latin-1")}, unsafe=True, codes=("BGT021",))
    after = (tmp_path / "app/go.py").read_bytes()
    expected = source.replace(
        "import asyncio\r\n",
        "import asyncio\r\n\r\n_background_tasks: set[asyncio.Task] = set()\r\n",
    ).replace(
        "    asyncio.create_task(c)  # d\u00e9j\u00e0\r\n",
        "    task = asyncio.create_task(c)  # d\u00e9j\u00e0\r\n"
        "    _background_tasks.add(task)\r\n"
        "    task.add_done_callback(_background_tasks.discard)\r\n",
    )
    assert after == expected.encode("latin-1")


def test_a_file_that_cannot_be_written_is_reported_not_raised(tmp_path, monkeypatch):
    import check_background_tasks.fix as fixing

    def refuse(path, data):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fixing, "write_bytes", refuse)
    (tmp_path / "app").mkdir()
    (tmp_path / "app/jobs.py").write_text(STORE_JOB)
    found = [Finding("BGT025", "n", "error", "m", Location("app/jobs.py", 11, 1))]
    run = apply(found, mode="fix", root=tmp_path)
    assert not run.written and not run.fixed and not run.edits
    assert run.skipped[0].reason == "cannot write the file (Permission denied)"
    assert (tmp_path / "app/jobs.py").read_text() == STORE_JOB
