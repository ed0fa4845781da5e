"""APScheduler 3 plus Redis claims: a job registered in every replica runs once per tick."""

from .backend import BackendError
from .health import OUTCOMES
from .jobspec import JobSpec, JobSpecError, StoredJob
from .mutex import with_redis_lock
from .run import RunInfo, current_run
from .scheduler import LockedScheduler
from .triggers import UnalignedTriggerError

__all__ = [
    "OUTCOMES",
    "BackendError",
    "JobSpec",
    "JobSpecError",
    "LockedScheduler",
    "RunInfo",
    "StoredJob",
    "UnalignedTriggerError",
    "current_run",
    "with_redis_lock",
]
