"""Inventory output: CSV and JSON with exactly the DESIGN.md record, or a rich table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from ..model import Job

COLUMNS = (
    "kind",
    "name",
    "target",
    "schedule",
    "cron",
    "interval_seconds",
    "timezone",
    "locked",
    "lock_key",
    "file",
    "line",
    "column",
)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(jobs: Sequence[Job]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for job in jobs:
        record = job.record()
        writer.writerow([_csv_cell(record[c]) for c in COLUMNS])
    return buffer.getvalue()


def to_json(jobs: Sequence[Job]) -> str:
    return json.dumps([job.record() for job in jobs], indent=2, sort_keys=False) + "\n"


def to_table(jobs: Sequence[Job], width: int | None = None) -> str:
    """A table as wide as the terminal (`COLUMNS`, else the terminal's width; 160 when
    there is none): `where` (file:line) is never split, so terminals keep it clickable,
    and the narrow columns never wrap; names, targets and schedules take what is left."""
    import shutil

    from rich.console import Console

    width = width or shutil.get_terminal_size(fallback=(160, 24)).columns
    rows = []
    for job in jobs:
        record = job.record()
        locked = {True: "yes", False: "NO", None: "-"}[record["locked"]]
        rows.append(
            (
                record["kind"],
                record["name"] or "-",
                record["target"] or "-",
                record["cron"] or record["schedule"] or "-",
                locked,
                f"{record['file']}:{record['line']}",
            )
        )
    headers = ("kind", "name", "target", "schedule", "locked", "where")
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    padding = 2 * len(headers)
    fixed = widths[0] + widths[4] + widths[5]  # kind, locked, where: never wrapped
    if sum(widths) + padding <= width or fixed + 3 * 16 + padding <= width:
        # Every cell on one line, or only name, target and schedule folded.
        table = _table(jobs)
        for header in headers:
            wraps = header in ("name", "target", "schedule")
            table.add_column(header, overflow="fold" if wraps else None, no_wrap=not wraps)
        for row in rows:
            table.add_row(*row)
    else:  # narrow: each job on three lines beside its file:line
        table = _table(jobs, leading=1)
        table.add_column("job", overflow="fold", min_width=20)
        table.add_column("where", no_wrap=widths[5] + 24 <= width)
        for kind, name, target, schedule, locked, where in rows:
            table.add_row(f"{kind} {name}\n{target}\n{schedule} · locked: {locked}", where)
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False).print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def _table(jobs: Sequence[Job], leading: int = 0) -> Any:
    from rich import box
    from rich.table import Table

    return Table(
        title=f"{len(jobs)} background jobs",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        leading=leading,
    )


FORMATS = {"csv": to_csv, "json": to_json, "table": to_table}
