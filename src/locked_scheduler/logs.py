"""The one structured log line per tick per replica."""

from __future__ import annotations

import logging
from datetime import datetime

from .health import FAILED, LEASE_LOST, SKIPPED_REDIS

log = logging.getLogger("locked_scheduler")

_LOUD = {FAILED, LEASE_LOST, SKIPPED_REDIS}


def log_tick(
    *,
    job_id: str,
    tick: datetime,
    replica_id: str,
    outcome: str,
    fence: int | None,
    duration_s: float | None,
    detail: str | None = None,
) -> None:
    fields = {
        "job": job_id,
        "tick": tick.isoformat(),
        "replica": replica_id,
        "outcome": outcome,
        "fence": fence,
        "duration_s": None if duration_s is None else round(duration_s, 6),
    }
    if detail:
        fields["detail"] = detail
    text = " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)
    level = logging.WARNING if outcome in _LOUD else logging.INFO
    # The dict rides along for JSON log formatters; the message is logfmt for humans.
    log.log(level, "tick %s", text, extra={"locked_scheduler": fields})
