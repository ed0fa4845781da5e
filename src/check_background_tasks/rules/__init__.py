"""Every rule, registered by importing its family module."""

from __future__ import annotations

from . import (  # noqa: F401  (registration by import)
    asyncio_rules,
    cron_shape,
    cronjob_rules,
    duplicates,
    files,
    job_references,
    job_store,
    kubernetes_rules,
    lock_names,
    locks,
    schedule_pileup,
    schedule_rules,
    time_zones,
)
from .registry import RULES, Rule, rule

__all__ = ["RULES", "Rule", "rule"]
