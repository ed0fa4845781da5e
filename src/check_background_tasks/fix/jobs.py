"""What the project knows about its jobs that a finding does not carry: the job's target
(for a stable id) and every id in use (so a new one is unique)."""

from __future__ import annotations

from ..link import Project
from ..model import Location


class JobIndex:
    def __init__(self, project: Project | None) -> None:
        self.targets: dict[tuple[str, int], list[tuple[int, str | None]]] = {}
        self.ids: set[str] = set()
        self.known = project is not None  # without the project no id can be made unique
        for linked in project.jobs if project is not None else ():
            job = linked.job
            if job.name:
                self.ids.add(job.name)
            where = job.location
            self.targets.setdefault((where.file, where.line), []).append((where.column, job.target))

    def target(self, location: Location) -> str | None:
        """The dotted target of the job declared at `location`, when exactly one is."""
        found = self.targets.get((location.file, location.line), [])
        exact = {t for column, t in found if column == location.column}
        if len(exact) == 1:
            return exact.pop()
        every = {t for _column, t in found}
        return every.pop() if len(every) == 1 else None

    def new_id(self, target: str) -> str:
        """`target`, or `target_2`, `target_3` ... when taken; taken from then on."""
        chosen, number = target, 1
        while chosen in self.ids:
            number += 1
            chosen = f"{target}_{number}"
        self.ids.add(chosen)
        return chosen
