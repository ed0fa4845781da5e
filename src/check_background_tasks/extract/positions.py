"""Positions as users count them: 1-based lines, 1-based columns in characters.

CPython's ast records columns as UTF-8 byte offsets into the decoded line; editors, SARIF
and GitHub annotations count characters. Lines are decoded only when a position or a
node's source text is asked for, and a line of plain ASCII needs no conversion at all.
"""

from __future__ import annotations

import ast
import io
import tokenize

Position = tuple[int, int]  # 1-based line, 1-based column (characters)


class Positions:
    def __init__(self, source: bytes) -> None:
        self.source = source
        self.lines: list[str] | None = None

    def text_lines(self) -> list[str]:
        """The file's lines, decoded as Python decodes them (coding cookie, BOM)."""
        if self.lines is None:
            try:
                encoding, _ = tokenize.detect_encoding(io.BytesIO(self.source).readline)
            except SyntaxError:
                encoding = "utf-8"
            text = self.source.decode(encoding, "replace")
            if text.startswith("\ufeff"):
                text = text[1:]
            self.lines = _split_lines(text) or [""]
        return self.lines

    def get(self, node: ast.AST) -> Position:
        line = getattr(node, "lineno", 1)
        return line, self._chars(line, getattr(node, "col_offset", 0))

    def decorator(self, expr: ast.expr) -> Position:
        """ast places a decorator at its expression; the declaration starts at `@`."""
        line, column = self.get(expr)
        text = self._line(line)
        at = text.rfind("@", 0, max(column - 1, 0))
        return line, (at + 1 if at >= 0 else column)

    def _line(self, line: int) -> str:
        lines = self.text_lines()
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def _chars(self, line: int, byte_col: int) -> int:
        text = self._line(line)
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1


def _split_lines(text: str) -> list[str]:
    r"""Lines as CPython's tokenizer numbers them: \n, \r\n and \r end a line, \f does not."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
