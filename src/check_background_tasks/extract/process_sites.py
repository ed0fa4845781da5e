"""What one Python file tells the process model: where schedulers start, and when.

The deploy stage (deploy/processes.py) decides how many processes run each in-app
scheduler. From a file it needs

- each `scheduler.start()`: which scheduler (a project-wide identity, so that jobs added in
  one module and a start in another meet), and *when* the call runs: at import (module
  level, or a function or constructor called there), under `if __name__ == "__main__"`, in
  an app's start-up hook, or in some other function (known only through its callers);
- whether the start is gated by a leader election (`start(paused=True)` beside a plain
  `start()`, or `if is_leader: scheduler.start()`);
- servers the file starts itself (`uvicorn.run("pkg.main:app", workers=4)`,
  `uvicorn.Server(Config(...)).run()`, which runs one process whatever `workers` says);
- the project functions each function calls (a lock taken one call deep) and those called
  at import / main / start-up (the one hop across files a start site may need);
- a gunicorn configuration file's `workers`, `preload_app`;
- Celery beat started from code (`app.Beat().run()`, `app.worker_main([..., "--beat"])`:
  extract/beat_starts.py).

Contexts are followed inside the file through plain calls, constructors and `self.method()`
calls, a few levels deep; anything else is left to the callers other files name.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from collections.abc import Iterable
from typing import Any

from ..model import CliFacts, FunctionFacts, Launch, ProcessFacts, StartSite, Switch
from . import cli_commands
from .beat_starts import BeatFinder
from .context import FileContext, arg_value, kwarg
from .import_scan import import_statements
from .import_sites import import_sites
from .names import EnvValue, dotted_expr, last_part, resolves_into
from .switches import SwitchReader

SCHEDULER_KINDS = ("apscheduler", "apscheduler4", "locked_scheduler")
BUILTIN_NAMES = frozenset(dir(builtins))
MAX_DEPTH = 4
MAX_CALLS_PER_FUNCTION = 40
MAX_CALLS_AT_MODULE_LEVEL = 200
# Scopes of code that is no function: module level, and under `if __name__ == "__main__"`.
MODULE_SCOPE, MAIN_SCOPE = "<module>", "<main>"
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))

# A test that elects this process: `if is_leader()`, `if self.leader`, `if elected:`.
LEADER_WORDS = re.compile(r"leader|is_master|is_primary|elected", re.IGNORECASE)
# ... or takes a lock that only one process gets: `if lock.acquire(blocking=False):`.
LOCK_TEST = re.compile(
    r"(lock\w*\.acquire|acquire_\w*lock|try_?lock|pg_try_advisory|\.set\(.*nx\s*=\s*True)",
    re.IGNORECASE,
)
LOCAL_LOCK_ROOTS = ("asyncio", "threading", "multiprocessing", "anyio", "trio")

# Django's AppConfig.ready and similar run once per process at start-up.
STARTUP_METHODS = frozenset({"ready"})


class _Call:
    __slots__ = ("callee", "context", "enclosing", "local", "node", "text")

    def __init__(self, text: str, enclosing: str | None, main: bool, node: ast.Call) -> None:
        self.text = text
        self.enclosing = enclosing
        self.context = "main" if main else "import"  # when enclosing is None
        self.node = node
        self.local: str | None = None  # a function of this file it runs (qualname)
        self.callee: str | None = None  # a project function it runs (dotted)


CallLog = list[tuple[str, str | None, bool, ast.Call]]


def collect(
    ctx: FileContext,
    functions: list[FunctionFacts],
    function_nodes: Iterable[tuple[Any, ast.AST]],
    call_log: CallLog,
    tree: ast.AST,
    source: bytes,
    is_package: bool,
) -> ProcessFacts:
    # A builtin called by its own name (len, isinstance, print: a third of all calls) is
    # never a project function, unless this file shadows the name.
    shadowed = {fn.qualname.partition(".")[0] for fn in functions} | set(ctx.imports.names)
    calls = [
        _Call(*entry) for entry in call_log if entry[0] not in BUILTIN_NAMES or entry[0] in shadowed
    ]
    cli, branched = cli_commands.collect(ctx, call_log, tree, source)
    pass_ = _FilePass(ctx, functions, function_nodes, calls, tree, set(branched))
    statements = import_statements(source, ctx.module, is_package)
    facts = ProcessFacts(imports=list(dict.fromkeys(n for _, _, ns in statements for n in ns)))
    facts.import_sites = import_sites(statements, pass_.nodes, pass_.switches.at)
    facts.starts = pass_.start_sites()
    facts.job_schedulers = pass_.job_schedulers()
    facts.launches = pass_.launches()
    facts.calls = pass_.project_calls()
    facts.roots = pass_.roots()
    facts.leader_checks = pass_.leader_checks()
    facts.call_switches = pass_.call_switches()
    facts.switch_functions = pass_.switch_functions()
    facts.task_switches = pass_.task_switches()
    beats = BeatFinder(pass_)
    facts.beat_starts = beats.starts()
    facts.guarded_roots = beats.guarded_roots()
    if "gunicorn" in ctx.path.rpartition("/")[2]:
        facts.settings = gunicorn_settings(ctx)
    if cli is not None and branched:
        pass_.branch_facts(cli, branched)
    facts.cli = cli
    return facts


class _FilePass:
    def __init__(
        self,
        ctx: FileContext,
        functions: list[FunctionFacts],
        function_nodes: Iterable[tuple[Any, ast.AST]],
        calls: list[_Call],
        tree: ast.AST,
        branched: set[int] | None = None,
    ) -> None:
        self.ctx = ctx
        # calls that run only under one sub-command (extract/cli_branches.py): no way
        # into the function they call at import or under the main guard
        self.branched = branched or set()
        self.prefix = f"{ctx.module}." if ctx.module else ""
        self.functions = {fn.qualname: fn for fn in functions}
        self.nodes: dict[str, ast.AST] = {ev.facts.qualname: node for ev, node in function_nodes}
        self.calls = calls
        self.tree = tree
        self.classes = _class_bases(tree, ctx)
        # A script (a file with a main guard) may call into another top-level package of
        # the project (`bin/run.py` calling `app.scheduler.start_scheduler`).
        self.script = any(call.context == "main" for call in calls)
        self.callers = self._local_callers()
        self.switches = SwitchReader(ctx, self.nodes, tree, set(self.functions))
        self._contexts: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {}

    # ------------------------------------------------------------ local call graph

    def _local_callee(self, call: _Call) -> str | None:
        """The qualname of a function of this file that `call` runs, if any."""
        text = call.text
        if text in self.functions and "." not in text:
            return text
        if text in self.classes:
            return f"{text}.__init__"
        head, _, rest = text.partition(".")
        if head in ("self", "cls") and rest and "." not in rest and call.enclosing:
            cls = _class_of(call.enclosing)
            if cls and f"{cls}.{rest}" in self.functions:
                return f"{cls}.{rest}"
        if "()." in text:  # Scheduler().init()
            cls, _, method = text.partition("().")
            if cls in self.classes and f"{cls}.{method}" in self.functions:
                return f"{cls}.{method}"
        return None

    def _local_callers(self) -> dict[str, list[_Call]]:
        """Each call's callees, worked out once; local callee -> its calls."""
        out: dict[str, list[_Call]] = {}
        for call in self.calls:
            call.local = self._local_callee(call)
            if call.local is not None and id(call.node) not in self.branched:
                out.setdefault(call.local, []).append(call)
            call.callee = self._project_callee(call)
        return out

    def context_of(self, qualname: str | None, main: bool = False, depth: int = 0):  # type: ignore[no-untyped-def]
        """(contexts, names other modules call, how) for code inside `qualname`."""
        if qualname is None:
            return frozenset({"main" if main else "import"}), frozenset(), None
        known = self._contexts.get(qualname)
        if known is not None:
            return known
        self._contexts[qualname] = (frozenset({"function"}), frozenset(), None)  # cycles
        result = self._context_of(qualname, depth)
        self._contexts[qualname] = result
        return result

    def _context_of(self, qualname: str, depth: int):  # type: ignore[no-untyped-def]
        fn = self.functions.get(qualname)
        short = qualname.rpartition(".")[2]
        cls = _class_of(qualname)
        if fn is not None and fn.is_startup_hook:
            return frozenset({"startup"}), frozenset(), f"start-up hook `{qualname}`"
        if short in STARTUP_METHODS and cls and "AppConfig" in self.classes.get(cls, ""):
            # every process that sets Django up runs it: web and Celery workers, commands
            return frozenset({"import"}), frozenset(), f"Django's `{qualname}`"
        contexts: set[str] = set()
        exported: set[str] = set()
        via: str | None = None
        if depth < MAX_DEPTH:
            for call in self.callers.get(qualname, []):
                found, names, _how = self.context_of(
                    call.enclosing, call.context == "main", depth + 1
                )
                contexts |= found
                exported |= names
                if via is None and found - {"function"}:
                    line, _ = self.ctx.position(call.node)
                    via = f"{call.text}() at line {line}"
        if "<locals>" not in qualname:
            exported |= _exported_names(self.prefix, qualname)
        if not contexts:
            contexts.add("function")
        return frozenset(contexts), frozenset(exported), via

    # ------------------------------------------------------------------- identities

    def identity(self, text: str | None, enclosing: str | None) -> str | None:
        """Project-wide name of the object `text` refers to inside `enclosing`."""
        if not text or "(" in text:
            return None
        head, _, rest = text.partition(".")
        if head in ("self", "cls"):
            cls = _class_of(enclosing) if enclosing else None
            return f"{self.prefix}{cls}.{rest}" if cls and rest else None
        if enclosing and head in self.ctx.function_locals.get(enclosing, ()):
            if head in self.ctx.function_params.get(enclosing, ()):
                return None  # handed in: known only at the call sites
            return f"{self.prefix}{enclosing}.<locals>.{text}"
        if self.ctx.imports.is_imported(text):
            return self.ctx.imports.resolve_text(text)
        return f"{self.prefix}{text}" if self.prefix else text

    def _is_scheduler(self, receiver: str) -> bool:
        if "(" in receiver:
            return False  # `Scheduler().start(job_id)`: an object made in place, unknown
        kind = self.ctx.receiver_kind(receiver)
        if kind is not None:
            return kind in SCHEDULER_KINDS
        if self.ctx.imports.is_imported(receiver):
            return True  # confirmed by the project pass
        return "sched" in receiver.rpartition(".")[2].lower()

    # ------------------------------------------------------------------ start sites

    def start_sites(self) -> list[StartSite]:
        sites: list[StartSite] = []
        for site in self.ctx.calls:
            if site.method != "start" or not site.receiver_text:
                continue
            receiver = site.receiver_text
            if not self._is_scheduler(receiver):
                continue
            contexts, exported, via = self.context_of(site.enclosing, site.under_main_guard)
            line, column = self.ctx.position(site.node)
            paused = _true_keyword(site.node, "paused")
            sites.append(
                StartSite(
                    line=line,
                    column=column,
                    receiver=receiver,
                    scheduler=self.identity(receiver, site.enclosing),
                    scheduler_class=self.ctx.receiver_classes.get(receiver, ""),
                    contexts=tuple(sorted(contexts)),
                    enclosing=site.enclosing,
                    via=via,
                    callers=tuple(sorted(exported)) if "function" in contexts else (),
                    paused=paused,
                    switch=self.switches.at(site.enclosing, line),
                )
            )
        self._gate(sites)
        return sites

    def _gate(self, sites: list[StartSite]) -> None:
        """Mark starts that only run the jobs in an elected process."""
        by_scope: dict[tuple[str | None, str], list[StartSite]] = {}
        for site in sites:
            by_scope.setdefault((site.enclosing, site.receiver), []).append(site)
        for group in by_scope.values():
            paused = [s for s in group if s.paused]
            if paused and len(paused) < len(group):
                # started paused in one branch and running in another: leader election
                for site in group:
                    site.gate = f"`{site.receiver}.start(paused=True)` on the other branch"
                    site.gate_line = paused[0].line
        for site in sites:
            if site.gate is None and not site.paused:
                test = self._gating_test(site.enclosing, site.line)
                if test is not None:
                    site.gate, site.gate_line = f"`if {test[0]}`", test[1]
        for site in sites:
            if site.paused and site.gate is None:
                resumed = self._gated_resume(site.receiver)
                if resumed is not None:
                    site.gate, site.gate_line = f"`if {resumed[0]}` before resume()", resumed[1]

    def _gating_test(self, enclosing: str | None, line: int) -> tuple[str, int] | None:
        body = self._body(enclosing)
        for test in _if_tests_around(body, line):
            text = self.ctx.code(test)
            if LEADER_WORDS.search(text) or (LOCK_TEST.search(text) and not self._local_lock(test)):
                return _short(text), self.ctx.position(test)[0]
        return None

    def _local_lock(self, test: ast.expr) -> bool:
        """`if threading.Lock().acquire(...)`: a lock every process has its own of."""
        for node in ast.walk(test):
            if isinstance(node, ast.Call):
                text = dotted_expr(node.func) or ""
                head = text.partition(".")[0]
                resolved = self.ctx.imports.resolve_text(text) if text else ""
                if resolves_into(resolved, *LOCAL_LOCK_ROOTS):
                    return True
                kind_class = self.ctx.receiver_classes.get(head, "")
                if resolves_into(kind_class, *LOCAL_LOCK_ROOTS):
                    return True
                if head in self.ctx.constants:
                    value = self.ctx.constants[head]
                    if isinstance(value, ast.Call):
                        made = self.ctx.imports.resolve(value.func) or ""
                        if resolves_into(made, *LOCAL_LOCK_ROOTS):
                            return True
        return False

    def _gated_resume(self, receiver: str) -> tuple[str, int] | None:
        for call in self.calls:
            if call.text == f"{receiver}.resume":
                line, _ = self.ctx.position(call.node)
                found = self._gating_test(call.enclosing, line)
                if found is not None:
                    return found
        return None

    def _body(self, enclosing: str | None) -> list[ast.stmt]:
        node = self.nodes.get(enclosing) if enclosing else self.tree
        return list(getattr(node, "body", []))

    # ------------------------------------------------------------------------- jobs

    def job_schedulers(self) -> list[tuple[int, int, str]]:
        decorated: dict[tuple[int, int], str] = {}
        for deco in self.ctx.decorated:
            expr = deco.decorator.decorator
            if isinstance(expr, ast.Call):
                text = dotted_expr(expr.func) or ""
                if "." in text:
                    decorated[self.ctx.position(deco.decorator)] = text.rpartition(".")[0]
        out: list[tuple[int, int, str]] = []
        for job in self.ctx.jobs:
            if job.kind not in ("apscheduler", "locked_scheduler"):
                continue
            receiver = job.scheduler or decorated.get((job.line, job.column))
            identity = self.identity(receiver, job.enclosing)
            if identity is None and receiver and job.enclosing:
                identity = self._handed_in(receiver, job.enclosing)
            if identity:
                out.append((job.line, job.column, identity))
        return out

    def _handed_in(self, param: str, enclosing: str) -> str | None:
        """A scheduler handed in as a parameter (`def add_jobs(app, scheduler)`) is the one
        every call of the function in this file passes (`add_jobs(app, scheduler)` in the
        function that makes and starts it)."""
        params = self.ctx.function_params.get(enclosing, [])
        if param not in params:
            return None
        index = params.index(param) - (1 if params[0] in ("self", "cls") else 0)
        found: set[str] = set()
        for call in self.callers.get(enclosing, []):
            node = call.node
            arg = next((kw.value for kw in node.keywords if kw.arg == param), None)
            positional = node.args[: index + 1]
            if arg is None and 0 <= index < len(node.args):
                if not any(isinstance(a, ast.Starred) for a in positional):
                    arg = node.args[index]
            text = dotted_expr(arg) if arg is not None else None
            identity = self.identity(text, call.enclosing) if text else None
            if identity is None:
                return None
            found.add(identity)
        return found.pop() if len(found) == 1 else None

    # ---------------------------------------------------------------------- servers

    def launches(self) -> list[Launch]:
        out: list[Launch] = []
        for call in self.calls:
            launch = _launch(self.ctx, call)
            if launch is None:
                continue
            contexts, _, _ = self.context_of(call.enclosing, call.context == "main")
            launch.contexts = tuple(sorted(contexts))
            out.append(launch)
        return out

    # ------------------------------------------------------------------------ calls

    def _project_callee(self, call: _Call) -> str | None:
        """Dotted name of a project function `call` runs (same top package or this file)."""
        local = call.local
        if local is not None:
            return self.prefix + local
        text = call.text.replace("().", ".")
        head = text.partition(".")[0]
        if head in ("self", "cls") or not self.ctx.imports.is_imported(head):
            return None
        resolved = self.ctx.imports.resolve_text(text)
        root = (self.ctx.module or "").partition(".")[0]
        top = resolved.partition(".")[0]
        if root and top == root:
            return resolved
        if self.script and top not in STDLIB and "." in resolved:
            return resolved  # a project function only if the project defines it (deploy/)
        return None

    def project_calls(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for call in self.calls:
            callee = call.callee
            if callee is None:
                continue
            scope, limit = _scope(call), MAX_CALLS_PER_FUNCTION
            if call.enclosing is None:
                limit = MAX_CALLS_AT_MODULE_LEVEL
            listed = out.setdefault(scope, [])
            if callee not in listed and len(listed) < limit:
                listed.append(callee)
        return out

    # ------------------------------------------------------------------- switches

    def call_switches(self) -> dict[str, dict[str, Switch]]:
        """Per scope, the project callees every call of which runs under a switch."""
        found: dict[tuple[str, str], Switch | None] = {}
        for call in self.calls:
            callee = call.callee
            if callee is None:
                continue
            key = (_scope(call), callee)
            if key in found and found[key] is None:
                continue  # called without a switch somewhere in this scope
            line, _ = self.ctx.position(call.node)
            switch = self.switches.at(call.enclosing, line)
            if key not in found or switch is None:
                found[key] = switch
        out: dict[str, dict[str, Switch]] = {}
        for (scope, callee), switch in found.items():
            if switch is not None:
                out.setdefault(scope, {})[callee] = switch
        return out

    def switch_functions(self) -> dict[str, Switch]:
        """Functions whose body only returns a configuration reading (`should_start`)."""
        out: dict[str, Switch] = {}
        for qualname, node in self.nodes.items():
            body = getattr(node, "body", [])
            if "<locals>" in qualname or len(body) > 9:
                continue
            if not any(isinstance(stmt, ast.Return | ast.If) for stmt in body):
                continue
            switch = self.switches.function_switch(qualname)
            if switch is not None and not switch.call:
                out[qualname] = switch
        return out

    def task_switches(self) -> dict[tuple[int, int], Switch]:
        """Task starts (`asyncio.create_task(loop())`) that run under a switch."""
        out: dict[tuple[int, int], Switch] = {}
        for job in self.ctx.jobs:
            if job.kind != "create_task":
                continue
            switch = self.switches.at(job.enclosing, job.line)
            if switch is not None:
                out[(job.line, job.column)] = switch
        return out

    def roots(self) -> dict[str, list[str]]:
        """Callees in other modules run at import / under main / at start-up."""
        out: dict[str, list[str]] = {}
        for call in self.calls:
            callee = call.callee
            if call.local is not None or callee is None or id(call.node) in self.branched:
                continue
            contexts, _, _ = self.context_of(call.enclosing, call.context == "main")
            for context in contexts - {"function"}:
                listed = out.setdefault(context, [])
                if callee not in listed:
                    listed.append(callee)
        return out

    def branch_facts(self, cli: CliFacts, branched: dict[int, list[str]]) -> None:
        """Which project callees run only under a sub-command's branch, scope by scope,
        and where each branched call is (a start or a task start under one)."""
        pseudos: dict[tuple[str, str], list[str] | None] = {}
        for call in self.calls:
            found = branched.get(id(call.node))
            if found is not None:
                cli.under[self.ctx.position(call.node)] = found
            if call.callee is None:
                continue
            key = (_scope(call), call.callee)
            if found is None:
                pseudos[key] = None  # also called outside every branch there
            elif key not in pseudos:
                pseudos[key] = list(found)
            elif pseudos[key] is not None:
                pseudos[key] = [*pseudos[key], *found]  # type: ignore[misc]
        for (scope, callee), names in pseudos.items():
            for pseudo in dict.fromkeys(names or ()):
                cli.branches.append((scope, callee, pseudo))

    # ------------------------------------------------------------- leader checks

    def leader_checks(self) -> dict[str, int]:
        """Functions that return early unless this process is the elected leader."""
        out: dict[str, int] = {}
        for qualname, node in self.nodes.items():
            body = getattr(node, "body", [])
            for stmt in body[:3]:
                if isinstance(stmt, ast.If) and _returns_only(stmt.body):
                    text = self.ctx.code(stmt.test)
                    if isinstance(stmt.test, ast.UnaryOp) and LEADER_WORDS.search(text):
                        out[qualname] = self.ctx.position(stmt)[0]
                        break
        return out


# ------------------------------------------------------------------------ helpers


def _scope(call: _Call) -> str:
    if call.enclosing is not None:
        return call.enclosing
    return MAIN_SCOPE if call.context == "main" else MODULE_SCOPE


def _class_of(qualname: str | None) -> str | None:
    """`Scheduler.init` -> `Scheduler`; a function's own qualname has no class."""
    if not qualname or "." not in qualname:
        return None
    owner = qualname.rpartition(".")[0]
    return None if owner.endswith(">") else owner


def _exported_names(prefix: str, qualname: str) -> set[str]:
    if qualname.endswith(".__init__"):
        cls = qualname[: -len(".__init__")]
        return {prefix + cls, prefix + qualname}
    return {prefix + qualname}


def _class_bases(tree: ast.AST, ctx: FileContext) -> dict[str, str]:
    """Qualname -> bases as written (`AppConfig`), for the classes of this file."""
    out: dict[str, str] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                name = prefix + stmt.name
                bases = [ctx.imports.resolve(b) or "" for b in stmt.bases]
                out[name] = " ".join(bases)
                visit(stmt.body, name + ".")

    visit(list(getattr(tree, "body", [])), "")
    return out


def _if_tests_around(body: list[ast.stmt], line: int) -> list[ast.expr]:
    """Tests of the `if` statements around `line` (either branch), outermost first."""
    tests: list[ast.expr] = []
    stmts: list[Any] = body
    for _ in range(50):
        holder = next((s for s in stmts if _spans(s, line)), None)
        if holder is None or isinstance(holder, ast.FunctionDef | ast.AsyncFunctionDef):
            break
        if isinstance(holder, ast.If):
            tests.append(holder.test)
        inner: list[Any] = []
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(holder, name, None) or []
            if any(_spans(child, line) for child in children):
                inner = children
                break
        if not inner:
            break
        # an `except` handler or a `match` case: its own body holds the line
        nested = next((c for c in inner if _spans(c, line)), None)
        if isinstance(nested, ast.ExceptHandler | ast.match_case):
            inner = nested.body
        stmts = inner
    return tests


def _spans(node: Any, line: int) -> bool:
    if isinstance(node, ast.match_case):
        first = node.pattern.lineno
        last = node.body[-1].end_lineno if node.body else first
        return first <= line <= (last or first)
    start = getattr(node, "lineno", None)
    if start is None:
        return False
    return bool(start <= line <= (getattr(node, "end_lineno", None) or start))


def _returns_only(body: list[ast.stmt]) -> bool:
    return len(body) == 1 and isinstance(body[0], ast.Return)


def _true_keyword(node: ast.Call, name: str) -> bool:
    value = kwarg(node, name)
    return isinstance(value, ast.Constant) and value.value is True


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------- launches

UVICORN_RUN = ("uvicorn.run", "uvicorn.main.run")
UVICORN_SERVER = ("uvicorn.Server", "uvicorn.server.Server")
ONE_PROCESS_SERVERS = {
    "waitress.serve": "waitress",
    "aiohttp.web.run_app": "aiohttp",
    "hypercorn.asyncio.serve": "hypercorn",
    "hypercorn.trio.serve": "hypercorn",
    "werkzeug.serving.run_simple": "werkzeug",
    "bjoern.run": "bjoern",
    "cheroot.wsgi.Server": "cheroot",
}


LAUNCH_NAMES = frozenset(
    {
        "run",
        "Server",
        "serve",
        "run_app",
        "run_simple",
        *(n.rpartition(".")[2] for n in ONE_PROCESS_SERVERS),
    }
)


def _launch(ctx: FileContext, call: _Call) -> Launch | None:
    if call.text.rpartition(".")[2] not in LAUNCH_NAMES:
        return None  # nearly every call
    text = ctx.imports.resolve_text(call.text) if "(" not in call.text else call.text
    node = call.node
    line, _ = ctx.position(node)
    if text in UVICORN_RUN:
        app = arg_value(node, 0, "app")
        spec = ctx.evaluator.value(app) if app is not None else None
        workers = kwarg(node, "workers")
        count = worker_count(ctx, workers) if workers is not None else None
        return Launch("uvicorn.run", line, count, spec if isinstance(spec, str) else None, ())
    if text in UVICORN_SERVER:
        # Server.run() serves in this process: Config(workers=...) is read only by
        # uvicorn.run() and the command line, which start a supervisor.
        return Launch("uvicorn.Server", line, 1, None, ())
    if text in ONE_PROCESS_SERVERS:
        return Launch(ONE_PROCESS_SERVERS[text], line, 1, None, ())
    return None


def worker_count(ctx: FileContext, node: ast.expr) -> Any:
    """int, "many" (> 1, how many depends on the machine) or "?" (unknown)."""
    value = ctx.evaluator.value(node)
    if isinstance(value, EnvValue):
        value = value.default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    lowest = _with_one_cpu(ctx, node)
    if lowest is not None:
        return "many" if lowest >= 2 else "?"
    return "?"


def _with_one_cpu(ctx: FileContext, node: ast.expr) -> int | None:
    """The expression's value on a one-CPU machine, when it is arithmetic on cpu_count()."""
    if isinstance(node, ast.Call):
        func = last_part(ctx.imports.resolve(node.func))
        if func in ("cpu_count", "process_cpu_count"):
            return 1
        if func == "int" and len(node.args) == 1:
            return _with_one_cpu(ctx, node.args[0])
        if func in ("max", "min") and node.args:
            values = [_with_one_cpu(ctx, a) for a in node.args]
            if any(v is None for v in values):
                return None
            return max(values) if func == "max" else min(values)  # type: ignore[type-var]
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name) and node.id in ctx.constants:
        return _with_one_cpu(ctx, ctx.constants[node.id])
    if isinstance(node, ast.BinOp):
        left, right = _with_one_cpu(ctx, node.left), _with_one_cpu(ctx, node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.FloorDiv) and right:
            return left // right
    return None


GUNICORN_SETTINGS = ("workers", "preload_app", "worker_class", "threads", "wsgi_app")


def gunicorn_settings(ctx: FileContext) -> dict[str, Any]:
    """Module-level settings of a gunicorn configuration file, with their lines."""
    out: dict[str, Any] = {}
    for name in GUNICORN_SETTINGS:
        node = ctx.constants.get(name)
        if node is None:
            continue
        line = ctx.position(node)[0]
        if name == "workers":
            out["workers"] = worker_count(ctx, node)
            out["workers_text"] = _short(ctx.code(node))
        else:
            value = ctx.evaluator.value(node)
            value = value.default if isinstance(value, EnvValue) else value
            out[name] = value if isinstance(value, bool | int | str) else "?"
        out[f"{name}_line"] = line
    return out
