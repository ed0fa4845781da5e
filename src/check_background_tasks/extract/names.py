"""Resolve names through a file's own imports, and evaluate simple literal expressions.

This replaces libcst's QualifiedNameProvider: the import table is collected in the
same visitor pass, which costs nothing next to the parse itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from ..schedules import UNKNOWN


def dotted_expr(node: cst.BaseExpression) -> str | None:
    """`a.b.c` as text, or None when the expression is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


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

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_expr(alias.name)
            if not full:
                continue
            if alias.asname and isinstance(alias.asname.name, cst.Name):
                self.names[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.names[head] = head

    def add_import_from(self, node: cst.ImportFrom) -> None:
        base = dotted_expr(node.module) if node.module else ""
        level = len(node.relative)
        if level:
            base = module_from_relative(self.module, self.is_package, level, base or "")
        if base is None or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if not isinstance(alias.name, cst.Name):
                continue
            local = alias.name.value
            if alias.asname and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.names[local] = f"{base}.{alias.name.value}" if base else alias.name.value

    def resolve(self, node: cst.BaseExpression) -> str | None:
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
    node: cst.Call

    def kw(self, name: str, default: Any = None) -> Any:
        for key, value in self.kwargs:
            if key == name:
                return value
        return default


ENV_GETTERS = ("os.environ.get", "os.getenv", "environ.get", "env", "config")
CASTS = ("int", "float", "str", "bool", "Decimal")


class Evaluator:
    """Evaluates constant expressions; anything else becomes UNKNOWN."""

    def __init__(self, imports: ImportTable, constants: dict[str, cst.BaseExpression]):
        self.imports = imports
        self.constants = constants

    def value(self, node: cst.BaseExpression, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            return UNKNOWN
        if isinstance(node, cst.Integer | cst.Float):
            return node.evaluated_value
        if isinstance(node, cst.SimpleString):
            return node.evaluated_value
        if isinstance(node, cst.ConcatenatedString):
            left = self.value(node.left, depth + 1)
            right = self.value(node.right, depth + 1)
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            return UNKNOWN
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.value]
            if node.value in self.constants:
                return self.value(self.constants[node.value], depth + 1)
            return UNKNOWN
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self.value(node.expression, depth + 1)
            return -inner if isinstance(inner, int | float) else UNKNOWN
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, depth)
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            items = []
            for el in node.elements:
                if isinstance(el, cst.StarredElement):
                    return UNKNOWN
                items.append(self.value(el.value, depth + 1))
            return items if not isinstance(node, cst.Set) else set_or_list(items)
        if isinstance(node, cst.Dict):
            return self.dict_value(node, depth)
        if isinstance(node, cst.Call):
            return self.call_value(node, depth)
        return UNKNOWN

    def _binary(self, node: cst.BinaryOperation, depth: int) -> Any:
        left = self.value(node.left, depth + 1)
        right = self.value(node.right, depth + 1)
        if not (isinstance(left, int | float) and isinstance(right, int | float)):
            if isinstance(left, str) and isinstance(right, str):
                if isinstance(node.operator, cst.Add):
                    return left + right
            return UNKNOWN
        op = node.operator
        try:
            if isinstance(op, cst.Add):
                return left + right
            if isinstance(op, cst.Subtract):
                return left - right
            if isinstance(op, cst.Multiply):
                return left * right
            if isinstance(op, cst.Divide):
                return left / right
            if isinstance(op, cst.FloorDivide):
                return left // right
        except ZeroDivisionError:
            return UNKNOWN
        return UNKNOWN

    def dict_value(self, node: cst.Dict, depth: int = 0) -> dict[Any, Any] | Any:
        out: dict[Any, Any] = {}
        for el in node.elements:
            if isinstance(el, cst.StarredDictElement):
                inner = self.value(el.value, depth + 1)
                if not isinstance(inner, dict):
                    return UNKNOWN
                out.update(inner)
                continue
            if not isinstance(el, cst.DictElement):
                continue
            key = self.value(el.key, depth + 1)
            if not isinstance(key, str | int):
                continue
            out[key] = DeferredNode(el.value, el.key)
        return out

    def call_value(self, node: cst.Call, depth: int) -> Any:
        func = self.imports.resolve(node.func) or ""
        short = last_part(func)
        if short in CASTS and len(node.args) == 1 and node.args[0].keyword is None:
            inner = self.value(node.args[0].value, depth + 1)
            return _cast(short, inner)
        if func in ENV_GETTERS or func.endswith((".getenv", "environ.get")):
            # The default is what runs when nobody sets the variable.
            if len(node.args) >= 2:
                return EnvValue(self.value(node.args[1].value, depth + 1))
            return UNKNOWN
        if short == "get" and len(node.args) == 2 and node.args[1].keyword is None:
            # settings.get("interval", 300): the default is what runs unconfigured
            default = self.value(node.args[1].value, depth + 1)
            if isinstance(default, int | float | str) and not isinstance(default, bool):
                return EnvValue(default)
        if short == "dict" and func == "dict":
            out: dict[Any, Any] = {}
            for arg in node.args:
                if arg.keyword is not None:
                    out[arg.keyword.value] = DeferredNode(arg.value, arg.keyword)
                elif arg.star == "**":
                    inner = self.value(arg.value, depth + 1)
                    if not isinstance(inner, dict):
                        return UNKNOWN
                    out.update(inner)
                else:
                    return UNKNOWN
            return out
        args = tuple(self.value(a.value, depth + 1) for a in node.args if a.keyword is None)
        kwargs = tuple(
            (a.keyword.value, self.value(a.value, depth + 1))
            for a in node.args
            if a.keyword is not None
        )
        return CallValue(func, args, kwargs, node)

    def resolved(self, value: Any, depth: int = 0) -> Any:
        """Force a DeferredNode (dict values are evaluated lazily)."""
        if isinstance(value, DeferredNode):
            return self.value(value.node, depth)
        return value


@dataclass(frozen=True)
class DeferredNode:
    """A dict value not yet evaluated, with the key that names it (for positions)."""

    node: cst.BaseExpression
    key: cst.CSTNode | None = None


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


def code_of(node: cst.CSTNode) -> str:
    """Source text of a node, shortened to one line."""
    text = cst.Module(body=[]).code_for_node(node)
    return " ".join(text.split())
