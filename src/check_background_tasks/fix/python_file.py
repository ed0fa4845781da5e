"""One Python file being fixed: parsed once with libcst, located by positions, edited
by one transformer that applies every planned change at once.

Every fixer only records what to change against nodes of the original tree; nothing is
rewritten until all findings of the file are planned, so positions never shift under a
later finding.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, Union

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

N = TypeVar("N", bound=cst.CSTNode)
Statement = Union[cst.SimpleStatementLine, cst.BaseCompoundStatement]  # noqa: UP007 (a runtime alias)


@dataclass
class Plan:
    calls: dict[cst.Call, list[Callable[[cst.Call], cst.Call]]] = field(default_factory=dict)
    # statement -> what stands in its place ([] removes it)
    replace: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    before: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    # module-level statements to insert before body[index]
    header: dict[int, list[cst.BaseStatement]] = field(default_factory=dict)
    ids_given: set[cst.Call] = field(default_factory=set)  # calls that get an id already

    def empty(self) -> bool:
        return not (self.calls or self.replace or self.before or self.header)


class PythonFile:
    def __init__(self, path: str, source: bytes) -> None:
        self.path = path
        self.source = source
        self.wrapper = MetadataWrapper(cst.parse_module(source))
        self.module = self.wrapper.module
        self.positions = self.wrapper.resolve(PositionProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.plan = Plan()
        self._by_line: dict[int, list[cst.CSTNode]] | None = None

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]

    def nodes_at(self, kind: type[N], line: int) -> list[N]:
        """Nodes of `kind` that start on `line`, outermost first."""
        if self._by_line is None:
            self._by_line = {}
            for node, where in self.positions.items():
                self._by_line.setdefault(where.start.line, []).append(node)
        found = [node for node in self._by_line.get(line, ()) if isinstance(node, kind)]
        found.sort(key=lambda node: (self.positions[node].start.column, -self._size(node)))
        return found

    def _size(self, node: cst.CSTNode) -> int:
        where = self.positions[node]
        return (where.end.line - where.start.line) * 10_000 + where.end.column

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = node
        while current in self.parents:
            current = self.parents[current]
            yield current

    def statement_of(self, node: cst.CSTNode) -> Statement | None:
        for parent in self.ancestors(node):
            if isinstance(parent, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return parent
        return None

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def statement(self, text: str) -> cst.BaseStatement:
        return cst.parse_statement(text, config=self.module.config_for_parsing)

    def result(self) -> bytes:
        if self.plan.empty():
            return self.source
        new = self.module.visit(_Apply(self.plan))
        return new.bytes


class _Apply(cst.CSTTransformer):
    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.FlattenSentinel[cst.CSTNode] | cst.RemovalSentinel:
        updated = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.Call) and isinstance(updated, cst.Call):
            for change in self.plan.calls.get(original_node, ()):
                updated = change(updated)
        replaced = self.plan.replace.get(original_node)
        before = self.plan.before.get(original_node, [])
        if replaced is not None:
            if not replaced and not before:
                return cst.RemoveFromParent()
            return cst.FlattenSentinel([*before, *replaced])
        if before:
            assert isinstance(updated, cst.CSTNode)
            return cst.FlattenSentinel([*before, updated])
        return updated  # type: ignore[return-value]

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.plan.header:
            return updated_node
        # Indices refer to the original body; statements removed or replaced above
        # changed the updated one, so map through the originals.
        out: list[cst.BaseStatement] = []
        updated_by_original = _match_bodies(original_node.body, updated_node.body, self.plan)
        for index in range(len(original_node.body)):
            out.extend(self.plan.header.get(index, []))
            out.extend(updated_by_original[index])
        out.extend(self.plan.header.get(len(original_node.body), []))
        return updated_node.with_changes(body=out)


def _match_bodies(
    original: Sequence[cst.BaseStatement],
    updated: Sequence[cst.BaseStatement],
    plan: Plan,
) -> list[list[cst.BaseStatement]]:
    """For each original module statement, what stands for it in the updated body."""
    out: list[list[cst.BaseStatement]] = []
    position = 0
    for statement in original:
        replaced = plan.replace.get(statement)
        count = 1 if replaced is None else len(replaced)
        count += len(plan.before.get(statement, []))
        out.append(list(updated[position : position + count]))
        position += count
    return out


def compiles(source: bytes) -> bool:
    """Does CPython accept `source`? (libcst knows newer grammar than the interpreter.)"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fixed>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
