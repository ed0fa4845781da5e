"""GitHub Actions workflow commands: one annotation per finding.

    ::error file=app/scheduler.py,line=12,col=5,title=BGT020::Job 'cleanup' runs in 4 processes…

Escaping is exactly that of @actions/core (`toCommandValue` + `escapeData` /
`escapeProperty`): in the message `%`, CR and LF become `%25`, `%0D`, `%0A`; in property
values `:` and `,` also become `%3A` and `%2C`. Severities map error → `error`,
warning → `warning`, info → `notice`.

`col` is always given: every finding is a point (a start line and column; we have no end
positions), so no annotation spans lines, which is the only case where GitHub ignores or
rejects `col`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Finding

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return (
        value.replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def annotation(finding: Finding) -> str:
    loc = finding.location
    properties = {
        "file": loc.file,
        "line": str(loc.line),
        "col": str(loc.column),
        "title": finding.code,
    }
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    command = COMMANDS.get(finding.severity, "warning")
    return f"::{command} {props}::{escape_data(finding.message)}"


def to_github(findings: Sequence[Finding]) -> str:
    return "".join(annotation(f) + "\n" for f in findings)
