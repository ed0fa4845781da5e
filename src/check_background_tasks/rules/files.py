"""BGT900: a file that could not be read or parsed is reported, and the scan goes on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ..config import Config
from ..link import Project
from ..model import Finding, Location
from .registry import Rule, rule

# Problems of reading one file alone, which its render (kustomize, Helm) replaces.
READ_ALONE = ("YAML error", "Helm template not analysed alone")


@rule(
    "BGT900",
    "unreadable-file",
    "error",
    "a file could not be decoded or parsed; it is reported and the scan goes on",
)
def unreadable_file(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    problems = [(ff.path, problem) for ff in project.facts for problem in ff.problems]
    for path, problem in problems + project.notes:
        if path in project.rendered_files and problem.message.startswith(READ_ALONE):
            continue  # a template or patch read alone; its render is what is deployed
        location = Location(path, problem.line, problem.column)
        finding = self.finding(f"Cannot analyse this file: {problem.message}", location)
        if problem.severity:
            finding = replace(finding, severity=problem.severity)
        yield finding
