"""Turn evaluated schedule expressions of each framework into `Schedule`s."""

from __future__ import annotations

from typing import Any

from .. import schedules
from ..model import Schedule
from ..schedules import UNKNOWN
from .names import CallValue, EnvValue, last_part, strip_env

INTERVAL_PARTS = ("weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds")
APSCHEDULER_CRON_FIELDS = (
    "year",
    "month",
    "day",
    "week",
    "day_of_week",
    "hour",
    "minute",
    "second",
)
CELERY_CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
HUEY_CRONTAB_FIELDS = ("minute", "hour", "day", "month", "day_of_week")


def _tz(value: Any) -> str | None:
    value = strip_env(value)
    if isinstance(value, str):
        return value
    if isinstance(value, CallValue) and value.args and isinstance(value.args[0], str):
        return value.args[0]  # ZoneInfo("Europe/Paris"), pytz.timezone("UTC")
    return None


def _known(value: Any) -> Any:
    """A field value, with env defaults applied and calls made unknown."""
    value = strip_env(value)
    if isinstance(value, CallValue):
        return UNKNOWN
    return value


def interval(parts: dict[str, Any], text: str, timezone: str | None = None) -> Schedule:
    """Interval parts; none at all is a zero interval (timedelta() and friends)."""
    clean = {k: _known(v) for k, v in parts.items() if k in INTERVAL_PARTS}
    return schedules.from_interval(schedules.interval_seconds_from_parts(clean), text, timezone)


def seconds_value(value: Any, text: str) -> Schedule:
    """A schedule given as a number of seconds, a timedelta or something else."""
    value = strip_env(value)
    if isinstance(value, bool):
        return schedules.from_interval(None, text)
    if isinstance(value, int | float):
        return schedules.from_interval(value, text)
    if isinstance(value, str):
        try:
            return schedules.from_interval(float(value), text)
        except ValueError:
            return schedules.from_interval(None, text)
    if isinstance(value, CallValue) and last_part(value.func) == "timedelta":
        if value.unpacked:
            return schedules.from_interval(None, text)  # timedelta(**parts): unknown
        return interval(timedelta_parts(value), text)
    return schedules.from_interval(None, text)


def timedelta_parts(call: CallValue) -> dict[str, Any]:
    # timedelta(days, seconds, microseconds, milliseconds, minutes, hours, weeks)
    order = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
    parts = dict(zip(order, call.args, strict=False))
    parts.update(call.kwargs)
    return parts


def cron_fields(
    call: CallValue, names: tuple[str, ...], dialect: str, text: str, timezone: str | None = None
) -> Schedule:
    if call.unpacked:  # crontab(**fields): which fields is unknown, not "every minute"
        return Schedule(text=text, resolved=False)
    fields: dict[str, Any] = dict(zip(names, call.args, strict=False))
    for key, value in call.kwargs:
        if key in names:
            fields[key] = value
    fields = {k: _known(v) for k, v in fields.items() if v is not None}
    return schedules.from_cron_fields(fields, dialect, text, timezone)


def celery_schedule(value: Any, text: str) -> Schedule:
    """number | timedelta | crontab(...) | schedule(run_every=...) | solar(...)."""
    raw = value
    value = strip_env(value)
    if isinstance(value, CallValue):
        name = last_part(value.func)
        if name == "crontab":
            tz = _tz(value.kw("tz"))
            return cron_fields(value, CELERY_CRONTAB_FIELDS, "celery", text, tz)
        if name == "schedule":
            every = value.kw("run_every", value.args[0] if value.args else UNKNOWN)
            return seconds_value(every, text)
        if name == "solar":
            return Schedule(text=text)
        return seconds_value(value, text)
    if isinstance(raw, EnvValue):
        return seconds_value(raw, text)
    return seconds_value(value, text)


def shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."
