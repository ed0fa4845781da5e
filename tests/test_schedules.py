"""Schedules: dialect translation, validation, unknowns, fire times, per-minute counts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from cronsim import CronSim
from hypothesis import given, settings
from hypothesis import strategies as st

from check_background_tasks import schedules as s
from check_background_tasks.model import Schedule
from check_background_tasks.schedules import (
    UNKNOWN,
    fire_times,
    fires_per_minute,
    from_cron_fields,
    from_cron_string,
    from_date,
    from_interval,
    interval_seconds_from_parts,
)

UTC = timezone.utc


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# --------------------------------------------------------------------------- cron strings


@pytest.mark.parametrize(
    ("text", "dialect", "cron"),
    [
        ("*/15 * * * *", "standard", "*/15 * * * *"),
        ("0 9 * * MON-FRI", "standard", "0 9 * * 1-5"),
        ("0 9 * * mon-fri", "kubernetes", "0 9 * * 1-5"),
        ("0   3  *  * *", "standard", "0 3 * * *"),
        ("\t0 3 * *\n *", "taskiq", "0 3 * * *"),
        ("0 0 * * 7", "standard", "0 0 * * 0"),
        ("0 0 * * SUN", "standard", "0 0 * * 0"),
        ("0 0 1 JAN *", "standard", "0 0 1 1 *"),
        ("0 0 1 jan-mar *", "standard", "0 0 1 1-3 *"),
        ("0-59/15 * * * *", "standard", "*/15 * * * *"),
        ("0,15,30,45 * * * *", "standard", "*/15 * * * *"),
        ("0,30 * * * *", "standard", "*/30 * * * *"),
        ("0,45 * * * *", "standard", "0,45 * * * *"),
        ("5/15 * * * *", "standard", "5-50/15 * * * *"),
        ("1-59/2 * * * *", "standard", "1-59/2 * * * *"),
        ("0 1,2,3,7 * * *", "standard", "0 1-3,7 * * *"),
        ("0 0 * * 1,2", "standard", "0 0 * * 1,2"),
        ("0 0 * * 0-6", "standard", "0 0 * * *"),
        ("0 0 * * 1-7", "standard", "0 0 * * *"),
        # OR of two restricted day fields is kept; OR with "every day" is every day
        ("0 0 1,15 * 1", "standard", "0 0 1,15 * 1"),
        ("0 0 1-31 * 1", "standard", "0 0 * * *"),
        # a '*'-led day field makes it AND (Debian cron, cronsim): kept as written
        ("0 0 */2 * 1", "standard", "0 0 */2 * 1"),
        ("0 0 29 2 *", "standard", "0 0 29 2 *"),
        # Kubernetes: '?' = '*' in day fields
        ("0 0 ? * 1", "kubernetes", "0 0 * * 1"),
        # non-standard extensions cronsim understands are kept in the standard dialect
        ("0 0 L * *", "standard", "0 0 L * *"),
        ("0 0 * * 1#2", "standard", "0 0 * * 1#2"),
        # APScheduler 4's from_crontab is standard
        ("0 9 * * 0", "apscheduler4_crontab", "0 9 * * 0"),
    ],
)
def test_cron_string_normalized(text: str, dialect: str, cron: str) -> None:
    sched = from_cron_string(text, dialect)
    assert sched.error is None
    assert sched.resolved
    assert sched.cron == cron
    assert sched.text == " ".join(text.split())


@pytest.mark.parametrize(
    ("macro", "cron"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@HOURLY", "0 * * * *"),
    ],
)
@pytest.mark.parametrize("dialect", ["kubernetes", "standard"])
def test_macros(macro: str, cron: str, dialect: str) -> None:
    sched = from_cron_string(macro, dialect)
    assert (sched.cron, sched.error, sched.text) == (cron, None, macro)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("@every 1h30m", 5400), ("@every 90s", 90), ("@every 1.5h", 5400), ("@every 500ms", 0.5)],
)
def test_kubernetes_every_is_an_interval(text: str, seconds: float) -> None:
    sched = from_cron_string(text, "kubernetes")
    assert sched.cron is None
    assert sched.interval_seconds == seconds
    assert sched.error is None


def test_every_zero_and_garbage() -> None:
    assert from_cron_string("@every 0s", "kubernetes").error == "interval is zero"
    assert "bad duration" in (from_cron_string("@every soon", "kubernetes").error or "")


def test_unknown_macro_and_reboot() -> None:
    assert from_cron_string("@fortnightly", "kubernetes").error == (
        "unknown cron macro '@fortnightly'"
    )
    assert from_cron_string("@reboot", "kubernetes").error is not None
    reboot = from_cron_string("@reboot", "standard")
    assert reboot.error is None and reboot.cron is None
    assert reboot.text.startswith("@reboot")


@pytest.mark.parametrize(
    ("text", "tz", "cron"),
    [
        ("CRON_TZ=Europe/Berlin 0 3 * * *", "Europe/Berlin", "0 3 * * *"),
        ("TZ=America/New_York */5 * * * *", "America/New_York", "*/5 * * * *"),
        ("CRON_TZ=UTC @daily", "UTC", "0 0 * * *"),
    ],
)
@pytest.mark.parametrize("dialect", ["kubernetes", "standard"])
def test_tz_prefix(text: str, tz: str, cron: str, dialect: str) -> None:
    sched = from_cron_string(text, dialect)
    assert (sched.cron, sched.timezone, sched.error) == (cron, tz, None)
    assert sched.text == text


def test_timezone_argument_and_conflict() -> None:
    sched = from_cron_string("0 3 * * *", "kubernetes", timezone="Asia/Tokyo")
    assert (sched.cron, sched.timezone, sched.error) == ("0 3 * * *", "Asia/Tokyo", None)
    both = from_cron_string("TZ=UTC 0 3 * * *", "kubernetes", timezone="Asia/Tokyo")
    assert both.error is not None and "TZ" in both.error
    assert both.cron is None


def test_unknown_time_zone_is_an_error() -> None:
    assert from_cron_string("TZ=Mars/Olympus 0 0 * * *", "kubernetes").error == (
        "unknown time zone 'Mars/Olympus'"
    )
    assert from_cron_string("0 0 * * *", timezone="Nowhere/City").error is not None
    assert from_cron_string("0 0 * * *", timezone="utc").error is None
    # a templated zone is unknown, not wrong
    templated = from_cron_string("0 0 * * *", "kubernetes", timezone="{{ .Values.tz }}")
    assert templated.error is None and templated.cron == "0 0 * * *"


@pytest.mark.parametrize(
    ("text", "dialect", "error"),
    [
        ("61 * * * *", "standard", "minute 61 out of range 0-59"),
        ("-1 * * * *", "standard", "minute -1 out of range 0-59"),
        ("0 24 * * *", "standard", "hour 24 out of range 0-23"),
        ("0 0 0 * *", "standard", "day-of-month 0 out of range 1-31"),
        ("0 0 32 * *", "standard", "day-of-month 32 out of range 1-31"),
        ("0 0 1 13 *", "standard", "month 13 out of range 1-12"),
        ("0 0 * * 8", "standard", "day-of-week 8 out of range 0-7"),
        ("0 0 * * 7", "kubernetes", "day-of-week 7 out of range 0-6"),
        ("0 0 30 2 *", "standard", "day 30 never occurs in February"),
        ("0 0 30 2 *", "kubernetes", "day 30 never occurs in February"),
        ("0 0 30,31 2 *", "standard", "days 30,31 never occur in February"),
        ("0 0 31 4,6,9,11 *", "taskiq", "day 31 never occurs in April, June, September, November"),
        ("0 0 31 2 */2", "standard", "day 31 never occurs in February"),
        ("* * * *", "standard", "wrong number of fields: 4, expected 5"),
        ("0 * * * * *", "standard", "wrong number of fields: 6, expected 5"),
        ("0 * * * * *", "kubernetes", "wrong number of fields: 6, expected 5"),
        ("", "standard", "wrong number of fields: 0, expected 5"),
        ("a b c d e", "standard", "bad minute value 'a'"),
        ("5-1 * * * *", "standard", "minute range '5-1' is backwards"),
        ("*/0 * * * *", "standard", "step 0 in minute '*/0'"),
        ("*/x * * * *", "standard", "bad step in minute '*/x'"),
        ("1,,2 * * * *", "standard", "empty item in minute '1,,2'"),
        ("0 0 * * FOO", "standard", "unknown day-of-week name 'FOO'"),
        ("0 0 ? * *", "standard", "bad day-of-month expression '?'"),
        ("0 0 L * *", "kubernetes", "bad day-of-month value 'L'"),
        ("0 0 L * *", "taskiq", "bad day-of-month value 'L'"),
    ],
)
def test_cron_string_errors(text: str, dialect: str, error: str) -> None:
    sched = from_cron_string(text, dialect)
    assert sched.error == error
    assert sched.cron is None
    assert sched.resolved


def test_or_days_are_not_impossible() -> None:
    # day 30 never exists in February, but the OR-ed Mondays do
    sched = from_cron_string("0 0 30 2 1")
    assert sched.error is None
    assert sched.cron == "0 0 30 2 1"


def test_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="dialect"):
        from_cron_string("* * * * *", "quartz")
    with pytest.raises(ValueError, match="dialect"):
        from_cron_fields({}, "quartz", "x")


# --------------------------------------------------------------------------- APScheduler


@pytest.mark.parametrize(
    ("fields", "cron"),
    [
        ({"hour": 2}, "0 2 * * *"),
        ({"hour": "2"}, "0 2 * * *"),
        ({"minute": "*/5"}, "*/5 * * * *"),
        ({"minute": 30}, "30 * * * *"),
        ({"day_of_week": "mon-fri", "hour": 9, "minute": 30}, "30 9 * * 1-5"),
        ({"day_of_week": "MON-FRI", "hour": 9, "minute": 30}, "30 9 * * 1-5"),
        ({"day_of_week": "0-4", "hour": 9}, "0 9 * * 1-5"),
        ({"day_of_week": 0}, "0 0 * * 1"),
        ({"day_of_week": 6}, "0 0 * * 0"),
        ({"day_of_week": "sun"}, "0 0 * * 0"),
        ({"day_of_week": "sat,sun", "hour": 4}, "0 4 * * 0,6"),
        ({"day_of_week": "*/2"}, "0 0 * * 0,1,3,5"),
        ({"day_of_week": "mon,wed,fri", "hour": 8}, "0 8 * * 1,3,5"),
        # the APScheduler default rule: below the least significant given field → minimum,
        # above it → '*'
        ({"month": 6}, "0 0 1 6 *"),
        ({"day": 1, "minute": 20}, "20 * 1 * *"),
        ({"month": "jan-mar", "day": 15}, "0 0 15 1-3 *"),
        ({"second": 0, "minute": 0, "hour": 3}, "0 3 * * *"),
        ({"second": "0"}, "* * * * *"),
        ({"hour": "9, 17"}, "0 9,17 * * *"),
        ({"hour": "*/6"}, "0 */6 * * *"),
        ({"hour": "0-23/6"}, "0 */6 * * *"),
        ({"week": "*", "hour": 1}, "0 1 * * *"),
        ({"year": "*", "hour": 1}, "0 1 * * *"),
        # None means "not given" (keyword passed explicitly as None)
        ({"hour": 5, "minute": None}, "0 5 * * *"),
        # keys that do not shape the schedule are ignored
        ({"hour": 5, "jitter": 30, "start_date": "2024-01-01", "end_date": None}, "0 5 * * *"),
    ],
)
def test_apscheduler_fields(fields: dict[str, object], cron: str) -> None:
    sched = from_cron_fields(fields, "apscheduler", "CronTrigger(...)")
    assert (sched.cron, sched.error, sched.resolved) == (cron, None, True)
    assert sched.text == "CronTrigger(...)"


@pytest.mark.parametrize(
    ("fields", "note"),
    [
        ({"second": "*/10"}, "second=*/10"),
        ({"second": 30, "minute": 5}, "second=30"),
        ({"year": 2025, "month": 1}, "year=2025"),
        ({"week": 10}, "week=10"),
        ({"day": "last"}, "day=last"),
        ({"day": "1st mon", "hour": 9}, "day=1st mon"),
        ({"day": 1, "day_of_week": "mon"}, "day and day-of-week both restricted"),
        ({}, "second=*"),  # CronTrigger() with no field fires every second
    ],
)
def test_apscheduler_not_expressible_is_valid(fields: dict[str, object], note: str) -> None:
    sched = from_cron_fields(fields, "apscheduler", "CronTrigger(x)")
    assert sched.cron is None
    assert sched.error is None
    assert sched.resolved
    assert sched.text.startswith("CronTrigger(x) [no 5-field cron: ")
    assert note in sched.text
    assert len(sched.text) <= s.MAX_TEXT


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"day_of_week": 7}, "day-of-week 7 out of range 0-6"),
        ({"day_of_week": "sun-tue"}, "day-of-week range 'sun-tue' is backwards"),
        ({"day_of_week": "funday"}, "unknown day-of-week name 'funday'"),
        ({"minute": 60}, "minute 60 out of range 0-59"),
        ({"hour": "*/30"}, "step 30 exceeds the hour range 0-23"),
        ({"month": 2, "day": 30}, "day 30 never occurs in February"),
        ({"month": "feb", "day": "30-31"}, "days 30,31 never occur in February"),
        ({"second": 75}, "second 75 out of range 0-59"),
        ({"week": 54}, "week 54 out of range 1-53"),
    ],
)
def test_apscheduler_errors(fields: dict[str, object], error: str) -> None:
    sched = from_cron_fields(fields, "apscheduler", "x")
    assert (sched.error, sched.cron) == (error, None)


@pytest.mark.parametrize(
    ("text", "cron"),
    [
        # APScheduler 3 from_crontab passes the 5th field to day_of_week: Monday = 0
        ("0 9 * * 0", "0 9 * * 1"),
        ("0 9 * * 6", "0 9 * * 0"),
        ("0 9 * * 0-4", "0 9 * * 1-5"),
        ("0 9 * * mon-fri", "0 9 * * 1-5"),
        ("*/5 * * * *", "*/5 * * * *"),
    ],
)
def test_apscheduler_from_crontab(text: str, cron: str) -> None:
    sched = from_cron_string(text, "apscheduler_crontab")
    assert (sched.cron, sched.error) == (cron, None)
    assert sched.text == text


def test_apscheduler_from_crontab_errors_and_and_semantics() -> None:
    assert from_cron_string("0 9 * * 7", "apscheduler_crontab").error == (
        "day-of-week 7 out of range 0-6"
    )
    assert from_cron_string("0 9 * *", "apscheduler_crontab").error == (
        "wrong number of fields: 4, expected 5"
    )
    both = from_cron_string("0 9 1 * mon", "apscheduler_crontab")
    assert both.cron is None and both.error is None  # APScheduler ANDs day and weekday


@pytest.mark.parametrize(
    ("fields", "cron"),
    [
        ({"day_of_week": 0, "hour": 9}, "0 9 * * 0"),
        ({"day_of_week": 7, "hour": 9}, "0 9 * * 0"),
        ({"day_of_week": "mon-fri", "hour": 9}, "0 9 * * 1-5"),
        ({"day_of_week": "1-5", "hour": 9}, "0 9 * * 1-5"),
    ],
)
def test_apscheduler4_fields_count_from_sunday(fields: dict[str, object], cron: str) -> None:
    assert from_cron_fields(fields, "apscheduler4", "x").cron == cron


# --------------------------------------------------------------------------- Celery


@pytest.mark.parametrize(
    ("fields", "cron"),
    [
        ({}, "* * * * *"),
        ({"minute": 0, "hour": 0}, "0 0 * * *"),
        ({"minute": "*/15"}, "*/15 * * * *"),
        ({"hour": 7, "minute": 30, "day_of_week": 1}, "30 7 * * 1"),
        ({"hour": 7, "minute": 30, "day_of_week": 0}, "30 7 * * 0"),
        ({"day_of_week": "monday"}, "* * * * 1"),
        ({"minute": 0, "hour": 0, "day_of_week": "sat,sun"}, "0 0 * * 0,6"),
        ({"minute": 0, "hour": 0, "day_of_week": "mon-fri"}, "0 0 * * 1-5"),
        ({"minute": 0, "hour": 0, "day_of_week": "fri-mon"}, "0 0 * * 0,1,5,6"),  # wraps
        ({"minute": 0, "hour": "*/3"}, "0 */3 * * *"),
        ({"minute": 0, "hour": "0-23/2"}, "0 */2 * * *"),
        ({"minute": [0, 30]}, "*/30 * * * *"),
        ({"minute": {0, 20, 40}}, "*/20 * * * *"),
        ({"minute": 0, "hour": 0, "day_of_month": "2-30/2"}, "0 0 2-30/2 * *"),
        ({"minute": 0, "hour": 0, "day_of_month": 1, "month_of_year": "*/3"}, "0 0 1 */3 *"),
        ({"minute": 0, "hour": 0, "day_of_month": 11, "month_of_year": 5}, "0 0 11 5 *"),
        ({"minute": 0, "hour": 0, "month_of_year": "jan"}, "0 0 * 1 *"),
    ],
)
def test_celery_crontab(fields: dict[str, object], cron: str) -> None:
    sched = from_cron_fields(fields, "celery", "crontab(...)")
    assert (sched.cron, sched.error) == (cron, None)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"day_of_week": 7}, "day-of-week 7 out of range 0-6"),
        ({"minute": 60}, "minute 60 out of range 0-59"),
        ({"minute": "5/15"}, "bad minute expression '5/15'"),  # Celery has no 'a/n'
        ({"minute": [0, 99]}, "minute 99 out of range 0-59"),
        ({"day_of_month": "31", "month_of_year": "2"}, "day 31 never occurs in February"),
        ({"day_of_week": "caturday"}, "unknown day-of-week name 'caturday'"),
    ],
)
def test_celery_errors(fields: dict[str, object], error: str) -> None:
    assert from_cron_fields(fields, "celery", "x").error == error


def test_celery_day_and_weekday_are_anded() -> None:
    sched = from_cron_fields({"day_of_month": "1-7", "day_of_week": "mon"}, "celery", "x")
    assert sched.cron is None and sched.error is None
    assert "no 5-field cron" in sched.text


# --------------------------------------------------------------------------- huey


@pytest.mark.parametrize(
    ("fields", "cron"),
    [
        ({"minute": "0", "hour": "3"}, "0 3 * * *"),
        ({"minute": "*/15"}, "*/15 * * * *"),
        ({"minute": "0", "hour": "0", "day_of_week": "0"}, "0 0 * * 0"),
        ({"minute": "0", "hour": "0", "day_of_week": "7"}, "0 0 * * 0"),
        ({"minute": "0", "hour": "0", "day_of_week": "1-5"}, "0 0 * * 1-5"),
        ({"minute": "0", "hour": "0", "day_of_week": "5-1"}, "0 0 * * 0,1,5,6"),
        ({"minute": 0, "hour": 12, "day": "1", "month": "*/6"}, "0 12 1 */6 *"),
        ({"minute": 0, "hour": 12, "day": "1", "month": "1,7"}, "0 12 1 */6 *"),
    ],
)
def test_huey_crontab(fields: dict[str, object], cron: str) -> None:
    sched = from_cron_fields(fields, "huey", "crontab(...)")
    assert (sched.cron, sched.error) == (cron, None)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"day_of_week": "*/2"}, "'*/n' is not allowed in day-of-week: '*/2'"),
        ({"day_of_week": "mon"}, "bad day-of-week value 'mon'"),  # huey has no names
        ({"day_of_week": "8"}, "day-of-week 8 out of range 0-7"),
        ({"month": "2", "day": "30"}, "day 30 never occurs in February"),
    ],
)
def test_huey_errors(fields: dict[str, object], error: str) -> None:
    assert from_cron_fields(fields, "huey", "x").error == error


# --------------------------------------------------------------------------- arq


@pytest.mark.parametrize(
    ("fields", "cron"),
    [
        ({"hour": 2, "minute": 0}, "0 2 * * *"),
        # arq: None = any, and there is no "fill with minimum" rule: every minute of 02:xx
        ({"hour": 2}, "* 2 * * *"),
        ({}, "* * * * *"),
        ({"minute": {0, 15, 30, 45}}, "*/15 * * * *"),
        ({"weekday": "mon", "hour": 9, "minute": 0}, "0 9 * * 1"),
        ({"weekday": "sun", "hour": 9, "minute": 0}, "0 9 * * 0"),
        ({"weekday": "tues", "hour": 9, "minute": 0}, "0 9 * * 2"),
        ({"weekday": "thurs", "hour": 9, "minute": 0}, "0 9 * * 4"),
        ({"weekday": 0, "hour": 9, "minute": 0}, "0 9 * * 1"),
        ({"weekday": 6, "hour": 9, "minute": 0}, "0 9 * * 0"),
        ({"weekday": {0, 1, 2, 3, 4}, "hour": {9, 17}, "minute": 0}, "0 9,17 * * 1-5"),
        ({"hour": 3, "minute": 0, "second": 0, "microsecond": 0}, "0 3 * * *"),
        ({"month": 1, "day": 1, "hour": 0, "minute": 0}, "0 0 1 1 *"),
    ],
)
def test_arq_cron(fields: dict[str, object], cron: str) -> None:
    sched = from_cron_fields(fields, "arq", "cron(job, ...)")
    assert (sched.cron, sched.error) == (cron, None)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"weekday": "tue"},
            "arq weekday 'tue' is not one of mon, tues, wed, thurs, fri, sat, sun",
        ),
        ({"hour": 25}, "hour 25 out of range 0-23"),
        ({"minute": {0, 60}}, "minute 60 out of range 0-59"),
        ({"weekday": 7}, "weekday 7 out of range 0-6"),
        ({"minute": "*/5"}, "arq minute must be an int or a set of ints, got '*/5'"),
        ({"month": 2, "day": 30}, "day 30 never occurs in February"),
    ],
)
def test_arq_errors(fields: dict[str, object], error: str) -> None:
    assert from_cron_fields(fields, "arq", "x").error == error


@pytest.mark.parametrize(
    ("fields", "note"),
    [
        ({"minute": 0, "second": None}, "second=None"),
        ({"minute": 0, "second": {0, 30}}, "second=0,30"),
        ({"minute": 0, "second": 15}, "second=15"),
    ],
)
def test_arq_seconds_not_expressible(fields: dict[str, object], note: str) -> None:
    sched = from_cron_fields(fields, "arq", "cron(job)")
    assert sched.cron is None and sched.error is None
    assert note in sched.text


# --------------------------------------------------------------------------- unknowns


@pytest.mark.parametrize(
    "text",
    [
        "{{ .Values.cronjob.schedule }}",
        "{{ .Values.schedule | quote }}",
        "${CRON_SCHEDULE}",
        "$CRON_SCHEDULE",
        "{% if prod %}0 * * * *{% endif %}",
        "CRON_TZ=UTC {{ .Values.schedule }}",
    ],
)
@pytest.mark.parametrize("dialect", ["standard", "kubernetes", "taskiq"])
def test_templated_cron_string_is_unresolved(text: str, dialect: str) -> None:
    sched = from_cron_string(text, dialect)
    assert sched.resolved is False
    assert sched.cron is None and sched.interval_seconds is None and sched.error is None


def test_unknown_cron_string_object() -> None:
    sched = from_cron_string(UNKNOWN, "kubernetes")  # type: ignore[arg-type]
    assert sched.resolved is False and sched.error is None


@pytest.mark.parametrize("dialect", ["apscheduler", "apscheduler4", "celery", "huey", "arq"])
@pytest.mark.parametrize("value", [UNKNOWN, "${MINUTE}", "{{ minute }}"])
def test_unknown_fields_are_unresolved(dialect: str, value: object) -> None:
    sched = from_cron_fields({"minute": value, "hour": 3}, dialect, "x")
    assert sched.resolved is False
    assert (sched.cron, sched.error) == (None, None)


def test_unknown_inside_a_set_is_unresolved() -> None:
    sched = from_cron_fields({"minute": {0, UNKNOWN}}, "arq", "x")
    assert sched.resolved is False and sched.error is None
    sched = from_cron_fields({"minute": [0, UNKNOWN]}, "celery", "x")
    assert sched.resolved is False and sched.error is None


def test_unknown_wins_over_errors_elsewhere() -> None:
    # one field is unknowable: do not report the others as the reason it is invalid
    sched = from_cron_fields({"minute": UNKNOWN, "hour": 99}, "celery", "x")
    assert sched.resolved is False and sched.error is None


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    ("parts", "seconds"),
    [
        ({"minutes": 5}, 300),
        ({"seconds": 30, "minutes": 1}, 90),
        ({"hours": 1, "minutes": 30}, 5400),
        ({"days": 1}, 86400),
        ({"weeks": 2}, 1_209_600),
        ({"milliseconds": 500}, 0.5),
        ({"microseconds": 250_000, "seconds": 1}, 1.25),
        ({"minutes": 0.5}, 30),
        ({"hours": 0.25}, 900),
        ({"seconds": "300"}, 300),
        ({"seconds": 10, "jitter": 5, "start_date": "2024-01-01", "timezone": "UTC"}, 10),
        ({"seconds": 10, "minutes": None}, 10),
        ({}, 0),
        ({"seconds": 0}, 0),
        ({"seconds": -5}, -5),
    ],
)
def test_interval_seconds_from_parts(parts: dict[str, object], seconds: float) -> None:
    value = interval_seconds_from_parts(parts)
    assert value == seconds
    assert isinstance(value, int) == float(seconds).is_integer()


@pytest.mark.parametrize(
    "parts",
    [
        {"minutes": UNKNOWN},
        {"minutes": 5, "seconds": UNKNOWN},
        {"seconds": "${INTERVAL}"},
        {"seconds": "soon"},
        {"seconds": float("inf")},
        {"days": 10**12},
        {"seconds": True},
    ],
)
def test_interval_parts_unknown(parts: dict[str, object]) -> None:
    assert interval_seconds_from_parts(parts) is None


def test_interval_json_shows_integers() -> None:
    sched = from_interval(interval_seconds_from_parts({"minutes": 5}), "timedelta(minutes=5)")
    assert json.dumps(sched.interval_seconds) == "300"
    assert json.dumps(from_interval(300.0, "300.0").interval_seconds) == "300"
    assert json.dumps(from_interval(0.5, "0.5").interval_seconds) == "0.5"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (300, Schedule(text="x", interval_seconds=300)),
        (300.0, Schedule(text="x", interval_seconds=300)),
        (0.5, Schedule(text="x", interval_seconds=0.5)),
        ("60", Schedule(text="x", interval_seconds=60)),
        (0, Schedule(text="x", error="interval is zero")),
        (0.0, Schedule(text="x", error="interval is zero")),
        (-5, Schedule(text="x", error="interval is negative (-5 s)")),
        (float("nan"), Schedule(text="x", error="interval nan is not finite")),
        ("abc", Schedule(text="x", error="interval 'abc' is not a number")),
        (None, Schedule(text="x", resolved=False)),
        (UNKNOWN, Schedule(text="x", resolved=False)),
        ("${EVERY}", Schedule(text="x", resolved=False)),
    ],
)
def test_from_interval(value: object, expected: Schedule) -> None:
    assert from_interval(value, "x") == expected  # type: ignore[arg-type]


def test_interval_keeps_timezone_and_text() -> None:
    sched = from_interval(60, "IntervalTrigger(\n    minutes=1,\n)", timezone="Europe/Paris")
    assert sched.text == "IntervalTrigger( minutes=1, )"
    assert sched.timezone == "Europe/Paris"


# --------------------------------------------------------------------------- dates, text


def test_from_date() -> None:
    assert from_date("2024-05-01T10:00:00Z", "d").run_at == "2024-05-01T10:00:00+00:00"
    assert from_date("2024-05-01 10:00:00", "d").run_at == "2024-05-01T10:00:00"
    assert from_date(utc(2024, 5, 1), "d").run_at == "2024-05-01T00:00:00+00:00"
    assert from_date("tomorrow", "d").error == "run date 'tomorrow' is not a date"
    assert from_date(UNKNOWN, "d").resolved is False
    assert from_date(None, "d") == Schedule(text="d")


def test_shorten() -> None:
    assert s.shorten("a\n  b\tc") == "a b c"
    long = "x" * 200
    short = s.shorten(long)
    assert len(short) == 120 and short.endswith("…")
    assert from_cron_string("0 0 * * *  " + "#" * 300).text.endswith("…")


@pytest.mark.parametrize(
    ("value", "templated"),
    [
        ("{{ x }}", True),
        ("${X}", True),
        ("$X", True),
        ("$(date)", True),
        ("%(interval)s", True),
        ("0 * * * *", False),
        ("300", False),
        ("mon-fri", False),
        ("$", False),
    ],
)
def test_looks_templated(value: str, templated: bool) -> None:
    assert s.looks_templated(value) is templated


# --------------------------------------------------------------------------- fire times


def test_cron_fire_times_utc() -> None:
    sched = from_cron_string("*/20 * * * *")
    got = list(fire_times(sched, utc(2024, 1, 1, 0, 0), utc(2024, 1, 1, 1, 0)))
    assert got == [utc(2024, 1, 1, 0, 0), utc(2024, 1, 1, 0, 20), utc(2024, 1, 1, 0, 40)]
    assert all(t.tzinfo is UTC for t in got)


def test_fire_times_window_is_half_open_and_accepts_naive() -> None:
    sched = from_cron_string("0 * * * *")
    got = list(fire_times(sched, datetime(2024, 1, 1, 1), datetime(2024, 1, 1, 3)))
    assert got == [utc(2024, 1, 1, 1), utc(2024, 1, 1, 2)]
    assert list(fire_times(sched, utc(2024, 1, 1, 1, 0, 0, 1), utc(2024, 1, 1, 2))) == []
    assert list(fire_times(sched, utc(2024, 1, 1, 3), utc(2024, 1, 1, 1))) == []


def test_cron_fire_times_honour_timezone() -> None:
    sched = from_cron_string("0 9 * * *", timezone="America/New_York")
    got = list(fire_times(sched, utc(2024, 1, 10), utc(2024, 1, 12)))
    assert got == [utc(2024, 1, 10, 14), utc(2024, 1, 11, 14)]


def test_dst_spring_forward_skipped_time_fires_once_after_the_gap() -> None:
    # Europe/Berlin 2024-03-31: 02:00 → 03:00; 02:30 does not exist that day
    sched = from_cron_string("30 2 * * *", timezone="Europe/Berlin")
    got = list(fire_times(sched, utc(2024, 3, 30), utc(2024, 4, 2)))
    assert got == [utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 0), utc(2024, 4, 1, 0, 30)]


def test_dst_fall_back_repeated_time_fires_once() -> None:
    # Europe/Berlin 2024-10-27: 03:00 → 02:00; 02:30 happens twice, the job runs once
    sched = from_cron_string("CRON_TZ=Europe/Berlin 30 2 * * *", "kubernetes")
    got = list(fire_times(sched, utc(2024, 10, 26), utc(2024, 10, 29)))
    assert got == [utc(2024, 10, 26, 0, 30), utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)]


def test_dst_hourly_job_follows_real_hours() -> None:
    sched = from_cron_string("0 * * * *", timezone="Europe/Berlin")
    got = list(fire_times(sched, utc(2024, 10, 26, 22), utc(2024, 10, 27, 4)))
    assert got == [utc(2024, 10, 26, 22) + timedelta(hours=h) for h in range(6)]


def test_weekday_conventions_agree_on_real_dates() -> None:
    # 2024-01-01 was a Monday; every dialect's "Monday 09:00" must fire on it
    mondays = [
        from_cron_string("0 9 * * 1"),
        from_cron_string("0 9 * * mon", "kubernetes"),
        from_cron_string("0 9 * * 0", "apscheduler_crontab"),
        from_cron_fields({"day_of_week": "mon", "hour": 9}, "apscheduler", "x"),
        from_cron_fields({"day_of_week": 0, "hour": 9}, "apscheduler", "x"),
        from_cron_fields({"day_of_week": 1, "hour": 9}, "apscheduler4", "x"),
        from_cron_fields({"day_of_week": 1, "hour": 9, "minute": 0}, "celery", "x"),
        from_cron_fields({"day_of_week": "mon", "hour": 9, "minute": 0}, "celery", "x"),
        from_cron_fields({"day_of_week": "1", "hour": "9", "minute": "0"}, "huey", "x"),
        from_cron_fields({"weekday": "mon", "hour": 9, "minute": 0}, "arq", "x"),
        from_cron_fields({"weekday": 0, "hour": 9, "minute": 0}, "arq", "x"),
    ]
    for sched in mondays:
        got = list(fire_times(sched, utc(2023, 12, 31), utc(2024, 1, 7)))
        assert got == [utc(2024, 1, 1, 9)], sched


def test_interval_fire_times_anchor_at_start() -> None:
    sched = from_interval(1800, "every 30 min")
    start = utc(2024, 1, 1, 0, 7, 13)
    got = list(fire_times(sched, start, start + timedelta(hours=1, seconds=1)))
    assert got == [start, start + timedelta(minutes=30), start + timedelta(hours=1)]


def test_fractional_interval_fire_times() -> None:
    got = list(fire_times(from_interval(0.25, "x"), utc(2024, 1, 1), utc(2024, 1, 1, 0, 0, 1)))
    assert len(got) == 4
    assert got[-1] == utc(2024, 1, 1) + timedelta(seconds=0.75)


def test_one_off_fire_times() -> None:
    sched = from_date("2024-01-01T12:00:00+00:00", "date")
    assert list(fire_times(sched, utc(2024, 1, 1), utc(2024, 1, 2))) == [utc(2024, 1, 1, 12)]
    assert list(fire_times(sched, utc(2024, 1, 2), utc(2024, 1, 3))) == []
    naive_in_zone = from_date("2024-01-01T12:00:00", "date", timezone="Europe/Berlin")
    assert list(fire_times(naive_in_zone, utc(2024, 1, 1), utc(2024, 1, 2))) == [
        utc(2024, 1, 1, 11)
    ]


@pytest.mark.parametrize(
    "sched",
    [
        from_cron_string("{{ .Values.schedule }}", "kubernetes"),
        from_cron_string("61 * * * *"),
        from_interval(0, "zero"),
        from_interval(None, "unknown"),
        from_date(None, "now"),
        from_cron_fields({"second": "*/10"}, "apscheduler", "x"),
        Schedule(text="solar('sunset', 0, 0)"),
    ],
)
def test_no_fire_times(sched: Schedule) -> None:
    assert list(fire_times(sched, utc(2024, 1, 1), utc(2024, 1, 8))) == []


def test_impossible_but_valid_leap_day() -> None:
    sched = from_cron_string("0 0 29 2 *")
    assert sched.error is None
    got = list(fire_times(sched, utc(2023, 1, 1), utc(2025, 1, 1)))
    assert got == [utc(2024, 2, 29)]


# --------------------------------------------------------------------------- per minute


def test_fires_per_minute_sub_minute_interval_is_counted_arithmetically() -> None:
    start = utc(2024, 1, 1, 0, 0, 30)
    counts = fires_per_minute([from_interval(10, "x")], start, start + timedelta(minutes=3))
    assert counts == {
        utc(2024, 1, 1, 0, 0): 3,  # :30 :40 :50
        utc(2024, 1, 1, 0, 1): 6,
        utc(2024, 1, 1, 0, 2): 6,
        utc(2024, 1, 1, 0, 3): 3,  # :00 :10 :20 (window ends at :30)
    }


@pytest.mark.parametrize("interval", [0.5, 7, 10, 13.3, 59.9, 60, 90, 3600])
def test_fires_per_minute_matches_enumeration(interval: float) -> None:
    sched = from_interval(interval, "x")
    start, end = utc(2024, 1, 1, 0, 0, 17), utc(2024, 1, 1, 1, 0, 5)
    expected: dict[datetime, int] = {}
    for fire in fire_times(sched, start, end):
        minute = fire.replace(second=0, microsecond=0)
        expected[minute] = expected.get(minute, 0) + 1
    assert fires_per_minute([sched], start, end) == expected


def test_fires_per_minute_is_fast_for_a_day_of_half_seconds() -> None:
    counts = fires_per_minute([from_interval(0.5, "x")], utc(2024, 1, 1), utc(2024, 1, 2))
    assert len(counts) == 1440
    assert set(counts.values()) == {120}


def test_fires_per_minute_sums_schedules() -> None:
    counts = fires_per_minute(
        [from_cron_string("0 * * * *"), from_cron_string("0 0 * * *"), from_interval(86400, "x")],
        utc(2024, 1, 1),
        utc(2024, 1, 2),
    )
    assert counts[utc(2024, 1, 1, 0, 0)] == 3
    assert counts[utc(2024, 1, 1, 1, 0)] == 1
    assert sum(counts.values()) == 26


def test_expansion_window() -> None:
    daily = [from_cron_string("0 3 * * *"), from_interval(60, "x")]
    weekly = [*daily, from_cron_string("0 3 * * 1")]
    assert s.expansion_window(daily) == (utc(2024, 1, 1), utc(2024, 1, 2))
    assert s.expansion_window(weekly) == (utc(2024, 1, 1), utc(2024, 1, 8))
    assert s.expansion_window(daily, utc(2025, 6, 1)) == (utc(2025, 6, 1), utc(2025, 6, 2))


# --------------------------------------------------------------------------- properties

_minute_sets = st.sets(st.integers(0, 59), min_size=1, max_size=60)
_hour_sets = st.sets(st.integers(0, 23), min_size=1, max_size=24)
_dow_sets = st.sets(st.integers(0, 7), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(minutes=_minute_sets, hours=_hour_sets, weekdays=_dow_sets)
def test_canonical_cron_fires_exactly_like_the_original(
    minutes: set[int], hours: set[int], weekdays: set[int]
) -> None:
    def field(values: set[int]) -> str:
        return ",".join(str(v) for v in sorted(values))

    original = f"{field(minutes)} {field(hours)} * * {field(weekdays)}"
    sched = from_cron_string(original)
    assert sched.error is None and sched.cron is not None
    start = datetime(2024, 1, 1)
    a = CronSim(original, start)
    b = CronSim(sched.cron, start)
    for _ in range(50):
        assert next(a) == next(b)
    # and rendering is idempotent
    assert from_cron_string(sched.cron).cron == sched.cron


@settings(max_examples=100, deadline=None)
@given(days=st.sets(st.integers(0, 6), min_size=1, max_size=7), hour=st.integers(0, 23))
def test_apscheduler_weekday_shift_matches_python_weekday(days: set[int], hour: int) -> None:
    """APScheduler's day_of_week is datetime.weekday(): check against real dates."""
    sched = from_cron_fields(
        {"day_of_week": ",".join(map(str, sorted(days))), "hour": hour}, "apscheduler", "x"
    )
    got = list(fire_times(sched, utc(2024, 1, 1), utc(2024, 1, 8)))
    assert sorted(t.weekday() for t in got) == sorted(days)
    assert all(t.hour == hour and t.minute == 0 for t in got)


def test_unknown_survives_pickling_and_copy() -> None:
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN
    assert copy.deepcopy({"minute": UNKNOWN})["minute"] is UNKNOWN
    assert repr(UNKNOWN) == "UNKNOWN"
    assert s.is_unknown(pickle.loads(pickle.dumps(UNKNOWN)))


def test_or_days_fire_on_the_weekday_when_the_day_never_exists() -> None:
    # February 2024 Mondays: 5, 12, 19, 26 (works with cronsim 2.7 on Python 3.10 too)
    sched = from_cron_string("0 0 30 2 1")
    got = list(fire_times(sched, utc(2024, 1, 1), utc(2024, 12, 31)))
    assert got == [utc(2024, 2, d) for d in (5, 12, 19, 26)]


def test_or_days_union_has_no_duplicates() -> None:
    # 2024-01-01 is both the 1st and a Monday: one fire, not two
    sched = from_cron_string("0 0 1 1 1")
    got = list(fire_times(sched, utc(2024, 1, 1), utc(2024, 1, 9)))
    assert got == [utc(2024, 1, 1), utc(2024, 1, 8)]
