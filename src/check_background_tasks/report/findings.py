"""`check` output: text (ruff-like) and JSON (the Finding contract)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..model import Finding
from .summary import count_phrase


def to_json(findings: Sequence[Finding]) -> str:
    import json  # only for this format: the text report is the common one

    return json.dumps([f.record() for f in findings], indent=2) + "\n"


def to_text(findings: Sequence[Finding], show_source: bool = False) -> str:
    lines = []
    for f in findings:
        loc = f.location
        lines.append(f"{loc.file}:{loc.line}:{loc.column}: {f.code} {f.message}")
        if show_source:
            source = _source_line(loc.file, loc.line)
            if source is not None:
                lines.append(f"    {source}")
    lines.append(summary(findings))
    return "\n".join(lines) + "\n"


def summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "All checks passed!"
    return (
        f"Found {count_phrase(findings)}. "
        f"Run `check-background-tasks rule {findings[0].code}` for details."
    )


def statistics(findings: Sequence[Finding]) -> str:
    counts = Counter((f.code, f.name) for f in findings)
    rows = [f"{n:>5}  {code}  {name}" for (code, name), n in sorted(counts.items())]
    return "\n".join(rows) + ("\n" if rows else "")


def _source_line(path: str, line: int) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text.rstrip("\n")
    except OSError:
        return None
    return None
