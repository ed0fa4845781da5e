"""BGT003 says a second entry "makes it run twice": true when the two entries fire in the
same minute. Entries on the same days at other times (plane: 01:30 and 03:45 daily under
ids that differ by a dash, a leftover) run it again that day: a warning that says so.
Entries that never fire on the same day (cds-snc/notification-api schedules one quarterly
report in four entries, one per quarter, each on its own date) are a word at info."""

from __future__ import annotations

from pathlib import Path

from helpers import findings

BEAT = """\
    from celery import Celery
    from celery.schedules import crontab

    app = Celery("svc")


    @app.task(name="report")
    def report():
        ...


    app.conf.beat_schedule = {{
        "report-a": {{"task": "report", "schedule": {a}}},
        "report-b": {{"task": "report", "schedule": {b}}},
    }}
    """


def _beat(tmp_path: Path, a: str, b: str) -> list:
    found = findings(tmp_path, {"svc/celery.py": BEAT.format(a=a, b=b)}, code="BGT003")
    return [f for f in found if f.severity != "info"]


def _infos(tmp_path: Path, a: str, b: str) -> list:
    found = findings(tmp_path, {"svc/celery.py": BEAT.format(a=a, b=b)}, code="BGT003")
    return [f for f in found if f.severity == "info"]


def test_entries_on_dates_that_never_meet_are_not_duplicates(tmp_path: Path) -> None:
    jan = "crontab(minute=0, hour=6, day_of_month=1, month_of_year=1)"
    apr = "crontab(minute=0, hour=6, day_of_month=2, month_of_year=4)"
    assert _beat(tmp_path / "a", jan, apr) == []
    # a word at info: a leftover entry could look the same
    (note,) = _infos(tmp_path / "b", jan, apr)
    assert "never fires on the same day" in note.message
    assert "makes it run twice" not in note.message


def test_entries_on_the_same_days_at_other_times_run_it_again(tmp_path: Path) -> None:
    (found,) = _beat(tmp_path, "crontab(minute=30, hour=1)", "crontab(minute=45, hour=3)")
    assert found.severity == "warning"
    assert "runs it again on the same days at other times" in found.message


def test_entries_that_fire_in_the_same_minute_are_duplicates(tmp_path: Path) -> None:
    # hourly and daily at 08:00: at 08:00 the report runs twice
    (found,) = _beat(tmp_path, "crontab(minute=0)", "crontab(minute=0, hour=8)")
    assert "makes it run twice" in found.message


def test_an_interval_may_meet_anything(tmp_path: Path) -> None:
    # an interval has no static anchor: it may fire with the cron
    assert len(_beat(tmp_path, "3600.0", "crontab(minute=0, hour=6)")) == 1


APS = """\
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger


    def report():
        pass


    scheduler = BackgroundScheduler()
    scheduler.add_job(report, CronTrigger(hour=8, minute=0, timezone="UTC"), id="a")
    scheduler.add_job(report, CronTrigger(hour={hour}, minute=0, timezone="Europe/Paris"), id="b")
    """


def test_the_same_minute_in_two_zones_is_a_duplicate(tmp_path: Path) -> None:
    # 09:00 in Paris is 08:00 UTC in winter: both run then
    files = {"app/jobs.py": APS.format(hour=9)}
    assert [f.severity for f in findings(tmp_path, files, code="BGT003")] == ["warning"]


def test_different_minutes_in_two_zones_are_not(tmp_path: Path) -> None:
    # 12:00 in Paris is 10:00 or 11:00 UTC, never 08:00
    files = {"app/jobs.py": APS.format(hour=12)}
    (found,) = findings(tmp_path, files, code="BGT003")
    assert "makes it run twice" not in found.message and "same days" in found.message


ZONED = """\
    from celery import Celery
    from celery.schedules import crontab

    app = Celery("svc")
    app.conf.timezone = "{zone}"


    @app.task(name="report")
    def report():
        ...


    app.conf.beat_schedule = {{
        "report-a": {{"task": "report", "schedule": {a}}},
        "report-b": {{"task": "report", "schedule": {b}}},
    }}
    """


def test_the_same_local_day_is_judged_in_the_schedules_zone(tmp_path: Path) -> None:
    # Monday 09:00 and 21:00 in New York: one day there, though 21:00 is Tuesday in UTC
    mon9 = 'crontab(minute=0, hour=9, day_of_week="mon")'
    mon21 = 'crontab(minute=0, hour=21, day_of_week="mon")'
    files = {"svc/celery.py": ZONED.format(zone="America/New_York", a=mon9, b=mon21)}
    (found,) = findings(tmp_path / "ny", files, code="BGT003")
    assert found.severity == "warning" and "same days" in found.message
    # Sunday 23:00 and Monday 01:00 in Tokyo: never one local day
    sun23 = 'crontab(minute=0, hour=23, day_of_week="sun")'
    mon1 = 'crontab(minute=0, hour=1, day_of_week="mon")'
    files = {"svc/celery.py": ZONED.format(zone="Asia/Tokyo", a=sun23, b=mon1)}
    (found,) = findings(tmp_path / "tokyo", files, code="BGT003")
    assert found.severity == "info"
