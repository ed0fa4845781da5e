"""BGT023 (unsafe): move a bare module-level `scheduler.start()` into the module's FastAPI
lifespan, right before its `yield`.

Only when that is unambiguous: the statement is `<name>.start()` alone at module level,
the same module builds `FastAPI(..., lifespan=<function>)` once, and that function is a
module-level `async def` with exactly one `yield`, in its body or a `try` of its body.
Unsafe: the scheduler now starts when the app starts, not when the module is imported
(which is the point, but scripts and tests that imported it got a running scheduler).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from ..model import Finding
from .python_file import PythonFile


def plan(file: PythonFile, finding: Finding) -> str | None:
    statement = _start_statement(file, finding.location.line)
    if statement is None:
        return "not a bare `<scheduler>.start()` statement at module level"
    receiver = statement.body[0].value.func.value.value  # type: ignore[attr-defined]
    lifespan = _lifespan(file)
    if isinstance(lifespan, str):
        return lifespan
    if any(p.name.value == receiver for p in lifespan.params.params):
        return f"the lifespan has a parameter named `{receiver}`"
    anchor = _yield_statement(lifespan)
    if anchor is None:
        return "the lifespan has no single `yield` statement to start the scheduler before"
    file.plan.replace[statement] = []
    moved = file.statement(f"{receiver}.start()\n")
    # its own comments (`# start the jobs`) move with it
    comments = [line for line in statement.leading_lines if line.comment is not None]
    moved = moved.with_changes(leading_lines=comments)
    file.plan.before.setdefault(anchor, []).append(moved)
    return None


def _start_statement(file: PythonFile, line: int) -> cst.SimpleStatementLine | None:
    for statement in file.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        if file.position(statement).start.line != line:
            continue
        pattern = m.SimpleStatementLine(
            body=[m.Expr(m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("start")), args=[]))]
        )
        return statement if m.matches(statement, pattern) else None
    return None


def _lifespan(file: PythonFile) -> cst.FunctionDef | str:
    """The one function this module passes as `FastAPI(lifespan=...)`, or why not."""
    names = set()
    fastapi = m.Call(func=m.Name("FastAPI") | m.Attribute(attr=m.Name("FastAPI")))
    for call in m.findall(file.module, fastapi):
        assert isinstance(call, cst.Call)
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "lifespan":
                if not isinstance(arg.value, cst.Name):
                    return "the FastAPI lifespan is not a plain function name"
                names.add(arg.value.value)
    if len(names) != 1:
        return "no single FastAPI(lifespan=...) in this module"
    name = names.pop()
    found = [
        s
        for s in file.module.body
        if isinstance(s, cst.FunctionDef) and s.name.value == name and s.asynchronous
    ]
    if len(found) != 1:
        return f"`{name}` is not one async function of this module"
    return found[0]


def _yield_statement(function: cst.FunctionDef) -> cst.SimpleStatementLine | None:
    yields = m.findall(function, m.Yield())
    if len(yields) != 1:
        return None
    body = function.body
    candidates = list(body.body) if isinstance(body, cst.IndentedBlock) else []
    for statement in list(candidates):
        if isinstance(statement, (cst.Try, cst.With)) and isinstance(
            statement.body, cst.IndentedBlock
        ):
            candidates.extend(statement.body.body)
    for statement in candidates:
        if isinstance(statement, cst.SimpleStatementLine) and m.findall(statement, m.Yield()):
            return statement
    return None
