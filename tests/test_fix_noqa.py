"""`--add-noqa`: every line with a finding gets `# noqa: BGTxxx` (merged into a noqa the
line has), after which the same analysis finds nothing."""

from __future__ import annotations

import textwrap

from fixing import analyse, codes_left, fix

PYTHON = textwrap.dedent(
    '''\
    import asyncio

    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()


    def cleanup():
        pass


    scheduler.add_job(cleanup, "interval", minutes=5)  # noqa: E501
    scheduler.start()


    async def go(coro):
        asyncio.create_task(coro)
        note = """a string
    that spans lines"""
        return note
    '''
)

YAML = """\
apiVersion: batch/v1
kind: CronJob  # noqa: BGT010
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


def test_add_noqa_then_the_analysis_is_clean(tmp_path):
    files = {"app/jobs.py": PYTHON, "deploy/cronjob.yaml": YAML}
    before = {f.code for f in analyse(_write(tmp_path, files))[0]}
    assert {"BGT011", "BGT012", "BGT021", "BGT023", "BGT031"} <= before
    run = fix(tmp_path, mode="add-noqa")
    assert not run.skipped
    assert codes_left(tmp_path) == []
    text = (tmp_path / "app/jobs.py").read_text()
    # merged into the noqa the line had, codes in order, comma-separated
    assert "minutes=5)  # noqa: E501, BGT020, BGT031\n" in text
    assert "scheduler.start()  # noqa: BGT023\n" in text
    assert "    asyncio.create_task(coro)  # noqa: BGT021\n" in text
    assert set(run.fixed) == before and sum(run.fixed.values()) == 6
    yaml_text = (tmp_path / "deploy/cronjob.yaml").read_text()
    assert yaml_text.startswith("apiVersion: batch/v1  # noqa: BGT011, BGT012\n")
    # idempotent: nothing left to silence
    assert not fix(tmp_path, mode="add-noqa").edits


def test_a_line_ending_inside_a_string_is_skipped(tmp_path):
    from check_background_tasks.fix import apply
    from check_background_tasks.model import Finding, Location

    _write(tmp_path, {"app/jobs.py": PYTHON})
    line = PYTHON.splitlines().index('    note = """a string') + 1
    finding = Finding("BGT021", "d", "warning", "m", Location("app/jobs.py", line, 5))
    run = apply([finding], mode="add-noqa", root=tmp_path)
    assert not run.edits
    assert "inside a string" in run.skipped[0].reason


def _write(root, files):
    from helpers import write_tree

    return write_tree(root, files)


def test_an_unreadable_file_gets_no_comment(tmp_path):
    source = (
        "from apscheduler.schedulers.background import BackgroundScheduler\ndef f(:\n    pass\n"
    )
    _write(tmp_path, {"app/broken.py": source})
    run = fix(tmp_path, mode="add-noqa")
    assert [s.code for s in run.skipped] == ["BGT900"]
    assert "per-file-ignores" in run.skipped[0].reason
    assert (tmp_path / "app/broken.py").read_text() == source


def test_yaml_line_inside_a_block_scalar_is_skipped_and_the_others_silenced(tmp_path):
    from check_background_tasks.fix import apply
    from check_background_tasks.model import Finding, Location

    source = "a: 1\nscript: |\n  echo one\n  echo two\nb: 2\n"
    _write(tmp_path, {"x.yaml": source})
    found = [
        Finding("BGT024", "s", "error", "m", Location("x.yaml", line, 1)) for line in (1, 3, 5)
    ]
    run = apply(found, mode="add-noqa", root=tmp_path)
    assert (tmp_path / "x.yaml").read_text() == (
        "a: 1  # noqa: BGT024\nscript: |\n  echo one\n  echo two\nb: 2  # noqa: BGT024\n"
    )
    assert [(s.line, s.reason) for s in run.skipped] == [
        (3, "a comment there would change the YAML's data")
    ]
