"""Task factories, project-wide: functions that return a task nobody keeps, and the calls
of them that throw it away (BGT021) or store it.

    class CoreSys:
        def create_task(self, coroutine):
            return self.loop.create_task(coroutine)       # a factory: returns, keeps nothing

    class CoreSysAttributes:
        coresys: CoreSys

        def sys_create_task(self, coroutine):
            return self.coresys.create_task(coroutine)    # a factory one level up

    class Backups(CoreSysAttributes):
        def on_change(self):
            self.sys_create_task(self.reload())          # a dangling task

Each file's summary (extract/factories.py) says which function returns which call and
which calls it throws away. Here the returns are resolved to the functions they call,
across files, and factories are propagated to a fixed point: a function that returns the
result of a factory, with its own argument in the coroutine's place, is one too. A call
resolves only when it is certain what it calls:

- a plain or imported function (`spawn(...)`, `utils.spawn(...)`), through re-exports;
- `self.m(...)` in a method: `m` along the class's bases (a base we cannot read before
  it is found leaves the call unresolved), and no subclass overrides `m` with something
  that is not a factory;
- `self.attr.m(...)`: the attribute's type from the class (an annotation, a constructor
  call, an annotated parameter assigned to it), then `m` on that type;
- `obj.m(...)` where `obj` is a module variable built by a project class (`runner = Runner()`).

A factory that keeps its task (in a set, a list, a TaskGroup) is never one: only a
returned start whose task nothing else references starts a chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import (
    ClassShape,
    FileFacts,
    FunctionFacts,
    Job,
    Location,
    RawJob,
    TargetRef,
    TaskCall,
    TaskReturn,
)

if TYPE_CHECKING:
    from .link import LinkedJob, SymbolTable

# Bases that define no method a project calls on itself.
SAFE_BASES = frozenset(
    {
        "object",
        "abc.ABC",
        "typing.Generic",
        "typing.Protocol",
        "typing_extensions.Protocol",
        "enum.Enum",
    }
)
MAX_ROUNDS = 12  # chains longer than this are not followed
MAX_MRO = 64


@dataclass(frozen=True)
class Factory:
    function: str  # dotted
    parameters: tuple[str, ...]
    # the parameter whose argument is the coroutine the task runs; None: made inside
    coroutine: str | None
    # a new task only when that argument is a call (`ensure_future(param)` hands an
    # existing future back as it is)
    needs_call: bool
    made: str | None  # the coroutine made inside, when `coroutine` is None
    chain: tuple[str, ...]  # qualnames down to the start, then how it starts
    static: bool
    location: Location
    origin: Location  # the function at the end of the chain, which starts the task
    start: Location | None  # where that one starts it (for itself only)


@dataclass(frozen=True)
class Resolved:
    function: str  # dotted
    bound: bool  # called on an instance: its first parameter is the receiver
    dispatch: str | None  # the class whose subclasses may override it


class ClassIndex:
    """Classes, module singletons and method lookup, from every file's TaskFlow."""

    def __init__(self, facts: list[FileFacts], table: SymbolTable) -> None:
        self.table = table
        self.classes: dict[str, ClassShape] = {}
        self.singletons: dict[str, str] = {}
        for ff in facts:
            flow = ff.task_flow
            if flow is None:
                continue
            prefix = f"{ff.module}." if ff.module else ""
            for qualname, shape in flow.classes.items():
                self.classes.setdefault(prefix + qualname, shape)
            for variable, constructor in flow.singletons.items():
                self.singletons.setdefault(prefix + variable, constructor)
        self.bases = {
            name: tuple(self._class(base) for base in shape.bases)
            for name, shape in self.classes.items()
        }
        self.subclasses: dict[str, set[str]] = {}
        for name, bases in self.bases.items():
            for base in bases:
                self.subclasses.setdefault(base, set()).add(name)

    def _class(self, dotted: str) -> str:
        found = self.table.follow(dotted)
        if found.startswith("builtins."):
            return found.partition(".")[2]
        return found

    def linear(self, cls: str) -> list[str]:
        """The class and its bases, depth first, left to right (the MRO of plain trees)."""
        out: list[str] = []
        todo = [cls]
        while todo and len(out) < MAX_MRO:
            current = todo.pop(0)
            if current in out:
                continue
            out.append(current)
            todo[0:0] = list(self.bases.get(current, ()))
        return out

    def lookup(self, cls: str, name: str) -> str | None:
        """The method `name` of `cls`, when no base we cannot read comes first."""
        for current in self.linear(cls):
            if current not in self.classes:
                if current in SAFE_BASES:
                    continue
                return None
            dotted = f"{current}.{name}"
            if dotted in self.table.functions:
                return dotted
            if name in self.classes[current].attributes:
                return None  # an attribute of that name (a callable object?)
        return None

    def attribute_type(self, cls: str, attribute: str) -> str | None:
        for current in self.linear(cls):
            if current not in self.classes:
                if current in SAFE_BASES:
                    continue
                return None
            found = self.classes[current].attributes.get(attribute)
            if found is not None:
                kind = self._class(found) if found else ""
                return kind if kind in self.classes else None
            if f"{current}.{attribute}" in self.table.functions:
                return None  # a property or method: what it returns is not read
        return None

    def overrides(self, cls: str, name: str) -> list[str]:
        """Definitions of `name` in the classes derived from `cls`."""
        out: list[str] = []
        seen: set[str] = set()
        todo = list(self.subclasses.get(cls, ()))
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            dotted = f"{current}.{name}"
            if dotted in self.table.functions:
                out.append(dotted)
            todo.extend(self.subclasses.get(current, ()))
        return out

    def resolve(self, callee: str, ff: FileFacts, owner: str | None) -> Resolved | None:
        head, _, rest = callee.partition(".")
        if head == "cls":
            return None
        prefix = f"{ff.module}." if ff.module else ""
        if head == "self":
            if not owner or not rest:
                return None
            parts = rest.split(".")
            cls = prefix + owner
            if len(parts) == 2:
                found_type = self.attribute_type(cls, parts[0])
                if found_type is None:
                    return None
                cls = found_type
            elif len(parts) != 1:
                return None
            method = self.lookup(cls, parts[-1])
            return Resolved(method, True, cls) if method else None
        dotted = self.table.follow(callee)
        found = self.table.functions.get(dotted)
        if found is not None:
            # a module-level function; `Class.method(...)` is left alone
            return Resolved(dotted, False, None) if "." not in found[0].qualname else None
        holder, _, name = dotted.rpartition(".")
        constructor = self.singletons.get(self.table.follow(holder)) if holder else None
        if constructor is None:
            return None
        cls = self._class(constructor)
        if cls not in self.classes:
            return None
        method = self.lookup(cls, name)
        return Resolved(method, True, cls) if method else None


def find_factories(
    facts: list[FileFacts],
    table: SymbolTable,
    index: ClassIndex,
    declared: dict[str, Factory] | None = None,
) -> dict[str, Factory]:
    from .link import resolve_target

    factories: dict[str, Factory] = dict(declared or {})
    chained: list[tuple[TaskReturn, FileFacts]] = []
    for ff in facts:
        if ff.task_flow is None:
            continue
        for ret in ff.task_flow.returns:
            if ret.creates is None:
                chained.append((ret, ff))
                continue
            dotted = _dotted(ff, ret.function)
            if dotted in factories or dotted not in table.functions:
                continue
            _, mentioned, is_call = ret.arguments[0]
            coroutine = mentioned[0] if len(mentioned) == 1 else None
            needs_call = ret.creates.endswith("ensure_future") and not is_call
            if needs_call and coroutine is None:
                continue
            made = resolve_target(ret.coroutine, ff, table) if ret.coroutine else None
            factories[dotted] = _factory(
                dotted, ret, table, coroutine, needs_call, made, (ret.creates,), None
            )
    for _ in range(MAX_ROUNDS):
        added = False
        for ret, ff in chained:
            dotted = _dotted(ff, ret.function)
            if dotted in factories or dotted not in table.functions:
                continue
            inner = _through(ret.callee or "", ff, ret.owner, index, factories)
            if inner is None:
                continue
            factory, offset = inner
            found = _coroutine_argument(factory, offset, ret)
            if found is None:
                continue
            coroutine, needs_call = found
            made = factory.made if factory.coroutine is None else None
            factories[dotted] = _factory(
                dotted, ret, table, coroutine, needs_call, made, factory.chain, factory.origin
            )
            added = True
        if not added:
            break
    return factories


def _dotted(ff: FileFacts, qualname: str) -> str:
    return f"{ff.module}.{qualname}" if ff.module else qualname


def _factory(
    dotted: str,
    ret: TaskReturn,
    table: SymbolTable,
    coroutine: str | None,
    needs_call: bool,
    made: str | None,
    rest: tuple[str, ...],
    origin: Location | None,
) -> Factory:
    fn, ff = table.functions[dotted]
    location = Location(ff.path, fn.line, fn.column)
    return Factory(
        function=dotted,
        parameters=ret.parameters,
        coroutine=coroutine,
        needs_call=needs_call,
        made=made,
        chain=(fn.qualname, *rest),
        static="staticmethod" in fn.decorators,
        location=location,
        origin=origin or location,
        start=None if origin else Location(ff.path, ret.line, ret.column),
    )


def _through(
    callee: str, ff: FileFacts, owner: str | None, index: ClassIndex, factories: dict[str, Factory]
) -> tuple[Factory, int] | None:
    """The factory a call certainly reaches, and how many leading parameters it binds."""
    resolved = index.resolve(callee, ff, owner)
    if resolved is None:
        return None
    factory = factories.get(resolved.function)
    if factory is None:
        return None
    if resolved.dispatch is not None:
        name = resolved.function.rpartition(".")[2]
        if any(o not in factories for o in index.overrides(resolved.dispatch, name)):
            return None  # a subclass may run something else
    return factory, (1 if resolved.bound and not factory.static else 0)


def _coroutine_argument(
    factory: Factory, offset: int, ret: TaskReturn
) -> tuple[str | None, bool] | None:
    """(the caller's parameter that becomes the coroutine, whether it must be a call) for
    a function returning `factory(...)`; None when no task is certain."""
    if factory.coroutine is None:
        return None, False
    given = _argument(factory, offset, {key: (m, c) for key, m, c in ret.arguments})
    if given is MISSING:
        return None
    mentioned, is_call = given
    coroutine = mentioned[0] if len(mentioned) == 1 else None
    needs_call = factory.needs_call and not is_call
    if needs_call and coroutine is None:
        return None
    return coroutine, needs_call


MISSING: Any = object()


def _argument(factory: Factory, offset: int, by_key: dict[str, Any]) -> Any:
    """What a call passes for the factory's coroutine parameter, or MISSING."""
    assert factory.coroutine is not None
    position = factory.parameters.index(factory.coroutine) - offset
    if str(position) in by_key:
        return by_key[str(position)]
    return by_key.get(factory.coroutine, MISSING)


def configured(dotted_paths: list[str], table: SymbolTable) -> dict[str, Factory]:
    """`task-factories` of the config: the coroutine is the first argument of each call."""
    out: dict[str, Factory] = {}
    for given in dotted_paths:
        dotted = table.follow(given)
        found = table.functions.get(dotted)
        if found is None:
            continue  # not in the scanned code: nothing calls it that we can place
        fn, ff = found
        method = "." in fn.qualname and "<locals>" not in fn.qualname
        location = Location(ff.path, fn.line, fn.column)
        out[dotted] = Factory(
            function=dotted,
            parameters=("self", "coro") if method else ("coro",),
            coroutine="coro",
            needs_call=False,
            made=None,
            chain=(fn.qualname, "task-factories (configuration)"),
            static="staticmethod" in fn.decorators,
            location=location,
            origin=location,
            start=None,
        )
    return out


def factory_tasks(
    existing: list[LinkedJob],
    facts: list[FileFacts],
    table: SymbolTable,
    declared: list[str] | None = None,
) -> list[LinkedJob]:
    """`existing` plus a create_task record for each call of a factory (a call a
    same-file wrapper already placed there is replaced: extract/wrappers.py cannot tell
    whether the caller keeps the result). `declared`: the config's `task-factories`."""
    if not declared and not any(ff.task_flow and ff.task_flow.returns for ff in facts):
        return existing
    index = ClassIndex(facts, table)
    factories = find_factories(facts, table, index, configured(declared or [], table))
    if not factories:
        return existing
    found = list(_calls_of(factories, facts, table, index))
    if not found:
        return existing
    placed = {lj.job.location for lj in found}
    # A factory's own start runs a parameter: it is listed at each call of the factory.
    starts = {f.start for f in factories.values() if f.start and f.coroutine}
    kept = []
    for lj in existing:
        if lj.job.kind == "create_task":
            if lj.job.location in placed and lj.raw.extra.get("via_wrapper"):
                continue
            if lj.job.location in starts and lj.raw.target.how == "variable":
                continue
        kept.append(lj)
    return kept + found


def _calls_of(
    factories: dict[str, Factory], facts: list[FileFacts], table: SymbolTable, index: ClassIndex
) -> Iterator[LinkedJob]:
    from .link import LinkedJob, resolve_target

    for ff in facts:
        if ff.task_flow is None:
            continue
        for call in ff.task_flow.calls:
            reached = _through(call.callee, ff, call.enclosing_class, index, factories)
            if reached is None:
                continue
            factory, offset = reached
            target = factory.made
            if factory.coroutine is not None:
                given = _argument(factory, offset, dict(call.arguments))
                if given is MISSING:
                    continue  # through *args / **kwargs, or a default: not certain
                if given is None and factory.needs_call:
                    continue  # a name: maybe a future someone else holds
                target = resolve_target(given, ff, table) if given is not None else None
            yield _linked(LinkedJob, factory, call, ff, table, target)


def _linked(
    cls: type,
    factory: Factory,
    call: TaskCall,
    ff: FileFacts,
    table: SymbolTable,
    target: str | None,
):  # type: ignore[no-untyped-def]
    extra = {
        "discarded": call.discarded,
        "via": factory.chain[-1],
        "factory": " → ".join(factory.chain[:-1]),
        "factory_at": f"{factory.origin.file}:{factory.origin.line}",
        "call": call.callee,
    }
    if call.kept_in_local:
        extra["kept_in_local"] = call.kept_in_local
    location = Location(ff.path, call.line, call.column)
    job = Job(
        kind="create_task",
        name=None,
        target=target,
        schedule=None,
        locked=None,
        lock_key=None,
        location=location,
        periodic=False,
        extra=tuple(sorted(extra.items())),
    )
    raw = RawJob(
        kind="create_task",
        name=None,
        target=TargetRef("import", target or ""),
        schedule=None,
        line=call.line,
        column=call.column,
        periodic=False,
        enclosing=call.enclosing,
        extra=extra,
    )
    found: tuple[FunctionFacts, FileFacts] | None = table.functions.get(target or "")
    return cls(
        job=job,
        raw=raw,
        facts=ff,
        definition=found[0] if found else None,
        definition_facts=found[1] if found else None,
    )


def base_modules(facts: list[FileFacts], known_modules: set[str]) -> set[str]:
    """Modules to read for the classes whose methods call `self.<factory name>(...)` (a
    method named like a factory found so far): those defining their bases and attribute
    types, transitively (a mixin such as `CoreSysAttributes` often lives in a file the
    prefilter skipped), so the method can be looked up. Nothing when no file returns a
    task it starts."""
    names = _factory_names(facts)
    if not names:
        return set()
    shapes: dict[str, ClassShape] = {}
    todo: list[str] = []
    for ff in facts:
        flow = ff.task_flow
        if flow is None:
            continue
        prefix = f"{ff.module}." if ff.module else ""
        for qualname, shape in flow.classes.items():
            shapes.setdefault(prefix + qualname, shape)
        todo += [
            prefix + c.enclosing_class
            for c in flow.calls
            if c.enclosing_class
            and c.callee.startswith("self.")
            and c.callee.rpartition(".")[2] in names
        ]
    seen: set[str] = set()
    wanted: set[str] = set()
    extracted = {ff.module for ff in facts if ff.module}
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        known = shapes.get(cls)
        if known is None:
            module = _module_of(cls, known_modules)
            if module and module not in extracted:
                wanted.add(module)
            continue
        todo += [*known.bases, *(t for t in known.attributes.values() if t)]
    return wanted


def _factory_names(facts: list[FileFacts]) -> set[str]:
    """Names that may be factories: those returning a start, and by name alone those
    returning what one of them returns (more than find_factories says: this only decides
    which files to read, cheaply, in every round)."""
    names: set[str] = set()
    chained: list[tuple[str, str]] = []
    for ff in facts:
        if ff.task_flow is None:
            continue
        for ret in ff.task_flow.returns:
            name = ret.function.rpartition(".")[2]
            if ret.creates:
                names.add(name)
            elif ret.callee:
                chained.append((name, ret.callee.rpartition(".")[2]))
    for _ in range(MAX_ROUNDS):
        more = {name for name, callee in chained if callee in names and name not in names}
        if not more:
            break
        names |= more
    return names


def _module_of(dotted: str, known_modules: set[str]) -> str | None:
    module = dotted.rpartition(".")[0]
    while module and module not in known_modules:
        module = module.rpartition(".")[0]
    return module or None
