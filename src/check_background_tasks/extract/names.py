"""Resolve names through a file's own imports, and evaluate simple literal expressions.

This replaces libcst's QualifiedNameProvider: the import table is collected in the
same pass over CPython's ast, which costs nothing next to the parse itself.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..schedules import UNKNOWN


def dotted_expr(node: ast.AST | None) -> str | None:
    """`a.b.c` as text, or None when the expression is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def chained_text(node: ast.Attribute) -> str:
    """`<expr>.method` where <expr> is a call: name the call (`Redis.from_url().lock`) so
    receivers and locks can match."""
    inner = node.value
    if isinstance(inner, ast.Call):
        head = dotted_expr(inner.func)
        if head:
            return f"{head}().{node.attr}"
    return f"<expr>.{node.attr}"


def module_from_relative(module: str | None, is_package: bool, level: int, name: str) -> str:
    """Absolute module for `from ..name import x` inside `module`."""
    if not module:
        return "." * level + name
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    base = ".".join(parts)
    if base and name:
        return f"{base}.{name}"
    return base or name


@dataclass
class ImportTable:
    module: str | None = None
    is_package: bool = False
    names: dict[str, str] = field(default_factory=dict)  # local name -> dotted

    def add_import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                head = alias.name.split(".")[0]
                self.names[head] = head

    def add_import_from(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            base = module_from_relative(self.module, self.is_package, node.level, base)
        for alias in node.names:
            if alias.name == "*":
                return
            local = alias.asname or alias.name
            self.names[local] = f"{base}.{alias.name}" if base else alias.name

    def resolve(self, node: ast.AST) -> str | None:
        """Dotted path of a name or attribute chain through the imports, else as written."""
        text = dotted_expr(node)
        if text is None:
            return None
        return self.resolve_text(text)

    def resolve_text(self, text: str) -> str:
        head, _, rest = text.partition(".")
        full = self.names.get(head)
        if full is None:
            return text
        return f"{full}.{rest}" if rest else full

    def is_imported(self, text: str) -> bool:
        return text.partition(".")[0] in self.names


def resolves_into(dotted: str | None, *prefixes: str) -> bool:
    """True when `dotted` is one of `prefixes` or lies inside one of them."""
    if not dotted:
        return False
    return any(dotted == p or dotted.startswith(p + ".") for p in prefixes)


def last_part(dotted: str | None) -> str:
    return (dotted or "").rpartition(".")[2]


# --- literal evaluation ------------------------------------------------------------

MAX_DEPTH = 20


@dataclass(frozen=True)
class CallValue:
    """A call we can reason about without running it, e.g. crontab(hour=2)."""

    func: str  # resolved dotted name
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    node: ast.Call = field(repr=False)
    # `f(*args)` / `f(**mapping)`: arguments we cannot see, so args/kwargs are not all
    unpacked: bool = False

    def kw(self, name: str, default: Any = None) -> Any:
        for key, value in self.kwargs:
            if key == name:
                return value
        return default


ENV_GETTERS = ("os.environ.get", "os.getenv", "environ.get", "env", "config")
CASTS = ("int", "float", "str", "bool", "Decimal")


class Evaluator:
    """Evaluates constant expressions; anything else becomes UNKNOWN."""

    def __init__(self, imports: ImportTable, constants: dict[str, ast.expr]):
        self.imports = imports
        self.constants = constants

    def value(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            value = node.value
            # Ellipsis and complex numbers are nothing a schedule is made of.
            return value if value is None or isinstance(value, LITERALS) else UNKNOWN
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return self.value(self.constants[node.id], depth + 1)
            return UNKNOWN
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.value(node.operand, depth + 1)
            return -inner if isinstance(inner, int | float) else UNKNOWN
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = []
            for el in node.elts:
                if isinstance(el, ast.Starred):
                    return UNKNOWN
                items.append(self.value(el, depth + 1))
            return items if not isinstance(node, ast.Set) else set_or_list(items)
        if isinstance(node, ast.Dict):
            return self.dict_value(node, depth)
        if isinstance(node, ast.Call):
            return self.call_value(node, depth)
        return UNKNOWN

    def _binary(self, node: ast.BinOp, depth: int) -> Any:
        left = self.value(node.left, depth + 1)
        right = self.value(node.right, depth + 1)
        if isinstance(left, EnvValue) or isinstance(right, EnvValue):
            # Arithmetic on a setting's default gives what runs when nobody sets it:
            # `(int(os.environ.get("LIMIT", 2100)) + 300) // 60` is 40 unconfigured.
            result = self._arithmetic(strip_env(left), strip_env(right), node.op)
            return UNKNOWN if result is UNKNOWN else EnvValue(result)
        return self._arithmetic(left, right, node.op)

    def _arithmetic(self, left: Any, right: Any, op: ast.operator) -> Any:
        if not (isinstance(left, int | float) and isinstance(right, int | float)):
            if isinstance(left, str) and isinstance(right, str) and isinstance(op, ast.Add):
                return left + right
            return UNKNOWN
        try:
            if isinstance(op, ast.Add):
                return left + right
            if isinstance(op, ast.Sub):
                return left - right
            if isinstance(op, ast.Mult):
                return left * right
            if isinstance(op, ast.Div):
                return left / right
            if isinstance(op, ast.FloorDiv):
                return left // right
        except ZeroDivisionError:
            return UNKNOWN
        return UNKNOWN

    def dict_value(self, node: ast.Dict, depth: int = 0) -> dict[Any, Any] | Any:
        out: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:  # {**other}
                inner = self.value(value_node, depth + 1)
                if not isinstance(inner, dict):
                    return UNKNOWN
                out.update(inner)
                continue
            key = self.value(key_node, depth + 1)
            if not isinstance(key, str | int):
                continue
            out[key] = DeferredNode(value_node, key_node)
        return out

    def call_value(self, node: ast.Call, depth: int) -> Any:
        func = self.imports.resolve(node.func) or ""
        short = last_part(func)
        positional = node.args
        named = [kw for kw in node.keywords if kw.arg is not None]
        plain = not any(isinstance(a, ast.Starred) for a in positional)
        if short in CASTS and len(positional) == 1 and not node.keywords and plain:
            inner = self.value(positional[0], depth + 1)
            return _cast(short, inner)
        if func in ENV_GETTERS or func.endswith((".getenv", "environ.get")):
            # The default is what runs when nobody sets the variable.
            given = [*positional, *(kw.value for kw in named)]
            default = next((kw.value for kw in named if kw.arg == "default"), None)
            if default is None and len(given) >= 2:
                default = given[1]
            return EnvValue(self.value(default, depth + 1)) if default is not None else UNKNOWN
        if short == "get" and len(positional) == 2 and not node.keywords and plain:
            # settings.get("interval", 300): the default is what runs unconfigured
            default = self.value(positional[1], depth + 1)
            if isinstance(default, int | float | str) and not isinstance(default, bool):
                return EnvValue(default)
        if short == "dict" and func == "dict":
            if positional:
                return UNKNOWN
            out: dict[Any, Any] = {}
            for kw in node.keywords:
                if kw.arg is not None:
                    out[kw.arg] = DeferredNode(kw.value, kw)
                    continue
                inner = self.value(kw.value, depth + 1)  # dict(**base, ...)
                if not isinstance(inner, dict):
                    return UNKNOWN
                out.update(inner)
            return out
        args = tuple(self.value(a, depth + 1) for a in positional if not isinstance(a, ast.Starred))
        kwargs = tuple((kw.arg or "", self.value(kw.value, depth + 1)) for kw in named)
        unpacked = not plain or len(named) < len(node.keywords)
        return CallValue(func, args, kwargs, node, unpacked)

    def resolved(self, value: Any, depth: int = 0) -> Any:
        """Force a DeferredNode (dict values are evaluated lazily)."""
        if isinstance(value, DeferredNode):
            return self.value(value.node, depth)
        return value


LITERALS = (int, float, str, bytes)


@dataclass(frozen=True)
class DeferredNode:
    """A dict value not yet evaluated, with the key that names it (for positions)."""

    node: ast.expr
    key: ast.AST | None = None  # a dict key or an `ast.keyword`


@dataclass(frozen=True)
class EnvValue:
    """A value read from the environment; `default` applies when it is unset."""

    default: Any


def _cast(kind: str, inner: Any) -> Any:
    if isinstance(inner, EnvValue):
        return EnvValue(_cast(kind, inner.default))
    if inner is UNKNOWN:
        return UNKNOWN
    try:
        if kind == "int":
            return int(inner)
        if kind in ("float", "Decimal"):
            return float(inner)
        if kind == "str":
            return str(inner)
    except (TypeError, ValueError):
        return UNKNOWN
    return inner


def set_or_list(items: list[Any]) -> Any:
    try:
        return set(items)
    except TypeError:
        return items


def strip_env(value: Any) -> Any:
    return value.default if isinstance(value, EnvValue) else value


def source_text(lines: list[str], node: ast.AST) -> str:
    """Source text of a node as written, on one line (whitespace runs become one space)."""
    segment = _segment(lines, node)
    return " ".join(segment.split())


def _segment(lines: list[str], node: ast.AST) -> str:
    start, end = node.lineno - 1, (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
    start_col, end_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    if start >= len(lines):
        return ast.unparse(node)  # a node built by us, not read from the file
    # ast columns are UTF-8 byte offsets into each line.
    if start == end:
        return lines[start].encode()[start_col:end_col].decode("utf-8", "replace")
    parts = [lines[start].encode()[start_col:].decode("utf-8", "replace")]
    parts.extend(lines[start + 1 : end])
    parts.append(lines[end].encode()[:end_col].decode("utf-8", "replace"))
    return "\n".join(parts)
