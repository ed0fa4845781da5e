"""Markdown tables for a GitHub job summary or a pull-request comment.

Every cell is escaped (CommonMark backslash escapes for punctuation that could start
markup, `|` included), so a job name or message from the scanned code can never break the
table or inject links/HTML. Tables are capped (`MAX_ROWS`) to stay far below GitHub's
1 MiB job-summary limit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..model import Finding, Job

MAX_ROWS = 200
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!&])")
ICONS = {"error": ":x:", "warning": ":warning:", "info": ":information_source:"}


def cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    text = " ".join(str(value).split())
    return _SPECIAL.sub(r"\\\1", text)


def table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], raw: frozenset[int] = frozenset()
) -> str:
    """A markdown table; columns in `raw` hold markup of our own and are not escaped."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows[:MAX_ROWS]:
        cells = (str(v) if i in raw else cell(v) for i, v in enumerate(row))
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > MAX_ROWS:
        lines.append(f"\n… and {len(rows) - MAX_ROWS} more.")
    return "\n".join(lines) + "\n"


def count_phrase(findings: Sequence[Finding]) -> str:
    if not findings:
        return "no findings"
    counts = Counter(f.severity for f in findings)
    parts = [
        f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}"
        for s in ("error", "warning", "info")
        if counts[s]
    ]
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun} ({', '.join(parts)})"


def findings_markdown(findings: Sequence[Finding], heading: str = "Findings") -> str:
    out = [f"### {heading}: {count_phrase(findings)}\n"]
    if findings:
        rows = [
            (
                f"{ICONS.get(f.severity, '')} {f.severity}",
                f.code,
                f"{f.location.file}:{f.location.line}:{f.location.column}",
                f.message,
            )
            for f in findings
        ]
        header = ("Severity", "Code", "Location", "Message")
        out.append(table(header, rows, raw=frozenset({0})))
    return "\n".join(out)


def _locked(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[value]


def inventory_rows(jobs: Sequence[Job]) -> list[tuple[Any, ...]]:
    rows = []
    for job in jobs:
        record = job.record()
        rows.append(
            (
                record["kind"],
                record["name"],
                record["target"],
                record["cron"] or record["schedule"],
                _locked(record["locked"]),
                f"{record['file']}:{record['line']}",
            )
        )
    return rows


INVENTORY_HEADER = ("Kind", "Name", "Target", "Schedule", "Locked", "Where")


def inventory_markdown(jobs: Sequence[Job], heading: str = "Background jobs") -> str:
    out = [f"### {heading} ({len(jobs)})\n"]
    if jobs:
        out.append(table(INVENTORY_HEADER, inventory_rows(jobs), raw=frozenset({4})))
    return "\n".join(out)
