"""Run the selected rules on a linked project, then apply severities and suppressions."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace

from .config import Config
from .link import Project
from .model import Finding
from .rules import RULES, Rule
from .severity import SEVERITY_RANK, failing

__all__ = ["SEVERITY_RANK", "Outcome", "failing", "run", "selected_rules"]


def _matches(code: str, selectors: list[str]) -> bool:
    return any(s == "ALL" or code.startswith(s) for s in selectors)


# Rules that a configuration setting switches on, as if they were selected.
ENABLED_BY_SETTING = {"BGT010": lambda config: not config.allow_kubernetes_cronjobs}


def selected_rules(config: Config) -> list[Rule]:
    chosen = []
    for code, rule in sorted(RULES.items()):
        on = _matches(code, config.select) if config.select else rule.default
        setting = ENABLED_BY_SETTING.get(code)
        if setting is not None and setting(config):
            on = True
        if config.extend_select and _matches(code, config.extend_select):
            on = True
        if config.ignore and _matches(code, config.ignore):
            on = False
        if on:
            chosen.append(rule)
    return chosen


@dataclass
class Outcome:
    findings: list[Finding]
    suppressed: list[Finding]


def _suppressed_codes(project: Project) -> dict[tuple[str, int], frozenset[str]]:
    out: dict[tuple[str, int], frozenset[str]] = {}
    for ff in project.facts:
        for sup in ff.suppressions:
            out[(ff.path, sup.line)] = out.get((ff.path, sup.line), frozenset()) | sup.codes
    # The check-background-tasks.io/ignore annotation of a manifest.
    annotated = [(lj.job.location, dict(lj.job.extra).get("ignore")) for lj in project.jobs]
    annotated += [(pw.location, pw.workload.extra.get("ignore")) for pw in project.workloads]
    for location, ignore in annotated:
        if ignore:
            key = (location.file, location.line)
            out[key] = out.get(key, frozenset()) | frozenset(c.upper() for c in ignore)
    return out


def _is_suppressed(finding: Finding, codes: frozenset[str]) -> bool:
    rule = RULES.get(finding.code)
    names = {finding.code, *(rule.aliases if rule else ())}
    return bool(names & codes)


def _file_ignored(finding: Finding, config: Config) -> bool:
    for glob, codes in config.per_file_ignores.items():
        path = finding.location.file
        if (fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], glob)) and (
            _matches(finding.code, codes)
        ):
            return True
    return False


def run(project: Project, config: Config) -> Outcome:
    raw: list[Finding] = []
    for rule in selected_rules(config):
        for finding in rule.check(project, config):
            severity = config.severity.get(finding.code, finding.severity)
            raw.append(
                replace(finding, severity=severity) if severity != finding.severity else finding
            )
    suppressions = _suppressed_codes(project)
    findings, suppressed = [], []
    for finding in sorted(set(raw), key=Finding.sort_key):
        codes = suppressions.get((finding.location.file, finding.location.line), frozenset())
        if _is_suppressed(finding, codes) or _file_ignored(finding, config):
            suppressed.append(finding)
        else:
            findings.append(finding)
    return Outcome(findings, suppressed)
