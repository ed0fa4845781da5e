"""Every rule, registered by importing its family module."""

from __future__ import annotations

from . import asyncio_rules, files  # noqa: F401  (registration by import)
from .registry import RULES, Rule, rule

__all__ = ["RULES", "Rule", "rule"]
