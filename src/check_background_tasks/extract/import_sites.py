"""Where a file imports a module that it imports only inside a function or under a switch.

A module that starts a scheduler at import (BGT023) starts it in every process that loads
it. When it is loaded only by an import inside a function (`def post_scheduler_handler():
from common import job`), it starts where that function runs, and inherits the function's
gating: deploy/switches.py reads the imports backwards like calls. Most imports are at
the top of a file: only modules imported somewhere indented are listed, each with every
place that imports it (a top-level import among them makes it load at import).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..model import Switch

MODULE_SCOPE = "<module>"


def import_sites(
    statements: list[tuple[int, bool, list[str]]],
    nodes: dict[str, ast.AST],
    switch_at: Callable[[str | None, int], Switch | None],
) -> dict[str, list[tuple[str, Switch | None]]]:
    """module imported somewhere indented -> [(scope, switch)] for each import of it:
    scope is the innermost function holding the import ("<module>" outside functions),
    switch the configuration switch the import runs under."""
    if not any(indented for _, indented, _ in statements):
        return {}
    spans = _function_spans(nodes)
    out: dict[str, list[tuple[str, Switch | None]]] = {}
    nested: set[str] = set()
    for line, indented, names in statements:
        scope = _innermost(spans, line) if indented else None
        switch = switch_at(scope, line) if indented else None
        site = (scope or MODULE_SCOPE, switch)
        for name in names:
            listed = out.setdefault(name, [])
            if site not in listed:
                listed.append(site)
            if indented:
                nested.add(name)
    return {name: sites for name, sites in out.items() if name in nested}


def _function_spans(nodes: dict[str, ast.AST]) -> list[tuple[int, int, str]]:
    out = []
    for qualname, node in nodes.items():
        if "<locals>" in qualname:
            continue  # a nested function runs where its outer one does: that one's scope
        first = getattr(node, "lineno", 0)
        last = getattr(node, "end_lineno", None) or first
        out.append((first, last, qualname))
    return out


def _innermost(spans: list[tuple[int, int, str]], line: int) -> str | None:
    best: tuple[int, str] | None = None
    for first, last, qualname in spans:
        if first <= line <= last and (best is None or last - first < best[0]):
            best = (last - first, qualname)
    return best[1] if best else None
