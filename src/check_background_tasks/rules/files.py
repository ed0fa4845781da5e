"""BGT900: a file that could not be read or parsed is reported, and the scan goes on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ..config import Config
from ..extract.yaml_problems import JINJA_NOTE
from ..link import Project
from ..model import Finding, Location
from .registry import Rule, rule

# Problems of reading one file alone, which its render (kustomize, Helm) replaces.
READ_ALONE = ("YAML error", "Helm template not analysed alone", JINJA_NOTE)

# Directories of test data: a broken file there is usually broken on purpose (a parser's
# test input), and no deployment reads it. Compared case-blind (`testData/`, `Fixtures/`).
TEST_DATA_DIRS = frozenset({"tests", "test", "testing", "testdata", "test_data", "fixtures"})


def test_data_dir(path: str, base: str = "") -> str | None:
    """The test-data directory a file is under (the innermost) below `base`, the directory
    holding what was scanned (`check ../tests/proj` is no test data), else None."""
    if base and path.startswith(base.rstrip("/") + "/"):
        path = path[len(base.rstrip("/")) + 1 :]
    for part in reversed(path.split("/")[:-1]):
        if part.lower() in TEST_DATA_DIRS:
            return part
    return None


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
        message = f"Cannot analyse this file: {problem.message}"
        severity = problem.severity
        test_data = test_data_dir(path, project.scan_base)
        if test_data is not None and severity != "info":
            message += f" (a file under `{test_data}/`: test data, which no deployment reads)"
            severity = "info"
        finding = self.finding(message, location)
        if severity:
            finding = replace(finding, severity=severity)
        yield finding
