"""Rule metadata and the registry every rule module adds itself to."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..config import Config
from ..link import Project
from ..model import Finding, Location

Check = Callable[[Project, Config], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str  # error | warning | info
    summary: str
    default: bool
    aliases: tuple[str, ...]
    check: Check

    def finding(
        self,
        message: str,
        location: Location,
        related: Iterable[Location] = (),
        basis: str = "",
    ) -> Finding:
        return Finding(
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            location=location,
            related=tuple(sorted(set(related) - {location})),
            fingerprint_basis=basis or message,
        )


RULES: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    severity: str,
    summary: str,
    *,
    default: bool = True,
    aliases: tuple[str, ...] = (),
) -> Callable[[Callable[[Rule, Project, Config], Iterator[Finding]]], Rule]:
    """Register `check(rule, project, config)` under `code`."""

    def register(fn: Callable[[Rule, Project, Config], Iterator[Finding]]) -> Rule:
        holder: list[Rule] = []

        def bound(project: Project, config: Config) -> Iterable[Finding]:
            return fn(holder[0], project, config)

        registered = Rule(code, name, severity, summary, default, aliases, bound)
        holder.append(registered)
        RULES[code] = registered
        return registered

    return register
