"""Celery beat schedules built from data, not written out entry by entry.

    TASKS = [
        {"name": "cleanup", "task": "app.tasks.cleanup", "minutes": 5},
        {"name": "report", "task": "app.tasks.report", "minutes": 60},
    ]
    for task in TASKS:                                   # a loop over a literal list
        CELERY_BEAT_SCHEDULE[task["name"]] = {
            "task": task["task"],
            "schedule": crontab(minute=f"*/{task['minutes']}"),
        }

    def build_schedule():                                # a function that returns it
        schedule = {"cleanup": {...}}
        schedule["report"] = {...}
        for name, spec in EXTRA.items():
            schedule[name] = spec
        return schedule

    CELERY_BEAT_SCHEDULE = build_schedule()

Each element of the literal the loop walks is bound to the loop's names and the assignment
is read as if written out, placed at that element (where the data is). A function is read
when it only builds one dict: it starts from a literal (or `{}`), assigns entries,
updates it with literals, loops over literals, and returns it; anything else leaves the
schedule opaque, as before. A loop over something that is not a literal, or whose
entries have no `task`, declares nothing: a loop over data is not a schedule by itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from .context import FileContext
from .names import dotted_expr, last_part

BEAT_NAMES = frozenset({"beat_schedule", "CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"})
MAX_ELEMENTS = 500  # a literal longer than this is data, not a schedule

Entry = tuple[Any, ast.expr, ast.AST, dict[str, ast.expr]]  # key, value, where, bindings


def module_loops(ctx: FileContext) -> Iterator[Entry]:
    """Entries that module-level loops assign into a beat schedule."""
    for stmt in _flat(ctx.module_statements):
        if isinstance(stmt, ast.For):
            for key_node, value, where, bindings in _loop(ctx, stmt, _is_beat_target):
                key = _key(ctx, key_node, bindings)
                if key is not None:
                    yield key, value, where, bindings


def built_by(ctx: FileContext, value: ast.expr) -> list[Entry] | None:
    """The entries a same-file function returns, for `SCHEDULE = build()`; None when the
    function does more than build one dict (or is not this file's)."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
        return None
    if value.args or value.keywords:
        return None
    nodes = ctx.function_nodes.get(value.func.id, [])
    if len(nodes) != 1:
        return None
    return _builder(ctx, nodes[0])


def _flat(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in statements:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _flat(stmt.body)
            yield from _flat(stmt.orelse)


def _is_beat_target(target: ast.expr) -> bool:
    return last_part(dotted_expr(target)) in BEAT_NAMES


def _loop(
    ctx: FileContext, loop: ast.For, is_target: Any, outer: dict[str, ast.expr] | None = None
) -> Iterator[tuple[ast.expr, ast.expr, ast.AST, dict[str, ast.expr]]]:
    """(key node, value node, where, bindings) of `target[key] = value` in a loop's body,
    once per element of the literal it walks."""
    assigns = [
        s
        for s in loop.body
        if isinstance(s, ast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], ast.Subscript)
        and is_target(s.targets[0].value)
    ]
    if not assigns:
        return
    for element, bindings in elements(ctx, loop, outer or {}):
        for stmt in assigns:
            target = stmt.targets[0]
            assert isinstance(target, ast.Subscript)
            yield target.slice, stmt.value, element, bindings


def elements(
    ctx: FileContext, loop: ast.For, outer: dict[str, ast.expr]
) -> Iterator[tuple[ast.AST, dict[str, ast.expr]]]:
    """Each element of the literal `loop` walks, with the loop's names bound to it."""
    iterable = loop.iter
    items = False
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute):
        if iterable.func.attr == "items" and not iterable.args:
            iterable, items = iterable.func.value, True
    literal = _literal(ctx, iterable, outer)
    if items:
        if not isinstance(literal, ast.Dict) or not isinstance(loop.target, ast.Tuple):
            return
        names = [n.id for n in loop.target.elts if isinstance(n, ast.Name)]
        if len(names) != 2 or len(literal.keys) > MAX_ELEMENTS:
            return
        for key, value in zip(literal.keys, literal.values, strict=True):
            if key is not None:
                yield key, {**outer, names[0]: key, names[1]: value}
        return
    if not isinstance(literal, ast.List | ast.Tuple) or not isinstance(loop.target, ast.Name):
        return
    if len(literal.elts) > MAX_ELEMENTS:
        return
    for element in literal.elts:
        if not isinstance(element, ast.Starred):
            yield element, {**outer, loop.target.id: element}


def _literal(ctx: FileContext, node: ast.expr, outer: dict[str, ast.expr]) -> ast.expr | None:
    for _ in range(5):
        if isinstance(node, ast.Name):
            found = outer.get(node.id, ctx.constants.get(node.id))
            if found is None:
                return None
            node = found
        else:
            return node
    return None


def _key(ctx: FileContext, node: ast.expr, bindings: dict[str, ast.expr]) -> Any:
    key = _evaluate(ctx, node, bindings)
    return key if isinstance(key, str) else None


def _evaluate(ctx: FileContext, node: ast.expr, bindings: dict[str, ast.expr]) -> Any:
    from .names import Evaluator

    return Evaluator(ctx.imports, {**ctx.constants, **bindings}).value(node)


def _builder(ctx: FileContext, function: ast.AST) -> list[Entry] | None:
    body = list(function.body)  # type: ignore[attr-defined]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        return None
    returned = body[-1].value
    if isinstance(returned, ast.Dict):
        return _dict_entries(ctx, returned, {})
    if not isinstance(returned, ast.Name):
        return None
    name = returned.id
    entries: list[Entry] = []
    local: dict[str, ast.expr] = {}  # names the function binds to literals

    def is_name(target: ast.expr) -> bool:
        return isinstance(target, ast.Name) and target.id == name

    for stmt in body[:-1]:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if is_name(target) and isinstance(stmt.value, ast.Dict):
                entries = _dict_entries(ctx, stmt.value, local)  # starts (over) from a literal
            elif isinstance(target, ast.Subscript) and is_name(target.value):
                key = _key(ctx, target.slice, local)
                if key is None:
                    return None
                entries.append((key, stmt.value, target.slice, dict(local)))
            elif isinstance(target, ast.Name) and target.id != name:
                local[target.id] = stmt.value
            else:
                return None
        elif isinstance(stmt, ast.For):
            for key_node, value, where, bindings in _loop(ctx, stmt, is_name, local):
                key = _key(ctx, key_node, bindings)
                if key is None:
                    return None
                entries.append((key, value, where, bindings))
        elif isinstance(stmt, ast.Expr) and _is_update(stmt.value, name):
            call = stmt.value
            assert isinstance(call, ast.Call)
            if len(call.args) != 1 or not isinstance(call.args[0], ast.Dict) or call.keywords:
                return None
            entries += _dict_entries(ctx, call.args[0], local)
        else:
            return None  # anything else: the function does more than build a literal
    return entries


def _is_update(node: ast.expr, name: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "update"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == name
    )


def literal_entries(ctx: FileContext, node: ast.Dict) -> list[Entry]:
    """The written-out entries of a dict that also spreads others (`{**BASE, "x": {...}}`)."""
    return _dict_entries(ctx, node, {})


def _dict_entries(ctx: FileContext, node: ast.Dict, bindings: dict[str, ast.expr]) -> list[Entry]:
    out: list[Entry] = []
    for key_node, value in zip(node.keys, node.values, strict=True):
        if key_node is None:
            continue  # {**BASE}: read where BASE is, when it is this file's
        key = _key(ctx, key_node, bindings)
        if key is not None:
            out.append((key, value, key_node, dict(bindings)))
    return out


# --- across modules ------------------------------------------------------------------
#
#     from app.schedules.base import BASE            # BASE = {"cleanup": {"task": ...}}
#     from app.schedules.build import build_schedule
#
#     CELERY_BEAT_SCHEDULE = {**BASE, **build_schedule()}
#
# The expression is opaque here; `references` names what it is made of, and each module
# offers the beat-shaped dicts and builders it defines as pending entries (`pending`).
# The project pass (link_beat.py) keeps the pending entries an opaque schedule refers to,
# placed where they are written, and drops the rest.


def references(ctx: FileContext, node: ast.expr) -> tuple[list[str], list[ast.Dict]] | None:
    """(absolute names of the dicts and builders a schedule expression is made of, its
    literal parts), or None when some part is neither."""
    names: list[str] = []
    literals: list[ast.Dict] = []
    todo = [node]
    while todo:
        part = todo.pop()
        if isinstance(part, ast.BinOp) and isinstance(part.op, ast.BitOr):
            todo += [part.left, part.right]  # BASE | EXTRA
        elif isinstance(part, ast.Dict):
            literals.append(part)
            todo += [
                value for key, value in zip(part.keys, part.values, strict=True) if key is None
            ]
        elif isinstance(part, ast.Call) and dotted_expr(part.func) == "dict" and not part.args:
            todo += [kw.value for kw in part.keywords if kw.arg is None]
        elif isinstance(part, ast.Call) and not part.args and not part.keywords:
            text = dotted_expr(part.func)  # build_schedule(), AppConfig.beat_schedule()
            if text is None:
                return None
            names.append(_absolute(ctx, text))
        elif isinstance(part, ast.Name | ast.Attribute):
            text = dotted_expr(part)
            if text is None or text in ctx.constants:
                return None  # a name of this file the evaluator could not read
            names.append(_absolute(ctx, text))
        else:
            return None
    return names, literals


def _absolute(ctx: FileContext, text: str) -> str:
    if ctx.imports.is_imported(text):
        return ctx.imports.resolve_text(text)
    return f"{ctx.module}.{text}" if ctx.module else text


def pending(ctx: FileContext) -> Iterator[tuple[str, Entry]]:
    """(name, entry) of each beat-shaped module dict and same-file builder: a schedule
    another module may be made of."""
    for name, value in ctx.constants.items():
        if name in BEAT_NAMES:
            continue  # declared here already
        if isinstance(value, ast.Dict) and _beat_shaped(ctx, value):
            for entry in _dict_entries(ctx, value, {}):
                yield name, entry
    for qualname, nodes in ctx.function_nodes.items():
        if len(nodes) != 1 or "<locals>" in qualname:
            continue
        entries = _builder(ctx, nodes[0])
        if entries and any(_has_task(value) for _, value, _, _ in entries):
            for entry in entries:
                yield qualname, entry


def _beat_shaped(ctx: FileContext, node: ast.Dict) -> bool:
    """A dict whose values are literal dicts, one at least with a "task" key."""
    if not node.values or any(k is None for k in node.keys):
        return False
    return all(isinstance(v, ast.Dict) for v in node.values) and any(
        _has_task(v) for v in node.values
    )


def _has_task(node: ast.expr) -> bool:
    return isinstance(node, ast.Dict) and any(
        isinstance(k, ast.Constant) and k.value == "task" for k in node.keys
    )
