"""Evidence gathered inside one function body: locks, forever-loops, blocking calls."""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..model import FunctionFacts
from .lock_calls import is_lock_call, sql_takes_lock
from .names import ImportTable, chained_text, dotted_expr, last_part, resolves_into

# Calls that block the event loop when made from a coroutine.
BLOCKING_CALLS = (
    "time.sleep",
    "requests.get",
    "requests.post",
    "requests.put",
    "requests.patch",
    "requests.delete",
    "requests.head",
    "requests.request",
    "httpx.get",
    "httpx.post",
    "httpx.put",
    "httpx.patch",
    "httpx.delete",
    "httpx.request",
    "urllib.request.urlopen",
    "socket.create_connection",
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "os.system",
    "open",
)

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
        self.forever_depth = 0
        self.decorator_calls: set[int] = set()  # ids of the function's decorator calls

    def enter_while(self, test: ast.expr) -> None:
        if _is_forever(test):
            self.forever_depth += 1

    def leave_while(self, test: ast.expr) -> None:
        if _is_forever(test):
            self.forever_depth -= 1

    def call(self, node: ast.Call, resolved: str | None) -> None:
        if not resolved:
            return
        if self.forever_depth and (resolved in SLEEPS or last_part(resolved) == "sleep"):
            self.facts.loops_forever_with_sleep = True
        if self.facts.is_async and resolved in BLOCKING_CALLS:
            if resolved != "open" or "open" not in self.imports.names:
                self.blocking.append((resolved, node))
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
        if name == "lock" or name.endswith("Lock") or name.endswith("_lock"):
            self._took_lock(_first_string(item))

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
