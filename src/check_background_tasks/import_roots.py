"""Dotted paths written against another import root than the one module names come from.

Module names come from package structure (`__init__.py` files up to the scanned root).
Code is not always run from there: a launcher that runs `mediasync/main.py` puts
`mediasync/` first on sys.path, so the code imports `utilities.cache`, which we know as
`mediasync.utilities.cache`. A dotted path whose module is unknown is tried against the
importing file's own ancestor packages first (the roots a script in them would run from),
then against every known module that ends with it; more than one candidate is ambiguous,
and the caller keeps the path unresolved rather than guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache

MAX_CANDIDATES = 8  # a suffix this common (`utils`) tells nothing


class ImportRoots:
    def __init__(self, modules: Iterable[str]) -> None:
        self.modules = modules if isinstance(modules, set | frozenset) else set(modules)
        self._by_suffix: dict[str, list[str]] | None = None

    def _suffixes(self) -> dict[str, list[str]]:
        """`mediasync.utilities.cache` under `utilities.cache` and `cache` (built on first
        use: most projects never ask)."""
        if self._by_suffix is None:
            self._by_suffix = _suffix_index(frozenset(self.modules))
        return self._by_suffix

    def modules_for(self, module: str, importer: str | None) -> list[str]:
        """Known modules `module` may stand for when it is not known by its own name."""
        if module in self.modules:
            return [module]
        if importer:
            parts = importer.split(".")[:-1]
            near = [
                f"{'.'.join(parts[:i])}.{module}"
                for i in range(len(parts), 0, -1)
                if f"{'.'.join(parts[:i])}.{module}" in self.modules
            ]
            if near:
                return near
        found = self._suffixes().get(module, [])
        return sorted(found) if len(found) <= MAX_CANDIDATES else []

    def rebased(self, dotted: str, importer: str | None) -> Iterator[str]:
        """`dotted` (module.attribute...) with its module part found under another root.

        Nothing when the head of `dotted` is a module we know: then the path is ours, just
        not defined (or re-exported where we cannot follow)."""
        head = dotted.partition(".")[0]
        if head in self.modules or "." not in dotted:
            return
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            module, rest = ".".join(parts[:i]), ".".join(parts[i:])
            for found in self.modules_for(module, importer):
                if found != module:
                    yield f"{found}.{rest}"


@lru_cache(maxsize=4)
def _suffix_index(modules: frozenset[str]) -> dict[str, list[str]]:
    """Shared by every table of one scan: each round of reading asks for the same index."""
    index: dict[str, list[str]] = defaultdict(list)
    for module in sorted(modules):
        dot = module.find(".")
        while dot != -1:
            index[module[dot + 1 :]].append(module)
            dot = module.find(".", dot + 1)
    return dict(index)
