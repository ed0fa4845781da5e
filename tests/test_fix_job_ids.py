"""BGT025 (`replace_existing=True`) and BGT031 (`id=...`): safe libcst fixes of add_job /
scheduled_job calls."""

from __future__ import annotations

import textwrap

from fixing import codes_left, fix

STORE = """\
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url="sqlite:///j.db")})


def cleanup():
    pass


def report():
    pass


"""


def test_replace_existing_added_to_a_one_line_call(tmp_path):
    files = {"app/jobs.py": STORE + 'scheduler.add_job(cleanup, "interval", minutes=5, id="c")\n'}
    run = fix(tmp_path, files, codes=("BGT025",))
    text = (tmp_path / "app/jobs.py").read_text()
    assert text.endswith(
        'scheduler.add_job(cleanup, "interval", minutes=5, id="c", replace_existing=True)\n'
    )
    assert run.fixed == {"BGT025": 1}
    assert run.written == ["app/jobs.py"]
    assert "BGT025" not in codes_left(tmp_path)
    # idempotent: a second run finds nothing to do
    again = fix(tmp_path, codes=("BGT025",))
    assert not again.edits and not again.written


def test_multi_line_call_gets_one_line_per_argument_and_keeps_its_comment(tmp_path):
    call = """\
scheduler.add_job(
    report,
    'interval',
    minutes=5,  # every five minutes
)
"""
    fix(tmp_path, {"app/jobs.py": STORE + call}, codes=("BGT025",))
    text = (tmp_path / "app/jobs.py").read_text()
    assert text.endswith(
        """\
scheduler.add_job(
    report,
    'interval',
    minutes=5,  # every five minutes
    id='app.jobs.report',
    replace_existing=True,
)
"""
    ), text
    assert text.startswith(STORE)  # nothing else changed
    assert not {"BGT025", "BGT031"} & set(codes_left(tmp_path))


def test_explicit_false_becomes_true(tmp_path):
    files = {
        "app/jobs.py": STORE
        + 'scheduler.add_job(cleanup, "interval", id="c", replace_existing=False)\n'
    }
    fix(tmp_path, files, codes=("BGT025",))
    assert (
        (tmp_path / "app/jobs.py")
        .read_text()
        .endswith('scheduler.add_job(cleanup, "interval", id="c", replace_existing=True)\n')
    )


def test_missing_ids_are_unique_in_the_project(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/tasks.py": "def report():\n    pass\n",
        "app/a.py": textwrap.dedent(
            """\
            from apscheduler.schedulers.background import BackgroundScheduler
            from app.tasks import report

            one = BackgroundScheduler()
            one.add_job(report, "cron", hour=1)
            """
        ),
        "app/b.py": textwrap.dedent(
            """\
            from apscheduler.schedulers.background import BackgroundScheduler
            from app.tasks import report

            two = BackgroundScheduler()
            two.add_job(report, "cron", hour=2)


            @two.scheduled_job("interval", minutes=3)
            def tick():
                pass
            """
        ),
    }
    run = fix(tmp_path, files, codes=("BGT031",))
    a = (tmp_path / "app/a.py").read_text()
    b = (tmp_path / "app/b.py").read_text()
    assert 'one.add_job(report, "cron", hour=1, id="app.tasks.report")' in a
    assert 'two.add_job(report, "cron", hour=2, id="app.tasks.report_2")' in b
    assert '@two.scheduled_job("interval", minutes=3, id="app.b.tick")' in b
    assert run.fixed == {"BGT031": 3}
    assert "BGT031" not in codes_left(tmp_path)
    assert "BGT002" not in codes_left(tmp_path)  # no id given twice


def test_near_misses_are_left_alone(tmp_path):
    source = STORE + textwrap.dedent(
        """\
        options = {"id": "x"}
        scheduler.add_job(cleanup, "interval", minutes=5, **options)
        scheduler.add_job(lambda: None, "interval", minutes=7)
        scheduler.add_job(
            report,
            "interval",
            minutes=9  # a comment where the new argument would go
        )
        """
    )
    run = fix(tmp_path, {"app/jobs.py": source}, codes=("BGT025", "BGT031"))
    assert (tmp_path / "app/jobs.py").read_text() == source
    reasons = " / ".join(s.reason for s in run.skipped)
    assert "**options" in reasons
    assert "comment after the last argument" in reasons
    assert not run.edits


def test_diff_mode_writes_nothing(tmp_path):
    files = {"app/jobs.py": STORE + 'scheduler.add_job(cleanup, "interval", id="c")\n'}
    run = fix(tmp_path, files, mode="diff", codes=("BGT025",))
    assert (tmp_path / "app/jobs.py").read_text() == STORE + (
        'scheduler.add_job(cleanup, "interval", id="c")\n'
    )
    assert run.written == []
    assert '+scheduler.add_job(cleanup, "interval", id="c", replace_existing=True)\n' in run.diff
    assert run.diff.startswith("diff --git a/app/jobs.py b/app/jobs.py\n")
