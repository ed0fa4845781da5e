"""Neuroglia background jobs, project-wide: a task descriptor names its job class by its
bare name (`RecurrentTaskDescriptor(name="WorkerMetricsCollectionJob", ...)`); the class
registered under that name (`@backgroundjob`) is what runs (extract/neuroglia.py). A
registered class some descriptor schedules is listed through the descriptor only."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .model import FileFacts, RawJob, TargetRef

if TYPE_CHECKING:
    from .link import SymbolTable


class NeurogliaJobs:
    def __init__(self, facts: list[FileFacts], table: SymbolTable) -> None:
        from .link import resolve_target

        self.runs: dict[str, str] = {}  # class name -> dotted run_every / run_at ("" if two)
        self.named: set[str] = set()  # class names some descriptor schedules
        for ff in facts:
            for raw in ff.jobs:
                if raw.kind != "neuroglia":
                    continue
                name = raw.extra.get("job_class")
                if not isinstance(name, str):
                    continue
                if raw.extra.get("registered"):
                    dotted = resolve_target(raw.target, ff, table)
                    self.runs[name] = dotted if self.runs.get(name, dotted) == dotted else ""
                else:
                    self.named.add(name)

    def keep(self, raw: RawJob) -> RawJob | None:
        if raw.kind != "neuroglia":
            return raw
        name = raw.extra.get("job_class")
        if raw.extra.get("registered"):
            return None if name in self.named else raw
        found = self.runs.get(name) if isinstance(name, str) else None
        if found:
            return replace(raw, target=TargetRef("import", found))
        return raw
