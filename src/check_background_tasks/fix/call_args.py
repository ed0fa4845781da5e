"""Add or set one keyword argument of a call, in the call's own layout.

A call on one line gets `, name=value`; a call with one argument per line gets a new line
at the same indentation, before the closing parenthesis, keeping a trailing comma if the
call had one. Comments stay on the line they were on.
"""

from __future__ import annotations

import libcst as cst


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def has_double_star(call: cst.Call) -> bool:
    """`f(**options)`: the options may hold any keyword, so none can be added safely."""
    return any(a.star == "**" for a in call.args)


def positional_count(call: cst.Call) -> int:
    return sum(1 for a in call.args if a.keyword is None and not a.star)


def set_keyword(call: cst.Call, name: str, value: str) -> cst.Call:
    """`call` with `name=value` (an expression's source): replaced when given, else added."""
    expression = cst.parse_expression(value)
    given = keyword(call, name)
    if given is not None:
        args = [a.with_changes(value=expression) if a is given else a for a in call.args]
        return call.with_changes(args=args)
    return _append(call, cst.Arg(value=expression, keyword=cst.Name(name), equal=_EQUAL))


_EQUAL = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)


def _newline_indent(call: cst.Call) -> cst.ParenthesizedWhitespace | None:
    """The line break + indentation that separates this call's arguments, if any."""
    args = call.args
    candidates: list[cst.BaseParenthesizableWhitespace] = []
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        candidates.append(args[-2].comma.whitespace_after)
    candidates.append(call.whitespace_before_args)
    for arg in args[:-1]:
        if isinstance(arg.comma, cst.Comma):
            candidates.append(arg.comma.whitespace_after)
    for ws in candidates:
        if isinstance(ws, cst.ParenthesizedWhitespace):
            return ws
    return None


def _plain_break(like: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
    """`like` without its comment and blank lines: a bare newline + the same indentation."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=(),
        indent=like.indent,
        last_line=like.last_line,
    )


def _append(call: cst.Call, new: cst.Arg) -> cst.Call:
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    layout = _newline_indent(call)
    if layout is None:  # one line: `f(a, b)` -> `f(a, b, new)`
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if isinstance(last.comma, cst.Comma):  # `f(a, )` keeps its odd trailing comma
            new = new.with_changes(comma=last.comma)
        args[-1] = last.with_changes(comma=separator)
        return call.with_changes(args=[*args, new])
    if isinstance(last.comma, cst.Comma) and isinstance(
        last.comma.whitespace_after, cst.ParenthesizedWhitespace
    ):
        # `    last,  # note\n)`: the note stays after `last`, the new argument takes the
        # line before `)` with a trailing comma of its own.
        before_close = last.comma.whitespace_after
        args[-1] = last.with_changes(
            comma=last.comma.with_changes(
                whitespace_after=before_close.with_changes(
                    indent=layout.indent, last_line=layout.last_line
                )
            )
        )
        closing = cst.Comma(whitespace_after=_plain_break(before_close))
        return call.with_changes(args=[*args, new.with_changes(comma=closing)])
    # `    last\n)` or `last)`: a comma and a line break after `last`, the new argument
    # takes over what came before `)`.
    args[-1] = last.with_changes(
        comma=cst.Comma(whitespace_after=_plain_break(layout)),
        whitespace_after_arg=cst.SimpleWhitespace(""),
    )
    new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
    return call.with_changes(args=[*args, new])


def comment_after_last(call: cst.Call) -> bool:
    """A comment between the last argument and `)` with no comma to hang a new one on."""
    if not call.args:
        return False
    last = call.args[-1]
    if isinstance(last.comma, cst.Comma):
        return False
    ws = last.whitespace_after_arg
    return isinstance(ws, cst.ParenthesizedWhitespace) and ws.first_line.comment is not None


def quote_of(call: cst.Call) -> str:
    """The quote the call's own strings use (`'` or `"`), for a new string argument."""
    for arg in call.args:
        if isinstance(arg.value, cst.SimpleString):
            return arg.value.quote[-1] if arg.value.quote else '"'
    return '"'
