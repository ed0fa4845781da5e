"""Triggers every replica evaluates to the same fire times, or a clear error.

The claim key contains the tick, so replicas agree on a tick only if they compute the same
fire times. APScheduler's interval trigger starts at ``now + interval`` by default (a
different grid per replica); we anchor it at the Unix epoch instead. ``date`` triggers and
jitter differ per process and are refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import AndTrigger, OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class UnalignedTriggerError(ValueError):
    """The trigger would fire at different times on different replicas."""


def build_trigger(
    trigger: str | BaseTrigger, trigger_args: dict[str, Any], tz: tzinfo
) -> BaseTrigger:
    if isinstance(trigger, BaseTrigger):
        if trigger_args:
            raise TypeError(
                f"unexpected trigger arguments with a trigger instance: {sorted(trigger_args)}"
            )
        check_aligned(trigger)
        return trigger
    if trigger_args.get("jitter"):
        raise UnalignedTriggerError("jitter gives each replica different fire times; remove it")
    args = {key: value for key, value in trigger_args.items() if key != "jitter"}
    args.setdefault("timezone", tz)
    if trigger == "interval":
        args.setdefault("start_date", EPOCH)
        return IntervalTrigger(**args)
    if trigger == "cron":
        return CronTrigger(**args)
    if trigger == "date":
        raise UnalignedTriggerError(
            "a 'date' trigger is a one-off run; LockedScheduler static jobs must be periodic "
            "('interval' or 'cron') so every replica agrees on the ticks"
        )
    raise ValueError(f"unsupported trigger {trigger!r}: use 'interval' or 'cron'")


def check_aligned(trigger: BaseTrigger) -> None:
    if getattr(trigger, "jitter", None):
        raise UnalignedTriggerError("jitter gives each replica different fire times; remove it")
    if isinstance(trigger, CronTrigger):
        return
    if isinstance(trigger, IntervalTrigger):
        offset_s = trigger.start_date.timestamp() - EPOCH.timestamp()
        if (
            abs(offset_s / trigger.interval_length - round(offset_s / trigger.interval_length))
            > 1e-9
        ):
            raise UnalignedTriggerError(
                "this IntervalTrigger's start_date is not on the epoch grid, so replicas "
                "started at different times fire at different times; pass "
                "'interval' with keyword arguments instead and LockedScheduler aligns it"
            )
        return
    if isinstance(trigger, (AndTrigger, OrTrigger)):
        for child in trigger.triggers:
            check_aligned(child)
        return
    raise UnalignedTriggerError(
        f"{type(trigger).__name__} is not supported: use 'interval' or 'cron'"
    )


def interval_after(trigger: BaseTrigger, tick: datetime) -> float | None:
    """Seconds from ``tick`` to the following fire time, or None when there is none."""
    following = trigger.get_next_fire_time(tick, tick)
    if following is None:
        return None
    return following.timestamp() - tick.timestamp()


def latest_fire_time(trigger: BaseTrigger, before: datetime, window_s: float) -> datetime | None:
    """The last fire time in ``[before - window_s, before)``, or None when there is none."""
    fire = trigger.get_next_fire_time(None, before - timedelta(seconds=window_s))
    latest = None
    for _ in range(100_000):  # a window of many short intervals still ends
        if fire is None or fire >= before:
            return latest
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return latest
