"""`check` output: text (ruff-like) and JSON (the Finding contract)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..config import DEFAULT_DOCS_URL, rule_url
from ..model import Finding
from .summary import count_phrase


def to_json(
    findings: Sequence[Finding],
    prints: Sequence[str] | None = None,
    docs_url: str = DEFAULT_DOCS_URL,
) -> str:
    """The Finding contract, plus `fingerprint` (the baseline's: stable across line
    shifts) and `url` (the rule's page). `prints`: the fingerprints of `findings` when the
    caller computed them over a larger set (a baseline split)."""
    import json  # only for this format: the text report is the common one

    if prints is None:
        from ..baseline import fingerprints

        prints = fingerprints(findings)
    records = []
    for finding, fingerprint in zip(findings, prints, strict=True):
        record = finding.record()
        record["fingerprint"] = fingerprint
        record["url"] = rule_url(docs_url, finding.code)
        records.append(record)
    return json.dumps(records, indent=2) + "\n"


def to_text(
    findings: Sequence[Finding], show_source: bool = False, with_summary: bool = True
) -> str:
    lines = []
    for f in findings:
        loc = f.location
        lines.append(f"{loc.file}:{loc.line}:{loc.column}: {f.code} {f.message}")
        if show_source:
            source = _source_line(loc.file, loc.line)
            if source is not None:
                lines.append(f"    {source}")
    if with_summary:
        lines.append(summary(findings))
    return "\n".join(lines) + "\n" if lines else ""


SEVERITY_STYLES = {"error": "bold red", "warning": "bold yellow", "info": "bold cyan"}


def print_coloured(
    findings: Sequence[Finding],
    show_source: bool = False,
    with_summary: bool = True,
    pointer: str | None = None,
) -> None:
    """The text report in colour, through rich (which also honours NO_COLOR and
    FORCE_COLOR): the same words as to_text()."""
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True, emoji=False, markup=False)
    for f in findings:
        loc = f.location
        line = Text()
        line.append(f"{loc.file}:{loc.line}:{loc.column}:", style="bold")
        line.append(" ")
        line.append(f.code, style=SEVERITY_STYLES.get(f.severity, "bold"))
        line.append(f" {f.message}")
        console.print(line)
        if show_source:
            source = _source_line(loc.file, loc.line)
            if source is not None:
                console.print(Text(f"    {source}", style="dim"))
    if with_summary:
        said = summary(findings)
        console.print(Text(said, style="bold green" if not findings else "bold"))
    if pointer:
        console.print(Text(pointer.rstrip("\n"), style="dim"))


def summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "All checks passed!"
    return (
        f"Found {count_phrase(findings)}. "
        f"Run `check-background-tasks rule {findings[0].code}` for details."
    )


def statistics(findings: Sequence[Finding], fmt: str = "text") -> str:
    """A count per rule code: text rows, or (--format json) an array of
    {code, name, count}, as ruff's `--statistics --output-format json`."""
    counts = Counter((f.code, f.name) for f in findings)
    if fmt == "json":
        import json

        rows_json = [
            {"code": code, "name": name, "count": n} for (code, name), n in sorted(counts.items())
        ]
        return json.dumps(rows_json, indent=2) + "\n"
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
