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
    entry: str,
    imports_of: Callable[[str], list[str] | None],
    known: set[str],
    wanted: set[str] | None = None,
) -> tuple[set[str], bool]:
    """(modules loaded when `entry` runs, complete?). `imports_of` gives a module's imports
    (None when it cannot be read); `known` is every project module. With `wanted`, the walk
    stops once it has seen all of them (then it is not complete, and need not be: what it
    was asked about is found)."""
    seen: set[str] = set()
    todo = list(parents_and_self(entry, known))
    complete = True
    missing = set(wanted) if wanted is not None else None
    loads: dict[str, tuple[str, ...]] = {}  # an imported name -> the modules it loads
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        if missing is not None:
            missing.discard(module)
            if not missing:
                return seen, False
        if len(seen) > MAX_MODULES:
            return seen, False
        imported = imports_of(module)
        if imported is None:
            complete = False
            continue
        for dotted in imported:
            names = loads.get(dotted)
            if names is None:
                names = loads[dotted] = tuple(parents_and_self(dotted, known))
            todo.extend(name for name in names if name not in seen)
    return seen, complete
