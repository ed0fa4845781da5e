"""``JobSpec``: a job scheduled at run time, stored in Redis as plain JSON.

Only business data is stored: the task's registered *name* (never a pickled callable),
JSON arguments and the trigger's arguments. Validation happens before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger

from .triggers import build_trigger

MAX_ID_LENGTH = 200
_ID = re.compile(r"^[\w.:@/+-]+$")  # no spaces or control characters: ids end up in Redis keys
TRIGGERS = ("interval", "cron", "date")
_TRIGGER_FIELDS = {
    "interval": {"weeks", "days", "hours", "minutes", "seconds", "start_date", "end_date"},
    "cron": {
        "year",
        "month",
        "day",
        "week",
        "day_of_week",
        "hour",
        "minute",
        "second",
        "start_date",
        "end_date",
    },
    "date": set(),
}
_DATE_FIELDS = {"start_date", "end_date"}

SCHEDULED = "scheduled"
DONE = "done"  # a one-off job that ran (or was claimed and started)
MISSED = "missed"  # a one-off job whose time passed beyond its misfire_grace_time


class JobSpecError(ValueError):
    """The spec cannot be scheduled; nothing was written."""


@dataclass(init=False)
class JobSpec:
    """What to run (a registered task name and JSON arguments) and when (a trigger)."""

    id: str
    task: str
    trigger: str
    args: list[Any]
    kwargs: dict[str, Any]
    trigger_args: dict[str, Any]
    run_at: datetime | None
    misfire_grace_time: int | None
    paused: bool

    def __init__(
        self,
        id: str,
        task: str,
        trigger: str,
        *,
        args: Any = (),
        kwargs: dict[str, Any] | None = None,
        run_at: datetime | None = None,
        misfire_grace_time: int | None = None,
        paused: bool = False,
        **trigger_args: Any,
    ) -> None:
        self.id = id
        self.task = task
        self.trigger = trigger
        self.args = list(args)
        self.kwargs = dict(kwargs or {})
        self.trigger_args = trigger_args
        self.run_at = run_at
        self.misfire_grace_time = misfire_grace_time
        self.paused = paused

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.task,
            "trigger": self.trigger,
            "trigger_args": {k: _encode(v) for k, v in self.trigger_args.items()},
            "args": self.args,
            "kwargs": self.kwargs,
            "run_at": _encode(self.run_at),
            "misfire_grace_time": self.misfire_grace_time,
            "paused": self.paused,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobSpec:
        trigger_args = {
            key: _decode_datetime(value) if key in _DATE_FIELDS else value
            for key, value in data.get("trigger_args", {}).items()
        }
        return cls(
            data["id"],
            data["task"],
            data["trigger"],
            args=data.get("args", []),
            kwargs=data.get("kwargs", {}),
            run_at=_decode_datetime(data.get("run_at")),
            misfire_grace_time=data.get("misfire_grace_time"),
            paused=bool(data.get("paused", False)),
            **trigger_args,
        )


@dataclass
class StoredJob:
    """A spec as the store holds it, with the bookkeeping the store maintains."""

    spec: JobSpec
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    updated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    state: str = SCHEDULED
    finished_at: datetime | None = None
    last_outcome: str | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def active(self) -> bool:
        return self.state == SCHEDULED and not self.spec.paused

    def to_json(self) -> str:
        document = self.spec.to_dict()
        document.update(
            version=self.version,
            created_at=_encode(self.created_at),
            updated_at=_encode(self.updated_at),
            state=self.state,
            finished_at=_encode(self.finished_at),
            last_outcome=self.last_outcome,
        )
        return json.dumps(document, allow_nan=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> StoredJob:
        data = json.loads(text)
        return cls(
            spec=JobSpec.from_dict(data),
            version=int(data.get("version", 1)),
            created_at=_decode_datetime(data.get("created_at")) or datetime.now(timezone.utc),
            updated_at=_decode_datetime(data.get("updated_at")) or datetime.now(timezone.utc),
            state=data.get("state", SCHEDULED),
            finished_at=_decode_datetime(data.get("finished_at")),
            last_outcome=data.get("last_outcome"),
        )

    def with_changes(self, **changes: Any) -> StoredJob:
        return replace(self, **changes)


def validate(spec: JobSpec, tz: Any, now: datetime, default_grace: int) -> BaseTrigger:
    """Raise JobSpecError for anything that must not reach the store; return the trigger."""
    if not isinstance(spec.id, str) or not spec.id:
        raise JobSpecError("id must be a non-empty string")
    if len(spec.id) > MAX_ID_LENGTH:
        raise JobSpecError(f"id is {len(spec.id)} characters long; the limit is {MAX_ID_LENGTH}")
    if not _ID.match(spec.id):
        raise JobSpecError(f"id {spec.id!r} may only contain letters, digits and . : @ / + - _")
    if not isinstance(spec.task, str) or not spec.task:
        raise JobSpecError("task must be the registered name of a task")
    if spec.trigger not in TRIGGERS:
        raise JobSpecError(f"unknown trigger {spec.trigger!r}; use one of {', '.join(TRIGGERS)}")
    unknown = set(spec.trigger_args) - _TRIGGER_FIELDS[spec.trigger]
    if unknown:
        raise JobSpecError(
            f"unknown {spec.trigger} trigger arguments: {', '.join(sorted(unknown))}"
        )
    _check_json("args", spec.args)
    _check_json("kwargs", spec.kwargs)
    if any(not isinstance(key, str) for key in spec.kwargs):
        raise JobSpecError("kwargs keys must be strings")
    if spec.misfire_grace_time is not None and (
        not isinstance(spec.misfire_grace_time, int) or spec.misfire_grace_time < 1
    ):
        raise JobSpecError("misfire_grace_time must be a whole number of seconds >= 1")
    for key in _DATE_FIELDS & set(spec.trigger_args):
        _check_aware(key, spec.trigger_args[key])
    if spec.trigger == "date":
        return _date_trigger(spec, now, spec.misfire_grace_time or default_grace)
    if spec.run_at is not None:
        raise JobSpecError("run_at belongs to the 'date' trigger")
    try:
        return build_trigger(spec.trigger, dict(spec.trigger_args), tz)
    except (ValueError, TypeError) as error:
        raise JobSpecError(f"invalid {spec.trigger} trigger: {error}") from error


def _date_trigger(spec: JobSpec, now: datetime, grace: int) -> DateTrigger:
    if spec.run_at is None:
        raise JobSpecError("a 'date' job needs run_at (an aware datetime)")
    _check_aware("run_at", spec.run_at)
    if (now - spec.run_at).total_seconds() > grace:
        raise JobSpecError(f"run_at {spec.run_at.isoformat()} is already past")
    return DateTrigger(spec.run_at)


def _check_aware(name: str, value: Any) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise JobSpecError(f"{name} must be a timezone-aware datetime")


def _check_json(name: str, value: Any) -> None:
    try:
        round_trip = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise JobSpecError(f"{name} must be JSON-serialisable: {error}") from error
    if round_trip != value:
        raise JobSpecError(f"{name} would change in JSON (tuples, non-string keys?): {value!r}")


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
