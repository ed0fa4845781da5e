"""Threads a file starts: `threading.Thread(target=f, ...)` followed by `.start()`.

    worker = threading.Thread(target=consume_queue, daemon=True)
    worker.start()                         # or threading.Thread(target=f).start()

Each becomes a `thread` record, placed at the constructor. Only a thread whose target
loops forever with a sleep is kept by the project pass (link_loops.py): it is then a
home-made scheduler of kind `loop`; any other thread is not a background job.
A thread that is built but never started here (handed elsewhere) is not recorded.
"""

from __future__ import annotations

import ast

from .context import CallSite, FileContext, arg_value
from .names import resolves_into

CALL_NAMES = frozenset({"Thread", "start"})
THREAD_CLASSES = ("threading.Thread",)


def collect(ctx: FileContext) -> None:
    threads = [
        s for s in ctx.calls if s.method == "Thread" and resolves_into(s.func, *THREAD_CLASSES)
    ]
    if not threads:
        return
    starts = [s for s in ctx.calls if s.method == "start"]
    started_in_place = {id(_called_on(s)) for s in starts if _called_on(s) is not None}
    assigned = {id(a.value): a.target_text for a in ctx.assigns if a.subscript_key is None}
    for site in threads:
        target = arg_value(site.node, 1, "target")  # Thread(group=None, target=None, ...)
        if target is None:
            continue
        if id(site.node) in started_in_place or _started_later(
            site, assigned.get(id(site.node)), starts
        ):
            ctx.add(
                "thread",
                site.node,
                ctx.target_ref(target, site.enclosing_class, site.enclosing),
                None,
                site=site,
                periodic=False,
                extra={"via": "threading.Thread", "under_main_guard": site.under_main_guard},
            )


def _called_on(site: CallSite) -> ast.Call | None:
    """`threading.Thread(...)` of `threading.Thread(...).start()`."""
    func = site.node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        return func.value
    return None


def _started_later(site: CallSite, name: str | None, starts: list[CallSite]) -> bool:
    """`name.start()` in the same function (for `self.x`, in any method of the class)."""
    if name is None:
        return False
    for start in starts:
        if start.receiver_text != name:
            continue
        if start.enclosing == site.enclosing:
            return True
        if name.startswith("self.") and start.enclosing_class == site.enclosing_class:
            return True
    return False
