"""Inline patches of a kustomization: YAML text inside a string, read at extraction time.

``patches: [{patch: "..."}]``, ``patchesJson6902: [{patch: "..."}]`` and the inline form of
``patchesStrategicMerge: ["..."]`` hold a patch as text. It is composed here (safe loader,
never constructed), so the deploy stage renders without a YAML parser. In the
kustomization's plain data the string becomes ``{INLINE: [document, ...]}`` (a mapping for
a strategic-merge patch, a list for JSON patch operations), and the positions table gains
the documents' keys under that path, at their place in the kustomization file: a literal
block (``patch: |-``) keeps each line and column; a quoted or folded string puts every key
at the string's start. Text that does not parse stays a string (the deploy stage then
treats the patch as unknown).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..model import INLINE, Manifest
from .yaml_plain import PlainConverter, mapping_pairs
from .yaml_text import preprocess_helm

KUSTOMIZATION_KINDS = ("Kustomization", "Component")
# (list key, key of the patch text in an entry; None: the entry is the text itself)
_PATCH_LISTS = (("patches", "patch"), ("patchesJson6902", "patch"), ("patchesStrategicMerge", None))


def parse_inline_patches(manifest: Manifest, root: Node, plain: PlainConverter) -> Manifest:
    """The manifest, each inline patch string of a kustomization replaced by its documents."""
    if (
        manifest.kind not in KUSTOMIZATION_KINDS
        or not isinstance(root, MappingNode)
        or not isinstance(manifest.doc, dict)
    ):
        return manifest
    for key, value in mapping_pairs(root):
        for list_key, text_key in _PATCH_LISTS:
            if key.value != list_key or not isinstance(value, SequenceNode):
                continue
            entries = manifest.doc.get(list_key)
            if not isinstance(entries, list) or len(entries) != len(value.value):
                continue
            for index, entry in enumerate(value.value):
                node, path = _text_node(entry, text_key, (list_key, index))
                if node is not None:
                    _replace(manifest, path, node, plain)
    return manifest


def _text_node(
    entry: Node, text_key: str | None, path: tuple[Any, ...]
) -> tuple[ScalarNode | None, tuple[Any, ...]]:
    if text_key is None:
        return (entry if isinstance(entry, ScalarNode) else None), path
    if not isinstance(entry, MappingNode):
        return None, path
    for key, value in mapping_pairs(entry):
        if key.value == text_key and isinstance(value, ScalarNode):
            return value, (*path, text_key)
    return None, path


def _replace(
    manifest: Manifest, path: tuple[Any, ...], node: ScalarNode, plain: PlainConverter
) -> None:
    text = plain.text(node)
    if not text or ("\n" not in text and not text.lstrip().startswith(("{", "["))):
        return  # a file name (`patchesStrategicMerge: [cronjob.yaml]`), not a patch
    line, column = plain.position(node)
    literal = node.style == "|"
    # a literal block's text starts on the line after `patch: |`, indented
    indent = _block_indent(plain, node) if literal else 0
    try:
        docs = [
            doc
            for doc in yaml.compose_all(text, Loader=yaml.SafeLoader)  # small: pure Python is fine
            if doc is not None
        ]
    except (yaml.YAMLError, RecursionError):
        return
    converter = PlainConverter(preprocess_helm(text), line if literal else 0)
    documents: list[Any] = []
    positions: dict[tuple[Any, ...], tuple[int, int]] = {}
    for number, doc in enumerate(docs):
        value, found = converter.convert(doc, (*path, INLINE, number))
        documents.append(value)
        for where, (at_line, at_column) in found.items():
            positions[where] = (at_line, at_column + indent) if literal else (line, column)
    target: Any = manifest.doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = {INLINE: documents}
    manifest.positions.update(positions)


def _block_indent(plain: PlainConverter, node: ScalarNode) -> int:
    """The indentation of a literal block's text (of its first non-blank line)."""
    lines = plain.helm.text.split("\n")
    start = int(node.start_mark.line) + 1
    end = min(int(node.end_mark.line), len(lines) - 1)
    for number in range(start, end + 1):
        content = lines[number]
        if content.strip():
            return len(content) - len(content.lstrip(" "))
    return 0
