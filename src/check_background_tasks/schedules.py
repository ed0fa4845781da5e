"""Schedules: cron strings, cron fields, intervals → `Schedule`; validation; fire times.

Every framework writes schedules its own way; this module turns them into one shape:

* ``cron``: the standard 5-field form (minute hour day-of-month month day-of-week, Sunday = 0),
  rendered canonically from the expanded value sets (names become numbers, ``7`` becomes ``0``,
  ``0-59/15`` becomes ``*/15``) so that equal schedules compare equal;
* ``interval_seconds``: an ``int`` when whole, else a ``float``;
* ``error``: a short human reason when the schedule is invalid (rule BGT030);
* ``resolved=False`` when a value is only known at run time (``UNKNOWN``, a template, an env var).

Day-of-week conventions (verified against the frameworks' sources):

============================  ===========================================================
dialect                       day of week
============================  ===========================================================
standard / kubernetes /       Sunday = 0 (7 = Sunday too, except Kubernetes: 0-6 only),
taskiq                        names sun..sat; day-of-month and day-of-week are OR-ed when
                              both are restricted (Vixie/Debian cron; cronsim follows it)
apscheduler (3.x fields)      Monday = 0 .. Sunday = 6, names mon..sun; all fields AND-ed
apscheduler_crontab           ``CronTrigger.from_crontab`` in 3.x passes the 5th field
                              straight to ``day_of_week``: Monday = 0 (APScheduler #286)
apscheduler4 (fields)         Sunday = 0 (0-7), names; ``from_crontab`` in 4.x = standard
celery ``crontab()``          Sunday = 0 (0-6 only), names by their first three letters,
                              wrapping ranges (``fri-mon``); all fields AND-ed
huey ``crontab()``            Sunday = 0 (7 = Sunday too), no names, no ``*/n`` on the day
                              of week, wrapping ranges; all fields AND-ed
arq ``cron()``                Monday = 0 (``datetime.weekday()``), one name of
                              mon/tues/wed/thurs/fri/sat/sun; ``None`` = any; AND-ed
============================  ===========================================================

Cron expansion and validation of the final 5-field string go through ``cronsim``; the
hand-written parsing here only translates dialects and gives precise error messages.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError

from .model import Schedule


class _Unknown:
    """The type of `UNKNOWN`; a singleton that survives pickling (process pools, caches)."""

    __slots__ = ()
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()  # a field value only known at run time

UTC = timezone.utc
MAX_TEXT = 120

__all__ = [
    "UNKNOWN",
    "CronSets",
    "cron_sets",
    "expansion_window",
    "fire_times",
    "fires_per_minute",
    "from_cron_fields",
    "from_cron_string",
    "from_date",
    "from_interval",
    "interval_seconds_from_parts",
    "is_unknown",
    "looks_templated",
    "schedule_zone",
    "shorten",
]

# --------------------------------------------------------------------------- text helpers

_TEMPLATE_RE = re.compile(
    r"\{\{|\}\}|\{%|%\}|\$\{|\$\(|<%|%\([A-Za-z_]\w*\)[sd]|^\$[A-Za-z_]\w*$|^%[A-Za-z_]\w*%$"
)


def looks_templated(text: str) -> bool:
    """True for values only known at deploy/run time: Helm/Jinja, ``${VAR}``, ``$VAR`` ..."""
    return bool(_TEMPLATE_RE.search(text.strip()))


def is_unknown(value: object) -> bool:
    """`UNKNOWN`, or a string that is a template / environment placeholder."""
    return isinstance(value, _Unknown) or (isinstance(value, str) and looks_templated(value))


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    """One line, whitespace collapsed, at most `limit` characters (ellipsis when cut)."""
    one = " ".join(str(text).split())
    if len(one) <= limit:
        return one
    return one[: max(limit - 1, 0)].rstrip() + "…"


def _with_note(text: str, note: str) -> str:
    suffix = f" [{note}]"
    return shorten(text, MAX_TEXT - len(suffix)) + suffix


def _num(value: float) -> int | float:
    """300.0 → 300; 0.5 stays 0.5 (JSON shows 300, not 300.0)."""
    if isinstance(value, int):
        return value
    return int(value) if float(value).is_integer() else float(value)


# --------------------------------------------------------------------------- time zones


@lru_cache(maxsize=1)
def _tz_database_available() -> bool:
    try:
        return bool(available_timezones())
    except Exception:  # pragma: no cover - exotic platforms
        return False


_UTC_NAMES = {"utc", "z", "gmt", "etc/utc", "etc/gmt", "universal", "zulu"}


@lru_cache(maxsize=256)
def _zone(name: str) -> tzinfo | None:
    """The tzinfo for `name`, or None when the name is not a known zone."""
    if name.strip().lower() in _UTC_NAMES:
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _timezone_error(name: str | None) -> str | None:
    if name is None or looks_templated(name):
        return None
    if not name.strip():
        return "empty time zone"
    if _zone(name) is None and _tz_database_available():
        return f"unknown time zone {name.strip()!r}"
    return None


def _clean_tz(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    return None


# --------------------------------------------------------------------------- field model


@dataclass(frozen=True)
class _Field:
    name: str  # used in messages
    lo: int
    hi: int


_MINUTE = _Field("minute", 0, 59)
_HOUR = _Field("hour", 0, 23)
_DOM = _Field("day-of-month", 1, 31)
_MONTH = _Field("month", 1, 12)
_DOW = _Field("day-of-week", 0, 6)  # canonical Sunday = 0

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SUN0_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MON0_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ARQ_WEEKDAYS = ("mon", "tues", "wed", "thurs", "fri", "sat", "sun")
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class _Invalid(Exception):
    """A schedule error with a short human reason."""


class _Unresolved(Exception):
    """A value is only known at run time."""


class _NotExpressible(Exception):
    """Valid, but has no 5-field cron equivalent; the message says why."""


@dataclass(frozen=True)
class _Syntax:
    """How one dialect writes a field expression."""

    names: Mapping[str, int]  # lower-case name -> value in the dialect's numbering
    lo: int  # accepted numeric range, dialect numbering
    hi: int
    name_prefix3: bool = False  # celery: 'monday' -> 'mon'
    wrap: bool = False  # celery/huey: 'fri-mon' wraps around
    open_step: bool = True  # 'a/n' means a..hi every n (cron, APScheduler)
    star_step: bool = True  # '*/n' allowed
    step_le_range: bool = False  # APScheduler: step may not exceed the field's span
    allow_question: bool = False  # Kubernetes: '?' = '*' in day fields
    allow_names: bool = True


_TERM_RE = re.compile(r"^(?P<base>[^/]+)(?:/(?P<step>[^/]*))?$")


def _parse_value(token: str, fld: _Field, syn: _Syntax) -> int:
    tok = token.strip().lower()
    if re.fullmatch(r"\d+", tok):
        value = int(tok)
        if not syn.lo <= value <= syn.hi:
            raise _Invalid(f"{fld.name} {value} out of range {syn.lo}-{syn.hi}")
        return value
    if syn.allow_names and re.fullmatch(r"[a-z]+", tok):
        key = tok[:3] if syn.name_prefix3 else tok
        if key in syn.names:
            return syn.names[key]
        raise _Invalid(f"unknown {fld.name} name {token.strip()!r}")
    raise _Invalid(f"bad {fld.name} value {token.strip()!r}")


def _parse_step(text: str, fld: _Field, term: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise _Invalid(f"bad step in {fld.name} {term!r}")
    step = int(text)
    if step == 0:
        raise _Invalid(f"step 0 in {fld.name} {term!r}")
    return step


def _parse_term(term: str, fld: _Field, syn: _Syntax) -> list[int]:
    match = _TERM_RE.match(term)
    if not match:
        raise _Invalid(f"bad {fld.name} expression {term!r}")
    base, step_text = match.group("base").strip(), match.group("step")
    step = _parse_step(step_text, fld, term) if step_text is not None else None
    if base in ("*", "?"):
        if base == "?" and not syn.allow_question:
            raise _Invalid(f"bad {fld.name} expression {term!r}")
        if step is not None and not syn.star_step:
            raise _Invalid(f"'*/n' is not allowed in {fld.name}: {term!r}")
        values = list(range(syn.lo, syn.hi + 1))
        if syn.step_le_range and step is not None and step > syn.hi - syn.lo:
            raise _Invalid(f"step {step} exceeds the {fld.name} range {syn.lo}-{syn.hi}")
    elif "-" in base:
        first_text, last_text = base.split("-", 1)
        if not first_text.strip() or not last_text.strip():
            if re.fullmatch(r"-\d+", base):
                raise _Invalid(f"{fld.name} {base} out of range {syn.lo}-{syn.hi}")
            raise _Invalid(f"bad {fld.name} range {term!r}")
        first = _parse_value(first_text, fld, syn)
        last = _parse_value(last_text, fld, syn)
        if first <= last:
            values = list(range(first, last + 1))
        elif syn.wrap:
            values = list(range(first, syn.hi + 1)) + list(range(syn.lo, last + 1))
        else:
            raise _Invalid(f"{fld.name} range {base!r} is backwards")
        if syn.step_le_range and step is not None and step > last - first:
            raise _Invalid(f"step {step} exceeds the {fld.name} range {base!r}")
    else:
        first = _parse_value(base, fld, syn)
        if step is None:
            return [first]
        if not syn.open_step:
            raise _Invalid(f"bad {fld.name} expression {term!r}")
        values = list(range(first, syn.hi + 1))
        if syn.step_le_range and step > syn.hi - first:
            raise _Invalid(f"step {step} exceeds the {fld.name} range {first}-{syn.hi}")
    return values[:: step or 1]


def _parse_expr(expr: str, fld: _Field, syn: _Syntax) -> set[int]:
    text = expr.strip()
    if not text:
        raise _Invalid(f"empty {fld.name}")
    out: set[int] = set()
    for term in text.split(","):
        if not term.strip():
            raise _Invalid(f"empty item in {fld.name} {expr!r}")
        out.update(_parse_term(term.strip(), fld, syn))
    return out


def _parse_any(value: object, fld: _Field, syn: _Syntax) -> set[int]:
    """str / int / iterable of ints (Celery, arq and APScheduler accept all of these)."""
    if isinstance(value, bool):
        raise _Invalid(f"bad {fld.name} value {value!r}")
    if isinstance(value, int):
        return _parse_expr(str(value), fld, syn)
    if isinstance(value, str):
        return _parse_expr(value, fld, syn)
    if isinstance(value, Iterable):
        out: set[int] = set()
        for item in value:
            if is_unknown(item):
                raise _Unresolved
            out |= _parse_any(item, fld, syn)
        if not out:
            raise _Invalid(f"empty {fld.name}")
        return out
    raise _Invalid(f"bad {fld.name} value {value!r}")


def _names(seq: Sequence[str], start: int) -> dict[str, int]:
    return {name: start + i for i, name in enumerate(seq)}


_MONTHS = _names(_MONTH_NAMES, 1)
_CRON_SYNTAX = {
    _MINUTE: _Syntax({}, 0, 59, allow_names=False),
    _HOUR: _Syntax({}, 0, 23, allow_names=False),
    _DOM: _Syntax({}, 1, 31, allow_names=False),
    _MONTH: _Syntax(_MONTHS, 1, 12),
    _DOW: _Syntax(_names(_SUN0_NAMES, 0), 0, 7),
}
_K8S_SYNTAX = {
    **_CRON_SYNTAX,
    _DOM: _Syntax({}, 1, 31, allow_names=False, allow_question=True),
    _DOW: _Syntax(_names(_SUN0_NAMES, 0), 0, 6, allow_question=True),
}


def _aps_syntax(names: Mapping[str, int], lo: int, hi: int) -> _Syntax:
    return _Syntax(names, lo, hi, step_le_range=True, allow_names=bool(names))


_APS_SYNTAX = {
    _MINUTE: _aps_syntax({}, 0, 59),
    _HOUR: _aps_syntax({}, 0, 23),
    _DOM: _aps_syntax({}, 1, 31),
    _MONTH: _aps_syntax(_MONTHS, 1, 12),
    _DOW: _aps_syntax(_names(_MON0_NAMES, 0), 0, 6),
}
_APS4_SYNTAX = {**_APS_SYNTAX, _DOW: _aps_syntax(_names(_SUN0_NAMES, 0), 0, 7)}


def _celery_syntax(names: Mapping[str, int], lo: int, hi: int) -> _Syntax:
    return _Syntax(
        names, lo, hi, name_prefix3=True, wrap=True, open_step=False, allow_names=bool(names)
    )


_CELERY_SYNTAX = {
    _MINUTE: _celery_syntax({}, 0, 59),
    _HOUR: _celery_syntax({}, 0, 23),
    _DOM: _celery_syntax({}, 1, 31),
    _MONTH: _celery_syntax(_MONTHS, 1, 12),
    _DOW: _celery_syntax(_names(_SUN0_NAMES, 0), 0, 6),
}


def _huey_syntax(lo: int, hi: int, *, star_step: bool = True) -> _Syntax:
    return _Syntax({}, lo, hi, wrap=True, open_step=False, star_step=star_step, allow_names=False)


_HUEY_SYNTAX = {
    _MINUTE: _huey_syntax(0, 59),
    _HOUR: _huey_syntax(0, 23),
    _DOM: _huey_syntax(1, 31),
    _MONTH: _huey_syntax(1, 12),
    _DOW: _huey_syntax(0, 7, star_step=False),
}


def _sun0(days: Iterable[int]) -> set[int]:
    return {d % 7 for d in days}


def _mon0_to_sun0(days: Iterable[int]) -> set[int]:
    return {(d + 1) % 7 for d in days}


# --------------------------------------------------------------------------- rendering


def _is_progression(values: list[int]) -> int | None:
    if len(values) < 2:
        return None
    step = values[1] - values[0]
    if all(b - a == step for a, b in pairwise(values)):
        return step
    return None


def _render(values: set[int], fld: _Field, *, star: bool = True) -> str:
    """Canonical text for a value set; `star=False` avoids a leading '*' (day fields)."""
    vals = sorted(values)
    full = list(range(fld.lo, fld.hi + 1))
    if vals == full and star:
        return "*"
    step = _is_progression(vals)
    span = fld.hi - fld.lo + 1
    if (
        step is not None
        and step > 1
        and vals[0] == fld.lo
        and vals[-1] + step > fld.hi
        and (len(vals) >= 3 or span % step == 0)
    ):
        return f"*/{step}" if star else f"{fld.lo}-{fld.hi}/{step}"
    if step == 1 and len(vals) >= 3:
        return f"{vals[0]}-{vals[-1]}"
    if step is not None and len(vals) >= 4:
        return f"{vals[0]}-{vals[-1]}/{step}"
    parts: list[str] = []
    runs: list[list[int]] = []
    for v in vals:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    for run in runs:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) >= 3 else ",".join(map(str, run)))
    return ",".join(parts)


def _impossible_days(days: set[int], months: set[int]) -> str | None:
    """'day 30 never occurs in February' when no chosen day exists in any chosen month."""
    if any(d <= _DAYS_IN_MONTH[m] for d in days for m in months):
        return None
    day_text = f"day {min(days)}" if len(days) == 1 else f"days {_render(days, _DOM)}"
    verb = "occurs" if len(days) == 1 else "occur"
    month_text = ", ".join(MONTH_NAMES[m - 1] for m in sorted(months))
    return f"{day_text} never {verb} in {month_text}"


@dataclass
class _Parsed:
    minutes: set[int]
    hours: set[int]
    days: set[int]
    months: set[int]
    weekdays: set[int]  # Sunday = 0


def _render_cron(p: _Parsed, *, days_or: bool) -> str:
    """5-field cron for the parsed sets. days_or: cron's OR of restricted dom and dow."""
    dom_full = p.days == set(range(1, 32))
    dow_full = p.weekdays == set(range(7))
    if dom_full and dow_full:
        dom, dow = "*", "*"
    elif days_or:
        if dom_full or dow_full:  # OR with "every day" is every day
            dom, dow = "*", "*"
        else:
            dom, dow = _render(p.days, _DOM, star=False), _render(p.weekdays, _DOW, star=False)
    elif dom_full:
        dom, dow = "*", _render(p.weekdays, _DOW, star=False)
    elif dow_full:
        dom, dow = _render(p.days, _DOM, star=False), "*"
    else:
        raise _NotExpressible("day and day-of-week both restricted (AND)")
    return " ".join(
        [_render(p.minutes, _MINUTE), _render(p.hours, _HOUR), dom, _render(p.months, _MONTH), dow]
    )


@dataclass(frozen=True)
class CronSets:
    """The value sets of a standard 5-field cron, as `Schedule.cron` holds it."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Sunday = 0
    days_or: bool  # both day fields restricted: a day matches either (Vixie cron, cronsim)


def cron_sets(cron: str) -> CronSets | None:
    """`cron`'s value sets; None when it uses cronsim-only extensions (L, W, #) or is invalid."""
    fields = cron.split()
    if len(fields) != 5:
        return None
    order = (_MINUTE, _HOUR, _DOM, _MONTH, _DOW)
    try:
        sets = [
            _parse_expr(f, fld, _CRON_SYNTAX[fld]) for f, fld in zip(fields, order, strict=True)
        ]
    except _Invalid:
        return None
    return CronSets(
        frozenset(sets[0]),
        frozenset(sets[1]),
        frozenset(sets[2]),
        frozenset(sets[3]),
        frozenset(_sun0(sets[4])),
        days_or=not (fields[2].startswith(("*", "?")) or fields[4].startswith(("*", "?"))),
    )


def _cron_iter(cron: str, begin: datetime) -> Iterator[datetime]:
    """cronsim's iterator over `cron` after `begin`.

    cronsim < 2.8 (the newest for Python 3.10) rejects a restricted day-of-month that no
    chosen month has even when a restricted day-of-week is OR-ed with it (``0 0 30 2 1``,
    which cron runs on February's Mondays). Then the OR is the union of its two halves.
    """
    try:
        return iter(CronSim(cron, begin))
    except CronSimError:
        parts = cron.split()
        if len(parts) != 5 or parts[2].startswith("*") or parts[4].startswith("*"):
            raise
        halves: list[Iterator[datetime]] = []
        for half in (
            " ".join([*parts[:4], "*"]),
            " ".join([*parts[:2], "*", parts[3], parts[4]]),
        ):
            try:
                halves.append(iter(CronSim(half, begin)))
            except CronSimError:
                continue
        if not halves:
            raise
        return _dedupe(heapq.merge(*halves))


def _dedupe(times: Iterable[datetime]) -> Iterator[datetime]:
    last = None
    for t in times:
        if t != last:
            yield t
        last = t


def _check_with_cronsim(cron: str) -> None:
    """cronsim is the authority on whether the final expression is valid and ever fires."""
    try:
        next(_cron_iter(cron, datetime(2000, 1, 1)))
    except CronSimError as exc:
        raise _Invalid(f"invalid cron {cron!r}: {exc}") from None
    except StopIteration:
        raise _Invalid(f"cron {cron!r} never fires") from None


# --------------------------------------------------------------------------- cron strings

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_TZ_PREFIX_RE = re.compile(r"^\s*(CRON_TZ|TZ)=(?P<tz>\S+)\s+(?P<rest>.*)$", re.S)
_GO_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_CRON_DIALECTS = ("standard", "kubernetes", "taskiq", "apscheduler_crontab", "apscheduler4_crontab")


def _go_duration(text: str) -> float | None:
    """Go's time.ParseDuration subset used by robfig/cron's '@every 1h30m'."""
    pos, total = 0, 0.0
    text = text.strip()
    if not text:
        return None
    for match in _GO_DURATION_RE.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        pos = match.end()
    return total if pos == len(text) else None


def from_cron_string(text: str, dialect: str = "standard", timezone: str | None = None) -> Schedule:
    """A 5-field cron string.

    dialect: ``standard`` | ``kubernetes`` (macros, ``@every``, ``CRON_TZ=``/``TZ=`` prefix,
    ``?`` in day fields, day-of-week 0-6) | ``taskiq`` (standard) | ``apscheduler_crontab``
    (APScheduler 3 ``CronTrigger.from_crontab``: day-of-week Monday = 0, fields AND-ed) |
    ``apscheduler4_crontab`` (= standard). Macros and a TZ prefix are accepted in every
    dialect; a prefix sets the time zone.
    """
    if dialect not in _CRON_DIALECTS:
        raise ValueError(f"unknown cron dialect {dialect!r}")
    tz = _clean_tz(timezone)
    if not isinstance(text, str) or is_unknown(text):
        shown = text if isinstance(text, str) else "<unknown>"
        return Schedule(text=shorten(shown), timezone=tz, resolved=False)
    shown = shorten(text)
    expr = " ".join(text.split())
    prefix = _TZ_PREFIX_RE.match(expr)
    if prefix:
        if dialect == "kubernetes" and tz is not None:
            return Schedule(
                text=shown,
                timezone=tz,
                error="cannot use both timeZone and TZ/CRON_TZ in the schedule",
            )
        tz = prefix.group("tz")
        expr = prefix.group("rest").strip()
    if is_unknown(expr):
        return Schedule(text=shown, timezone=tz, resolved=False)
    tz_error = _timezone_error(tz)
    if tz_error:
        return Schedule(text=shown, timezone=tz, error=tz_error)

    lowered = expr.lower()
    if lowered.startswith("@"):
        if lowered in _MACROS:
            expr = _MACROS[lowered]
        elif lowered.startswith("@every") and dialect in ("kubernetes", "standard"):
            seconds = _go_duration(expr[len("@every") :])
            if seconds is None:
                return Schedule(text=shown, timezone=tz, error=f"bad duration in {expr!r}")
            return from_interval(seconds, text, tz)
        elif lowered == "@reboot" and dialect == "standard":
            return Schedule(text=_with_note(text, "at boot only"), timezone=tz)
        else:
            return Schedule(text=shown, timezone=tz, error=f"unknown cron macro {expr!r}")

    fields = expr.split()
    if len(fields) != 5:
        return Schedule(
            text=shown, timezone=tz, error=f"wrong number of fields: {len(fields)}, expected 5"
        )
    if dialect == "apscheduler_crontab":
        names = ("minute", "hour", "day", "month", "day_of_week")
        return from_cron_fields(dict(zip(names, fields, strict=True)), "apscheduler", text, tz)

    syntax = _K8S_SYNTAX if dialect == "kubernetes" else _CRON_SYNTAX
    try:
        return Schedule(text=shown, cron=_standard_cron(fields, syntax), timezone=tz)
    except _Invalid as exc:
        if dialect == "standard" and re.search(r"[LW#]", expr.upper()):
            return _cronsim_only(expr, shown, tz, exc)
        return Schedule(text=shown, timezone=tz, error=str(exc))


def _standard_cron(fields: list[str], syntax: Mapping[_Field, _Syntax]) -> str:
    order = (_MINUTE, _HOUR, _DOM, _MONTH, _DOW)
    sets = [_parse_expr(f, fld, syntax[fld]) for f, fld in zip(fields, order, strict=True)]
    parsed = _Parsed(sets[0], sets[1], sets[2], sets[3], _sun0(sets[4]))
    dom_text, dow_text = fields[2], fields[4]
    # Debian/Vixie rule, as cronsim implements it: a field starting with '*' makes it AND.
    days_or = not (dom_text.startswith(("*", "?")) or dow_text.startswith(("*", "?")))
    # Under OR a day-of-week that is written (`0-6`, not `*`) fires on its own: `0 0 30 2
    # 0-6` runs every day of February (robfig/cron and cronsim agree); only AND can make the
    # day of month's impossibility the schedule's.
    if not days_or:
        reason = _impossible_days(parsed.days, parsed.months)
        if reason:
            raise _Invalid(reason)
    try:
        cron = _render_cron(parsed, days_or=days_or)
    except _NotExpressible:
        # AND of two restricted day fields, written with a '*/n' day field: keep those as written.
        minute, hour = _render(parsed.minutes, _MINUTE), _render(parsed.hours, _HOUR)
        cron = " ".join([minute, hour, dom_text, _render(parsed.months, _MONTH), dow_text])
    _check_with_cronsim(cron)
    return cron


def _cronsim_only(expr: str, shown: str, tz: str | None, exc: _Invalid) -> Schedule:
    """Non-standard extensions (L, W, #) that cronsim understands: keep them as written."""
    try:
        CronSim(expr, datetime(2000, 1, 1))
    except CronSimError:
        return Schedule(text=shown, timezone=tz, error=str(exc))
    return Schedule(text=shown, cron=expr.upper(), timezone=tz)


# --------------------------------------------------------------------------- cron fields

_CRON_FIELD_DIALECTS = ("apscheduler", "apscheduler4", "celery", "huey", "arq")
_APS_ORDER = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
_APS_DEFAULTS: dict[str, object] = {
    "year": "*",
    "month": 1,
    "day": 1,
    "week": "*",
    "day_of_week": "*",
    "hour": 0,
    "minute": 0,
    "second": 0,
}
_ALIASES = {
    "celery": {"day_of_month": "day", "month_of_year": "month"},
    "huey": {},
    "arq": {"weekday": "day_of_week"},
    "apscheduler": {},
    "apscheduler4": {},
}
_KNOWN_KEYS = {
    "apscheduler": set(_APS_ORDER),
    "apscheduler4": set(_APS_ORDER),
    "celery": {"minute", "hour", "day_of_week", "day_of_month", "month_of_year"},
    "huey": {"minute", "hour", "day", "month", "day_of_week"},
    "arq": {"month", "day", "weekday", "hour", "minute", "second", "microsecond"},
}


def from_cron_fields(
    fields: Mapping[str, object], dialect: str, text: str, timezone: str | None = None
) -> Schedule:
    """Keyword fields of APScheduler CronTrigger/add_job('cron'), Celery/huey crontab(), arq cron().

    dialect: apscheduler | apscheduler4 | celery | huey | arq. Values are str/int/sets or
    UNKNOWN. Keys a dialect does not schedule by (start_date, jitter, name, ...) are ignored;
    positional arguments must be mapped to their keyword names by the caller.
    """
    if dialect not in _CRON_FIELD_DIALECTS:
        raise ValueError(f"unknown cron field dialect {dialect!r}")
    tz = _clean_tz(timezone)
    shown = shorten(text)
    known = _KNOWN_KEYS[dialect]
    given = {k: v for k, v in fields.items() if k in known}
    if any(is_unknown(v) for v in given.values()):
        return Schedule(text=shown, timezone=tz, resolved=False)
    tz_error = _timezone_error(tz)
    if tz_error:
        return Schedule(text=shown, timezone=tz, error=tz_error)
    try:
        if dialect in ("apscheduler", "apscheduler4"):
            parsed, extra = _aps_fields(given, dialect)
        elif dialect == "arq":
            parsed, extra = _arq_fields(given)
        else:
            parsed, extra = _crontab_fields(given, dialect)
        reason = _impossible_days(parsed.days, parsed.months)
        if reason:
            raise _Invalid(reason)
        if extra:
            raise _NotExpressible(extra)
        cron = _render_cron(parsed, days_or=False)
        _check_with_cronsim(cron)
    except _Unresolved:
        return Schedule(text=shown, timezone=tz, resolved=False)
    except _Invalid as exc:
        return Schedule(text=shown, timezone=tz, error=str(exc))
    except _NotExpressible as exc:
        return Schedule(text=_with_note(text, f"no 5-field cron: {exc}"), timezone=tz)
    return Schedule(text=shown, cron=cron, timezone=tz)


def _aps_fields(given: Mapping[str, object], dialect: str) -> tuple[_Parsed, str | None]:
    """APScheduler's rule: fields below the least significant given one take their minimum."""
    values: dict[str, object] = {}
    explicit = [name for name in _APS_ORDER if given.get(name) is not None]
    last = max((_APS_ORDER.index(n) for n in explicit), default=-1)
    for i, name in enumerate(_APS_ORDER):
        value = given.get(name)
        if value is not None:
            values[name] = value
        elif explicit and i > last:  # CronTrigger() with no field at all is every second
            values[name] = _APS_DEFAULTS[name]
        else:
            values[name] = "*"
    syntax = _APS4_SYNTAX if dialect == "apscheduler4" else _APS_SYNTAX
    notes: list[str] = []
    for name in ("year", "week"):
        text = _aps_text(values[name])
        if text != "*":
            _check_aps_simple(name, values[name])
            notes.append(f"{name}={text}")
    day_value = values["day"]
    day_special = isinstance(day_value, str) and re.search(
        r"last|1st|2nd|3rd|4th|5th", day_value, re.I
    )
    if day_special:
        notes.append(f"day={_aps_text(day_value)}")
        days = set(range(1, 32))
    else:
        days = _parse_any(day_value, _DOM, syntax[_DOM])
    second_text = _aps_text(values["second"])
    seconds = _parse_any(values["second"], _Field("second", 0, 59), _APS_SYNTAX[_MINUTE])
    if seconds != {0}:
        notes.append(f"second={second_text}")
    raw_dow = _parse_any(values["day_of_week"], _DOW, syntax[_DOW])
    weekdays = _sun0(raw_dow) if dialect == "apscheduler4" else _mon0_to_sun0(raw_dow)
    parsed = _Parsed(
        _parse_any(values["minute"], _MINUTE, syntax[_MINUTE]),
        _parse_any(values["hour"], _HOUR, syntax[_HOUR]),
        days,
        _parse_any(values["month"], _MONTH, syntax[_MONTH]),
        weekdays,
    )
    return parsed, "; ".join(notes) or None


def _aps_text(value: object) -> str:
    return " ".join(str(value).split())


def _check_aps_simple(name: str, value: object) -> None:
    lo, hi = (1970, 9999) if name == "year" else (1, 53)
    _parse_any(value, _Field(name, lo, hi), _Syntax({}, lo, hi, allow_names=False))


def _crontab_fields(given: Mapping[str, object], dialect: str) -> tuple[_Parsed, str | None]:
    aliases = _ALIASES[dialect]
    values = {aliases.get(k, k): v for k, v in given.items() if v is not None}
    syntax = _CELERY_SYNTAX if dialect == "celery" else _HUEY_SYNTAX

    def get(name: str, fld: _Field) -> set[int]:
        value = values.get(name, "*")
        if dialect == "huey" and not isinstance(value, (str, int)):
            raise _Invalid(f"huey crontab {name} must be a string or int, got {value!r}")
        return _parse_any(value, fld, syntax[fld])

    parsed = _Parsed(
        get("minute", _MINUTE),
        get("hour", _HOUR),
        get("day", _DOM),
        get("month", _MONTH),
        _sun0(get("day_of_week", _DOW)),
    )
    return parsed, None


def _arq_option(value: object, fld: _Field) -> set[int]:
    if value is None:
        return set(range(fld.lo, fld.hi + 1))
    items: Iterable[object]
    if isinstance(value, bool):
        raise _Invalid(f"arq {fld.name} must be an int or a set of ints, got {value!r}")
    if isinstance(value, int):
        items = [value]
    elif isinstance(value, (set, frozenset, list, tuple)):
        items = value
    else:
        raise _Invalid(f"arq {fld.name} must be an int or a set of ints, got {value!r}")
    out: set[int] = set()
    for item in items:
        if is_unknown(item):
            raise _Unresolved
        if isinstance(item, bool) or not isinstance(item, int):
            raise _Invalid(f"arq {fld.name} must be an int or a set of ints, got {item!r}")
        if not fld.lo <= item <= fld.hi:
            raise _Invalid(f"{fld.name} {item} out of range {fld.lo}-{fld.hi}")
        out.add(item)
    if not out:
        raise _Invalid(f"empty {fld.name}")
    return out


def _arq_fields(given: Mapping[str, object]) -> tuple[_Parsed, str | None]:
    weekday = given.get("weekday")
    if isinstance(weekday, str):
        key = weekday.strip().lower()
        if key not in _ARQ_WEEKDAYS:
            raise _Invalid(f"arq weekday {weekday!r} is not one of {', '.join(_ARQ_WEEKDAYS)}")
        raw_dow = {_ARQ_WEEKDAYS.index(key)}
    else:
        raw_dow = _arq_option(weekday, _Field("weekday", 0, 6))
    seconds = _arq_option(given.get("second", 0), _Field("second", 0, 59))
    micro = given.get("microsecond")
    if micro is not None and (
        isinstance(micro, bool) or not isinstance(micro, int) or not 0 <= micro <= 999_999
    ):
        raise _Invalid(f"arq microsecond {micro!r} out of range 0-999999")
    parsed = _Parsed(
        _arq_option(given.get("minute"), _MINUTE),
        _arq_option(given.get("hour"), _HOUR),
        _arq_option(given.get("day"), _DOM),
        _arq_option(given.get("month"), _MONTH),
        _mon0_to_sun0(raw_dow),
    )
    note = None
    if seconds != {0}:
        shown = "None" if given.get("second", 0) is None else ",".join(map(str, sorted(seconds)))
        note = f"second={shown}"
    return parsed, note


# --------------------------------------------------------------------------- intervals, dates

_INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds")


def interval_seconds_from_parts(parts: Mapping[str, object]) -> float | None:
    """weeks/days/hours/minutes/seconds/milliseconds/microseconds → seconds; None if unknown.

    Other keys (start_date, jitter, timezone ...) are ignored. int when whole, else float.
    An empty mapping is 0 (the caller's `from_interval` reports it as a zero interval).
    """
    kwargs: dict[str, float] = {}
    for unit in _INTERVAL_UNITS:
        if unit not in parts:
            continue
        value = parts[unit]
        if value is None:
            continue
        if is_unknown(value) or isinstance(value, bool):
            return None
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                return None
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        kwargs[unit] = value
    try:
        total = timedelta(**kwargs)
    except OverflowError:
        return None
    whole = total.days * 86400 + total.seconds
    if total.microseconds == 0:
        return whole
    return whole + total.microseconds / 1_000_000


def from_interval(seconds: float | None, text: str, timezone: str | None = None) -> Schedule:
    """An interval in seconds (None when it cannot be resolved statically)."""
    tz = _clean_tz(timezone)
    shown = shorten(text)
    value: object = seconds
    if value is None or is_unknown(value):
        return Schedule(text=shown, timezone=tz, resolved=False)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return Schedule(text=shown, timezone=tz, error=f"interval {value!r} is not a number")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Schedule(text=shown, timezone=tz, error=f"interval {value!r} is not a number")
    if not math.isfinite(value):
        return Schedule(text=shown, timezone=tz, error=f"interval {value} is not finite")
    if value == 0:
        return Schedule(text=shown, timezone=tz, error="interval is zero")
    if value < 0:
        return Schedule(text=shown, timezone=tz, error=f"interval is negative ({_num(value)} s)")
    tz_error = _timezone_error(tz)
    return Schedule(text=shown, interval_seconds=_num(value), timezone=tz, error=tz_error)


def _parse_iso(text: str) -> datetime | None:
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def from_date(run_at: object, text: str, timezone: str | None = None) -> Schedule:
    """A one-off (APScheduler 'date' trigger, taskiq ``time``): run_at as ISO text or datetime.

    Unknown → resolved=False; unparsable text → error; a valid value is kept as ISO text.
    `run_at=None` means "now" (APScheduler's default): a valid one-off with no fire time.
    """
    tz = _clean_tz(timezone)
    shown = shorten(text)
    if run_at is None:
        return Schedule(text=shown, timezone=tz)
    if is_unknown(run_at):
        return Schedule(text=shown, timezone=tz, resolved=False)
    if isinstance(run_at, datetime):
        return Schedule(text=shown, timezone=tz, run_at=run_at.isoformat())
    if isinstance(run_at, str):
        parsed = _parse_iso(run_at)
        if parsed is None:
            return Schedule(text=shown, timezone=tz, error=f"run date {run_at!r} is not a date")
        return Schedule(text=shown, timezone=tz, run_at=parsed.isoformat())
    if isinstance(run_at, int | float | bytes | list | dict):
        return Schedule(text=shown, timezone=tz, error=f"run date {run_at!r} is not a date")
    return Schedule(text=shown, timezone=tz, resolved=False)  # a call, computed at run time


# --------------------------------------------------------------------------- fire times


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _schedule_zone(schedule: Schedule) -> tzinfo:
    if schedule.timezone:
        zone = _zone(schedule.timezone)
        if zone is not None:
            return zone
    return UTC


def schedule_zone(schedule: Schedule) -> tuple[str, tzinfo]:
    """The zone a schedule's times are in, with its name: its `timezone` when known, else UTC."""
    zone = _schedule_zone(schedule)
    if zone is UTC or schedule.timezone is None:
        return "UTC", UTC
    return schedule.timezone.strip(), zone


def _usable(schedule: Schedule) -> bool:
    return schedule.resolved and schedule.error is None


def fire_times(schedule: Schedule, start: datetime, end: datetime) -> Iterator[datetime]:
    """Fire times in [start, end) for cron/interval schedules (UTC-aware datetimes).

    Naive `start`/`end` are taken as UTC. Cron honours the schedule's time zone (DST as
    Debian cron / cronsim: a skipped local time fires at the first valid moment after it,
    a repeated one fires once). An interval has no static anchor, so its grid starts at
    `start`. A one-off yields its run_at when inside the window; anything unresolved or
    invalid yields nothing.
    """
    if not _usable(schedule):
        return
    start_u, end_u = _utc(start), _utc(end)
    if end_u <= start_u:
        return
    if schedule.cron:
        zone = _schedule_zone(schedule)
        begin = (start_u - timedelta(seconds=1)).astimezone(zone)
        try:
            sim = _cron_iter(schedule.cron, begin)
        except CronSimError:
            return
        for fire in sim:
            fire_u = fire.astimezone(UTC)
            if fire_u >= end_u:
                return
            if fire_u >= start_u:
                yield fire_u
    elif schedule.interval_seconds:
        step = timedelta(seconds=schedule.interval_seconds)
        if step <= timedelta(0):  # below timedelta's resolution
            return
        k = 0
        while True:
            fire_u = start_u + step * k
            if fire_u >= end_u:
                return
            yield fire_u
            k += 1
    elif schedule.run_at:
        run_at = _parse_iso(schedule.run_at)
        if run_at is None:
            return
        if run_at.tzinfo is None:
            run_at = run_at.replace(tzinfo=_schedule_zone(schedule))
        run_u = run_at.astimezone(UTC)
        if start_u <= run_u < end_u:
            yield run_u


def _floor_minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def _minute_counts(
    schedule: Schedule, start: datetime, end: datetime
) -> Iterator[tuple[datetime, int]]:
    """(UTC minute, fires in that minute) for one schedule; arithmetic for sub-minute intervals."""
    if not _usable(schedule):
        return
    start_u, end_u = _utc(start), _utc(end)
    interval = schedule.interval_seconds
    if schedule.cron is None and interval and interval < 60:
        step_us = round(interval * 1_000_000)
        if step_us <= 0:
            return
        total_us = (end_u - start_u) // timedelta(microseconds=1)

        def fired_before(offset_us: int) -> int:  # fires k*step in [0, offset)
            return 0 if offset_us <= 0 else -(-offset_us // step_us)

        minute = _floor_minute(start_u)
        while minute < end_u:
            lo = max((minute - start_u) // timedelta(microseconds=1), 0)
            hi = min(
                (minute + timedelta(minutes=1) - start_u) // timedelta(microseconds=1), total_us
            )
            count = fired_before(hi) - fired_before(lo)
            if count:
                yield minute, count
            minute += timedelta(minutes=1)
        return
    last: datetime | None = None
    count = 0
    for fire in fire_times(schedule, start_u, end_u):
        minute = _floor_minute(fire)
        if minute != last:
            if last is not None:
                yield last, count
            last, count = minute, 0
        count += 1
    if last is not None:
        yield last, count


def fires_per_minute(
    schedules: Iterable[Schedule], start: datetime, end: datetime
) -> dict[datetime, int]:
    """Total fire events per UTC minute in [start, end) over all schedules (minutes with fires)."""
    out: dict[datetime, int] = {}
    for schedule in schedules:
        for minute, count in _minute_counts(schedule, start, end):
            out[minute] = out.get(minute, 0) + count
    return dict(sorted(out.items()))


def expansion_window(
    schedules: Iterable[Schedule], start: datetime | None = None
) -> tuple[datetime, datetime]:
    """The window the HTML report draws: one day, or a week when a cron restricts weekdays.

    (BGT033 counts pile-ups over a whole calendar year: `check_background_tasks.pileups`.)

    Default start: Monday 2024-01-01 00:00 UTC (fixed, so results are reproducible).
    """
    begin = _utc(start) if start else datetime(2024, 1, 1, tzinfo=UTC)
    weekly = any(s.cron is not None and _usable(s) and s.cron.split()[4] != "*" for s in schedules)
    return begin, begin + timedelta(days=7 if weekly else 1)
