"""Which branch of an `if` / `try` / `match` each job declaration sits in.

    if MODE == "spider":
        s.add_job(refresh, "cron", id="refresh-spider", hour=1)
    else:
        s.add_job(refresh, "interval", id="refresh", minutes=30)

Only one of these runs: they are alternatives, not two jobs. The collector records the
line span of every arm; a job's path is the arms around its line, outermost first, each
named by its statement's position and the arm's index. Two declarations of one file are
mutually exclusive when their paths first part at one statement, in different arms
(`link.alternatives`).
"""

from __future__ import annotations

import ast

from ..model import RawJob

# (statement line, statement column, arm index, first line, last line)
Arm = tuple[int, int, int, int, int]


def _first_line(stmt: ast.stmt) -> int:
    """A decorated definition starts at its first decorator (where its job is placed)."""
    decorators = getattr(stmt, "decorator_list", None)
    if decorators:
        return min(stmt.lineno, *(d.lineno for d in decorators))
    return stmt.lineno


def arm(stmt: ast.stmt, index: int, body: list[ast.stmt]) -> Arm | None:
    if not body:
        return None
    last = body[-1]
    end = getattr(last, "end_lineno", None) or last.lineno
    return (stmt.lineno, stmt.col_offset, index, _first_line(body[0]), end)


def arms_of(stmt: ast.stmt) -> list[Arm]:
    """The mutually exclusive arms of an if / try / match statement."""
    found: list[Arm | None] = []
    if isinstance(stmt, ast.If):
        found = [arm(stmt, 0, stmt.body), arm(stmt, 1, stmt.orelse)]
    elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
        # `else` runs only when the body finished without an exception: the body's arm
        # (a second span, past the handlers), against the handlers. `finally` always
        # runs: no arm.
        found = [arm(stmt, 0, stmt.body), arm(stmt, 0, stmt.orelse)]  # type: ignore[attr-defined]
        handlers = stmt.handlers  # type: ignore[attr-defined]
        found += [arm(stmt, i + 1, h.body) for i, h in enumerate(handlers)]
    elif type(stmt).__name__ == "Match":
        cases = stmt.cases  # type: ignore[attr-defined]
        found = [arm(stmt, i, case.body) for i, case in enumerate(cases)]
    return [a for a in found if a is not None]


def place(jobs: list[RawJob], arms: list[Arm]) -> None:
    """Give each job the path of arms around its line."""
    if not arms or not jobs:
        return
    ordered = sorted(arms, key=lambda a: (a[3], -a[4], a[0], a[1]))  # outer arms first
    for job in jobs:
        job.branches = tuple((a[0], a[1], a[2]) for a in ordered if a[3] <= job.line <= a[4])
