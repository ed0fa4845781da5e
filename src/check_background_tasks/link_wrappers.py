"""Scheduler wrappers, project-wide: a function or method that declares a job whose callable
is one of its parameters declares one job at each of its calls, with the call's arguments.

    class Jobs:                                      # app/jobs.py
        def add_interval_job(self, func, minutes, job_id):
            self.aps.add_job(func, "interval", minutes=minutes, id=job_id)

    class Service:                                   # app/service.py
        def __init__(self, jobs: Jobs):
            self.jobs = jobs

        def start(self):
            self.jobs.add_interval_job(self.sync, 5, "sync")   # a job: every 5 minutes

Extraction records each wrapper's declaring call as text (extract/wrappers.py) and each
thrown-away call handing over a function by name with its literal arguments
(extract/factories.py). Here a call is resolved the way task factories are
(link_factories.ClassIndex: plain and imported functions, `self.m`, a typed
`self.attr.m`, a module singleton's method), the wrapper's call is written again with the
arguments in place of its parameters and read by the same framework extractor, and the
job is placed at the call. The wrapper's own record (its callable a parameter) gives way
to its calls; a wrapper nobody calls keeps it. A function handing its own parameter on to
a wrapper forwards to it, across files too: its calls are read through the chain
(link_wrapper_chains.py).

`scheduler-wrappers` in the configuration names wrappers no analysis can see (their
`add_job` lives in a library, or behind a registry): each call is a job running its first
function argument, on a schedule only the run time knows.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .link_wrapper_chains import MAX_CHAIN, Composed, Forward, compose
from .model import FileFacts, RawJob, Schedule, SchedulerWrapper, TargetRef, TaskCall

if TYPE_CHECKING:
    from .link import SymbolTable
    from .link_factories import ClassIndex, Resolved

REFERENCE = "__bgt_reference_{}__"  # stands for a callable handed over at the call site
UNKNOWN_ARGUMENT = "__bgt_unknown__"  # an argument only the run time knows
ID_KEYWORDS = ("id", "job_id", "name", "job_name")
UNKNOWN_REF = TargetRef("unknown", "")


@dataclass(frozen=True)
class Placed:
    raw: RawJob
    caller: FileFacts  # where the job is placed (the call)
    wrapper: FileFacts  # where the wrapper is defined (its scheduler lives there)


@dataclass(frozen=True)
class _Declared:
    """A configured wrapper (`scheduler-wrappers`)."""

    function: str
    static: bool


def wrapper_jobs(
    facts: list[FileFacts], table: SymbolTable, configured: list[str] | None = None
) -> tuple[list[Placed], set[tuple[str, int, int]]]:
    """(the jobs the wrappers' calls declare, (path, line, column) of each wrapper's own
    record they replace)."""
    from .link_factories import ClassIndex

    found: dict[str, tuple[SchedulerWrapper, FileFacts]] = {}
    for ff in facts:
        if ff.task_flow is not None:
            for wrapper in ff.task_flow.wrappers:
                dotted = f"{ff.module}.{wrapper.function}" if ff.module else wrapper.function
                found.setdefault(dotted, (wrapper, ff))
    declared = _declared(configured or [], table, found)
    if not found and not declared:
        return [], set()
    index = ClassIndex(facts, table)
    resolved_calls: list[tuple[FileFacts, TaskCall, Resolved]] = []
    for ff in facts:
        if ff.task_flow is None:
            continue
        for call in ff.task_flow.wrapper_calls:
            resolved = index.resolve(call.callee, ff, call.enclosing_class)
            if resolved is not None:
                resolved_calls.append((ff, call, resolved))
    reader = _Reader(found, index, table)
    reader.find_forwards(resolved_calls)
    placed: list[Placed] = []
    replaced: set[tuple[str, int, int]] = set()
    for ff, call, resolved in resolved_calls:
        if resolved.function in found or resolved.function in reader.forwards:
            template = found.get(resolved.function)
            if template is not None and template[0].owner is None and template[1].path == ff.path:
                continue  # extract/wrappers.py placed it already
            reading = reader.read(call, ff, resolved)
            if reading is None or not reading.jobs:
                continue
            replaced.add((reading.home.path, reading.wrapper.line, reading.wrapper.column))
            placed += [Placed(job, ff, reading.home) for job in reading.jobs]
        elif resolved.function in declared:
            job = _declared_job(declared[resolved.function], call, resolved.bound)
            if job is not None:
                placed.append(Placed(job, ff, ff))
    return placed, replaced


@dataclass
class _Reading:
    jobs: list[RawJob]
    forwarded: set[str]  # parameters of the caller handed over as the job's callable
    wrapper: SchedulerWrapper  # the template read
    home: FileFacts


class _Reader:
    """Reads a wrapper's template at a call, through forwarding functions
    (link_wrapper_chains.py)."""

    def __init__(
        self,
        found: dict[str, tuple[SchedulerWrapper, FileFacts]],
        index: ClassIndex,
        table: SymbolTable,
    ) -> None:
        self.found = found
        self.index = index
        self.table = table
        self.forwards: dict[str, Forward] = {}

    def offset(self, resolved: Resolved) -> int:
        fn = self.table.functions[resolved.function][0]
        return 1 if resolved.bound and "staticmethod" not in fn.decorators else 0

    def overridden(self, resolved: Resolved) -> bool:
        """A subclass may declare something else (or nothing)."""
        if resolved.dispatch is None:
            return False
        return bool(self.index.overrides(resolved.dispatch, resolved.function.rpartition(".")[2]))

    def read(self, call: TaskCall, caller: FileFacts, resolved: Resolved) -> _Reading | None:
        if self.overridden(resolved):
            return None
        offset = self.offset(resolved)
        if resolved.function in self.found:
            wrapper, home = self.found[resolved.function]
            jobs, forwarded = _read_at(wrapper, home, caller, call, offset, self.table)
            return _Reading(jobs, forwarded, wrapper, home)
        composed = compose(call, caller, resolved.function, offset, self.forwards, self.table)
        if composed is None or composed.wrapper not in self.found:
            return None
        wrapper, home = self.found[composed.wrapper]
        jobs, forwarded = _read_at(
            wrapper, home, caller, composed.call, composed.offset, self.table, composed
        )
        return _Reading(jobs, forwarded, wrapper, home)

    def find_forwards(self, resolved_calls: list[tuple[FileFacts, TaskCall, Resolved]]) -> None:
        """Functions handing their own parameter to a wrapper as its job's callable, to a
        fixed point: each is found once, forwarding to one found before it."""
        checked: set[int] = set()  # calls read once their callee was known: read again alike
        for _ in range(MAX_CHAIN):
            added = False
            for i, (ff, call, resolved) in enumerate(resolved_calls):
                flow = ff.task_flow
                signature = flow.signatures.get(call.enclosing or "") if flow else None
                inner = resolved.function
                if signature is None or (inner not in self.found and inner not in self.forwards):
                    continue
                if i in checked:
                    continue
                checked.add(i)
                function = f"{ff.module}.{call.enclosing}" if ff.module else str(call.enclosing)
                if function in self.found or function in self.forwards:
                    continue
                if function not in self.table.functions:
                    continue
                reading = self.read(call, ff, resolved)
                parameters, defaults = signature
                if reading is None or not reading.forwarded & set(parameters):
                    continue  # a constant (or nothing) handed over: its own job, if any
                self.forwards[function] = Forward(
                    function, ff, call, inner, self.offset(resolved), parameters, defaults
                )
                added = True
            if not added:
                break


def _declared(
    configured: list[str], table: SymbolTable, found: dict[str, Any]
) -> dict[str, _Declared]:
    out = {}
    for given in configured:
        dotted = table.follow(given)
        known = table.functions.get(dotted)
        if known is not None and dotted not in found:
            out[dotted] = _Declared(dotted, "staticmethod" in known[0].decorators)
    return out


def _declared_job(declared: _Declared, call: TaskCall, bound: bool) -> RawJob | None:
    references = [(key, ref) for key, ref in call.arguments if ref is not None]
    if not references:
        return None
    literals = dict(call.literals)
    name = next((literals[k] for k in ID_KEYWORDS if isinstance(literals.get(k), str)), None)
    shown = ", ".join(f"{key}={value!r}" for key, value in call.literals) or "?"
    return RawJob(
        kind="apscheduler",
        name=name,
        target=references[0][1],
        schedule=Schedule(text=f"{declared.function.rpartition('.')[2]}({shown})", resolved=False),
        line=call.line,
        column=call.column,
        enclosing=call.enclosing,
        extra={"via_wrapper": declared.function, "wrapper": "scheduler-wrappers (configuration)"},
    )


class _Substitute(ast.NodeTransformer):
    def __init__(self, values: dict[str, ast.expr], references: dict[str, TargetRef]) -> None:
        self.values = values
        self.references = references

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        """`func.__name__` of a function handed over by name is that name."""
        if node.attr == "__name__" and isinstance(node.value, ast.Name):
            found = self.values.get(node.value.id)
            ref = self.references.get(found.id) if isinstance(found, ast.Name) else None
            if ref is not None and ref.how in ("import", "local") and not ref.bound:
                return ast.Constant(ref.value.rpartition(".")[2])
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        found = self.values.get(node.id)
        return found if found is not None and isinstance(node.ctx, ast.Load) else node


def _bindings(
    wrapper: SchedulerWrapper, call: TaskCall, offset: int, readable: set[str] | None
) -> tuple[dict[str, ast.expr], dict[str, TargetRef]]:
    """`readable`: the expressions the wrapper's file can read as its own text (None: all,
    the call being in that file)."""
    """What each parameter of the wrapper stands for at this call."""
    params = wrapper.parameters
    given: dict[str, Any] = {}
    for key, value in [*call.literals, *call.arguments]:
        if key.isdigit():
            position = int(key) + offset
            if position < len(params):
                given[params[position]] = value
        elif key in params:
            given[key] = value
    values: dict[str, ast.expr] = {}
    references: dict[str, TargetRef] = {}
    for param in params[offset:]:
        if param in given:
            value = given[param]
            written = (
                _parse(value.value)
                if isinstance(value, TargetRef) and (readable is None or value.value in readable)
                else None
            )
            if isinstance(value, TargetRef) and value.how == "unknown" and written is not None:
                values[param] = written  # `IntervalTrigger(seconds=5)`: the wrapper's names
            elif isinstance(value, TargetRef):
                values[param] = ast.Name(REFERENCE.format(param), ast.Load())
                references[REFERENCE.format(param)] = value
            elif value is None and (param, None) in call.arguments:
                values[param] = ast.Name(UNKNOWN_ARGUMENT, ast.Load())
            else:
                values[param] = _literal(value)
        elif param in wrapper.defaults:
            values[param] = _parse(wrapper.defaults[param]) or ast.Name(UNKNOWN_ARGUMENT)
        elif any(key == param or key.isdigit() for key, _ in call.arguments):
            values[param] = ast.Name(UNKNOWN_ARGUMENT, ast.Load())
    return values, references


def _literal(value: Any) -> ast.expr:
    return _parse(repr(value)) or ast.Name(UNKNOWN_ARGUMENT, ast.Load())


def _parse(text: str) -> ast.expr | None:
    try:
        return ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None


def _read_at(
    wrapper: SchedulerWrapper,
    home: FileFacts,
    caller: FileFacts,
    call: TaskCall,
    offset: int,
    table: SymbolTable,
    composed: Composed | None = None,
) -> tuple[list[RawJob], set[str]]:
    """The jobs the wrapper's template declares with the call's arguments, and the
    caller's own parameters it hands over as the job's callable (a forwarding function)."""
    from .extract import wrappers as extract_wrappers
    from .extract.context import CallSite, FileContext
    from .extract.names import ImportTable
    from .extract.positions import Positions
    from .link import resolve_target

    template = _parse(wrapper.call)
    framework = extract_wrappers.BY_KIND.get(wrapper.kind)
    if not isinstance(template, ast.Call) or framework is None:
        return [], set()
    if composed is not None:
        readable: set[str] | None = composed.portable
    else:
        readable = None if home.path == caller.path else set()
    values, references = _bindings(wrapper, call, offset, readable)
    text = ast.unparse(_Substitute(values, references).visit(template))
    node = _parse(text)
    if not isinstance(node, ast.Call):
        return [], set()
    constants = {name: parsed for name, t in wrapper.constants.items() if (parsed := _parse(t))}
    imports = ImportTable(module=home.module, names=dict(home.imports))
    ctx = FileContext(
        path=home.path,
        module=home.module,
        imports=imports,
        constants=constants,
        receivers=dict(wrapper.receivers),
        positions=Positions(text.encode()),
        receiver_classes=dict(wrapper.receiver_classes),
    )
    ctx.function_locals = {wrapper.function: set(wrapper.parameters)}
    ctx.calls = [
        CallSite(
            node=node,
            func_text=wrapper.method,
            func=imports.resolve_text(wrapper.method),
            enclosing=wrapper.function,
            enclosing_class=wrapper.owner,
            discarded=True,
            awaited=False,
        )
    ]
    framework.collect(ctx)
    out = []
    forwarded: set[str] = set()
    dotted = f"{home.module}.{wrapper.function}" if home.module else wrapper.function
    aliases = composed.aliases if composed is not None else {}
    for job in ctx.jobs:
        target = job.target
        handed = references.get(target.value, UNKNOWN_REF) if target.how == "local" else None
        if handed is not None and handed.how == "variable":
            forwarded.add(handed.value)  # a wrapper of a wrapper: known at its calls
            continue
        if handed is not None and handed.how != "unknown":
            target = replace(handed, bound=target.bound)
        elif target.how == "variable" or "__bgt_" in target.value:
            continue
        elif target.how in ("local", "import", "string"):
            # the wrapper's own callable: named in its module, not the caller's
            target = TargetRef("import", resolve_target(target, home, table), target.bound)
        schedule = job.schedule
        if schedule is not None:
            schedule = replace(schedule, text=_shown(schedule.text, references, aliases))
        extra = {**job.extra, "via_wrapper": dotted, "wrapper_at": f"{home.path}:{wrapper.line}"}
        if composed is not None:
            extra["via_wrapper"] = composed.chain[0]  # what the caller calls
            extra["wrapper_chain"] = " -> ".join(composed.chain)
        out.append(
            replace(
                job,
                target=target,
                schedule=schedule,
                name=_shown(job.name, references, aliases) if job.name else job.name,
                line=call.line,
                column=call.column,
                enclosing=call.enclosing,
                branches=(),
                extra=extra,
            )
        )
    return out, forwarded


def _shown(
    text: str, references: dict[str, TargetRef], aliases: dict[str, str] | None = None
) -> str:
    """The text with each argument the call hands over as the call writes it."""
    for placeholder, ref in references.items():
        text = text.replace(placeholder, ref.value)
    for dotted, written in (aliases or {}).items():
        text = text.replace(dotted, written)  # a name made absolute to be read elsewhere
    return text.replace(UNKNOWN_ARGUMENT, "?")


def wrapper_names(facts: list[FileFacts], configured: list[str] | None = None) -> set[bytes]:
    """`name(` of each wrapper found or configured: the files calling (or overriding) one
    are read."""
    names = {
        w.function.rpartition(".")[2]
        for ff in facts
        if ff.task_flow is not None
        for w in ff.task_flow.wrappers
    }
    names |= {dotted.rpartition(".")[2] for dotted in configured or []}
    return {f"{name}(".encode() for name in names if len(name) >= 4}


def forwarding_names(facts: list[FileFacts], searched: set[bytes]) -> set[bytes]:
    """`name(` of each function whose call of a searched name hands over one of its own
    parameters: maybe a wrapper forwarding to a wrapper, whose callers are read too."""
    out = set()
    for ff in facts:
        flow = ff.task_flow
        if flow is None or not flow.signatures:
            continue
        for call in flow.wrapper_calls:
            if call.enclosing not in flow.signatures:
                continue
            if f"{call.callee.rpartition('.')[2]}(".encode() in searched:
                name = call.enclosing.rpartition(".")[2]
                if len(name) >= 4:
                    out.add(f"{name}(".encode())
    return out
