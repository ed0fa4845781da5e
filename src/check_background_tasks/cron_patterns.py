"""What a 5-field cron really does when it is not what it seems to say (BGT034).

Two shapes are mistakes far more often than intent:

* **bursts**: every minute (`*`) inside a restricted hour or day. ``* */6 * * *`` reads like
  "every six hours" and runs 60 times in each of those hours; Celery's ``crontab(hour=3)``
  and arq's ``cron(f, hour=3)`` leave the minute at "every".
* **uneven steps**: ``*/n`` where n does not divide the field's range, so the step restarts
  at the top of the range. ``*/40`` minutes fires at :00 and :40 (gaps of 40 and 20
  minutes), ``*/5`` hours at 0, 5, 10, 15, 20 (the last gap is 4 hours), ``*/7`` days of the
  month on the 1st, 8th, 15th, 22nd and 29th, then the 1st again two or three days later.

The cron handed in is the canonical form of `schedules.py` (numbers only, Sunday = 0); the
text as written tells a step apart from a list that happens to look like one (``0,40``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

# (name, lowest, highest) of the five fields, in order.
FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 6),
)
MINUTE, HOUR, DOM, MONTH, DOW = range(5)
# A day-of-month step restarts with every month, whose length varies; `*/2` ("every other
# day", with the 31st and the 1st back to back) is the idiom everyone accepts, so only
# steps from 3 up are reported there.
DOM_MIN_STEP = 3
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_TERM = re.compile(r"^(\*|\?|\d+)(?:-(\d+))?(?:/(\d+))?$")
_TZ_PREFIX = re.compile(r"^\s*(?:CRON_TZ|TZ)=\S+\s+")


def expand(cron: str) -> list[set[int]] | None:
    """The value set of each field, or None for what this reader does not know (L, W, #)."""
    parts = cron.split()
    if len(parts) != 5:
        return None
    out: list[set[int]] = []
    for text, (_name, lo, hi) in zip(parts, FIELDS, strict=True):
        values: set[int] = set()
        for term in text.split(","):
            match = _TERM.match(term)
            if match is None:
                return None
            base, last, step = match.groups()
            if base in ("*", "?"):
                first, end = lo, hi
            else:
                first = int(base)
                end = int(last) if last is not None else (hi if step else first)
            values.update(range(first, end + 1, int(step) if step else 1))
        top = 7 if hi == 6 else hi  # 7 is Sunday too
        if not values or min(values) < lo or max(values) > top:
            return None
        out.append({v % 7 for v in values} if hi == 6 else values)
    return out


@dataclass(frozen=True)
class Shape:
    """One surprising shape of a cron: what it does, and what was probably meant."""

    kind: str  # "burst" | "uneven"
    field: str
    pattern: str  # how it really fires, in words
    advice: str  # what to write instead
    # The short gap is more than half the step (`*/7` minutes: 7, then 4): true, but rarely
    # worth a change; reported at info.
    mild: bool = False


def shapes(cron: str, written: str) -> list[Shape]:
    """Bursts and uneven steps of `cron` (canonical), as `written` (the schedule's text)."""
    sets = expand(cron)
    if sets is None:
        return []
    found: list[Shape] = []
    fields = _written_fields(written)
    burst = _burst(cron, sets, keywords=fields is None)
    if burst is not None:
        found.append(burst)
    for index in (MINUTE, HOUR, DOM, MONTH, DOW):
        uneven = _uneven(index, sets[index], fields, written, sets[MINUTE])
        if uneven is None:
            uneven = _step_past_range(index, sets, fields, written)
        if uneven is not None:
            found.append(uneven)
    return found


_KEYWORD_NAMES = {MINUTE: "minute", HOUR: "hour", DOM: "day_of_month", MONTH: "month_of_year"}


def _written_step(index: int, fields: list[str] | None, written: str) -> int | None:
    """The `*/n` step written in one field, as a 5-field string or a keyword argument."""
    if fields is not None:
        match = re.fullmatch(r"\*/(\d+)", fields[index])
        return int(match.group(1)) if match else None
    keyword = _KEYWORD_NAMES.get(index)
    if keyword is None:
        return None
    match = re.search(rf"\b{keyword}\s*=\s*[\"']\*/(\d+)[\"']", written)
    return int(match.group(1)) if match else None


def _step_past_range(
    index: int, sets: list[set[int]], fields: list[str] | None, written: str
) -> Shape | None:
    """`hour="*/30"`: a step longer than its field's range keeps the first value alone, so
    "every 30 hours" (or a step meant for the minutes) fires once a day. A step of exactly
    the range (`*/24` hours, `*/60` minutes) is daily or hourly, as meant."""
    name, lo, hi = FIELDS[index]
    step = _written_step(index, fields, written)
    span = hi - lo + 1
    if step is None or step <= span or index == DOW or sets[index] != {lo}:
        return None
    if index == HOUR:
        minutes = sorted(sets[MINUTE])
        at = f"{lo:02d}:{minutes[0]:02d}" if len(minutes) == 1 else f"hour {lo:02d}"
        pattern = f"fires only at {at} each day (a step of {step} is longer than a day's 24 hours)"
        advice = (
            f"for every {step} minutes write the step in the minute field (`*/{step}`), for "
            "a daily run write the hour itself"
        )
    else:
        unit = {MINUTE: "an hour's 60 minutes", DOM: "a month", MONTH: "a year"}[index]
        pattern = f"fires only at {name} {lo} (a step of {step} is longer than {unit})"
        advice = f"write the {name} itself, or an interval schedule (every {step})"
    return Shape("uneven", name, pattern, advice)


# --------------------------------------------------------------------------- bursts


def _isolated(values: set[int], lo: int, hi: int) -> bool:
    """No two neighbouring values (the range wraps): each is a burst of its own."""
    if not values or len(values) == hi - lo + 1:
        return False
    span = hi - lo + 1
    return all(((v - lo + 1) % span) + lo not in values for v in values)


def _burst(cron: str, sets: list[set[int]], keywords: bool) -> Shape | None:
    """`keywords`: written as fields (crontab(hour=3)), so the fix is named as a field."""
    minutes, hours, days, months, weekdays = sets
    if len(minutes) != 60:
        return None
    parts = cron.split()
    if len(hours) < 24:
        if not _isolated(hours, 0, 23):
            return None  # `* 9-17 * * *`: every minute of working hours is a choice
        runs = 60 * len(hours)
        shown = ", ".join(str(h) for h in sorted(hours))
        what = f"hour {shown}" if len(hours) == 1 else f"hours {shown}"
        every_day = len(days) == 31 and len(weekdays) == 7 and len(months) == 12
        per = "a day" if every_day else "on each day it runs"
        intent = " ".join(["0", *parts[1:]])
        return Shape(
            "burst",
            "minute",
            f"runs every minute of {what} ({runs} runs {per})",
            f"to run once in each of those hours write `{intent}`"
            + (" (minute=0)" if keywords else ""),
        )
    day_restricted = len(days) < 31
    weekday_restricted = len(weekdays) < 7
    if day_restricted == weekday_restricted:
        return None  # every day, or both restricted (OR-ed: too many shapes to name)
    if weekday_restricted and _isolated(weekdays, 0, 6):
        shown = ", ".join(WEEKDAYS[d] for d in sorted(weekdays))
    elif day_restricted and _isolated(days, 1, 31):
        shown = "day " + ", ".join(str(d) for d in sorted(days)) + " of the month"
    else:
        return None
    intent = " ".join(["0", "0", *parts[2:]])
    return Shape(
        "burst",
        "minute",
        f"runs every minute of {shown} (1440 runs on each such day)",
        f"to run once that day write `{intent}`"
        + (" (minute=0, hour=0)" if keywords else "")
        + " or the time you mean",
    )


# --------------------------------------------------------------------------- uneven steps


def _written_fields(written: str) -> list[str] | None:
    """The five fields of a cron string as written; None for keyword forms (crontab(...))."""
    text = _TZ_PREFIX.sub("", written.strip().strip("\"'"))
    parts = text.split()
    return parts if len(parts) == 5 and "=" not in text and "(" not in text else None


def _step_written(
    index: int, step: int, values: list[int], fields: list[str] | None, written: str
) -> bool:
    if fields is not None:
        return f"/{step}" in fields[index]
    if re.search(rf"/\s*{step}\b", written):
        return True
    # A keyword form whose step is computed (`minute="*/" + str(interval)`): a step, unless
    # the values themselves are written out as a list.
    listed = ",".join(str(v) for v in values)
    return "/" in written and listed not in written.replace(" ", "")


def _uneven(
    index: int, values: set[int], fields: list[str] | None, written: str, minutes: set[int]
) -> Shape | None:
    name, lo, hi = FIELDS[index]
    ordered = sorted(values)
    if len(ordered) < 2:
        return None
    step = ordered[1] - ordered[0]
    if step < 2 or any(b - a != step for a, b in pairwise(ordered)):
        return None
    first, last = ordered[0], ordered[-1]
    if first - lo >= step or last + step <= hi:
        return None  # `10-40/10` or `0-30/15`: a window on purpose, not a wrapped step
    if not _step_written(index, step, ordered, fields, written):
        return None  # a list written out (`0,40`): chosen, not stepped
    if index == DOM:
        return _uneven_days(step, ordered)
    span = hi - lo + 1
    if span % step == 0:
        return None
    wrap = (hi - last + 1) + (first - lo)
    pattern = _pattern(index, ordered, step, wrap, minutes)
    return Shape("uneven", name, pattern, _advice(index, step), mild=wrap * 2 > step)


def _pattern(index: int, ordered: list[int], step: int, wrap: int, minutes: set[int]) -> str:
    if index == MINUTE:
        at = ", ".join(f":{v:02d}" for v in ordered)
        return f"fires at {at} each hour (gaps of {step} minutes, then {wrap})"
    if index == HOUR:
        # the minute it fires at, when there is one (`crontab(minute=1, hour="*/10")`)
        minute = f"{min(minutes):02d}" if len(minutes) == 1 else "00"
        at = ", ".join(f"{v:02d}:{minute}" for v in ordered)
        return f"fires at {at} (gaps of {step} hours, then {wrap} from {ordered[-1]:02d}:{minute})"
    if index == MONTH:
        at = ", ".join(str(v) for v in ordered)
        return f"fires in months {at} (gaps of {step} months, then {wrap})"
    at = ", ".join(WEEKDAYS[v] for v in ordered)
    return f"fires on {at} (gaps of {step} days, then {wrap})"


def _advice(index: int, step: int) -> str:
    span, unit = {MINUTE: (60, "minutes"), HOUR: (24, "hours"), MONTH: (12, "months")}.get(
        index, (7, "days")
    )
    divisors = [d for d in range(2, span) if span % d == 0]
    near = sorted(divisors, key=lambda d: (abs(d - step), d))[:2]
    steps = " or ".join(f"`*/{d}`" for d in sorted(near))
    interval = f"an interval schedule (every {step} {unit})"
    if steps and index != DOW:
        return f"use {interval}, or a step that divides {span} ({steps})"
    return f"use {interval}"


def _uneven_days(step: int, ordered: list[int]) -> Shape | None:
    if step < DOM_MIN_STEP:
        return None
    # The gap from the last chosen day of a 30- or 31-day month to the 1st of the next.
    gaps = {
        length: length - ordered[-1 if ordered[-1] <= length else -2] + 1 for length in (30, 31)
    }
    odd = [f"{gap} days ({length}-day months)" for length, gap in gaps.items() if gap != step]
    if not odd:
        return None
    shown = ", ".join(str(d) for d in ordered)
    pattern = (
        f"fires on days {shown} of the month (gaps of {step} days, then the 1st again after "
        f"{' or '.join(odd)})"
    )
    weekly = step == 7
    advice = (
        "for a weekly run use a day of the week (`0 0 * * 1`)"
        if weekly
        else f"use an interval schedule (every {step} days)"
    )
    return Shape("uneven", "day-of-month", pattern, advice)
