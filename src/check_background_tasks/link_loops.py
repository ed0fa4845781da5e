"""Home-made schedulers the project pass completes: thread loops and repeat_every jobs.

- extract/threads.py records every started `threading.Thread(target=f)`; only a target
  that loops forever with a sleep (`while True: ...; time.sleep(60)`) is background work
  worth listing, and only the target's definition tells, often in another file. Those
  become records of kind `loop`; other threads are dropped.
- extract/repeat_every.py records a `@decorator(minutes=5)` imported from another module
  as pending: it is a `repeat_every` job only when that decorator is a repeat_every-style
  factory of the project (`FunctionFacts.repeat_decorator`), which gives its interval.
- An asyncio task whose coroutine loops forever with a sleep is listed as a `loop` too,
  with `started_as` "create_task": the rules about tasks (BGT021, BGT040, the process
  model, duplicates) still judge it as the task it is (`started_as`).
- A repeat_every job starts on its first call: `started_by` names the start-up hook that
  makes it (or the function itself, when it is one), for BGT022 and the inventory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from .model import FileFacts, Job, RawJob

if TYPE_CHECKING:
    from .link import LinkedJob, SymbolTable


def confirm_repeat_every(raw: RawJob, ff: FileFacts, table: SymbolTable) -> RawJob | None:
    """`raw` itself, the pending repeat_every use it was once its decorator is known, or
    None when the decorator is something else."""
    pending = raw.extra.get("pending_decorator")
    if not pending:
        return raw
    dotted = table.rebase(table.follow(pending), ff.module)
    found = table.functions.get(dotted)
    if found is None or found[0].repeat_decorator is None:
        return None
    param, factor = found[0].repeat_decorator
    given = raw.extra.get("decorator_args", {})
    seconds = given[param] * factor if param in given else None
    extra = {k: v for k, v in raw.extra.items() if k not in ("pending_decorator", "decorator_args")}
    extra["decorator"] = dotted
    schedule = raw.schedule
    if schedule is not None:
        schedule = replace(schedule, interval_seconds=seconds, resolved=seconds is not None)
    return replace(raw, schedule=schedule, extra=extra)


def promote_thread_loops(jobs: Iterable[LinkedJob]) -> list[LinkedJob]:
    out = []
    for linked in jobs:
        if linked.job.kind != "thread":
            out.append(linked)
            continue
        fn = linked.definition
        if fn is not None and fn.loops_forever_with_sleep:
            out.append(replace(linked, job=replace(linked.job, kind="loop")))
    return out


def started_as(job: Job) -> str:
    """The kind a job was declared as: `create_task` for an asyncio task listed as a loop."""
    if job.kind != "loop":
        return job.kind
    return "create_task" if ("started_as", "create_task") in job.extra else "loop"


def promote_task_loops(jobs: Iterable[LinkedJob]) -> list[LinkedJob]:
    """asyncio tasks whose coroutine loops forever with a sleep are listed as `loop`."""
    out = []
    for linked in jobs:
        job = linked.job
        fn = linked.definition
        if job.kind == "create_task" and fn is not None and fn.loops_forever_with_sleep:
            extra = tuple(sorted((*job.extra, ("started_as", "create_task"))))
            linked = replace(linked, job=replace(job, kind="loop", extra=extra))
        out.append(linked)
    return out


def note_repeat_starts(jobs: list[LinkedJob], facts: list[FileFacts], table: SymbolTable) -> None:
    """Set `started_by` on each repeat_every job a start-up hook starts."""
    repeats = [lj for lj in jobs if lj.job.kind == "repeat_every"]
    if not repeats:
        return
    from .link import resolve_target

    starters: dict[str, str] = {}  # dotted function -> the start-up hook that calls it
    for ff in facts:
        prefix = f"{ff.module}." if ff.module else ""
        for fn in ff.functions:
            for ref in fn.startup_calls:
                starters.setdefault(resolve_target(ref, ff, table), prefix + fn.qualname)
    for linked in repeats:
        started_by = starters.get(linked.job.target or "")
        if linked.definition is not None and linked.definition.is_startup_hook:
            started_by = linked.job.target
        if started_by:
            extra = dict(linked.job.extra)
            extra["started_by"] = started_by
            linked.job = replace(linked.job, extra=tuple(sorted(extra.items())))
