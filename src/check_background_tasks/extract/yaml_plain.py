"""Composed YAML nodes → plain data with positions, aware of Helm template leftovers.

The deploy stage merges documents from several files (kustomize bases and patches) and
renders Helm templates, so manifests travel as plain data (dicts, lists, scalars) that a
cache can store and a merge can copy, with a side table of where each key was written.

Conventions of the plain data (see :mod:`check_background_tasks.model`):

- a mapping is a ``dict`` with ``str`` keys (``<<`` merge keys resolved, first key wins,
  own keys before merged ones, as Kubernetes' YAML reader does); a sequence is a ``list``;
- scalars: ``None`` (null), ``bool``, ``int``, ``float`` or ``str`` by their resolved tag;
- a value only the template engine knows is a ``str`` holding ``{{`` (the action text,
  restored) or :data:`~check_background_tasks.model.TEMPLATED`;
- a mapping into which a template line injects keys (``{{ toYaml .Values.x | nindent 4 }}``)
  carries the key :data:`~check_background_tasks.model.OPEN`: a key it lacks is unknown,
  not missing;
- positions: ``path tuple → (line, column)``, 1-based, of each mapping key and sequence
  item; the path of ``spec.containers[0].name`` is ``("spec", "containers", 0, "name")``.

Conversion is linear: an aliased node is converted once and shared. A value whose
expansion passes :data:`NODE_BUDGET` nodes (an alias bomb) or that nests deeper than
:data:`MAX_DEPTH` levels is unknown, so no reader ever walks an exponential tree.
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..model import OPEN, TEMPLATED
from .yaml_text import HelmText, is_templated, restore

Path = tuple[Any, ...]
Positions = dict[Path, tuple[int, int]]

NODE_BUDGET = 50_000
MAX_DEPTH = 64

INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"
_TRUE = frozenset({"true", "yes", "on", "y"})


def is_unknown(value: Any) -> bool:
    """Is this plain value decided by a template (unknown), not written?"""
    return isinstance(value, str) and (value == TEMPLATED or "{{" in value)


def mapping_pairs(node: MappingNode) -> list[tuple[ScalarNode, Node]]:
    """(key, value) pairs of a mapping: own keys first (first wins), then ``<<`` merges."""
    out: list[tuple[ScalarNode, Node]] = []
    seen_keys: set[str] = set()
    seen_nodes: set[int] = set()
    todo: list[Node] = [node]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, MappingNode) or id(current) in seen_nodes:
            continue
        if len(seen_nodes) > 64:
            break
        seen_nodes.add(id(current))
        merges: list[Node] = []
        for key, value in current.value:
            if not isinstance(key, ScalarNode):
                continue
            if key.tag == MERGE_TAG or key.value == "<<":
                merges.extend(value.value if isinstance(value, SequenceNode) else [value])
                continue
            if key.value not in seen_keys:
                seen_keys.add(key.value)
                out.append((key, value))
        todo.extend(merges)
    return out


class PlainConverter:
    """Converts the documents of one chunk; knows its template leftovers and line offset."""

    def __init__(self, helm: HelmText, offset: int) -> None:
        self.helm = helm
        self.offset = offset
        self._lines: list[str] | None = None

    # ------------------------------------------------------------------- positions

    def position(self, node: Node) -> tuple[int, int]:
        mark = node.start_mark
        return int(mark.line) + 1 + self.offset, int(mark.column) + 1

    def first_key_position(self, node: Node) -> tuple[int, int]:
        """Where a resource is reported: its first key (``apiVersion:`` usually)."""
        if isinstance(node, MappingNode) and node.value:
            return self.position(node.value[0][0])
        return self.position(node)

    # -------------------------------------------------------------------- scalars

    def text(self, node: Node | None) -> str | None:
        """A scalar's text with template actions restored; None for null / non-scalars."""
        if not isinstance(node, ScalarNode) or node.tag == NULL_TAG:
            return None
        return restore(str(node.value), self.helm.originals)

    def scalar(self, node: ScalarNode) -> Any:
        text = str(node.value)
        if is_templated(text):
            return restore(text, self.helm.originals)
        tag = node.tag
        if tag == NULL_TAG:
            return None
        if tag == INT_TAG:
            return _yaml11_int(text)
        if tag == BOOL_TAG:
            return text.lower() in _TRUE
        if tag == FLOAT_TAG:
            try:
                return float(text.replace("_", ""))
            except ValueError:
                return text
        return text

    # ------------------------------------------------------------------ conversion

    def convert(self, node: Node, path: Path = (), keys: frozenset[str] | None = None) -> Any:
        """(plain value, positions) of ``node``; ``keys``: the top-level keys to keep."""
        positions: Positions = {}
        memo: dict[int, tuple[Any, int]] = {}
        value, _size = self._convert(node, path, positions, 0, memo, keys)
        return value, positions

    def _convert(
        self,
        node: Node,
        path: Path,
        positions: Positions,
        depth: int,
        memo: dict[int, tuple[Any, int]],
        keys: frozenset[str] | None = None,
    ) -> tuple[Any, int]:
        """(value, expanded size). An alias is converted once and shared; a value whose
        expansion passes NODE_BUDGET nodes (an alias bomb) is unknown, as is anything
        nested deeper than MAX_DEPTH."""
        known = memo.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH or memo.get(-id(node)):
            return TEMPLATED, 1  # too deep, or an alias to a node that contains it
        memo[-id(node)] = (True, 0)
        size = 1
        value: Any
        if isinstance(node, ScalarNode):
            value = self.scalar(node)
        elif isinstance(node, SequenceNode):
            items: list[Any] = []
            for index, item in enumerate(node.value):
                here = (*path, index)
                positions[here] = self.position(item)
                converted, grown = self._convert(item, here, positions, depth + 1, memo)
                items.append(converted)
                size += grown
            value = items
        elif isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            for key, item in mapping_pairs(node):
                name = restore(str(key.value), self.helm.originals)
                if keys is not None and name not in keys:
                    continue
                here = (*path, name)
                positions[here] = self.position(key)
                if (
                    isinstance(item, ScalarNode)
                    and item.tag == NULL_TAG
                    and item.value == ""
                    and self._null_is_templated(key)
                ):
                    out[name] = TEMPLATED  # `resources:` filled by the next line's template
                    continue
                converted, grown = self._convert(item, here, positions, depth + 1, memo)
                out[name] = converted
                size += grown
            if self._injected_into(node):
                out[OPEN] = True
            value = out
        else:
            value = TEMPLATED
        if size > NODE_BUDGET:
            value, size = TEMPLATED, 1
        del memo[-id(node)]
        memo[id(node)] = (value, size)
        return value, size

    # ----------------------------------------------------------- template leftovers

    def _source_lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.helm.text.split("\n")
        return self._lines

    def _injected_into(self, mapping: MappingNode) -> bool:
        """Did a value-producing template line add keys to this block mapping?"""
        if not self.helm.injected or not mapping.value:
            return False
        column = mapping.value[0][0].start_mark.column
        first, last = mapping.start_mark.line, mapping.end_mark.line
        # A template line just above the first key (right under `spec:`) injects into
        # this mapping too: the block starts where its parent key's line ends.
        lines = self._source_lines()
        while first > 0 and (first - 1 in self.helm.injected or not lines[first - 1].strip()):
            first -= 1
        return any(
            first <= ln <= last and indent == column for ln, indent in self.helm.injected.items()
        )

    def _null_is_templated(self, key: Node) -> bool:
        """``resources:`` followed by ``{{ toYaml ... | nindent 12 }}`` on the next line."""
        if not self.helm.injected:
            return False
        lines = self._source_lines()
        column = key.start_mark.column
        for number in range(key.start_mark.line + 1, len(lines)):
            if number in self.helm.injected:
                return self.helm.injected[number] > column or self.helm.injected[number] == 0
            content = lines[number].strip()
            if content and not content.startswith("#"):
                return False
        return False


def _yaml11_int(text: str) -> int | str:
    """An int as YAML 1.1 (PyYAML's resolver, and go-yaml for Kubernetes) reads it:
    `0644` is octal (420), `0o14`, `0x1F`, `0b101`, `1_000`, `190:20:30` (base 60)."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    try:
        if ":" in digits:
            value = 0
            for part in digits.split(":"):
                value = value * 60 + int(part)
            return sign * value
        if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
            return sign * int(digits, 8)
        return sign * int(digits, 0)
    except ValueError:
        return text
