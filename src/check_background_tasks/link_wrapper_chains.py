"""Scheduler wrappers forwarding to wrappers of other files, to a fixed point.

    def add_interval(func, minutes, job_id):             # app/sched.py: a wrapper
        SCHED.add_job(func, "interval", minutes=minutes, id=job_id)

    def every_hour(func, job_id):                        # app/periodic.py: forwards
        add_interval(func, 60, job_id)

    every_hour(tasks.cleanup, "cleanup")                 # app/boot.py: a job

A function forwards when one of its calls hands its own parameter to a wrapper (or to a
function that forwards) as the job's callable: each of its calls is then a job. Within one
file extract/wrappers.py composes the two templates; across files the forwarding call is
only known as data (`TaskCall`: literals and references), so a call of the forwarding
function is turned into the call it makes of the next wrapper, with the caller's arguments
in place of its parameters, until a wrapper whose template is read (link_wrappers.py).

Each forwarding function is found once and forwards only to functions found before it, so
chains are acyclic and a cycle (`a -> b -> a`) forwards to nothing; MAX_CHAIN bounds the
rounds and the depth.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import FileFacts, TargetRef, TaskCall

if TYPE_CHECKING:
    from .link import SymbolTable

MAX_CHAIN = 4  # forwarding functions between a call and the wrapper whose template is read
BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class Forward:
    function: str  # dotted: the forwarding function
    home: FileFacts  # the file defining it
    call: TaskCall  # its call of the next wrapper, in `home`
    inner: str  # dotted: the next wrapper (one with a template, or another Forward)
    offset: int  # 1 when `call` binds the next wrapper's `self`
    parameters: tuple[str, ...]
    defaults: dict[str, str]


@dataclass
class Composed:
    """A call of a forwarding function, written as the call of the wrapper it ends in."""

    call: TaskCall
    offset: int
    wrapper: str  # dotted: the wrapper whose template is read
    chain: tuple[str, ...]  # the functions called on the way, outermost first
    # expressions (as `unknown` references) whose names are all absolute or literal: read
    # in the wrapper's file like its own text
    portable: set[str] = field(default_factory=set)
    settled: set[str] = field(default_factory=set)  # expressions already made, portable or not
    aliases: dict[str, str] = field(default_factory=dict)  # absolute name -> as written


def compose(
    call: TaskCall,
    caller: FileFacts,
    function: str,
    offset: int,
    forwards: dict[str, Forward],
    table: SymbolTable,
) -> Composed | None:
    """The call of the last wrapper that `call` (of the forwarding `function`) makes."""
    composed = Composed(call, offset, function, (function,))
    origin = caller
    while composed.wrapper in forwards:
        if len(composed.chain) > MAX_CHAIN:
            return None
        forward = forwards[composed.wrapper]
        composed.call = _through(forward, composed, origin, table)
        composed.offset = forward.offset
        composed.wrapper = forward.inner
        composed.chain += (forward.inner,)
        origin = forward.home
    return composed


def _given(parameters: tuple[str, ...], call: TaskCall, offset: int) -> dict[str, Any]:
    """What each parameter is at the call: a literal or a reference."""
    given: dict[str, Any] = {}
    for key, value in [*call.literals, *call.arguments]:
        if key.isdigit():
            position = int(key) + offset
            if position < len(parameters):
                given[parameters[position]] = value
        elif key in parameters:
            given[key] = value
    return given


def _through(
    forward: Forward, composed: Composed, origin: FileFacts, table: SymbolTable
) -> TaskCall:
    """`forward.call` with the arguments `composed.call` gives `forward.function`.

    A reference the caller hands over stays as the caller wrote it (the job is placed in its
    file); one the forwarding function names itself is made absolute; an expression is kept
    as text, its parameters replaced by literals where the call gives them."""
    from .link import resolve_target

    call = composed.call
    given = _given(forward.parameters, call, composed.offset)
    for name in forward.parameters[composed.offset :]:
        if name not in given and name in forward.defaults:
            given[name] = _default(forward.defaults[name], forward.home, composed)
    literals: list[tuple[str, Any]] = list(forward.call.literals)
    arguments: list[tuple[str, TargetRef | None]] = []
    for key, ref in forward.call.arguments:
        if ref is None:
            continue
        if ref.how == "variable":
            value = _passed(ref.value, given)
            if value is _NOTHING:
                continue  # known at run time only: the parameter stays unbound
            if isinstance(value, TargetRef):
                arguments.append((key, _carried(value, origin, composed)))
            else:
                literals.append((key, value))
        elif ref.how == "unknown":
            values = {k: v for k, v in given.items() if not isinstance(v, TargetRef)}
            arguments.append((key, _expression(ref.value, forward.home, values, composed)))
        else:
            dotted = resolve_target(ref, forward.home, table)
            arguments.append((key, TargetRef("import", dotted, ref.bound)))
    return TaskCall(
        callee=forward.inner,
        enclosing=call.enclosing,
        enclosing_class=call.enclosing_class,
        line=call.line,
        column=call.column,
        discarded=True,
        arguments=tuple(arguments),
        literals=tuple(literals),
    )


_NOTHING = object()


def _passed(written: str, given: dict[str, Any]) -> Any:
    """What a parameter handed over as written (`func`, `func.__name__`) is at the call."""
    name, _, attribute = written.partition(".")
    if name not in given:
        return _NOTHING
    value = given[name]
    if not attribute:
        return value
    if (
        attribute == "__name__"
        and isinstance(value, TargetRef)
        and value.how in ("import", "local")
        and not value.bound
    ):
        return value.value.rpartition(".")[2]
    return _NOTHING


def _carried(value: TargetRef, origin: FileFacts, composed: Composed) -> TargetRef:
    """A reference handed through: an expression written in `origin` made portable."""
    if value.how != "unknown" or value.value in composed.settled:
        return value
    return _expression(value.value, origin, {}, composed)


def _default(text: str, home: FileFacts, composed: Composed) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _expression(text, home, {}, composed)


def _expression(text: str, ff: FileFacts, values: dict[str, Any], composed: Composed) -> TargetRef:
    """`IntervalTrigger(minutes=minutes)` written in `ff`, with `minutes` given as 5:
    `apscheduler.triggers.interval.IntervalTrigger(minutes=5)`, which the wrapper's file
    reads like its own text (portable); as written when a name of `ff` is left in it."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return TargetRef("unknown", text)
    rewrite = _Absolute(ff, values)
    new = rewrite.visit(tree)
    written = ast.unparse(new.body)
    composed.settled.add(written)
    if rewrite.local:
        # a name only its own file knows: shown with the literals in place, not read
        return TargetRef("unknown", written)
    composed.portable.add(written)
    composed.aliases.update(rewrite.aliases)
    return TargetRef("unknown", written)


class _Absolute(ast.NodeTransformer):
    def __init__(self, ff: FileFacts, values: dict[str, Any]) -> None:
        self.imports = ff.imports
        self.values = values
        self.local = False
        self.aliases: dict[str, str] = {}

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.values:
            try:
                return ast.parse(repr(self.values[node.id]), mode="eval").body
            except (SyntaxError, ValueError, RecursionError):
                self.local = True
                return node
        dotted = self.imports.get(node.id)
        if dotted and not dotted.startswith("."):
            if dotted == node.id:
                return node  # `import os`: already absolute
            try:
                absolute = ast.parse(dotted, mode="eval").body
            except (SyntaxError, ValueError, RecursionError):
                self.local = True
                return node
            self.aliases[dotted] = node.id
            return absolute
        if node.id not in BUILTIN_NAMES or dotted:
            self.local = True  # a module constant, a local, another parameter
        return node
