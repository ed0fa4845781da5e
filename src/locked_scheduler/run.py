"""What a job can learn about the run it is part of: ``current_run()``."""

from __future__ import annotations

import contextvars
import threading
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RunInfo:
    """One run of one job for one tick, as won by this replica.

    ``fence`` increases with every run of the job (also across a Redis restart that lost
    its data), so a downstream write can refuse results from an older run:
    ``UPDATE ... SET ..., fence = :fence WHERE fence < :fence``.
    ``fence`` is ``None`` only when the run went ahead without Redis
    (``on_redis_error="run"``).
    """

    job_id: str
    tick: datetime
    fence: int | None
    replica_id: str
    lease_lost: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def tick_ms(self) -> int:
        return round(self.tick.timestamp() * 1000)

    def lease_ok(self) -> bool:
        """False once the running lease was lost; long sync jobs should check and stop."""
        return not self.lease_lost.is_set()


_current: contextvars.ContextVar[RunInfo] = contextvars.ContextVar("locked_scheduler_run")


def current_run() -> RunInfo:
    """The run being executed; works in async jobs and in sync jobs (their thread)."""
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError(
            "current_run() was called outside a job run started by LockedScheduler"
        ) from None


def set_current_run(run: RunInfo) -> contextvars.Token[RunInfo]:
    return _current.set(run)
