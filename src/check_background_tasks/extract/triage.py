"""Does this file declare anything at all? Decided on the ast, before the collector.

The byte prefilter lets through every file that mentions, say, `.task` or `sched`; most
of those only import a task module or call `thread.start()`. One `ast.walk` with a few
isinstance tests costs a fraction of the collector's full visit, so a file goes on to
the collector only when its ast shows a shape some extractor could turn into a job, a
task or a scheduler. Files that define the targets of
jobs are parsed in full by the project pass whatever this says.
"""

from __future__ import annotations

import ast

# Modules whose import alone makes a file worth reading: it may build a scheduler, an
# app or a broker that another file's `x.add_job(...)` refers to.
FRAMEWORK_ROOTS = frozenset(
    {
        "apscheduler",
        "celery",
        "taskiq",
        "huey",
        "arq",
        "locked_scheduler",
        "flask_apscheduler",
    }
)
JOB_CALLS = frozenset(
    {"add_job", "add_schedule", "add_periodic_task", "create_task", "ensure_future", "add_task"}
)
JOB_DECORATORS = frozenset(
    {"task", "shared_task", "scheduled_job", "job", "periodic_task", "db_periodic_task"}
)


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _text(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _schedule_target(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript):
        node = node.value
    text = _text(node)
    return "SCHEDULE" in text.upper()


def _interesting_call(node: ast.Call) -> bool:
    name = _name(node.func)
    if name in JOB_CALLS:
        return True
    if name == "cron" and isinstance(node.func, ast.Name):
        return True
    receiver = _text(node.func.value) if isinstance(node.func, ast.Attribute) else ""
    if name in ("start", "schedule") and "sched" in receiver.lower():
        return True
    if name == "update" and (receiver.endswith("conf") or "SCHEDULE" in receiver.upper()):
        return True
    # app.task(name="x")(func): a task registered without a decorator
    return isinstance(node.func, ast.Call) and _name(node.func.func) in JOB_DECORATORS


# Nodes that cannot hold a declaration: never pushed on the walk's stack.
LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop)


def declares_something(tree: ast.AST) -> bool:
    stack = [tree]
    while stack:
        node = stack.pop()
        if _declares(node):
            return True
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                stack.extend(
                    v for v in value if isinstance(v, ast.AST) and not isinstance(v, LEAVES)
                )
            elif isinstance(value, ast.AST) and not isinstance(value, LEAVES):
                stack.append(value)
    return False


def _declares(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return _interesting_call(node)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for decorator in node.decorator_list:
            func = decorator.func if isinstance(decorator, ast.Call) else decorator
            if _name(func) in JOB_DECORATORS:
                return True
        return False
    if isinstance(node, ast.Assign):
        return any(_schedule_target(t) for t in node.targets)
    if isinstance(node, ast.AnnAssign):
        return _schedule_target(node.target)
    if isinstance(node, ast.ImportFrom):
        root = (node.module or "").split(".")[0]
        return root in FRAMEWORK_ROOTS and not node.level
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] in FRAMEWORK_ROOTS for alias in node.names)
    return False
