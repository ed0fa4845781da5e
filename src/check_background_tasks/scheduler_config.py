"""What each job inherits from its scheduler: time zone and job store (project-wide).

The rows come from `extract/scheduler_settings.py`, one file at a time; here they are
joined to the jobs across files. A scheduler is known by its variable: `scheduler` in
`app.sched` is `app.sched.scheduler`, and a module that imports it names the same one.
What is not written in the scanned code stays unknown: a scheduler built by a factory in
an installed package has no known job store, never "the memory store".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .model import FileFacts, Location, RawJob

if TYPE_CHECKING:
    from .link import LinkedJob

# Owners of settings that name no object, and a value the extractor could not read. Here,
# not in the extractor: a fully cached run links without importing any extractor.
CELERY, DJANGO, FLASK = "<celery>", "<django>", "<flask>"
UNKNOWN_VALUE = "<unknown>"
APSCHEDULER_KINDS = frozenset({"apscheduler", "locked_scheduler"})
Follow = Callable[[str], str]


@dataclass
class Scheduler:
    """Everything the scanned code says about one scheduler object."""

    constructed: list[Location] = field(default_factory=list)
    scheduler_class: str = ""
    timezones: dict[str, Location] = field(default_factory=dict)  # zone -> where set
    # alias -> {state: where}; state is persistent, memory or unknown
    stores: dict[str, dict[str, tuple[str, Location]]] = field(default_factory=dict)
    stores_unknown: Location | None = None  # configured in a way not read here
    utc: bool | None = None  # huey's utc flag, when set

    def timezone(self) -> str | None:
        zones = set(self.timezones)
        if len(zones) == 1 and UNKNOWN_VALUE not in zones:
            return zones.pop()
        return None

    def store(self, alias: str) -> tuple[str, str, Location | None]:
        """(persistent | memory | unknown, class or plugin name, where it is configured)."""
        if self.stores_unknown is not None or UNKNOWN_VALUE in self.stores:
            return "unknown", "", self.stores_unknown
        states = self.stores.get(alias)
        if states:
            if len(states) == 1:
                state, (name, where) = next(iter(states.items()))
                return state, name, where
            return "unknown", "", None
        if alias == "default" and self.constructed:
            # APScheduler adds a MemoryJobStore as 'default' when none is configured.
            return "memory", "MemoryJobStore", None
        return "unknown", "", None


@dataclass
class SchedulerConfigs:
    schedulers: dict[str, Scheduler] = field(default_factory=dict)
    flask: Scheduler = field(default_factory=Scheduler)
    celery_timezone: str | None = None
    celery_timezone_at: Location | None = None

    def of(self, key: str | None) -> Scheduler | None:
        return self.schedulers.get(key) if key else None


def owner_key(ff: FileFacts, text: str, follow: Follow) -> str:
    """The project-wide name of a receiver written as `text` in `ff`."""
    head, _, rest = text.partition(".")
    if head in ff.imports:
        dotted = ff.imports[head] + (f".{rest}" if rest else "")
        return follow(dotted)
    return f"{ff.module or ff.path}.{text}"


def job_scheduler_key(raw: RawJob, ff: FileFacts, follow: Follow) -> str | None:
    receiver = raw.extra.get("receiver")
    if isinstance(receiver, str):
        return follow(receiver)
    if raw.scheduler:
        return owner_key(ff, raw.scheduler, follow)
    return None


def collect_configs(facts: Iterable[FileFacts], follow: Follow) -> SchedulerConfigs:
    configs = SchedulerConfigs()
    celery_zones: dict[str, Location] = {}
    celery_utc: set[Any] = set()
    django_zones: dict[str, Location] = {}
    django_for_celery = False
    for ff in facts:
        if not ff.scheduler_settings:
            continue
        rows = ff.scheduler_settings
        celery_keys = any(o == DJANGO and k == "celery_keys" for o, k, _v, _l in rows)
        # Within one file a later setting replaces an earlier one (Celery("x", timezone=a)
        # then app.conf.timezone = b); across files, different values are alternatives.
        last: dict[tuple[str, str], tuple[Any, int]] = {}
        for owner, key, value, line in rows:
            if owner not in (CELERY, DJANGO):
                continue
            if (owner, key) not in last or line >= last[(owner, key)][1]:
                last[(owner, key)] = (value, line)
        for (owner, key), (value, line) in last.items():
            where = Location(ff.path, line, 1)
            if (owner, key) == (CELERY, "timezone"):
                celery_zones.setdefault(value, where)
            elif (owner, key) == (CELERY, "enable_utc"):
                celery_utc.add(value)
            elif (owner, key) == (CELERY, "django_settings"):
                django_for_celery = True
            elif (owner, key) == (DJANGO, "TIME_ZONE"):
                django_zones.setdefault(value, where)  # counts only with Celery
        for owner, key, value, line in rows:
            if owner in (CELERY, DJANGO):
                continue
            target = (
                configs.flask
                if owner == FLASK
                else configs.schedulers.setdefault(owner_key(ff, owner, follow), Scheduler())
            )
            _apply(target, key, value, Location(ff.path, line, 1))
        django_for_celery = django_for_celery or celery_keys
    configs.celery_timezone, configs.celery_timezone_at = _celery_zone(
        celery_zones, celery_utc, django_zones if django_for_celery else {}
    )
    return configs


def _apply(target: Scheduler, key: str, value: Any, where: Location) -> None:
    if key == "class":
        target.constructed.append(where)
        target.scheduler_class = str(value)
    elif key == "timezone":
        target.timezones.setdefault(str(value), where)
    elif key == "jobstore":
        alias, state, name = value
        target.stores.setdefault(alias, {}).setdefault(state, (name, where))
    elif key == "jobstores":
        target.stores_unknown = target.stores_unknown or where
    elif key == "utc" and isinstance(value, bool):
        target.utc = value


def _celery_zone(
    zones: dict[str, Location], utc: set[Any], django: dict[str, Location]
) -> tuple[str | None, Location | None]:
    """Celery's `app.timezone`: `timezone` (or Django's TIME_ZONE, which Celery reads when
    it reads Django's settings), else UTC when enable_utc is set (its default)."""
    for chosen in (zones, django):
        if chosen:
            if len(chosen) == 1 and UNKNOWN_VALUE not in chosen:
                name, where = next(iter(chosen.items()))
                return name, where
            return None, None  # several settings files disagree, or one is unknown
    if utc == {True}:
        return "UTC", None
    return None, None


def inherited_timezone(linked: LinkedJob, configs: SchedulerConfigs) -> str | None:
    """The zone a job's schedule is read in when the declaration names none."""
    job = linked.job
    if job.kind in APSCHEDULER_KINDS:
        scheduler = configs.of(linked.scheduler_key)
        if scheduler is not None and scheduler.timezone():
            return scheduler.timezone()
        if str(dict(job.extra).get("scheduler_class", "")).startswith("flask_apscheduler"):
            return configs.flask.timezone()
        return None
    if job.kind == "celery_beat":
        return configs.celery_timezone
    if job.kind == "huey":
        scheduler = configs.of(linked.scheduler_key)
        return "UTC" if scheduler is not None and scheduler.utc is True else None
    return None


def apply_time_zones(jobs: list[LinkedJob], configs: SchedulerConfigs) -> None:
    """Fill each wall-clock schedule's time zone from its scheduler, where it names none."""
    for linked in jobs:
        schedule = linked.job.schedule
        if schedule is None or schedule.timezone or not (schedule.cron or schedule.run_at):
            continue  # an interval's length does not depend on the zone
        zone = inherited_timezone(linked, configs)
        if zone:
            linked.job = replace(linked.job, schedule=replace(schedule, timezone=zone))
