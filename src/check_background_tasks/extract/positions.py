"""Positions of libcst nodes, read off CPython's `ast` of the same source.

libcst's PositionProvider re-generates the whole module's code to count characters;
measured on a Celery-heavy repository it cost more than parsing and visiting together.
CPython's parser already records positions, and we parse with it anyway (the nesting
guard). Nodes of one kind appear in the same source order in both trees, so the k-th
call libcst visits is the k-th call in the ast sorted by position. When the counts of
any kind disagree (grammar newer than this interpreter, an ast quirk), the file falls
back to PositionProvider: slower, never wrong.
"""

from __future__ import annotations

import ast
from collections import Counter
from typing import Any

import libcst as cst

Position = tuple[int, int]  # 1-based line, 1-based column (characters)


def _source_order(node: Any) -> tuple[int, int, int, int]:
    """Source order; an enclosing node before the one it starts with (`f()(x)`)."""
    return (node.lineno, node.col_offset, -(node.end_lineno or 0), -(node.end_col_offset or 0))


def _ast_kinds(tree: ast.AST) -> dict[str, list[ast.AST]]:
    kinds: dict[str, list[ast.AST]] = {
        "call": [],
        "def": [],
        "decorator": [],
        "dictkey": [],
        "keyword": [],
        "assign": [],
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            kinds["call"].append(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not isinstance(node, ast.ClassDef):
                kinds["def"].append(node)
            kinds["decorator"].extend(node.decorator_list)
        elif isinstance(node, ast.Dict):
            kinds["dictkey"].extend(k for k in node.keys if k is not None)
        elif isinstance(node, ast.keyword) and node.arg is not None:
            kinds["keyword"].append(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            kinds["assign"].append(node)
    for nodes in kinds.values():
        nodes.sort(key=_source_order)
    return kinds


class Positions:
    def __init__(self, module: cst.Module, source: bytes, tree: ast.AST | None) -> None:
        self.module = module
        self.source = source
        self.tree = tree
        self.seen: Counter[str] = Counter()
        self.ids: dict[int, tuple[str, int]] = {}
        self.kinds: dict[str, list[ast.AST]] | None = None
        self.lines: list[bytes] | None = None
        self.fallback: Any = None
        self.verified = False

    def note(self, kind: str, node: cst.CSTNode) -> None:
        """Record that `node` is the next node of `kind` in source order."""
        self.ids[id(node)] = (kind, self.seen[kind])
        self.seen[kind] += 1

    def finish(self) -> None:
        """Call after the whole module was visited: decides between ast and fallback."""
        if self.tree is not None:
            self.kinds = _ast_kinds(self.tree)
            self.verified = all(self.seen[k] == len(v) for k, v in self.kinds.items())

    def get(self, node: cst.CSTNode) -> Position:
        slot = self.ids.get(id(node))
        if self.verified and slot is not None and self.kinds is not None:
            kind, ordinal = slot
            found = self.kinds[kind][ordinal]
            line, col = found.lineno, found.col_offset  # type: ignore[attr-defined]
            column = self._chars(line, col)
            if kind == "decorator":
                column = self._at_sign(line, column)
            return line, column
        return self._fallback(node)

    def _line(self, line: int) -> bytes:
        if self.lines is None:
            text = self.source.decode(self.module.encoding, "replace")
            # ast offsets are UTF-8 byte offsets of the decoded text, whatever the cookie.
            self.lines = [ln.encode("utf-8") for ln in text.splitlines()] or [b""]
        return self.lines[line - 1] if 0 < line <= len(self.lines) else b""

    def _chars(self, line: int, byte_col: int) -> int:
        prefix = self._line(line)[:byte_col]
        return len(prefix.decode("utf-8", "replace")) + 1

    def _at_sign(self, line: int, column: int) -> int:
        """ast places a decorator at its expression; the declaration starts at `@`."""
        text = self._line(line).decode("utf-8", "replace")
        at = text.rfind("@", 0, max(column - 1, 0))
        return at + 1 if at >= 0 else column

    def _fallback(self, node: cst.CSTNode) -> Position:
        if self.fallback is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self.fallback = wrapper.resolve(PositionProvider)
        pos = self.fallback.get(node)
        if pos is None:
            return (1, 1)
        return (pos.start.line, pos.start.column + 1)
