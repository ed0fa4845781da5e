"""Every rule, registered by importing its family module."""

from __future__ import annotations

from . import (  # noqa: F401  (registration by import)
    asyncio_rules,
    cronjob_rules,
    duplicates,
    files,
    kubernetes_rules,
    locks,
    schedule_pileup,
    schedule_rules,
)
from .registry import RULES, Rule, rule

__all__ = ["RULES", "Rule", "rule"]
