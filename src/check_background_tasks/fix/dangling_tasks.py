"""BGT021 (unsafe): keep a reference to a task whose result was thrown away.

    asyncio.create_task(work())
becomes
    task = asyncio.create_task(work())
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)

with `_background_tasks: set[asyncio.Task] = set()` declared once per module, after the
imports. A task kept only in an unused local (`t = asyncio.create_task(...)`) gets the
last two lines. Unsafe: the task now lives until it finishes, where before it could be
collected (which is the bug, but a change of behaviour all the same).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from ..model import Finding
from . import module_header
from .python_file import PythonFile

REGISTRY = "_background_tasks"
STARTERS = frozenset({"create_task", "ensure_future"})
TASK_NAMES = ("task", "_task", "bg_task", "background_task")


def _starter(call: cst.Call) -> bool:
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
    return name in STARTERS


def plan(file: PythonFile, finding: Finding) -> str | None:
    line = finding.location.line
    calls = [c for c in file.nodes_at(cst.Call, line) if _starter(c)]
    if len(calls) > 1:
        calls = [c for c in calls if file.position(c).start.column == finding.location.column - 1]
    if len(calls) != 1:
        if any(
            m.matches(c.func, m.Attribute(attr=m.Name("run_coroutine_threadsafe")))
            for c in file.nodes_at(cst.Call, line)
        ):
            return "a run_coroutine_threadsafe future is no asyncio.Task: keep it by hand"
        return "no single create_task/ensure_future call at this line"
    call = calls[0]
    statement = file.statement_of(call)
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return "the call is not a statement of its own"
    if _in_task_group(file, statement):
        return "inside a TaskGroup, which keeps its tasks"
    small = statement.body[0]
    if m.matches(small, m.Expr()) and small.value is call:  # type: ignore[attr-defined]
        name = _free_name(file, statement)
        if name is None:
            return "no free local name for the task"
        keep: list[cst.BaseStatement] = [
            statement.with_changes(body=[cst.Assign([cst.AssignTarget(cst.Name(name))], call)])
        ]
    elif (
        isinstance(small, cst.Assign)
        and small.value is call
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
    ):
        name = small.targets[0].target.value
        keep = [statement]
    else:
        return "the task is neither thrown away nor kept in one local name"
    start = _declare(file)
    if start is None:
        return f"`{REGISTRY}` cannot be declared before this line"
    if file.position(statement).start.line <= start:
        return f"`{REGISTRY}` cannot be declared before this line"
    keep.append(file.statement(f"{REGISTRY}.add({name})\n"))
    keep.append(file.statement(f"{name}.add_done_callback({REGISTRY}.discard)\n"))
    file.plan.replace[statement] = keep
    return None


def _in_task_group(file: PythonFile, statement: cst.CSTNode) -> bool:
    for parent in file.ancestors(statement):
        if isinstance(parent, cst.With) and any(
            "TaskGroup" in file.code(item.item) for item in parent.items
        ):
            return True
    return False


def _scope(file: PythonFile, statement: cst.CSTNode) -> cst.CSTNode:
    for parent in file.ancestors(statement):
        if isinstance(parent, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return parent
    return file.module


def _free_name(file: PythonFile, statement: cst.CSTNode) -> str | None:
    scope = _scope(file, statement)
    used = {n.value for n in m.findall(scope, m.Name()) if isinstance(n, cst.Name)}
    if scope is not file.module:
        used |= {n.value for n in m.findall(file.module, m.Name()) if isinstance(n, cst.Name)}
    return next((name for name in TASK_NAMES if name not in used), None)


def _declare(file: PythonFile) -> int | None:
    """Declare the registry once (and import asyncio if the module does not): the line
    after which it stands, or None when it cannot."""
    module = file.module
    index = module_header.after_imports(module)
    if index < len(module.body):
        line = file.position(module.body[index]).start.line - 1
    else:
        line = file.position(module).end.line
    if module_header.assigns(module, REGISTRY) or index in file.plan.header:
        return line
    header: list[cst.BaseStatement] = []
    if not module_header.imports_module(module, "asyncio"):
        header.append(file.statement("import asyncio\n"))
    declaration = file.statement(f"{REGISTRY}: set[asyncio.Task] = set()\n")
    if index < len(module.body):
        # one blank line between the imports and the declaration, none lost before the next
        declaration = declaration.with_changes(leading_lines=[cst.EmptyLine()])
    header.append(declaration)
    file.plan.header[index] = header
    return line
