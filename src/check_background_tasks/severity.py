"""Severities and the exit-code threshold: apart from the rules, so a check whose findings
come from the cache never imports them."""

from __future__ import annotations

from collections.abc import Iterable

from .model import Finding

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def failing(findings: Iterable[Finding], fail_on: str) -> bool:
    threshold = SEVERITY_RANK[fail_on]
    return any(SEVERITY_RANK.get(f.severity, 2) >= threshold for f in findings)
