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


def kept_only_in_local(ctx: FileContext, site: CallSite) -> str | None:
    """The local's name when `site`'s task is bound to a function local that keeps
    nothing, else None."""
    name = site.assigned_to
    if name is None or site.enclosing is None:
        return None
    function = _definition_around(ctx, site)
    if function is None or _is_generator(function) or _declared_outside(function, name):
        return None
    return name if _only_self_uses(function, name) else None


def _definition_around(ctx: FileContext, site: CallSite) -> ast.AST | None:
    line = site.node.lineno
    for node in ctx.function_nodes.get(site.enclosing or "", []):
        if node.lineno <= line <= (node.end_lineno or node.lineno):  # type: ignore[attr-defined]
            return node
    return None


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """Nodes of the function's body, not those of functions nested in it."""
    out: list[ast.AST] = []
    todo = list(function.body)  # type: ignore[attr-defined]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def _is_generator(function: ast.AST) -> bool:
    return any(isinstance(node, ast.Yield | ast.YieldFrom) for node in _own_nodes(function))


def _declared_outside(function: ast.AST, name: str) -> bool:
    """`global task` / `nonlocal task`: the name outlives the call."""
    return any(
        isinstance(node, ast.Global | ast.Nonlocal) and name in node.names
        for node in _own_nodes(function)
    )


def _only_self_uses(function: ast.AST, name: str) -> bool:
    """Every read of `name` (nested functions included) is `name.<method>(...)` of a
    method that stores nothing elsewhere. (`task.add_done_callback(partial(keep, task))`
    reads it once more, as an argument: that read may keep it.)"""
    harmless: set[int] = set()
    reads: list[ast.Name] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if (
                isinstance(receiver, ast.Name)
                and receiver.id == name
                and node.func.attr in SELF_ONLY_METHODS
            ):
                harmless.add(id(receiver))
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            reads.append(node)
    return all(id(read) in harmless for read in reads)
