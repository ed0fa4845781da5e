"""Beat schedules made of other modules' dicts and builders (extract/beat_data.py).

    # app/schedules/base.py
    BASE = {"cleanup": {"task": "app.tasks.cleanup", "schedule": 300}}

    # app/settings.py
    from app.schedules.base import BASE
    from app.schedules.extra import build_extra
    CELERY_BEAT_SCHEDULE = {**BASE, **build_extra()}

Extraction records `CELERY_BEAT_SCHEDULE` as opaque with `built_from` naming
`app.schedules.base.BASE` and `app.schedules.extra.build_extra`, and each module offers its
beat-shaped dicts and builders as pending entries (`pending_beat`). Here the pending entries
a schedule is built from become jobs, placed where they are written; the opaque record
goes when everything it is made of was found. Pending entries nothing uses are dropped:
a dict that looks like a schedule is not one until a schedule is made of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import FileFacts, RawJob

if TYPE_CHECKING:
    from .link import SymbolTable


class BeatParts:
    def __init__(self, facts: list[FileFacts], table: SymbolTable) -> None:
        offered: set[str] = set()
        for ff in facts:
            prefix = f"{ff.module}." if ff.module else ""
            for raw in ff.jobs:
                name = raw.extra.get("pending_beat")
                if name:
                    offered.add(prefix + name)
        self.used: set[str] = set()
        self.complete: set[int] = set()  # opaque records all of whose parts were found
        if not offered:
            return
        for ff in facts:
            for raw in ff.jobs:
                parts = raw.extra.get("built_from")
                if not parts:
                    continue
                found = [table.follow(part) for part in parts]
                hits = [part for part in found if part in offered]
                self.used.update(hits)
                if len(hits) == len(found):
                    self.complete.add(id(raw))

    def keep(self, raw: RawJob, ff: FileFacts) -> RawJob | None:
        """The job to link for `raw`, or None when it is an unused part or a schedule whose
        parts stand in for it."""
        name = raw.extra.get("pending_beat")
        if name:
            prefix = f"{ff.module}." if ff.module else ""
            if prefix + name not in self.used:
                return None
            extra = {k: v for k, v in raw.extra.items() if k != "pending_beat"}
            extra["part_of"] = prefix + name
            return RawJob(**{**raw.__dict__, "extra": extra})
        if id(raw) in self.complete:
            return None
        return raw


def part_modules(facts: list[FileFacts], known_modules: set[str]) -> set[str]:
    """Modules an opaque beat schedule is built from, to be read (the prefilter may have
    skipped a module holding only dicts and `timedelta`s)."""
    extracted = {ff.module for ff in facts if ff.module}
    wanted: set[str] = set()
    for ff in facts:
        for raw in ff.jobs:
            for part in raw.extra.get("built_from", ()):
                module = part.rpartition(".")[0]
                while module and module not in known_modules:
                    module = module.rpartition(".")[0]
                if module and module not in extracted:
                    wanted.add(module)
    return wanted
