"""Code newer than the running Python, rewritten so that its parser can read it.

The extractor reads CPython's ast, and CPython knows only its own version's grammar.
libcst knows newer grammar: a file CPython refuses but libcst reads is rewritten into
the older grammar and read again. Every line keeps its number (a multi-line header that
loses its type parameters is moved down onto its last line), and on the lines a rewrite
touches, what follows keeps its byte column wherever the construct fits on one line:

- PEP 695: type parameters of `def`/`class` become whitespace, `type X[T] = v` becomes
  `X = v` with `=` where it was;
- PEP 654 `except*` becomes `except ` (Python 3.10), PEP 758 `except A, B:` is
  parenthesised;
- an f-string the running Python cannot parse (PEP 701) and a t-string (PEP 750) become
  an f-string of blanks of the same size: an unknown value to the extractor, and the
  original text still shows through positions, which read the original file.
"""

from __future__ import annotations

import ast
import warnings
from typing import Any

import libcst as cst


class NotPython(Exception):
    """libcst cannot read the file either: a real syntax error."""


class NotDecodable(NotPython):
    """The bytes are not text in the encoding the file declares."""


class NotRewritable(Exception):
    """libcst reads it, but the rewrite would move lines: better unread than misplaced."""


def downgrade(source: bytes) -> bytes:
    """`source` in the running interpreter's grammar, or one of the exceptions above."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise NotPython(str(exc)) from exc
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise NotDecodable(str(exc)) from exc
    older = module.visit(_Downgrade()).bytes
    if older.count(b"\n") != source.count(b"\n"):
        raise NotRewritable("rewriting it would move lines")
    return older


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _width(text: str) -> int:
    return len(text.encode("utf-8"))  # ast columns count UTF-8 bytes


class _Downgrade(cst.CSTTransformer):
    def __init__(self) -> None:
        super().__init__()
        self.lines_lost = 0  # by type aliases of the statement line being left

    # --- PEP 695 -----------------------------------------------------------------------

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        return _without_type_parameters(updated_node)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        return _without_type_parameters(updated_node)

    def leave_TypeAlias(
        self, original_node: cst.TypeAlias, updated_node: cst.TypeAlias
    ) -> cst.Assign:
        head = (
            "type"
            + updated_node.whitespace_after_type.value
            + updated_node.name.value
            + updated_node.whitespace_after_name.value
        )
        if updated_node.type_parameters is not None:
            head += _code(updated_node.type_parameters)
            head += updated_node.whitespace_after_type_parameters.value
        self.lines_lost += head.count("\n")
        equals_column = _width(head.rsplit("\n", 1)[-1])
        padding = max(1, equals_column - _width(updated_node.name.value))
        target = cst.AssignTarget(
            updated_node.name,
            whitespace_before_equal=cst.SimpleWhitespace(" " * padding),
            whitespace_after_equal=updated_node.whitespace_after_equals,
        )
        return cst.Assign(
            targets=[target], value=updated_node.value, semicolon=updated_node.semicolon
        )

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if not self.lines_lost:
            return updated_node
        blank = [cst.EmptyLine() for _ in range(self.lines_lost)]
        self.lines_lost = 0
        return updated_node.with_changes(leading_lines=[*updated_node.leading_lines, *blank])

    # --- PEP 654, PEP 758 ------------------------------------------------------------

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        return updated_node.with_changes(type=_parenthesised(updated_node.type))

    def leave_TryStar(self, original_node: cst.TryStar, updated_node: cst.TryStar) -> cst.Try:
        handlers = [
            cst.ExceptHandler(
                body=handler.body,
                type=_parenthesised(handler.type),
                name=handler.name,
                leading_lines=handler.leading_lines,
                # `except* ` and `except  ` are as wide
                whitespace_after_except=cst.SimpleWhitespace(
                    handler.whitespace_after_except.value
                    + " "
                    + handler.whitespace_after_star.value
                ),
                whitespace_before_colon=handler.whitespace_before_colon,
            )
            for handler in updated_node.handlers
        ]
        return cst.Try(
            body=updated_node.body,
            handlers=handlers,
            orelse=updated_node.orelse,
            finalbody=updated_node.finalbody,
            leading_lines=updated_node.leading_lines,
            whitespace_before_colon=updated_node.whitespace_before_colon,
        )

    # --- PEP 701, PEP 750 --------------------------------------------------------------

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        code = _code(original_node)
        return updated_node if _parses(code) else _blank_string(code)

    def leave_TemplatedString(
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.BaseExpression:
        return _blank_string(_code(original_node))


def _without_type_parameters(node: Any) -> Any:
    if node.type_parameters is None:
        return node
    removed = _code(node.type_parameters) + node.whitespace_after_type_parameters.value
    lines = removed.count("\n")
    if lines:
        # The header loses lines: it moves down onto its last line, the body stays put.
        blank = [cst.EmptyLine() for _ in range(lines)]
        return node.with_changes(
            type_parameters=None,
            whitespace_after_type_parameters=cst.SimpleWhitespace(""),
            lines_after_decorators=[*node.lines_after_decorators, *blank],
        )
    padding = node.whitespace_after_name.value + " " * _width(removed)
    return node.with_changes(
        type_parameters=None,
        whitespace_after_type_parameters=cst.SimpleWhitespace(""),
        whitespace_after_name=cst.SimpleWhitespace(padding),
    )


def _parenthesised(caught: cst.BaseExpression | None) -> cst.BaseExpression | None:
    if isinstance(caught, cst.Tuple) and not caught.lpar:
        return caught.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return caught


def _blank_string(code: str) -> cst.BaseExpression:
    """An f-string of blanks as many lines and bytes per line as `code`."""
    lines = code.split("\n")
    if len(lines) == 1:
        text = 'f"' + " " * max(0, _width(code) - 3) + '"'
    else:
        first = 'f"""' + " " * max(0, _width(lines[0]) - 4)
        middle = [" " * _width(line) for line in lines[1:-1]]
        last = " " * max(0, _width(lines[-1]) - 3) + '"""'
        text = "\n".join([first, *middle, last])
    return cst.parse_expression(text)


def _parses(expression: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(f"({expression})", mode="eval")
    except SyntaxError:
        return False
    return True
