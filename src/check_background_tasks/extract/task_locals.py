"""A task kept only in a local variable that dies when its function returns.

    def store_in_background():
        task = asyncio.create_task(send_step())
        task.add_done_callback(log_errors)   # the callback lives on the task itself

The name is the task's only strong reference, and it goes when the function returns:
the same as throwing the task away. Any other use of the name (awaiting it, returning
it, adding it to a set, passing it anywhere, reading it in a nested function) may keep
it, so the question is only answered "keeps nothing" when every use is one of the
task's own methods below. A generator's locals live as long as it is suspended (a
lifespan's task lives until shutdown), so generators are never judged.
"""

from __future__ import annotations

import ast

from .context import CallSite, FileContext

# Methods of the task that store nothing outside it.
SELF_ONLY_METHODS = frozenset({"add_done_callback", "set_name", "get_name"})


def kept_only_in_local(ctx: FileContext, site: CallSite, also_returned: bool = False) -> str | None:
    """The local's name when `site`'s task is bound to a function local that keeps
    nothing, else None. `also_returned`: `return task` is allowed too (and required), the
    question a task factory asks (factories.py)."""
    name = site.assigned_to
    if name is None or site.enclosing is None:
        return None
    function = _definition_around(ctx, site)
    if function is None:
        return None
    uses = ctx.local_uses.get(id(function))
    if uses is None:
        uses = ctx.local_uses[id(function)] = _Uses(function)
    if uses.generator or name in uses.outside:
        return None
    # Every read of the name (nested functions included) is `name.<method>(...)` of a
    # method that stores nothing elsewhere, or (for a factory) `return name`.
    # (`task.add_done_callback(partial(keep, task))` reads it once more, as an argument:
    # that read may keep it.)
    harmless = uses.harmless.get(name, 0)
    returned = uses.returned.get(name, 0) if also_returned else 0
    if also_returned and not returned:
        return None
    return name if uses.reads.get(name, 0) == harmless + returned else None


def _definition_around(ctx: FileContext, site: CallSite) -> ast.AST | None:
    line = site.node.lineno
    for node in ctx.function_nodes.get(site.enclosing or "", []):
        if node.lineno <= line <= (node.end_lineno or node.lineno):  # type: ignore[attr-defined]
            return node
    return None


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class _Uses:
    """How a function's body reads its names, in one walk (asked once per function)."""

    def __init__(self, function: ast.AST) -> None:
        self.generator = False  # a generator's locals live while it is suspended
        self.outside: set[str] = set()  # `global` / `nonlocal`: outlive the call
        self.reads: dict[str, int] = {}
        self.harmless: dict[str, int] = {}  # reads as `name.add_done_callback(...)`
        self.returned: dict[str, int] = {}  # reads as `return name`
        todo: list[tuple[ast.AST, bool]] = [(child, False) for child in function.body]  # type: ignore[attr-defined]
        while todo:
            node, nested = todo.pop()
            kind = type(node)
            if kind is ast.Name:
                if type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
                    self._count(self.reads, node.id)  # type: ignore[attr-defined]
                continue
            if not nested:
                if kind is ast.Yield or kind is ast.YieldFrom:
                    self.generator = True
                elif kind is ast.Global or kind is ast.Nonlocal:
                    self.outside.update(node.names)  # type: ignore[attr-defined]
            if kind is ast.Return and type(node.value) is ast.Name:  # type: ignore[attr-defined]
                self._count(self.returned, node.value.id)  # type: ignore[attr-defined]
            elif kind is ast.Call:
                func = node.func  # type: ignore[attr-defined]
                if (
                    type(func) is ast.Attribute
                    and type(func.value) is ast.Name
                    and func.attr in SELF_ONLY_METHODS
                ):
                    self._count(self.harmless, func.value.id)
            inner = nested or isinstance(node, SCOPES)
            todo.extend((child, inner) for child in ast.iter_child_nodes(node))

    @staticmethod
    def _count(counts: dict[str, int], name: str) -> None:
        counts[name] = counts.get(name, 0) + 1
