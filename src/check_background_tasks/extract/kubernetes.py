"""Kubernetes manifests and docker-compose files → plain manifests, CronJobs and workloads.

Pure function of ``(path, bytes)``. YAML is *composed* (never constructed) with the safe
loaders only, so every value keeps its exact position and nothing is ever instantiated.
A ``!!python/...`` tag makes its document an error (as a safe loader would), never a call.

Each document that matters becomes a :class:`~check_background_tasks.model.Manifest`
(plain data with positions, see ``yaml_plain.py``) in ``FileFacts.manifests``: CronJobs
(``apiVersion`` ``batch/*``, templated or absent; a CRD called CronJob in another API
group is skipped), Deployments, StatefulSets, DaemonSets, HorizontalPodAutoscalers, KEDA
ScaledObjects, kustomization files (``Kustomization``/``Component``) and JSON 6902 patch
lists. The deploy stage renders them (kustomize overlays); read alone, each object is
interpreted here by ``manifest_objects.py`` into ``FileFacts.jobs`` (``RawJob`` of kind
``k8s_cronjob``) and ``FileFacts.workloads``, as documented there. docker-compose services
become workloads directly.

Positions are the resource's first key (1-based line and column): the ``apiVersion:`` line
of a usual manifest, the first key inside ``{`` of a JSON manifest, the first key of a
``kind: List`` item, a compose service's key. A ``# noqa`` on the ``kind:`` line is copied
to that line.

Values: a field the Helm template decides is :data:`TEMPLATED` (``"<templated>"``) and its
name is listed in ``extra["templated"]``; an absent field is ``None``. A field is templated
when its value holds ``{{ }}``, or when it is absent from a mapping into which a
value-producing template line (``{{ toYaml .Values.x | nindent 2 }}``) injects keys.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..model import TEMPLATED, FileFacts, Manifest, Problem, RawJob, Suppression, Workload
from .autoscalers import apply_autoscalers
from .kustomize_inline import parse_inline_patches
from .manifest_objects import IGNORE_ANNOTATION, SCALER_KINDS, WORKLOAD_KINDS, interpret
from .yaml_plain import PlainConverter, mapping_pairs
from .yaml_prefilter import KEYWORDS_TEXT as _KEYWORDS_TEXT
from .yaml_prefilter import (
    PATCH_KEYWORDS_TEXT,
    is_kustomization_file,
    yaml_might_matter,
    yaml_worth_loading,
)
from .yaml_text import HelmText, comment_suppressions, decode_text, preprocess_helm

__all__ = [
    "IGNORE_ANNOTATION",
    "TEMPLATED",
    "apply_autoscalers",
    "extract_yaml",
    "yaml_might_matter",
    "yaml_worth_loading",
]

_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAFE_LOADER: Any = yaml.SafeLoader

# Documents kept as plain manifests for the deploy stage without being objects we judge.
JSON6902 = "Json6902Patch"
KEPT_KINDS = frozenset({"Kustomization", "Component"})
# Objects that change how others run: a LimitRange gives containers default limits.
CONTEXT_KINDS = frozenset({"LimitRange"})
# What an object's reading (and a kustomize merge) needs; other top-level keys are data.
OBJECT_KEYS = frozenset({"apiVersion", "kind", "metadata", "spec", "$patch"})

# The C parser recurses once per nesting level and overflows the C stack somewhere past
# 20,000 levels (a segfault, not an exception). Chunks that *might* nest deeper than this
# bound go through the pure-Python loader, whose RecursionError we can catch.
_C_DEPTH_LIMIT = 2000
_NODE_BUDGET = 200_000  # nodes visited by a full walk (tag check) per document

_INDENT_RE = re.compile(r"^[ ]+", re.MULTILINE)
_DOC_START_RE = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_PY_TAG = "tag:yaml.org,2002:python/"


# ---------------------------------------------------------------------------- entry


def extract_yaml(path: str, source: bytes, judge: bool = True) -> FileFacts:
    """`judge`: weigh each document's parse problems by what it could declare
    (extract/yaml_problems.py); off for a Helm template (its notes are helm_files.py's) and
    for a render's output (any problem fails the render). A kustomization's problems stay
    errors: it decides what its bases deploy."""
    facts = FileFacts(path=path)
    kustomization = is_kustomization_file(path)
    if not kustomization and not yaml_might_matter(source):
        return facts
    text = decode_text(source)
    facts.suppressions.extend(comment_suppressions(text))
    for offset, chunk in _chunks(text):
        if not kustomization and not any(
            keyword in chunk for keyword in (*_KEYWORDS_TEXT, *PATCH_KEYWORDS_TEXT)
        ):
            continue  # this document holds nothing for us: never parsed
        before = len(facts.problems)
        _extract_chunk(chunk, offset, facts)
        if judge and not kustomization and len(facts.problems) > before:
            from .yaml_problems import judge as judge_problems

            facts.problems[before:] = judge_problems(facts.problems[before:], chunk, offset)
    apply_autoscalers(facts.workloads)
    return facts


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split a stream at ``---`` lines: (0-based line offset, chunk text).

    Anchors never cross documents, so this is safe; it keeps one broken document from
    hiding the others and lets us skip documents without keywords.
    """
    if text.startswith("%") or "\n%" in text:  # directives belong to the next document
        yield 0, text
        return
    starts = [m.start() for m in _DOC_START_RE.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    line = 0
    for begin, end in itertools.pairwise(starts):
        chunk = text[begin:end]
        yield line, chunk
        line += chunk.count("\n")


# ------------------------------------------------------------------------- parsing


def _depth_bound(chunk: str) -> int:
    """An upper bound of the nesting depth; cheap (C-speed string counts).

    Block mappings nest only through indentation, block sequences through indentation or
    ``- `` entries, complex keys through ``? ``, flow collections through ``[``/``{``.
    """
    if len(chunk) <= _C_DEPTH_LIMIT:
        return len(chunk)
    bound = chunk.count("[") + chunk.count("{")
    for indicator in ("-", "?"):
        for follower in (" ", "\n", "\t", "\r"):
            bound += chunk.count(indicator + follower)
    if bound > _C_DEPTH_LIMIT:
        return bound
    indents = _INDENT_RE.findall(chunk)
    return bound + max(map(len, indents), default=0) + 1


def _json_is_shallow(chunk: str) -> bool:
    """A JSON document that the json module decodes is < ~1000 deep: safe for the C parser."""
    try:
        json.loads(chunk)
    except (ValueError, RecursionError):
        return False
    return True


def _problem(exc: BaseException, chunk: str, offset: int) -> Problem:
    line, column, reason = 1, 1, ""
    if isinstance(exc, RecursionError):
        reason = "too deeply nested to parse"
    elif isinstance(exc, yaml.reader.ReaderError):
        line = chunk.count("\n", 0, exc.position) + 1
        reason = f"unacceptable character #x{exc.character:04x}"
    elif isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line, column = mark.line + 1, mark.column + 1
        reason = exc.problem or exc.context or ""
    else:
        reason = str(exc)
    reason = " ".join(reason.split()) or type(exc).__name__
    return Problem(f"YAML error at line {line + offset}: {reason}", line + offset, column)


def _compose(chunk: str, offset: int, facts: FileFacts) -> list[Node]:
    """Compose every document of a chunk; a parse error becomes a Problem."""
    stripped = chunk.lstrip()
    if stripped[:1] in ("{", "[") and "\t" in chunk:
        # JSON: a raw tab can only be whitespace there, but PyYAML rejects it as indentation
        chunk = chunk.replace("\t", " ")
    if _depth_bound(chunk) <= _C_DEPTH_LIMIT or (
        stripped[:1] in ("{", "[") and _json_is_shallow(chunk)
    ):
        loader = _FAST_LOADER
    else:
        loader = _SAFE_LOADER  # pure Python: too deep → RecursionError, not a segfault
    docs: list[Node] = []
    try:
        for doc in yaml.compose_all(chunk, Loader=loader):
            if doc is not None:
                docs.append(doc)
    except yaml.composer.ComposerError as exc:
        if "duplicate anchor" not in f"{exc.context} {exc.problem}":
            facts.problems.append(_problem(exc, chunk, offset))
            return docs
        return _compose_redefining(chunk, offset, facts)
    except (yaml.YAMLError, RecursionError) as exc:
        facts.problems.append(_problem(exc, chunk, offset))
    return docs


class _RedefiningLoader(yaml.SafeLoader):
    """A safe loader that lets a later anchor redefine an earlier one, as YAML 1.2 (and
    go-yaml, which Helm and kubectl use) do: an alias refers to the latest node with that
    anchor. PyYAML refuses such files with "found duplicate anchor"."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if not self.check_event(yaml.AliasEvent):
            anchor = getattr(self.peek_event(), "anchor", None)
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


def _compose_redefining(chunk: str, offset: int, facts: FileFacts) -> list[Node]:
    docs: list[Node] = []
    try:
        for doc in yaml.compose_all(chunk, Loader=_RedefiningLoader):
            if doc is not None:
                docs.append(doc)
    except (yaml.YAMLError, RecursionError) as exc:
        facts.problems.append(_problem(exc, chunk, offset))
    return docs


def _unsafe_tag(root: Node) -> Node | None:
    """The first node with a ``!!python/...`` tag (a safe loader refuses the document)."""
    seen: set[int] = set()
    stack = [root]
    budget = _NODE_BUDGET
    while stack and budget > 0:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        budget -= 1
        if node.tag.startswith(_PY_TAG):
            return node
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append(value)
                stack.append(key)
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
    return None


def _extract_chunk(chunk: str, offset: int, facts: FileFacts) -> None:
    helm = preprocess_helm(chunk)
    docs = _compose(helm.text, offset, facts)
    if not docs:
        return
    check_tags = "python/" in helm.text
    for root in docs:
        if check_tags:
            bad = _unsafe_tag(root)
            if bad is not None:
                line = bad.start_mark.line + 1 + offset
                tag = bad.tag.replace("tag:yaml.org,2002:", "!!")
                facts.problems.append(
                    Problem(
                        f"YAML error at line {line}: unsafe tag {tag} (safe loader only)",
                        line,
                        bad.start_mark.column + 1,
                    )
                )
                continue
        doc = _Doc(helm, offset, facts.path)
        doc.resource(root, facts, depth=0)


# ------------------------------------------------------------------- node helpers


class _Doc:
    """Reads one composed document: finds its kind, converts what matters to plain data."""

    def __init__(self, helm: HelmText, offset: int, path: str) -> None:
        self.plain = PlainConverter(helm, offset)
        self.path = path

    def line(self, node: Node) -> int:
        return self.plain.first_key_position(node)[0]

    def get(self, mapping: Node | None, key: str) -> Node | None:
        """A key's value node (``<<`` merges followed; first wins)."""
        if not isinstance(mapping, MappingNode):
            return None
        for k, v in mapping_pairs(mapping):
            if k.value == key:
                return v
        return None

    def key_node(self, mapping: MappingNode, key: str) -> Node | None:
        for k, _v in mapping_pairs(mapping):
            if k.value == key:
                return k
        return None

    def manifest(self, root: Node, kind: str) -> Manifest:
        keys = None if kind in KEPT_KINDS or kind in (JSON6902, "Compose") else OBJECT_KEYS
        doc, positions = self.plain.convert(root, keys=keys)
        line, column = self.plain.first_key_position(root)
        return parse_inline_patches(Manifest(kind, doc, positions, line, column), root, self.plain)

    # ------------------------------------------------------------------- resources

    def resource(self, root: Node, facts: FileFacts, depth: int) -> None:
        if isinstance(root, SequenceNode) and depth == 0 and _is_json6902(root):
            facts.manifests.append(self.manifest(root, JSON6902))
            return
        if not isinstance(root, MappingNode):
            return
        kind = self.plain.text(self.get(root, "kind"))
        if kind is None:
            if depth == 0 and is_kustomization_file(self.path):
                facts.manifests.append(self.manifest(root, "Kustomization"))
            elif depth == 0 and self.get(root, "services") is not None:
                compose = self.manifest(root, "Compose")
                facts.workloads.extend(w for w in interpret(compose) if isinstance(w, Workload))
            return
        if kind.endswith("List") and depth < 3:
            items = self.get(root, "items")
            if isinstance(items, SequenceNode):
                for item in items.value:
                    self.resource(item, facts, depth + 1)
            return
        if kind in KEPT_KINDS:
            facts.manifests.append(self.manifest(root, kind))
            return
        api = self.plain.text(self.get(root, "apiVersion"))
        if kind == "CronJob" and not (api is None or api.startswith("batch/") or "{{" in api):
            return  # a CRD that happens to be called CronJob (another API group)
        if kind in CONTEXT_KINDS:
            facts.manifests.append(self.manifest(root, kind))  # read by the rules, not a job
            return
        if kind != "CronJob" and kind not in WORKLOAD_KINDS and kind not in SCALER_KINDS:
            return
        manifest = self.manifest(root, kind)
        facts.manifests.append(manifest)
        for item in interpret(manifest):
            if isinstance(item, RawJob):
                facts.jobs.append(item)
            else:
                facts.workloads.append(item)
        self.header_suppressions(root, facts)

    def header_suppressions(self, root: MappingNode, facts: FileFacts) -> None:
        """A ``# noqa`` on the ``kind:`` line also counts on the reported (first-key) line."""
        kind_key = self.key_node(root, "kind")
        if kind_key is None or not facts.suppressions:
            return
        kind_line, report_line = self.plain.position(kind_key)[0], self.line(root)
        if kind_line == report_line:
            return
        for suppression in list(facts.suppressions):
            if suppression.line == kind_line:
                facts.suppressions.append(Suppression(report_line, suppression.codes))


def _is_json6902(root: SequenceNode) -> bool:
    """A list of JSON patch operations (a kustomize ``patchesJson6902`` file)."""
    items = root.value
    return bool(items) and all(
        isinstance(item, MappingNode)
        and any(isinstance(k, ScalarNode) and k.value == "op" for k, _v in item.value)
        for item in items
    )
