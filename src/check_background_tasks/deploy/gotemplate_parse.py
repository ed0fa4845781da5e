"""Go ``text/template`` source → a small syntax tree (lexer and parser, no evaluation).

Follows Go's ``text/template/parse`` (https://pkg.go.dev/text/template):

- actions between ``{{`` and ``}}``; ``{{- `` trims the white space (space, tab, CR, LF)
  before the action, `` -}}`` the white space after it; the minus needs a space on its
  inner side (``{{-3}}`` is the number -3);
- comments ``{{/* ... */}}`` (also with trim markers) write nothing;
- pipelines ``cmd | cmd``, declarations ``$x := ...`` / assignments ``$x = ...``, range
  declarations ``$i, $v := ...``; operands: fields ``.a.b``, ``.``, variables ``$x.a``,
  ``$``, strings (quoted or raw), characters, numbers, ``true``/``false``/``nil``,
  function names, ``( pipeline )`` with an optional field chain after it;
- ``if``/``else if``/``else``, ``with``/``else with``/``else``, ``range``/``else``,
  ``break``/``continue`` inside ``range``, ``define``, ``template``, ``block``, ``end``.

Positions (1-based line and column) are kept on text and actions so that rendered output
maps back to the template line that wrote it. Nesting depth is bounded: hostile input
ends as :class:`TemplateSyntaxError`, never as a RecursionError.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

MAX_NESTING = 100  # control structures and parentheses, together
_SPACE_CHARS = " \t\r\n"  # what a trim marker removes (Go's spaceChars)
_NEWLINE_RE = re.compile("\n")


class TemplateSyntaxError(Exception):
    pass


# ----------------------------------------------------------------------------- nodes


@dataclass
class Text:
    text: str
    line: int
    column: int


@dataclass
class Field:
    names: tuple[str, ...]


@dataclass
class Variable:
    name: str  # "$" or "$x"
    names: tuple[str, ...] = ()  # field chain after it


@dataclass
class Dot:
    pass


@dataclass
class Nil:
    pass


@dataclass
class Literal:
    value: Any  # bool, int, float or str


@dataclass
class Identifier:
    name: str  # a function name


@dataclass
class Chain:
    node: Any
    names: tuple[str, ...]


@dataclass
class Command:
    args: list[Any]


@dataclass
class Pipe:
    decl: list[str]
    is_assign: bool  # `$x = ...` (assign) rather than `$x := ...` (declare)
    cmds: list[Command]
    source: str  # the pipeline as written, for unknown markers


@dataclass
class SubPipe:
    """A parenthesised pipeline used as an operand."""

    pipe: Pipe


@dataclass
class Action:
    pipe: Pipe
    line: int
    column: int


@dataclass
class Branch:
    """``if``, ``with`` or ``range``."""

    kind: str
    pipe: Pipe
    body: list[Any]
    else_body: list[Any] | None
    line: int
    column: int


@dataclass
class TemplateCall:
    name: str
    pipe: Pipe | None
    line: int
    column: int


@dataclass
class Break:
    line: int
    column: int


@dataclass
class Continue:
    line: int
    column: int


@dataclass
class Parsed:
    """One parsed source: its main body and the templates it defines."""

    body: list[Any]
    defines: dict[str, list[Any]] = field(default_factory=dict)


# ----------------------------------------------------------------------------- lexer

# token kinds
TEXT, LEFT, RIGHT = "text", "left", "right"
IDENT, FIELD, DOT, VAR, STRING, NUMBER, CHAR = (
    "ident",
    "field",
    "dot",
    "var",
    "string",
    "number",
    "char",
)
BOOL, NIL, PIPE, LPAREN, RPAREN, DECLARE, ASSIGN, COMMA, KEYWORD = (
    "bool",
    "nil",
    "pipe",
    "(",
    ")",
    ":=",
    "=",
    ",",
    "keyword",
)
KEYWORDS = frozenset(
    {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}
)

_NUMBER = (
    r"[+-]?(?=\.?[0-9])(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?"
    r"|0[bB][01_]+|0[oO][0-7_]+"
    r"|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)"
)
# One token inside an action, tried in this order at each position (Go's lexInsideAction).
_ACTION_TOKEN_RE = re.compile(
    r"(?P<rtrim>[ \t\r\n]-\}\})"
    r"|(?P<right>\}\})"
    r"|(?P<space>(?:[ \t\r\n](?!-\}\}))+)"
    r"|(?P<declare>:=)"
    r"|(?P<assign>=)"
    r"|(?P<pipe>\|)"
    r"|(?P<comma>,)"
    r'|(?P<string>"(?:[^"\\\n]|\\.)*")'
    r'|(?P<bad_string>")'
    r"|(?P<raw>`[^`]*`)"
    r"|(?P<char>'(?:[^'\\]|\\.)*')"
    r"|(?P<var>\$\w*)"
    rf"|(?P<number>{_NUMBER})"
    r"|(?P<field>\.[^\W\d]\w*)"
    r"|(?P<dot>\.)"
    r"|(?P<ident>[^\W\d]\w*)"
    r"|(?P<lparen>\()"
    r"|(?P<rparen>\))"
)


class Token(NamedTuple):
    kind: str
    value: Any
    offset: int
    spaced: bool = False  # white space right before it (a field after a space is no chain)


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalnum()


class _SpacedList:
    """Appends to the lexer's tokens, marking the one that follows white space."""

    __slots__ = ("lexer",)

    def __init__(self, lexer: _Lexer) -> None:
        self.lexer = lexer

    def append(self, token: Token) -> None:
        lexer = self.lexer
        if lexer.spaced:
            token = token._replace(spaced=True)
            lexer.spaced = False
        lexer.tokens.append(token)


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []
        self.spaced = False  # the next token follows white space

    def run(self) -> list[Token]:
        text, n = self.text, len(self.text)
        pos = 0
        trim_next = False
        while pos < n:
            start = text.find("{{", pos)
            if start < 0:
                start = n
            chunk_start, chunk_end = pos, start
            if trim_next:
                while chunk_start < chunk_end and text[chunk_start] in _SPACE_CHARS:
                    chunk_start += 1
                trim_next = False
            if start < n and _left_trim(text, start + 2):
                while chunk_end > chunk_start and text[chunk_end - 1] in _SPACE_CHARS:
                    chunk_end -= 1
            if chunk_end > chunk_start:
                self.tokens.append(Token(TEXT, text[chunk_start:chunk_end], chunk_start))
            if start >= n:
                break
            pos, trim_next = self.action(start)
        return self.tokens

    def action(self, start: int) -> tuple[int, bool]:
        """Lex one action starting at ``{{``; returns (position after it, trims after)."""
        text, n = self.text, len(self.text)
        pos = start + 2
        if _left_trim(text, pos):
            pos += 2
        if text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            if close < 0:
                raise TemplateSyntaxError("unclosed comment")
            pos = close + 2
            if text.startswith(" -}}", pos) or (
                pos < n and text[pos] in _SPACE_CHARS and text.startswith("-}}", pos + 1)
            ):
                return pos + 4, True
            if text.startswith("}}", pos):
                return pos + 2, False
            raise TemplateSyntaxError("comment ends before closing delimiter")
        self.tokens.append(Token(LEFT, None, start))
        depth = 0
        tokens = _SpacedList(self)
        self.spaced = False
        while True:
            match = _ACTION_TOKEN_RE.match(text, pos)
            if match is None:
                if pos >= n:
                    raise TemplateSyntaxError("unclosed action")
                raise TemplateSyntaxError(f"unrecognized character in action: {text[pos]!r}")
            kind = match.lastgroup
            value = match.group()
            if kind == "rtrim" or kind == "right":
                if depth:
                    raise TemplateSyntaxError("unclosed left paren")
                tokens.append(Token(RIGHT, None, pos))
                return match.end(), kind == "rtrim"
            if kind == "space":
                self.spaced = True
                pos = match.end()
                continue
            if kind == "ident":
                if value in KEYWORDS:
                    tokens.append(Token(KEYWORD, value, pos))
                elif value in ("true", "false"):
                    tokens.append(Token(BOOL, value == "true", pos))
                elif value == "nil":
                    tokens.append(Token(NIL, None, pos))
                else:
                    tokens.append(Token(IDENT, value, pos))
            elif kind == "field":
                tokens.append(Token(FIELD, value[1:], pos))
            elif kind == "dot":
                tokens.append(Token(DOT, None, pos))
            elif kind == "var":
                tokens.append(Token(VAR, value, pos))
            elif kind == "string":
                tokens.append(Token(STRING, unquote(value[1:-1]), pos))
            elif kind == "raw":
                tokens.append(Token(STRING, value[1:-1], pos))
            elif kind == "char":
                char = unquote(value[1:-1])
                if len(char) != 1:
                    raise TemplateSyntaxError("malformed character constant")
                tokens.append(Token(CHAR, ord(char), pos))
            elif kind == "number":
                end = match.end()
                if end < n and (_is_alnum(text[end]) or text[end] == "."):
                    raise TemplateSyntaxError(f"bad number syntax: {text[pos : end + 1]!r}")
                tokens.append(Token(NUMBER, parse_number(value), pos))
            elif kind == "lparen":
                depth += 1
                if depth > MAX_NESTING:
                    raise TemplateSyntaxError("parentheses nested too deeply")
                tokens.append(Token(LPAREN, None, pos))
            elif kind == "rparen":
                depth -= 1
                if depth < 0:
                    raise TemplateSyntaxError("unexpected right paren")
                tokens.append(Token(RPAREN, None, pos))
            elif kind == "declare":
                tokens.append(Token(DECLARE, None, pos))
            elif kind == "assign":
                tokens.append(Token(ASSIGN, None, pos))
            elif kind == "pipe":
                tokens.append(Token(PIPE, None, pos))
            elif kind == "comma":
                tokens.append(Token(COMMA, None, pos))
            elif kind == "bad_string":
                raise TemplateSyntaxError("unterminated quoted string")
            pos = match.end()


def _left_trim(text: str, pos: int) -> bool:
    """``{{-`` followed by white space (a trim marker, not a negative number)."""
    return text.startswith("-", pos) and pos + 1 < len(text) and text[pos + 1] in _SPACE_CHARS


def parse_number(literal: str) -> int | float:
    """A Go number literal: an int when it has no fraction or exponent, else a float."""
    clean = literal.replace("_", "")
    sign = -1 if clean.startswith("-") else 1
    body = clean.lstrip("+-")
    lowered = body.lower()
    try:
        if lowered.startswith(("0x", "0b", "0o")) and "." not in lowered and "p" not in lowered:
            return sign * int(body, 0)
        if lowered.startswith("0x"):
            return sign * float.fromhex(body)
        if any(c in lowered for c in ".e"):
            return sign * float(body)
        if len(body) > 1 and body.startswith("0"):
            return sign * int(body, 8)  # Go: a leading 0 is octal
        return sign * int(body)
    except ValueError as exc:
        raise TemplateSyntaxError(f"bad number syntax: {literal!r}") from exc


_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


def unquote(body: str) -> str:
    """The value of a Go interpreted string literal's body (escapes resolved)."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            raise TemplateSyntaxError("bad escape at end of string")
        kind = body[i + 1]
        if kind in _ESCAPES:
            out.append(_ESCAPES[kind])
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(kind)
        try:
            if width:
                out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
            elif kind in "01234567":
                out.append(chr(int(body[i + 1 : i + 4], 8)))
                i += 4
            else:
                raise ValueError(kind)
        except ValueError as exc:
            raise TemplateSyntaxError(f"bad escape \\{kind}") from exc
    return "".join(out)


# ---------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.defines: dict[str, list[Any]] = {}
        self.depth = 0
        self.range_depth = 0
        self._newlines = [m.start() for m in _NEWLINE_RE.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[index - 1] + 1 if index else 0
        return index + 1, offset - line_start + 1

    # tokens -------------------------------------------------------------------------

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise TemplateSyntaxError("unexpected end of template")
        self.i += 1
        return token

    # white space is no token (see Token.spaced): these are peek/next
    next_non_space = next
    peek_non_space = peek

    def expect_right(self, context: str) -> None:
        token = self.next_non_space()
        if token.kind != RIGHT:
            raise TemplateSyntaxError(f"unexpected token in {context}")

    # structure ----------------------------------------------------------------------

    def parse(self) -> Parsed:
        body, stop = self.item_list(top=True)
        if stop is not None:
            raise TemplateSyntaxError(f"unexpected {{{{{stop}}}}}")
        return Parsed(body, self.defines)

    def item_list(self, top: bool = False) -> tuple[list[Any], str | None]:
        """Items up to ``{{end}}`` or ``{{else}}`` (returned as the stop word, consumed
        up to the keyword) or the end of input (stop None)."""
        items: list[Any] = []
        while True:
            token = self.peek()
            if token is None:
                return items, None
            if token.kind == TEXT:
                self.i += 1
                line, column = self.position(token.offset)
                items.append(Text(token.value, line, column))
                continue
            # an action
            self.i += 1
            line, column = self.position(token.offset)
            head = self.peek_non_space()
            if head is None:
                raise TemplateSyntaxError("unclosed action")
            if head.kind == KEYWORD:
                word = head.value
                if word in ("end", "else"):
                    self.i += 1
                    return items, word
                self.i += 1
                if word in ("if", "with", "range"):
                    items.append(self.branch(word, line, column))
                elif word == "define":
                    if not top:
                        raise TemplateSyntaxError("define not at top level")
                    self.define()
                elif word == "block":
                    items.append(self.block(line, column))
                elif word == "template":
                    name, pipe = self.template_clause("template")
                    items.append(TemplateCall(name, pipe, line, column))
                elif word in ("break", "continue"):
                    if not self.range_depth:
                        raise TemplateSyntaxError(f"{{{{{word}}}}} outside {{{{range}}}}")
                    self.expect_right(word)
                    items.append(Break(line, column) if word == "break" else Continue(line, column))
                continue
            pipe = self.pipeline("command", RIGHT)
            items.append(Action(pipe, line, column))

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise TemplateSyntaxError("control structures nested too deeply")

    def branch(self, kind: str, line: int, column: int) -> Branch:
        self.nest()
        pipe = self.pipeline(kind, RIGHT)
        if kind == "range":
            self.range_depth += 1
        body, stop = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        else_body: list[Any] | None = None
        if stop == "else":
            following = self.peek_non_space()
            if kind in ("if", "with") and following and following.kind == KEYWORD:
                if following.value == kind:  # {{else if ...}}: a nested branch, shared end
                    self.i += 1
                    else_body = [self.branch(kind, line, column)]
                    self.depth -= 1
                    return Branch(kind, pipe, body, else_body, line, column)
            self.expect_right("else")
            else_body, stop = self.item_list()
            if stop != "end":
                raise TemplateSyntaxError(f"expected end; found {stop or 'end of input'}")
        elif stop != "end":
            raise TemplateSyntaxError(f"unclosed {kind}")
        self.expect_right("end")
        self.depth -= 1
        return Branch(kind, pipe, body, else_body, line, column)

    def template_name(self, context: str) -> str:
        token = self.next_non_space()
        if token.kind != STRING:
            raise TemplateSyntaxError(f"{context}: expected a quoted name")
        return str(token.value)

    def template_clause(self, context: str) -> tuple[str, Pipe | None]:
        name = self.template_name(context)
        following = self.peek_non_space()
        if following is not None and following.kind == RIGHT:
            self.i += 1
            return name, None
        return name, self.pipeline(context, RIGHT)

    def define(self) -> None:
        name = self.template_name("define")
        self.expect_right("define")
        self.nest()
        body, stop = self.item_list()
        if stop != "end":
            raise TemplateSyntaxError(f"unclosed define {name!r}")
        self.expect_right("end")
        self.depth -= 1
        self.defines[name] = body

    def block(self, line: int, column: int) -> TemplateCall:
        name, pipe = self.template_clause("block")
        self.nest()
        body, stop = self.item_list()
        if stop != "end":
            raise TemplateSyntaxError(f"unclosed block {name!r}")
        self.expect_right("end")
        self.depth -= 1
        self.defines[name] = body
        return TemplateCall(name, pipe, line, column)

    # pipelines ----------------------------------------------------------------------

    def pipeline(self, context: str, end: str) -> Pipe:
        start_token = self.peek_non_space()
        start = start_token.offset if start_token else len(self.text)
        decl: list[str] = []
        is_assign = False
        token = self.peek_non_space()
        if token is not None and token.kind == VAR:
            mark = self.i
            self.i += 1
            following = self.peek_non_space()
            if following is not None and following.kind in (DECLARE, ASSIGN):
                self.i += 1
                decl, is_assign = [token.value], following.kind == ASSIGN
            elif following is not None and following.kind == COMMA and context == "range":
                self.i += 1
                second = self.next_non_space()
                operator = self.next_non_space()
                if second.kind != VAR or operator.kind not in (DECLARE, ASSIGN):
                    raise TemplateSyntaxError("range can only initialize two variables")
                decl, is_assign = [token.value, second.value], operator.kind == ASSIGN
            else:
                self.i = mark
        cmds: list[Command] = []
        while True:
            token = self.peek_non_space()
            if token is None:
                raise TemplateSyntaxError(f"unclosed {context}")
            if token.kind == end:
                self.i += 1
                if not cmds:
                    raise TemplateSyntaxError(f"missing value for {context}")
                source = " ".join(self.text[start : token.offset].split())
                return Pipe(decl, is_assign, cmds, source)
            if token.kind == PIPE:
                if not cmds:
                    raise TemplateSyntaxError("missing command before |")
                self.i += 1
            cmds.append(self.command(end))

    def command(self, end: str) -> Command:
        args: list[Any] = []
        while True:
            token = self.peek_non_space()
            if token is None or token.kind in (PIPE, end):
                if not args:
                    raise TemplateSyntaxError("empty command")
                return Command(args)
            if token.kind in (RIGHT, RPAREN):
                raise TemplateSyntaxError("unexpected delimiter in command")
            args.append(self.operand())

    def operand(self) -> Any:
        token = self.next_non_space()
        node: Any
        kind = token.kind
        if kind == IDENT:
            node = Identifier(token.value)
        elif kind == DOT:
            node = Dot()
        elif kind == NIL:
            node = Nil()
        elif kind == VAR:
            node = Variable(token.value)
        elif kind == FIELD:
            node = Field((token.value,))
        elif kind in (BOOL, NUMBER, CHAR, STRING):
            node = Literal(token.value)
        elif kind == LPAREN:
            self.nest()
            node = SubPipe(self.pipeline("parenthesized pipeline", RPAREN))
            self.depth -= 1
        else:
            raise TemplateSyntaxError(f"unexpected {kind} in operand")
        names: list[str] = []
        while (
            self.i < len(self.tokens)
            and self.tokens[self.i].kind == FIELD
            and not self.tokens[self.i].spaced
        ):
            names.append(self.tokens[self.i].value)
            self.i += 1
        if not names:
            return node
        if isinstance(node, Field):
            return Field(node.names + tuple(names))
        if isinstance(node, Variable):
            return Variable(node.name, tuple(names))
        if isinstance(node, Literal | Nil | Dot):
            raise TemplateSyntaxError("unexpected . after term")
        return Chain(node, tuple(names))


def parse(text: str) -> Parsed:
    """Parse one template source; raises :class:`TemplateSyntaxError`."""
    tokens = _Lexer(text).run()
    return _Parser(text, tokens).parse()
