"""asyncio rules: dangling tasks (BGT021)."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..link import Project
from ..model import Finding
from .registry import Rule, rule


@rule(
    "BGT021",
    "dangling-task",
    "warning",
    "the result of asyncio.create_task / ensure_future / loop.create_task is discarded",
    aliases=("RUF006", "ASYNC300"),
)
def dangling_task(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for linked in project.jobs:
        job = linked.job
        if job.kind != "create_task" or not dict(job.extra).get("discarded"):
            continue
        via = dict(job.extra).get("via", "create_task")
        yield self.finding(
            f"Task from `{via}({job.target or '...'}...)` is not stored: the event loop keeps "
            "only a weak reference, so it can be garbage-collected mid-flight; keep a "
            "reference (a set + add_done_callback(set.discard)) or use a TaskGroup",
            job.location,
            basis=f"{job.target}",
        )
