"""Helm's ``toYaml``/``toJson``/``fromYaml``/``fromJson``, as far as a re-reading needs.

Helm's ``toYaml`` is ``sigs.k8s.io/yaml.Marshal`` with the final newline trimmed
(helm pkg/engine/funcs.go): the value goes through JSON, so map keys come out sorted and
numbers that are whole print without a fraction (``3``, not ``3.0``), and go-yaml v2
writes block style with two-space indentation and sequences inside a mapping *not*
indented (``key:`` then ``- item`` at the key's column). Strings a reader would take for
another type (``"true"``, ``"1"``, ``""``) are quoted. The exact quoting style may differ
from go-yaml's; what a YAML reader gets back is the same.

Each output line remembers the values entry that wrote it (see
:class:`~.gotemplate_values.LineInfo`), so a finding in a rendered field points at the
values file. An unknown value is written as a quoted action (``'{{ ... }}'``); an open
mapping (``OPEN``) gets an action line of its own at its indentation, so the reading
treats keys it lacks as unknown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from ..model import OPEN, Location
from .gotemplate_values import GoObject, LineInfo, Text, Unknown, keys_of, marker, sprint

LocOf = Callable[[Any, Any], Location | None]  # (container, key or index) → values entry

MAX_NODES = 100_000
_RESOLVER = yaml.resolver.Resolver()
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_STR_TAG = "tag:yaml.org,2002:str"
# go-yaml v2 also reads these as booleans (YAML 1.1), PyYAML does not: quote them
_GO_BOOLS = frozenset({"y", "Y", "n", "N"})


class _TooBig(Exception):
    pass


def _plain_ok(text: str) -> bool:
    if not text or text != text.strip() or text[0] in _INDICATORS:
        return False
    if any(ch in text for ch in "\n\t\r") or ": " in text or " #" in text or text.endswith(":"):
        return False
    if not text.isprintable() or text in _GO_BOOLS:
        return False
    return _RESOLVER.resolve(ScalarNode, text, (True, False)) == _STR_TAG


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _number(value: int | float) -> str:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return _quoted(sprint(value))  # json.Marshal fails on these; a string is safe
        if value == int(value) and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def scalar(value: Any) -> str:
    """One scalar as go-yaml writes it after a JSON round trip."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, Unknown):
        return "'" + marker(value.desc) + "'"
    if isinstance(value, GoObject):
        value = value.text
    text = str(value)
    return text if _plain_ok(text) else _quoted(text)


class _Emitter:
    def __init__(self, loc_of: LocOf | None) -> None:
        self.lines: list[str] = []
        self.infos: list[LineInfo | None] = []
        self.loc_of = loc_of
        self.nodes = 0

    def add(self, text: str, loc: Location | None, anchor: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig
        self.lines.append(text)
        self.infos.append(LineInfo(loc, anchor) if loc is not None else None)

    def loc(self, container: Any, key: Any) -> Location | None:
        return self.loc_of(container, key) if self.loc_of else None

    def block_string(self, text: str, indent: int) -> list[str] | None:
        """Literal block lines for a multi-line string, or None when quoting is safer."""
        body = text[:-1] if text.endswith("\n") else text
        if not body or "\r" in text or text.endswith("\n\n") or body.startswith((" ", "\t")):
            return None
        if any(line != line.rstrip(" \t") for line in body.split("\n")):
            return None
        header = "|" if text.endswith("\n") else "|-"
        pad = " " * indent
        return [header] + [pad + line if line else "" for line in body.split("\n")]

    def value_after_key(self, prefix: str, value: Any, indent: int, loc: Location | None) -> None:
        """``prefix`` is ``key:`` or ``-`` at column ``indent``; write the value."""
        pad = " " * indent
        if isinstance(value, dict) and (keys_of(value) or value.get(OPEN)):
            self.add(pad + prefix, loc, indent)
            self.mapping(value, indent + 2)
        elif isinstance(value, list) and value:
            self.add(pad + prefix, loc, indent)
            # go-yaml v2: a sequence under a mapping key is not indented further
            self.sequence(value, indent if prefix != "-" else indent + 2)
        elif isinstance(value, str) and "\n" in value:
            block = self.block_string(value, indent + 2)
            if block is None:
                self.add(f"{pad}{prefix} {_quoted(value)}", loc, indent)
            else:
                self.add(f"{pad}{prefix} {block[0]}", loc, indent)
                for line in block[1:]:
                    self.add(line, loc, indent)
        else:
            text = "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else None
            self.add(f"{pad}{prefix} {text or scalar(value)}", loc, indent)

    def mapping(self, value: dict[str, Any], indent: int) -> None:
        for key in keys_of(value):
            name = scalar(key)
            self.value_after_key(name + ":", value[key], indent, self.loc(value, key))
        if value.get(OPEN):
            self.add(" " * indent + marker("values not read here"), None, indent)

    def sequence(self, value: list[Any], indent: int) -> None:
        pad = " " * indent
        for index, item in enumerate(value):
            loc = self.loc(value, index)
            if isinstance(item, dict) and keys_of(item):
                # `- first: 1` then the other keys under it
                start = len(self.lines)
                self.mapping(item, indent + 2)
                first = self.lines[start]
                self.lines[start] = pad + "- " + first[indent + 2 :]
                if self.infos[start] is None and loc is not None:
                    self.infos[start] = LineInfo(loc, indent + 2)
            elif isinstance(item, list) and item:
                start = len(self.lines)
                self.sequence(item, indent + 2)
                self.lines[start] = pad + "- " + self.lines[start][indent + 2 :]
            else:
                self.value_after_key("-", item, indent, loc)


def to_yaml(value: Any, loc_of: LocOf | None = None) -> str | Unknown:
    """``toYaml``: a :class:`Text` with the values entry of each line when known."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict) and not keys_of(value) and value.get(OPEN):
        return Unknown("toYaml of values not read here")
    emitter = _Emitter(loc_of)
    try:
        if isinstance(value, dict) and keys_of(value):
            emitter.mapping(value, 0)
        elif isinstance(value, list) and value:
            emitter.sequence(value, 0)
        elif isinstance(value, str) and "\n" in value:
            block = emitter.block_string(value, 2)
            emitter.add(block[0] if block else _quoted(value), None, 0)
            for line in (block or [])[1:]:
                emitter.add(line, None, 0)
        else:
            empty = "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else None
            emitter.add(empty or scalar(value), None, 0)
    except (_TooBig, RecursionError):
        return Unknown("toYaml of a value too large to write")
    return Text("\n".join(emitter.lines), tuple(emitter.infos))


def _jsonable(value: Any, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if isinstance(value, Unknown) or (isinstance(value, dict) and value.get(OPEN)):
        raise _TooBig  # the JSON text would be wrong: the whole result is unknown
    if isinstance(value, dict):
        return {k: _jsonable(value[k], budget) for k in keys_of(value)}
    if isinstance(value, list):
        return [_jsonable(v, budget) for v in value]
    if isinstance(value, float) and value == int(value) and abs(value) < 1e21:
        return int(value)
    if isinstance(value, GoObject):
        return value.text
    return value


def to_json(value: Any, indent: int | None = None, escape_html: bool = True) -> str | Unknown:
    """``toJson`` (``json.Marshal``: sorted keys, compact, ``<``/``>``/``&`` escaped)."""
    try:
        plain = _jsonable(value, [MAX_NODES])
        text = json.dumps(
            plain,
            ensure_ascii=False,
            sort_keys=True,
            indent=indent,
            separators=(",", ": ") if indent else (",", ":"),
        )
    except (_TooBig, RecursionError, ValueError):
        return Unknown("toJson")
    if escape_html:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text


MAX_PARSE = 256 * 1024


def _numbers_to_float(value: Any, budget: list[int]) -> Any:
    """Values read through JSON: every number a float64."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if isinstance(value, dict):
        return {str(k): _numbers_to_float(v, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_to_float(v, budget) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str | float | bool | type(None)):
        return str(value)  # a timestamp or binary: JSON has no such type
    return value


def _parse(text: Any, reader: Callable[[str], Any]) -> Any:
    if isinstance(text, Unknown) or (isinstance(text, str) and "{{" in text):
        return Unknown("a document only the deployment knows")
    if not isinstance(text, str) or len(text) > MAX_PARSE:
        return Unknown("a document too large to read here")
    try:
        return _numbers_to_float(reader(str(text)), [MAX_NODES])  # the C reader wants a str
    except _TooBig:
        return Unknown("a document too large to read here")
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        return _ParseError(" ".join(str(exc).split()))


class _ParseError:
    def __init__(self, message: str) -> None:
        self.message = message


def _safe_yaml(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def from_yaml(text: Any, want: type = dict) -> Any:
    """``fromYaml``/``fromYamlArray``: a map (list); a bad document gives
    ``{"Error": message}`` as Helm does (an array: ``[message]``)."""
    value = _parse(text, _safe_yaml)
    return _shape(value, want)


def from_json(text: Any, want: type = dict) -> Any:
    value = _parse(text, json.loads)
    return _shape(value, want)


def _shape(value: Any, want: type) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, _ParseError):
        return {"Error": value.message} if want is dict else [value.message]
    if value is None:
        return {} if want is dict else []
    if not isinstance(value, want):
        message = f"cannot unmarshal {type(value).__name__} into {want.__name__}"
        return {"Error": message} if want is dict else [message]
    return value
