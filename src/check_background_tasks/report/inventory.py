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
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(jobs)} background jobs", show_lines=False)
    for column in ("kind", "name", "target", "schedule", "locked", "where"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        record = job.record()
        locked = {True: "yes", False: "NO", None: "-"}[record["locked"]]
        table.add_row(
            record["kind"],
            record["name"] or "-",
            record["target"] or "-",
            record["cron"] or record["schedule"] or "-",
            locked,
            f"{record['file']}:{record['line']}",
        )
    buffer = io.StringIO()
    Console(file=buffer, width=width or 160, force_terminal=False).print(table)
    return buffer.getvalue()


FORMATS = {"csv": to_csv, "json": to_json, "table": to_table}
