"""Code newer than the running Python, rewritten so that its parser can read it.

The extractor reads CPython's ast, and CPython knows only its own version's grammar.
libcst knows newer grammar: a file CPython refuses but libcst reads is rewritten into
the older grammar (type parameters dropped, `type X = ...` as a plain assignment,
`except A, B:` parenthesised, f-strings this Python cannot parse as plain strings of the
same height) and read again. Every line stays where it was, so jobs and suppressions
keep their lines; a column after a rewritten construct on the same line may move.
"""

from __future__ import annotations

import ast
import warnings

import libcst as cst


class NotPython(Exception):
    """libcst cannot read the file either: a real syntax error."""


class NotDecodable(NotPython):
    """The bytes are not text in the encoding the file declares."""


def downgrade(source: bytes) -> bytes:
    """`source` in the running interpreter's grammar, or NotPython."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise NotPython(str(exc)) from exc
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise NotDecodable(str(exc)) from exc
    return module.visit(_Downgrade()).bytes  # type: ignore[union-attr]


class _Downgrade(cst.CSTTransformer):
    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        return updated_node.with_changes(type_parameters=None)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        return updated_node.with_changes(type_parameters=None)

    def leave_TypeAlias(
        self, original_node: cst.TypeAlias, updated_node: cst.TypeAlias
    ) -> cst.Assign:
        return cst.Assign(
            targets=[cst.AssignTarget(updated_node.name)],
            value=updated_node.value,
            semicolon=updated_node.semicolon,
        )

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        caught = updated_node.type
        if isinstance(caught, cst.Tuple) and not caught.lpar:
            parenthesised = caught.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return updated_node.with_changes(type=parenthesised)
        return updated_node

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        code = cst.Module(body=[]).code_for_node(original_node)
        if _parses(code):
            return updated_node
        # An f-string holds no job; keep its height so later lines keep their numbers.
        newlines = code.count("\n")
        return cst.SimpleString(f'"""{chr(10) * newlines}"""' if newlines else '""')


def _parses(expression: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(f"({expression})", mode="eval")
    except SyntaxError:
        return False
    return True
