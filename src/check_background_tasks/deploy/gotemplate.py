"""A Go ``text/template`` evaluator for Helm charts: pure, bounded, and honest about
what it cannot know.

Templates are parsed by :mod:`.gotemplate_parse` and run over plain values
(:mod:`.gotemplate_values`) with the functions of :mod:`.sprig`. Nothing is ever
``eval``-ed or executed; every run is bounded (steps, output size, include depth), so a
hostile template ends as :class:`TemplateError`, never as a hang.

What cannot be known here is :class:`Unknown` and stays visible in the output:

- printing an unknown writes a template action (``{{ .Release.Name }}``) into the text,
  so the YAML reading marks that field unknown;
- an ``if``/``with`` on an unknown renders the branch that can deploy the object: the
  one that writes more (for ``{{ if .Values.cron.enabled }}<CronJob>{{ end }}``, the
  CronJob); an object is never dropped because of an unknown;
- ``range`` over an unknown renders its body once, with unknown elements.

Every output line remembers the template line or values entry that wrote it, and the
values entry of the ``range`` element it belongs to (:class:`LineInfo`), so a rendered
object maps back to the file and line a maintainer edits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model import Location
from . import sprig
from .gotemplate_parse import (
    Action,
    Branch,
    Break,
    Chain,
    Command,
    Continue,
    Dot,
    Field,
    Identifier,
    Literal,
    Nil,
    Parsed,
    Pipe,
    SubPipe,
    TemplateCall,
    TemplateSyntaxError,
    Text,
    Variable,
    parse,
)
from .gotemplate_values import (
    GoObject,
    LineInfo,
    Unknown,
    has_marker,
    is_open,
    keys_of,
    marker,
    sprint,
    truth,
)
from .gotemplate_values import Text as LocatedText
from .goyaml import to_yaml
from .sprig import TemplateExecError

LocOf = Callable[[Any, Any], Location | None]


class TemplateError(Exception):
    """The template cannot be evaluated here (syntax, a failed call, a budget)."""


@dataclass
class Limits:
    """Bounds of evaluation. One ``Limits`` shared by many renders (all the charts of a
    project) also bounds their sum: ``total_steps`` across every render made with it."""

    max_steps: int = 500_000  # nodes, calls and loop iterations per render
    max_output: int = 8 << 20  # characters written per render, includes counted
    max_include_depth: int = 64
    max_tpl_sources: int = 256  # distinct `tpl` strings parsed per render
    total_steps: int = 5_000_000  # a large real chart takes about 50,000 per environment
    spent: list[int] = field(default_factory=lambda: [0])  # steps of every render so far


class _Budget(Exception):
    pass


class _BreakLoop(Exception):
    pass


class _ContinueLoop(Exception):
    pass


@dataclass
class Source:
    """One parsed template file (or ``tpl`` string: ``file`` None)."""

    parsed: Parsed
    file: str | None


class TemplateSet:
    """The templates a chart and its subcharts share: files and ``define``s by name.

    Helm parses a chart's files deepest path first and, at one depth, in reverse name
    order, so a define of the parent chart (or of ``_helpers.tpl`` over ``cronjob.yaml``)
    wins over another of the same name (helm pkg/engine/engine.go ``sortTemplates``).
    Add sources in that order; the last definition of a name wins.
    """

    def __init__(self) -> None:
        self.defines: dict[str, tuple[list[Any], str | None]] = {}
        self.files: dict[str, Source] = {}
        # per text node (by id; the nodes live as long as this set): its line infos
        self.text_infos: dict[int, tuple[LineInfo | None, ...]] = {}
        self._pure: dict[str, bool] = {}

    def is_pure(self, define: str) -> bool:
        """Does this define (and all it includes) change nothing it is given? Then an
        include of it with the same data can be reused."""
        known = self._pure.get(define)
        if known is None:
            self._pure[define] = True  # a recursive define is judged by its other parts
            known = self._pure[define] = self._judge_pure(define)
        return known

    def _judge_pure(self, define: str) -> bool:
        found = self.defines.get(define)
        if found is None:
            return False
        calls: set[str] = set()
        names: set[str] = set()
        _called(found[0], calls, names, [50_000])
        if calls & MUTATING or "tpl" in calls or "" in names:
            return False
        return all(self.is_pure(name) for name in names)

    def add(self, name: str, text: str, file: str | None) -> Source:
        """Parse a template file; raises :class:`TemplateError` on a syntax error."""
        try:
            parsed = parse(text)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"template syntax: {exc}") from exc
        except RecursionError as exc:
            raise TemplateError("template nested too deeply") from exc
        source = Source(parsed, file)
        self.files[name] = source
        for define, body in parsed.defines.items():
            self.defines[define] = (body, file)
        return source


# Functions that change a map given to them.
MUTATING = frozenset({"set", "unset", "merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite"})


def _called(nodes: list[Any], calls: set[str], names: set[str], budget: list[int]) -> None:
    """Function names called and templates included (``""``: a name only known when
    running) anywhere in ``nodes``."""

    def pipe(p: Pipe) -> None:
        for cmd in p.cmds:
            args = cmd.args
            for index, arg in enumerate(args):
                budget[0] -= 1
                if isinstance(arg, Identifier):
                    calls.add(arg.name)
                    if arg.name == "include":
                        target = args[index + 1] if index + 1 < len(args) else None
                        literal = isinstance(target, Literal) and isinstance(target.value, str)
                        names.add(target.value if literal else "")  # type: ignore[union-attr]
                elif isinstance(arg, SubPipe):
                    pipe(arg.pipe)
                elif isinstance(arg, Chain) and isinstance(arg.node, SubPipe):
                    pipe(arg.node.pipe)

    stack = list(nodes)
    while stack:
        budget[0] -= 1
        if budget[0] < 0:
            names.add("")
            return
        node = stack.pop()
        if isinstance(node, Action):
            pipe(node.pipe)
        elif isinstance(node, Branch):
            pipe(node.pipe)
            stack.extend(node.body)
            stack.extend(node.else_body or [])
        elif isinstance(node, TemplateCall):
            names.add(node.name)
            if node.pipe is not None:
                pipe(node.pipe)


# ------------------------------------------------------------------------------ output


class _Out:
    """Rendered text plus, per output line, where its visible characters came from."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.parts: list[str] = []
        # per output line: [file, line, column, output column, origin, value_loc,
        # later segments [(output column, file, line, column)] or None], or None
        self.infos: list[list[Any] | None] = [None]
        self.column = 0
        self.content = False

    def write(
        self,
        text: str,
        infos: tuple[LineInfo | None, ...] | None,
        default: LineInfo | None,
        value_loc: Location | None = None,
    ) -> None:
        if not text:
            return
        self.run.spend_output(len(text))
        self.parts.append(text)
        for index, piece in enumerate(text.split("\n")):
            if index:
                self.infos.append(None)
                self.column = 0
                self.content = False
            if not piece:
                continue
            blank = len(piece) - len(piece.lstrip(" \t"))
            if blank < len(piece):
                info = infos[index] if infos is not None and index < len(infos) else None
                info = info or default
                if info is not None:
                    self.record(info, self.column if index == 0 else 0, blank)
                self.content = True
            if value_loc is not None and self.infos[-1] is not None:
                self.infos[-1][5] = value_loc
            self.column += len(piece)

    def record(self, info: LineInfo, start: int, blank: int) -> None:
        """A visible piece at output column ``start + blank`` written from ``info``."""
        loc = info.loc
        out_col = start + blank
        src_col = loc.column + blank - info.anchor
        current = self.infos[-1]
        if current is None:
            origin = info.origin or self.run.origin()
            segments = [(s[0] + start, *s[1:]) for s in info.segments] if info.segments else None
            self.infos[-1] = [
                loc.file,
                loc.line,
                src_col,
                out_col,
                origin,
                info.value_loc,
                segments,
            ]
            return
        if current[6] is None:
            current[6] = []
        current[6].append((out_col, loc.file, loc.line, src_col))
        current[6].extend((s[0] + start, *s[1:]) for s in info.segments)

    def text(self) -> LocatedText:
        lines = tuple(
            LineInfo(
                Location(info[0], info[1], max(info[2], 1)),
                info[3],
                info[4],
                info[5],
                tuple(info[6]) if info[6] else (),
            )
            if info
            else None
            for info in self.infos
        )
        return LocatedText("".join(self.parts), lines)


# ----------------------------------------------------------------------------- running


class _Run:
    """One evaluation: budgets, the stack of ``range`` elements from values."""

    def __init__(self, templates: TemplateSet, loc_of: LocOf, limits: Limits) -> None:
        self.templates = templates
        self.loc_of = loc_of
        self.limits = limits
        self.steps = 0
        self.output = 0
        self.include_depth = 0
        self.origins: list[Location] = []
        self.tpl_cache: dict[str, Source] = {}
        self.text_infos = templates.text_infos
        # (define, id(data), range origin) → (data, text): an include of a template that
        # changes nothing, with the same data, writes the same text. Cleared whenever a
        # function changes a map in place.
        self.include_cache: dict[tuple[str, int, Location | None], tuple[Any, Any]] = {}

    def step(self, cost: int = 1) -> None:
        self.steps += cost
        if self.steps > self.limits.max_steps:
            raise _Budget("too many steps (a loop or recursion without end?)")
        spent = self.limits.spent
        spent[0] += cost
        if spent[0] > self.limits.total_steps:
            raise _Budget("the project's rendering budget is spent")

    def spend_output(self, size: int) -> None:
        self.output += size
        if self.output > self.limits.max_output:
            raise _Budget("output too large")

    def origin(self) -> Location | None:
        return self.origins[-1] if self.origins else None


class _Frame:
    """One template invocation: its variables (``$`` first), file and current action."""

    def __init__(self, run: _Run, dot: Any, dot_loc: Location | None, file: str | None) -> None:
        self.run = run
        self.vars: list[list[Any]] = [["$", dot, dot_loc]]
        self.file = file
        self.action_info: LineInfo | None = None
        self.action_source = ""

    # variables ---------------------------------------------------------------------

    def lookup(self, name: str) -> tuple[Any, Location | None]:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1], entry[2]
        raise TemplateExecError(f"undefined variable: {name}")

    def declare(self, name: str, value: Any, loc: Location | None) -> None:
        self.vars.append([name, value, loc])

    def assign(self, name: str, value: Any, loc: Location | None) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1], entry[2] = value, loc
                return
        raise TemplateExecError(f"undefined variable: {name}")

    # walking -----------------------------------------------------------------------

    def info(self, line: int, column: int) -> LineInfo | None:
        if self.file is None:
            return self.action_info  # a `tpl` string: its lines are the calling action's
        return LineInfo(Location(self.file, line, column), 0)

    def walk(self, nodes: list[Any], dot: Any, dot_loc: Location | None, out: _Out) -> None:
        for node in nodes:
            self.run.step()
            if isinstance(node, Text):
                self.text(node, out)
            elif isinstance(node, Action):
                self.action(node, dot, dot_loc, out)
            elif isinstance(node, Branch):
                mark = len(self.vars)
                try:
                    if node.kind == "range":
                        self.range(node, dot, dot_loc, out)
                    else:
                        self.branch(node, dot, dot_loc, out)
                finally:
                    del self.vars[mark:]
            elif isinstance(node, TemplateCall):
                self.template_call(node, dot, dot_loc, out)
            elif isinstance(node, Break):
                raise _BreakLoop
            elif isinstance(node, Continue):
                raise _ContinueLoop

    def text(self, node: Text, out: _Out) -> None:
        if self.file is None:
            out.write(node.text, None, self.action_info)
            return
        cache = self.run.text_infos
        infos = cache.get(id(node))
        if infos is None:
            count = node.text.count("\n")
            infos = tuple(
                LineInfo(Location(self.file, node.line + i, node.column if i == 0 else 1), 0)
                for i in range(count + 1)
            )
            cache[id(node)] = infos
        out.write(node.text, infos, None)

    def action(self, node: Action, dot: Any, dot_loc: Location | None, out: _Out) -> None:
        saved = self.action_info, self.action_source
        if self.file is not None:
            self.action_info = self.info(node.line, node.column)
        self.action_source = node.pipe.source
        try:
            value, loc = self.pipe(node.pipe, dot, dot_loc)
            if node.pipe.decl:
                return
            self.print(value, loc, out)
        finally:
            self.action_info, self.action_source = saved

    def print(self, value: Any, loc: Location | None, out: _Out) -> None:
        default = self.action_info
        if isinstance(value, Unknown):
            text = marker(value.desc or self.action_source)
            if value.newline:
                text = "\n" + " " * value.indent + text
            elif value.indent:
                text = " " * value.indent + text
            out.write(text, None, default)
        elif isinstance(value, LocatedText):
            out.write(value, value.lines, default)
        elif isinstance(value, str):
            info = LineInfo(loc, 0) if loc is not None else default
            out.write(value, None, info, value_loc=loc)
        else:
            # Go prints a missing value as "<no value>", which Helm removes
            text = "" if value is None else sprint(value)
            info = LineInfo(loc, 0) if loc is not None else default
            out.write(text, None, info, value_loc=loc)

    def branch(self, node: Branch, dot: Any, dot_loc: Location | None, out: _Out) -> None:
        value, loc = self.pipe(node.pipe, dot, dot_loc)
        decided = truth(value)
        if decided is None:
            # Unknown condition: render the branch that writes more (the one that can
            # deploy the object), never neither.
            body = node.body
            if node.else_body is not None and _size(node.else_body) > _size(node.body):
                body = node.else_body
            if node.kind == "with" and body is node.body:
                inner = value if isinstance(value, Unknown) else Unknown(node.pipe.source)
                self.walk(body, inner, None, out)
            else:
                self.walk(body, dot, dot_loc, out)
            return
        if decided:
            if node.kind == "with":
                self.walk(node.body, value, loc, out)
            else:
                self.walk(node.body, dot, dot_loc, out)
        elif node.else_body is not None:
            self.walk(node.else_body, dot, dot_loc, out)

    def range(self, node: Branch, dot: Any, dot_loc: Location | None, out: _Out) -> None:
        pipe = node.pipe
        value, _loc = self.pipe(Pipe([], False, pipe.cmds, pipe.source), dot, dot_loc)
        items: list[tuple[Any, Any]]
        if isinstance(value, Unknown):
            element = Unknown(value.desc or pipe.source)
            self.bind_range(pipe, Unknown(pipe.source), element, None)
            with contextlib.suppress(_BreakLoop, _ContinueLoop):
                self.walk(node.body, element, None, out)
            return
        if isinstance(value, dict):
            items = [(key, value[key]) for key in keys_of(value)]  # Go: sorted keys
        elif isinstance(value, list):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(max(value, 0))]
            if value > self.run.limits.max_steps:
                raise _Budget("range over a huge integer")
        elif value is None:
            items = []
        else:
            raise TemplateExecError(f"range can't iterate over {sprint(value)}")
        if not items:
            if node.else_body is not None:
                self.walk(node.else_body, dot, dot_loc, out)
            return
        container = value
        for key, element in items:
            self.run.step()
            mark = len(self.vars)
            element_loc = self.run.loc_of(container, key)
            self.bind_range(pipe, key, element, element_loc)
            if element_loc is not None:
                self.run.origins.append(element_loc)
            try:
                self.walk(node.body, element, element_loc, out)
            except _BreakLoop:
                break
            except _ContinueLoop:
                continue
            finally:
                if element_loc is not None:
                    self.run.origins.pop()
                del self.vars[mark:]

    def bind_range(self, pipe: Pipe, key: Any, element: Any, loc: Location | None) -> None:
        if len(pipe.decl) == 1:
            self.set_var(pipe, pipe.decl[0], element, loc)
        elif len(pipe.decl) == 2:
            self.set_var(pipe, pipe.decl[0], key, None)
            self.set_var(pipe, pipe.decl[1], element, loc)

    def set_var(self, pipe: Pipe, name: str, value: Any, loc: Location | None) -> None:
        if pipe.is_assign:
            self.assign(name, value, loc)
        else:
            self.declare(name, value, loc)

    def template_call(
        self, node: TemplateCall, dot: Any, dot_loc: Location | None, out: _Out
    ) -> None:
        if node.pipe is not None:
            value, loc = self.pipe(node.pipe, dot, dot_loc)
        else:
            value, loc = None, None
        self.run_define(node.name, value, loc, out)

    def run_define(self, name: str, dot: Any, dot_loc: Location | None, out: _Out) -> None:
        """Run a named template: a ``define`` or a template file (Helm names each file,
        ``chart/templates/configmap.yaml``). One not here (a library chart from a chart
        repository, a file not scanned) writes an unknown: what it writes is not known."""
        templates = self.run.templates
        found = templates.defines.get(name)
        if found is None and name in templates.files:
            source = templates.files[name]
            found = (source.parsed.body, source.file)
        if found is None:
            self.print(Unknown(f'include "{name}"'), None, out)  # not in the scan
            return
        body, file = found
        run = self.run
        if run.include_depth >= run.limits.max_include_depth:
            raise _Budget(f"templates nested too deeply (at {name!r})")
        run.include_depth += 1
        try:
            frame = _Frame(run, dot, dot_loc, file)
            if file is None:
                frame.action_info = self.action_info
            frame.walk(body, dot, dot_loc, out)
        finally:
            run.include_depth -= 1

    # pipelines ---------------------------------------------------------------------

    def pipe(self, pipe: Pipe, dot: Any, dot_loc: Location | None) -> tuple[Any, Location | None]:
        value: Any = None
        loc: Location | None = None
        has_final = False
        for cmd in pipe.cmds:
            value, loc = self.command(cmd, dot, dot_loc, (value, loc) if has_final else None)
            has_final = True
        if pipe.decl:
            for name in pipe.decl:
                self.set_var(pipe, name, value, loc)
        return value, loc

    def command(
        self,
        cmd: Command,
        dot: Any,
        dot_loc: Location | None,
        final: tuple[Any, Location | None] | None,
    ) -> tuple[Any, Location | None]:
        head = cmd.args[0]
        rest = cmd.args[1:]
        if isinstance(head, Identifier):
            return self.call(head.name, rest, final, dot, dot_loc)
        if isinstance(head, Field):
            return self.chain(dot, dot_loc, head.names, rest, final, dot, dot_loc, "")
        if isinstance(head, Variable):
            value, loc = self.lookup(head.name)
            if not head.names:
                self.no_args(rest, final, head.name)
                return value, loc
            return self.chain(value, loc, head.names, rest, final, dot, dot_loc, head.name)
        if isinstance(head, Chain):
            value, loc = self.arg(head.node, dot, dot_loc)
            return self.chain(value, loc, head.names, rest, final, dot, dot_loc, "(...)")
        if isinstance(head, Nil):
            raise TemplateExecError("nil is not a command")
        self.no_args(rest, final, "a value")
        return self.arg(head, dot, dot_loc)

    @staticmethod
    def no_args(rest: list[Any], final: Any, what: str) -> None:
        if rest or final is not None:
            raise TemplateExecError(f"can't give argument to non-function {what}")

    def arg(self, node: Any, dot: Any, dot_loc: Location | None) -> tuple[Any, Location | None]:
        if isinstance(node, Literal):
            return node.value, None
        if isinstance(node, Dot):
            return dot, dot_loc
        if isinstance(node, Nil):
            return None, None
        if isinstance(node, Field):
            return self.chain(dot, dot_loc, node.names, [], None, dot, dot_loc, "")
        if isinstance(node, Variable):
            value, loc = self.lookup(node.name)
            if not node.names:
                return value, loc
            return self.chain(value, loc, node.names, [], None, dot, dot_loc, node.name)
        if isinstance(node, Identifier):
            return self.call(node.name, [], None, dot, dot_loc)
        if isinstance(node, SubPipe):
            return self.pipe(node.pipe, dot, dot_loc)
        if isinstance(node, Chain):
            value, loc = self.arg(node.node, dot, dot_loc)
            return self.chain(value, loc, node.names, [], None, dot, dot_loc, "(...)")
        raise TemplateExecError(f"cannot evaluate {type(node).__name__}")

    def chain(
        self,
        value: Any,
        loc: Location | None,
        names: tuple[str, ...],
        args: list[Any],
        final: tuple[Any, Location | None] | None,
        dot: Any,
        dot_loc: Location | None,
        prefix: str,
    ) -> tuple[Any, Location | None]:
        """``receiver.a.b`` (the last name may be a method called with ``args``)."""
        for index, name in enumerate(names):
            self.run.step()
            last = index == len(names) - 1
            path = prefix + "." + ".".join(names[: index + 1])
            if isinstance(value, Unknown):
                self.eval_args(args, final, dot, dot_loc)  # for their own errors
                return Unknown(value.desc and value.desc + "." + ".".join(names[index:])), None
            if isinstance(value, GoObject):
                if name in value.methods:
                    call_args = self.eval_args(args, final, dot, dot_loc) if last else []
                    values = [v for v, _ in call_args]
                    try:
                        result = value.methods[name](*values)
                    except TypeError as exc:
                        raise TemplateExecError(f"wrong number of args for {name}") from exc
                    if isinstance(result, Unknown) and result.desc is None:
                        result = Unknown(path)
                    if last:
                        return result, None
                    value, loc = result, None
                    continue
                value, loc = value.fields.get(name), None
            elif isinstance(value, dict):
                if name in value:
                    value, loc = value[name], self.run.loc_of(value, name)
                elif is_open(value):
                    value, loc = Unknown(path), None
                else:
                    value, loc = None, None
            elif value is None:
                value, loc = None, None  # Helm fails on nil.x; lenient: nil (unknown is worse)
            else:
                raise TemplateExecError(f"can't evaluate field {name} in a {sprint(value)!r}")
            if isinstance(value, Unknown) and value.desc is None:
                value = Unknown(path)
        if args or final is not None:
            raise TemplateExecError(f"{names[-1]} is not a method but has arguments")
        return value, loc

    def eval_args(
        self,
        nodes: list[Any],
        final: tuple[Any, Location | None] | None,
        dot: Any,
        dot_loc: Location | None,
    ) -> list[tuple[Any, Location | None]]:
        out = [self.arg(node, dot, dot_loc) for node in nodes]
        if final is not None:
            out.append(final)
        return out

    # functions ---------------------------------------------------------------------

    def call(
        self,
        name: str,
        nodes: list[Any],
        final: tuple[Any, Location | None] | None,
        dot: Any,
        dot_loc: Location | None,
    ) -> tuple[Any, Location | None]:
        self.run.step()
        if name in ("and", "or"):
            return self.and_or(name, nodes, final, dot, dot_loc)
        args = self.eval_args(nodes, final, dot, dot_loc)
        values = [v for v, _ in args]
        if name == "not":
            if len(values) != 1:
                raise TemplateExecError("wrong number of args for not")
            decided = truth(values[0])
            return (Unknown() if decided is None else not decided), None
        if name == "include":
            return self.include(values), None
        if name == "tpl":
            return self.tpl(values), None
        if name == "toYaml" or name == "toYamlPretty":
            if len(values) != 1:
                raise TemplateExecError(f"wrong number of args for {name}")
            return to_yaml(values[0], self.run.loc_of), args[0][1]
        if name in MUTATING:
            self.run.include_cache.clear()  # an included template may read what changed
        fn = sprig.FUNCS.get(name)
        if fn is None:
            return Unknown(), None  # a function this evaluator does not know
        if name in sprig.PREDICATES and any(has_marker(v) for v in values):
            return Unknown(), None  # a comparison with a string only partly known
        if any(isinstance(v, Unknown) for v in values):
            if name in sprig.STRING_BUILDERS:
                # `printf "%s-cron" .Release.Name` → "{{ .Release.Name }}-cron": the
                # known part stays readable, the YAML reading still sees an unknown
                values = [marker(v.desc) if isinstance(v, Unknown) else v for v in values]
            elif name not in sprig.TOLERANT:
                return Unknown(), None
        try:
            result = fn(*values)
        except sprig.UnknownArgument:
            return Unknown(), None
        except TypeError as exc:
            raise TemplateExecError(f"wrong arguments for {name}") from exc
        except (ValueError, OverflowError, ZeroDivisionError) as exc:
            raise TemplateExecError(f"{name}: {exc}") from exc
        return result, _result_loc(name, result, args)

    def and_or(
        self,
        name: str,
        nodes: list[Any],
        final: tuple[Any, Location | None] | None,
        dot: Any,
        dot_loc: Location | None,
    ) -> tuple[Any, Location | None]:
        """Go 1.18+: ``and`` returns its first false argument (or the last), ``or`` its
        first true one, evaluating lazily. An unknown argument makes the result unknown
        unless a later known argument decides it."""
        if not nodes and final is None:
            raise TemplateExecError(f"wrong number of args for {name}")
        deciding = name == "or"  # the truth value that stops the evaluation
        unknown = False
        value: Any = None
        loc: Location | None = None
        pending = [*nodes, None] if final is not None else list(nodes)
        for node in pending:
            value, loc = (
                final if node is None and final is not None else self.arg(node, dot, dot_loc)
            )
            decided = truth(value)
            if decided is None:
                unknown = True
                continue
            if decided == deciding:
                return value, loc
        if unknown:
            return Unknown(), None
        return value, loc

    def include(self, values: list[Any]) -> Any:
        if len(values) != 2:
            raise TemplateExecError("wrong number of args for include")
        name, data = values
        if isinstance(name, Unknown):
            return Unknown("include of a template named at deploy time")
        run = self.run
        key = (str(name), id(data), run.origin())
        cacheable = isinstance(data, dict | GoObject) and run.templates.is_pure(str(name))
        if cacheable:
            cached = run.include_cache.get(key)
            if cached is not None and cached[0] is data:
                run.spend_output(len(cached[1]))
                return cached[1]
        out = _Out(run)
        self.run_define(str(name), data, None, out)
        text = out.text()
        if cacheable:
            run.include_cache[key] = (data, text)
        return text

    def tpl(self, values: list[Any]) -> Any:
        if len(values) != 2:
            raise TemplateExecError("wrong number of args for tpl")
        text, context = values
        if isinstance(text, Unknown) or isinstance(context, Unknown):
            return Unknown("tpl")
        if not isinstance(text, str):
            raise TemplateExecError("tpl: the template must be a string")
        if "{{" not in text:
            return text
        source = self.run.tpl_cache.get(text)
        if source is None:
            if len(self.run.tpl_cache) >= self.run.limits.max_tpl_sources:
                raise _Budget("too many tpl strings")
            try:
                parsed = parse(text)
            except (TemplateSyntaxError, RecursionError):
                return Unknown("tpl")
            source = Source(parsed, None)
            self.run.tpl_cache[text] = source
        run = self.run
        if run.include_depth >= run.limits.max_include_depth:
            raise _Budget("tpl nested too deeply")
        run.include_depth += 1
        saved = dict(run.templates.defines)
        try:
            for define, body in source.parsed.defines.items():
                run.templates.defines[define] = (body, None)
            frame = _Frame(run, context, None, None)
            frame.action_info = self.action_info
            frame.action_source = self.action_source
            out = _Out(run)
            frame.walk(source.parsed.body, context, None, out)
        finally:
            run.templates.defines = saved
            run.include_depth -= 1
        return out.text()


# Functions whose result is their (last) argument's value, transformed: the result was
# written where that argument was (a values entry).
_KEEPS_LOCATION = frozenset(
    {
        "quote",
        "squote",
        "toString",
        "trim",
        "trimSuffix",
        "trimPrefix",
        "trimAll",
        "lower",
        "upper",
        "title",
        "trunc",
        "int",
        "int64",
        "float64",
        "toJson",
        "b64enc",
        "indent",
        "nindent",
        "required",
    }
)
_PICKS_ARGUMENT = frozenset({"default", "coalesce", "ternary", "first", "last", "get", "index"})


def _result_loc(name: str, result: Any, args: list[tuple[Any, Location | None]]) -> Location | None:
    if not args:
        return None
    if name in _KEEPS_LOCATION:
        return args[-1][1]
    if name in _PICKS_ARGUMENT:
        for value, loc in args:
            if value is result and loc is not None:
                return loc
    return None


def _size(nodes: list[Any]) -> int:
    """How much a branch writes, statically (text, actions, nested branches)."""
    total = 0
    stack = list(nodes)
    seen = 0
    while stack and seen < 100_000:
        seen += 1
        node = stack.pop()
        if isinstance(node, Text):
            total += len(node.text.strip())
        elif isinstance(node, Action | TemplateCall):
            total += 10
        elif isinstance(node, Branch):
            stack.extend(node.body)
            stack.extend(node.else_body or [])
    return total


def render(
    templates: TemplateSet,
    name: str,
    dot: Any,
    loc_of: LocOf | None = None,
    limits: Limits | None = None,
) -> LocatedText:
    """Run the template file ``name`` of ``templates`` with ``dot``; the text with, per
    line, where it came from. Raises :class:`TemplateError` when it cannot be evaluated."""
    source = templates.files.get(name)
    if source is None:
        raise TemplateError(f"no template {name!r}")
    run = _Run(templates, loc_of or (lambda _c, _k: None), limits or Limits())
    frame = _Frame(run, dot, None, source.file)
    out = _Out(run)
    try:
        frame.walk(source.parsed.body, dot, None, out)
    except (_BreakLoop, _ContinueLoop) as exc:
        raise TemplateError("break or continue outside range") from exc
    except _Budget as exc:
        raise TemplateError(str(exc)) from exc
    except TemplateExecError as exc:
        raise TemplateError(str(exc)) from exc
    except RecursionError as exc:
        raise TemplateError("evaluation nested too deeply") from exc
    return out.text()


def render_string(
    text: str,
    dot: Any,
    defines: str = "",
    file: str | None = "template.yaml",
    loc_of: LocOf | None = None,
    limits: Limits | None = None,
) -> LocatedText:
    """Convenience for tests and one-off renders: ``defines`` is a helpers source."""
    templates = TemplateSet()
    if defines:
        templates.add("_helpers.tpl", defines, "_helpers.tpl")
    templates.add("main", text, file)
    return render(templates, "main", dot, loc_of, limits)
