"""Evidence gathered inside one function body: locks, forever-loops, blocking calls."""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..lock_calls import is_lock_call, sql_takes_lock
from ..model import FunctionFacts
from .blocking import blocking_name, client_family
from .names import ImportTable, chained_text, dotted_expr, last_part, resolves_into

SLEEPS = ("asyncio.sleep", "time.sleep", "anyio.sleep", "trio.sleep", "gevent.sleep")

# Locks that only guard one process: they do not stop other replicas.
LOCAL_LOCKS = ("asyncio", "threading", "multiprocessing", "anyio", "trio")


class FunctionEvidence:
    """Accumulates facts for the innermost function being visited."""

    def __init__(self, facts: FunctionFacts, imports: ImportTable) -> None:
        self.facts = facts
        self.imports = imports
        # (name, node) of blocking calls; positions are known once the visit is over
        self.blocking: list[tuple[str, ast.Call]] = []
        # (callee as written, node) of calls a coroutine makes without awaiting them:
        # BGT040 follows them one level into the project's own sync functions
        self.sync_calls: list[tuple[str, ast.Call]] = []
        self.clients: dict[str, str] = {}  # local name -> package of a sync client
        self.forever_depth = 0
        self.decorator_calls: set[int] = set()  # ids of the function's decorator calls

    def enter_while(self, test: ast.expr) -> None:
        if _is_forever(test):
            self.forever_depth += 1

    def leave_while(self, test: ast.expr) -> None:
        if _is_forever(test):
            self.forever_depth -= 1

    def call(self, node: ast.Call, resolved: str | None, awaited: bool, deferred: bool) -> None:
        """`deferred`: inside a lambda, which runs when (and where) it is called."""
        if not resolved:
            return
        if self.forever_depth and (resolved in SLEEPS or last_part(resolved) == "sleep"):
            self.facts.loops_forever_with_sleep = True
        # Kept for sync functions too: a coroutine that calls one blocks as well.
        blocking = None if deferred else blocking_name(resolved, self.clients)
        if blocking is not None and (resolved != "open" or "open" not in self.imports.names):
            self.blocking.append((blocking, node))
        elif self.facts.is_async and not awaited and not deferred:
            written = dotted_expr(node.func)
            if written is not None:
                self.sync_calls.append((written, node))
        method = last_part(resolved)
        if method == "acquire" and "lock" in resolved.lower():
            self._took_lock(None)
        elif method == "set" and _has_true_kwarg(node, "nx"):
            # SET key value NX EX ttl: the usual home-made Redis lock.
            self._took_lock(_first_string(node))
        elif (
            is_lock_call(method)
            and not resolves_into(resolved, *LOCAL_LOCKS)
            and id(node) not in self.decorator_calls  # a lock decorator counts as such
        ):
            # run_with_lock(...), pg_try_advisory_lock(...), select_for_update()
            self._took_lock(_first_string(node))
        elif method == "execute" and sql_takes_lock(node):
            self._took_lock(None)

    def finish(self, position: Callable[[ast.AST], tuple[int, int]]) -> None:
        self.facts.blocking_calls = [(name, *position(node)) for name, node in self.blocking]
        self.facts.calls = [(name, *position(node)) for name, node in self.sync_calls]

    def assigned(self, name: str, value: ast.expr) -> None:
        """`s3 = boto3.client("s3")`: calls on `s3` do network I/O."""
        if isinstance(value, ast.Call):
            func = value.func
            text = dotted_expr(func)
            if text is None and isinstance(func, ast.Attribute):
                text = chained_text(func)
            family = client_family(self.imports.resolve_text(text) if text else None)
            if family is not None:
                self.clients[name] = family

    def with_item(self, item: ast.Call) -> None:
        func = item.func
        text = dotted_expr(func)
        if text is None and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            # `Redis.from_url(url).lock(...)`: named after the call that made the receiver,
            # so a process-local lock made in place (`multiprocessing.Manager().Lock`) is
            # still told apart.
            text = chained_text(func)
        resolved = self.imports.resolve_text(text) if text else ""
        if resolves_into(resolved, *LOCAL_LOCKS):
            return
        name = last_part(resolved)
        if name in ("lock", "lock_task") or name.endswith("Lock") or name.endswith("_lock"):
            self._took_lock(_first_string(item))  # lock_task: huey's, also a context manager

    def decorator(self, node: ast.expr) -> None:
        """`@huey.lock_task("name")`, `@distributed_lock("name")`: the lock's name.

        Whether a decorator locks is decided at link time (`lock-decorators` in the
        configuration); the name is kept for every decorator that looks like a lock."""
        if isinstance(node, ast.Call) and "lock" in last_part(dotted_expr(node.func)).lower():
            key = _first_string(node)
            if key and not self.facts.lock_key:
                self.facts.lock_key = key

    def _took_lock(self, key: str | None) -> None:
        self.facts.takes_lock = True
        if key and not self.facts.lock_key:
            self.facts.lock_key = key


def _is_forever(test: ast.expr) -> bool:
    """`while True:` or `while 1:`."""
    if not isinstance(test, ast.Constant):
        return False
    return test.value is True or (type(test.value) is int and test.value != 0)


def _has_true_kwarg(node: ast.Call, name: str) -> bool:
    for keyword in node.keywords:
        if keyword.arg == name:
            return isinstance(keyword.value, ast.Constant) and keyword.value.value is True
    return False


def _first_string(node: ast.Call) -> str | None:
    """The lock's name: the first argument, or `name=` / `key=`; f-string holes as `{}`."""
    candidates = [*node.args, *(k.value for k in node.keywords if k.arg in ("name", "key"))]
    if not candidates:
        return None
    first = candidates[0]
    if isinstance(first, ast.Constant):
        return first.value if isinstance(first.value, str) else None
    if isinstance(first, ast.JoinedStr):
        key = "".join(
            str(part.value) if isinstance(part, ast.Constant) else "{}" for part in first.values
        )
        return key if key.strip() else None  # blank: newer grammar, blanked (downgrade.py)
    return None
