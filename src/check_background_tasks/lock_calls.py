"""Calls that take a lock shared by every process, recognised by name.

Outside `extract/`: the deploy stage asks too (a job that runs through `run_with_lock`), and
a cached run must not import the extractors.

`FunctionEvidence` (extract/definitions.py) already sees `with x.lock(...)`, `lock.acquire()` and
Redis `SET ... NX`. These are the other common forms:

- a project's lock wrapper: `ProcessLockAdapters.run_with_lock(func, ...)`,
  `run_with_process_lock(...)`, `acquire_lock("x")`, `try_lock(...)`;
- database locks: PostgreSQL advisory locks (`pg_try_advisory_lock`, called or in SQL
  text), MySQL `GET_LOCK(...)`, SQL Server `sp_getapplock`; row locks
  (`select_for_update()`, SQLAlchemy `with_for_update()`), which make a second process
  wait for (or, with skip_locked, skip) the rows the first one holds.

Reading a lock (`get_process_lock`, `is_locked`) or releasing one (`unlock`) is not taking it.
"""

from __future__ import annotations

import ast
import re

LOCK_CALL = re.compile(
    r"^(?:"
    r"(?:run|call|execute|exec|do|invoke)_?(?:with|under|in)_\w*lock\w*"
    r"|with_\w*lock"
    r"|(?:acquire|take|try|obtain|grab|hold)_\w*lock\w*"
    r"|try_?lock"
    r"|run_(?:locked|exclusive\w*)"
    r"|pg_(?:try_)?advisory_(?:xact_)?lock(?:_shared)?"
    r"|select_for_update|with_for_update"
    r")$",
    re.IGNORECASE,
)
LOCK_SQL = re.compile(
    r"pg_(?:try_)?advisory_(?:xact_)?lock|\bGET_LOCK\s*\(|sp_getapplock|FOR\s+UPDATE",
    re.IGNORECASE,
)


def is_lock_call(name: str) -> bool:
    """A callee's last name that takes a shared lock (`run_with_lock`, ...)."""
    return bool(name) and LOCK_CALL.match(name) is not None


def sql_takes_lock(node: ast.Call) -> bool:
    """`session.execute(text("SELECT pg_try_advisory_lock(42)"))` and the like."""
    for arg in node.args[:2]:
        if isinstance(arg, ast.Call) and arg.args:  # text("...")
            arg = arg.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            if LOCK_SQL.search(arg.value):
                return True
    return False
