"""Which project modules a process loads: the import closure of its entry module."""

from __future__ import annotations

from collections.abc import Callable, Iterable

# Modules visited per entry at most: a closure larger than this is a whole framework, and
# what lies beyond the bound counts as not seen (unknown), never as "not loaded".
MAX_MODULES = 5000


def parents_and_self(dotted: str, known: set[str]) -> Iterable[str]:
    """`a.b.c` imported loads `a`, `a.b` and `a.b.c`: those of them that are modules."""
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        if name in known:
            yield name


def closure(
    entry: str, imports_of: Callable[[str], list[str] | None], known: set[str]
) -> tuple[set[str], bool]:
    """(modules loaded when `entry` runs, complete?). `imports_of` gives a module's imports
    (None when it cannot be read); `known` is every project module."""
    seen: set[str] = set()
    todo = list(parents_and_self(entry, known))
    complete = True
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        if len(seen) > MAX_MODULES:
            return seen, False
        imported = imports_of(module)
        if imported is None:
            complete = False
            continue
        for dotted in imported:
            for name in parents_and_self(dotted, known):
                if name not in seen:
                    todo.append(name)
    return seen, complete
