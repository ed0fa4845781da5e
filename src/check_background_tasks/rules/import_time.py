"""What a module-level call starts (BGT023 beyond `scheduler.start()` at module level)."""

from __future__ import annotations

from collections.abc import Iterator

from ..link import Project
from ..model import FileFacts, FunctionFacts

MAX_REEXPORT_HOPS = 5


def _definition(project: Project, dotted: str) -> tuple[FunctionFacts, FileFacts] | None:
    """A function, or a class's __init__, following re-exports (`from .sched import X`)."""
    for _ in range(MAX_REEXPORT_HOPS):
        for name in (dotted, f"{dotted}.__init__"):
            found = project.functions.get(name)
            if found is not None:
                return found
        module, _, name = dotted.rpartition(".")
        defining = project.modules.get(module)
        if defining is None or name not in defining.imports:
            return None
        dotted = defining.imports[name]
    return None


def import_time_starts(
    ff: FileFacts, project: Project
) -> Iterator[tuple[int, int, str, FunctionFacts, FileFacts]]:
    """(line, column, callee, function that starts, its file) per module-level call of a
    project function or class that starts a scheduler."""
    for line, column, callee in ff.import_calls:
        head, _, rest = callee.partition(".")
        if head in ff.imports:
            dotted = ff.imports[head] + (f".{rest}" if rest else "")
        elif ff.module:
            dotted = f"{ff.module}.{callee}"
        else:
            continue
        found = _definition(project, dotted)
        if found is not None and found[0].starts_scheduler is not None:
            yield line, column, callee, found[0], found[1]
