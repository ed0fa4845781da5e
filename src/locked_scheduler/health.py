"""Per-job outcome bookkeeping and the JSON-ready ``status()`` document."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RAN = "ran"
SKIPPED_CLAIMED = "skipped_claimed"  # another replica won this tick
SKIPPED_LATE = "skipped_late"  # too long after the tick to still run it
SKIPPED_REDIS = "skipped_redis"  # Redis could not be asked, so the run was skipped
SKIPPED_OVERLAP = "skipped_overlap"  # the previous run still holds the running lease
SKIPPED_NOT_LEADER = "skipped_not_leader"  # leader mode, and this replica does not lead
SKIPPED_CLOCK_SKEW = "skipped_clock_skew"  # this replica's clock is too far from Redis'
FAILED = "failed"
LEASE_LOST = "lease_lost"
OUTCOMES = (
    RAN,
    SKIPPED_CLAIMED,
    SKIPPED_LATE,
    SKIPPED_REDIS,
    SKIPPED_OVERLAP,
    SKIPPED_NOT_LEADER,
    SKIPPED_CLOCK_SKEW,
    FAILED,
    LEASE_LOST,
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass
class JobStats:
    job_id: str
    last_tick: datetime | None = None
    last_outcome: str | None = None
    last_duration_s: float | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    fence: int | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def record(
        self,
        outcome: str,
        tick: datetime,
        *,
        now: datetime,
        duration_s: float | None = None,
        fence: int | None = None,
    ) -> None:
        self.counts[outcome] += 1
        # Runs finish out of order (a long run ends after the next tick was skipped);
        # "last" means the latest tick.
        if self.last_tick is None or tick >= self.last_tick:
            self.last_tick = tick
            self.last_outcome = outcome
        if fence is not None:
            self.fence = fence
        if duration_s is not None:
            self.last_duration_s = duration_s
        if outcome == RAN:
            self.last_success_at = now
            self.consecutive_failures = 0
        elif outcome in (FAILED, LEASE_LOST):
            self.consecutive_failures += 1

    def as_dict(self, next_run_time: datetime | None) -> dict[str, Any]:
        return {
            "next_run_time": _iso(next_run_time),
            "last_tick": _iso(self.last_tick),
            "last_outcome": self.last_outcome,
            "last_duration_s": self.last_duration_s,
            "last_success_at": _iso(self.last_success_at),
            "consecutive_failures": self.consecutive_failures,
            "fence": self.fence,
            "counts": {outcome: self.counts.get(outcome, 0) for outcome in OUTCOMES},
        }


@dataclass
class RedisHealth:
    """What we last learned about the coordination store, from claims and pings."""

    ok: bool = True
    latency_ms: float | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None

    def success(self, latency_ms: float | None = None) -> None:
        self.ok = True
        if latency_ms is not None:
            self.latency_ms = round(latency_ms, 3)

    def failure(self, error: str, now: datetime) -> None:
        self.ok = False
        self.last_error = error
        self.last_error_at = now


def overall_status(running: bool, reasons: list[str]) -> str:
    if not running:
        return "stopped"
    return "degraded" if reasons else "ok"


def redis_fields(health: RedisHealth) -> dict[str, Any]:
    return {
        "redis_ok": health.ok,
        "redis_latency_ms": health.latency_ms,
        "last_redis_error": health.last_error,
        "last_redis_error_at": _iso(health.last_error_at),
    }
