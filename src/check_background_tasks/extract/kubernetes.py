"""Kubernetes manifests and docker-compose files → CronJobs and workloads.

Pure function of ``(path, bytes)``. YAML is *composed* (never constructed) with the safe
loaders only, so every value keeps its exact position and nothing is ever instantiated;
we walk the node graph along the few paths we need, so alias bombs cost nothing. A
``!!python/...`` tag makes its document an error (as a safe loader would), never a call.

Positions are the resource's first key (1-based line and column): the ``apiVersion:`` line
of a usual manifest, the first key inside ``{`` of a JSON manifest, the first key of a
``kind: List`` item, a compose service's key. A ``# noqa`` on the ``kind:`` line is copied
to that line.

Values: a field the Helm template decides is :data:`TEMPLATED` (``"<templated>"``) and its
name is listed in ``extra["templated"]``; an absent field is ``None``. A field is templated
when its value holds ``{{ }}``, or when it is absent from a mapping into which a
value-producing template line (``{{ toYaml .Values.x | nindent 2 }}``) injects keys.

``RawJob(kind="k8s_cronjob")``, for ``kind: CronJob`` with ``apiVersion`` ``batch/*``,
templated or absent (a CRD called CronJob in another API group is skipped):
  name = metadata.name (template text restored, e.g. ``{{ $fullName }}-cleanup``);
  target = TargetRef("command", first container's command + args, shell-joined; ``""``
  when neither is given); schedule = ``schedules.from_cron_string(spec.schedule,
  "kubernetes", spec.timeZone)``, or ``Schedule(text, resolved=False)`` when templated, or
  None when absent; extra = {api_version, namespace, concurrency_policy,
  starting_deadline_seconds, active_deadline_seconds (job-level, else pod-level),
  has_resource_limits (True only if every container has a non-empty ``limits``; False if
  any lacks them; else TEMPLATED), containers_without_limits, suspend, time_zone,
  commands (every container), command_argv (first container; None when the command is a
  single templated/shell string), image, templated (sorted field names), ignore (sorted
  codes of the ``check-background-tasks.io/ignore`` annotation)}.

``Workload``: Deployment / StatefulSet (replicas; absent → 1, templated → None) and
DaemonSet (replicas None, per node); extra = {api_version, replicas_source
(explicit|default|templated|unknown|per-node), commands, command_argv, image, templated,
ignore, autoscalers?}. HorizontalPodAutoscaler / ScaledObject: name = the *target's*
name, replicas = max replicas, autoscaled=True, extra = {scaler_name, target_kind,
min_replicas, max_replicas, ...}; :func:`apply_autoscalers` joins them (done per file
here; the project pass calls it again over all files). docker-compose services:
``kind="compose"``, command = entrypoint + command, replicas from ``deploy.replicas`` /
``scale`` (default 1, ``${VAR}`` → None, ``mode: global`` → None).
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .. import schedules
from ..model import (
    TEMPLATED,
    FileFacts,
    Problem,
    RawJob,
    Schedule,
    Suppression,
    TargetRef,
    Workload,
)
from .autoscalers import SCALER_KINDS as _SCALER_KINDS
from .autoscalers import apply_autoscalers
from .yaml_prefilter import KEYWORDS_TEXT as _KEYWORDS_TEXT
from .yaml_prefilter import yaml_might_matter, yaml_worth_loading
from .yaml_text import (
    HelmText,
    comment_suppressions,
    decode_text,
    is_templated,
    parse_codes,
    preprocess_helm,
    restore,
)

__all__ = [
    "IGNORE_ANNOTATION",
    "TEMPLATED",
    "apply_autoscalers",
    "extract_yaml",
    "yaml_might_matter",
    "yaml_worth_loading",
]

IGNORE_ANNOTATION = "check-background-tasks.io/ignore"

_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAFE_LOADER: Any = yaml.SafeLoader

_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")

# The C parser recurses once per nesting level and overflows the C stack somewhere past
# 20,000 levels (a segfault, not an exception). Chunks that *might* nest deeper than this
# bound go through the pure-Python loader, whose RecursionError we can catch.
_C_DEPTH_LIMIT = 2000
_NODE_BUDGET = 200_000  # nodes visited by a full walk (tag check) per document

_INDENT_RE = re.compile(r"^[ ]+", re.MULTILINE)
_DOC_START_RE = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_PY_TAG = "tag:yaml.org,2002:python/"
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"


# ---------------------------------------------------------------------------- entry


def extract_yaml(path: str, source: bytes) -> FileFacts:
    facts = FileFacts(path=path)
    if not yaml_might_matter(source):
        return facts
    text = decode_text(source)
    facts.suppressions.extend(comment_suppressions(text))
    for offset, chunk in _chunks(text):
        if not any(keyword in chunk for keyword in _KEYWORDS_TEXT):
            continue  # this document holds nothing for us: never parsed
        _extract_chunk(chunk, offset, facts)
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
        doc = _Doc(helm, offset)
        doc.resource(root, facts, depth=0)


# ------------------------------------------------------------------- node helpers

PRESENT, MISSING, TEMPLATE = "present", "missing", "templated"


@dataclass
class _Container:
    name: str | None
    command: str
    argv: list[str] | None
    limits: bool | str  # True / False / TEMPLATED
    image: str | None
    templated: list[str] = field(default_factory=list)


class _Doc:
    """Reads one composed document; knows the chunk's template facts and line offset."""

    def __init__(self, helm: HelmText, offset: int) -> None:
        self.helm = helm
        self.offset = offset
        self._lines: list[str] | None = None

    # positions: a resource is reported at its first key (``apiVersion:`` usually; the
    # first key inside ``{`` for flow/JSON mappings), any other node at its own start
    @staticmethod
    def _anchor(node: Node) -> Node:
        if isinstance(node, MappingNode) and node.value:
            return node.value[0][0]
        return node

    def line(self, node: Node) -> int:
        return int(self._anchor(node).start_mark.line) + 1 + self.offset

    def column(self, node: Node) -> int:
        return int(self._anchor(node).start_mark.column) + 1

    # raw access
    def pair(self, mapping: Node | None, key: str) -> tuple[Node, Node] | None:
        """(key node, value node) of ``key``, following ``<<`` merge keys; first wins."""
        if not isinstance(mapping, MappingNode):
            return None
        seen: set[int] = set()
        todo: list[Node] = [mapping]
        while todo:
            current = todo.pop(0)
            if id(current) in seen or len(seen) > 64:
                continue
            seen.add(id(current))
            merges: list[Node] = []
            for k, v in current.value:
                if isinstance(k, ScalarNode):
                    if k.value == key and k.tag != _MERGE_TAG:
                        return k, v
                    if k.tag == _MERGE_TAG or k.value == "<<":
                        merges.extend(v.value if isinstance(v, SequenceNode) else [v])
            todo.extend(m for m in merges if isinstance(m, MappingNode))
        return None

    def get(self, mapping: Node | None, key: str) -> Node | None:
        found = self.pair(mapping, key)
        return found[1] if found else None

    def scalar(self, node: Node | None) -> str | None:
        """A scalar's text with placeholders restored; None for null / non-scalars."""
        if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG:
            return None
        return restore(str(node.value), self.helm.originals)

    # template awareness
    def injected_into(self, mapping: Node | None) -> bool:
        """Did a value-producing template line add keys to this block mapping?"""
        if not self.helm.injected or not isinstance(mapping, MappingNode) or not mapping.value:
            return False
        column = mapping.value[0][0].start_mark.column
        first, last = mapping.start_mark.line, mapping.end_mark.line
        # A template line just above the first key (right under `spec:`) injects into
        # this mapping too: the block starts where its parent key's line ends.
        if self._lines is None:
            self._lines = self.helm.text.split("\n")
        while first > 0 and (first - 1 in self.helm.injected or not self._lines[first - 1].strip()):
            first -= 1
        return any(
            first <= ln <= last and indent == column for ln, indent in self.helm.injected.items()
        )

    def _null_is_templated(self, key: Node) -> bool:
        """``resources:`` followed by ``{{ toYaml ... | nindent 12 }}`` on the next line."""
        if not self.helm.injected:
            return False
        if self._lines is None:
            self._lines = self.helm.text.split("\n")
        column = key.start_mark.column
        for number in range(key.start_mark.line + 1, len(self._lines)):
            if number in self.helm.injected:
                return self.helm.injected[number] > column or self.helm.injected[number] == 0
            content = self._lines[number].strip()
            if content and not content.startswith("#"):
                return False
        return False

    def lookup(self, mapping: Node | None, key: str) -> tuple[str, Node | None]:
        """(PRESENT | MISSING | TEMPLATE, value node)."""
        if isinstance(mapping, ScalarNode) and is_templated(str(mapping.value)):
            return TEMPLATE, None
        found = self.pair(mapping, key)
        if found is None:
            return (TEMPLATE if self.injected_into(mapping) else MISSING), None
        key_node, value = found
        if isinstance(value, ScalarNode):
            if value.tag == _NULL_TAG:
                if value.value == "" and self._null_is_templated(key_node):
                    return TEMPLATE, value
                return MISSING, value
            if is_templated(str(value.value)):
                return TEMPLATE, value
        return PRESENT, value

    def path(self, mapping: Node | None, *keys: str) -> tuple[str, Node | None]:
        state: str = PRESENT
        node = mapping
        for key in keys:
            state, node = self.lookup(node, key)
            if state != PRESENT:
                return state, node
        return state, node

    def value(self, state: str, node: Node | None) -> Any:
        """Python value of a looked-up scalar: TEMPLATED, None (missing), int, bool or str."""
        if state == TEMPLATE:
            return TEMPLATED
        if state == MISSING or not isinstance(node, ScalarNode):
            return None
        text = str(node.value)
        if node.tag == _INT_TAG:
            try:
                return int(text.replace("_", ""), 0)
            except ValueError:
                return text
        if node.tag == _BOOL_TAG:
            return text.lower() in ("true", "yes", "on", "y")
        return restore(text, self.helm.originals)

    # argv lists
    def argv(self, node: Node | None) -> tuple[list[str] | None, bool]:
        """(argv, templated). A scalar command is one shell string (argv None)."""
        if isinstance(node, SequenceNode):
            out: list[str] = []
            templated = False
            for item in node.value:
                if isinstance(item, ScalarNode):
                    templated = templated or is_templated(str(item.value))
                    out.append(restore(str(item.value), self.helm.originals))
                else:
                    out.append("<?>")
            return out, templated
        if isinstance(node, ScalarNode) and node.tag != _NULL_TAG:
            return None, is_templated(str(node.value))
        return [], False

    # ------------------------------------------------------------------- resources

    def resource(self, root: Node, facts: FileFacts, depth: int) -> None:
        if not isinstance(root, MappingNode):
            return
        kind = self.scalar(self.get(root, "kind"))
        if kind is None:
            if depth == 0 and self.pair(root, "services") is not None:
                self.compose(root, facts)
            return
        if kind.endswith("List") and depth < 3:
            items = self.get(root, "items")
            if isinstance(items, SequenceNode):
                for item in items.value:
                    self.resource(item, facts, depth + 1)
            return
        api = self.scalar(self.get(root, "apiVersion"))
        if kind == "CronJob":
            if api is None or api.startswith("batch/") or "{{" in api:
                facts.jobs.append(self.cronjob(root, api))
            else:
                return  # a CRD that happens to be called CronJob (another API group)
        elif kind in _WORKLOAD_KINDS:
            facts.workloads.append(self.workload(root, kind, api))
        elif kind in _SCALER_KINDS:
            facts.workloads.append(self.scaler(root, kind, api))
        else:
            return
        self.header_suppressions(root, facts)

    def header_suppressions(self, root: MappingNode, facts: FileFacts) -> None:
        """A ``# noqa`` on the ``kind:`` line also counts on the reported (first-key) line."""
        kind_pair = self.pair(root, "kind")
        if kind_pair is None or not facts.suppressions:
            return
        kind_line, report_line = self.line(kind_pair[0]), self.line(root)
        if kind_line == report_line:
            return
        for suppression in list(facts.suppressions):
            if suppression.line == kind_line:
                facts.suppressions.append(Suppression(report_line, suppression.codes))

    def metadata(self, root: Node, templated: list[str]) -> tuple[str | None, Any, list[str]]:
        """(name, namespace, ignore codes)."""
        meta = self.get(root, "metadata")
        state, name_node = self.lookup(meta, "name")
        if state == TEMPLATE:
            templated.append("name")
        name = self.scalar(name_node)
        state, ns_node = self.lookup(meta, "namespace")
        if state == TEMPLATE:
            templated.append("namespace")
        namespace = self.value(state, ns_node)
        ignore: set[str] = set()
        annotation = self.scalar(self.get(self.get(meta, "annotations"), IGNORE_ANNOTATION))
        if annotation:
            ignore = set(parse_codes(annotation))
        return name, namespace, sorted(ignore)

    def containers(
        self, pod_spec: Node | None, templated: list[str]
    ) -> tuple[str, list[_Container]]:
        state, node = self.lookup(pod_spec, "containers")
        if state != PRESENT or not isinstance(node, SequenceNode):
            if state == TEMPLATE:
                templated.append("containers")
            return state, []
        out: list[_Container] = []
        for item in node.value:
            if not isinstance(item, MappingNode):
                continue
            own: list[str] = []
            cmd_argv, cmd_tpl = self.argv(self.get(item, "command"))
            args_argv, args_tpl = self.argv(self.get(item, "args"))
            if cmd_tpl:
                own.append("command")
            if args_tpl:
                own.append("args")
            parts: list[str] = []
            argv: list[str] | None = []
            for piece_argv, key in ((cmd_argv, "command"), (args_argv, "args")):
                if piece_argv is None:  # a scalar (templated or shell string)
                    parts.append(self.scalar(self.get(item, key)) or "")
                    argv = None
                elif piece_argv:
                    parts.append(shlex.join(piece_argv))
                    if argv is not None:
                        argv.extend(piece_argv)
            r_state, resources = self.lookup(item, "resources")
            limits: bool | str
            if r_state == TEMPLATE:
                limits = TEMPLATED
            elif r_state == MISSING:
                limits = False
            else:
                l_state, lim = self.lookup(resources, "limits")
                if l_state == TEMPLATE:
                    limits = TEMPLATED
                else:
                    limits = isinstance(lim, MappingNode) and bool(lim.value)
            if limits == TEMPLATED:
                own.append("resources")
            out.append(
                _Container(
                    name=self.scalar(self.get(item, "name")),
                    command=" ".join(p for p in parts if p),
                    argv=argv,
                    limits=limits,
                    image=self.scalar(self.get(item, "image")),
                    templated=own,
                )
            )
        for container in out[:1]:
            templated.extend(container.templated)
        for container in out[1:]:
            templated.extend(f"{container.name or '?'}.{f}" for f in container.templated)
        return state, out

    @staticmethod
    def limits_summary(state: str, containers: list[_Container]) -> bool | str:
        if not containers:
            return TEMPLATED if state == TEMPLATE else False
        if any(c.limits is False for c in containers):
            return False
        if any(c.limits == TEMPLATED for c in containers):
            return TEMPLATED
        return True

    def cronjob(self, root: MappingNode, api: str | None) -> RawJob:
        templated: list[str] = []
        name, namespace, ignore = self.metadata(root, templated)
        spec_state, spec = self.lookup(root, "spec")

        def field_value(node: Node | None, key: str) -> Any:
            state, value_node = (
                self.lookup(node, key)
                if spec_state == PRESENT
                else (
                    spec_state,
                    None,
                )
            )
            if state == TEMPLATE:
                templated.append(key)
            return self.value(state, value_node)

        schedule_value = field_value(spec, "schedule")
        timezone = field_value(spec, "timeZone")
        concurrency = field_value(spec, "concurrencyPolicy")
        starting = field_value(spec, "startingDeadlineSeconds")
        suspend = field_value(spec, "suspend")
        job_state, job_spec = (
            self.path(spec, "jobTemplate", "spec") if spec_state == PRESENT else (spec_state, None)
        )
        pod_state, pod_spec = (
            self.path(job_spec, "template", "spec") if job_state == PRESENT else (job_state, None)
        )
        a_state, a_node = (
            self.lookup(job_spec, "activeDeadlineSeconds")
            if job_state == PRESENT
            else (job_state, None)
        )
        if a_state == MISSING and pod_state == PRESENT:
            # a pod-level activeDeadlineSeconds bounds each run as well
            a_state, a_node = self.lookup(pod_spec, "activeDeadlineSeconds")
        if a_state == TEMPLATE:
            templated.append("activeDeadlineSeconds")
        active = self.value(a_state, a_node)
        if pod_state == PRESENT:
            c_state, containers = self.containers(pod_spec, templated)
        else:
            c_state, containers = pod_state, []
            if pod_state == TEMPLATE:
                templated.append("containers")

        schedule: Schedule | None
        if schedule_value is None:
            schedule = None
        else:
            tz = timezone if isinstance(timezone, str) and timezone != TEMPLATED else None
            text = (
                self.scalar(self.get(spec, "schedule")) or TEMPLATED
                if schedule_value == TEMPLATED
                else str(schedule_value)
            )
            text = " ".join(text.split())
            if schedule_value == TEMPLATED:
                schedule = Schedule(text=text, timezone=tz, resolved=False)
            else:
                try:
                    schedule = schedules.from_cron_string(text, dialect="kubernetes", timezone=tz)
                except NotImplementedError:  # schedules module not there yet
                    schedule = Schedule(text=text, timezone=tz)

        first = containers[0] if containers else None
        extra: dict[str, Any] = {
            "api_version": api,
            "namespace": namespace,
            "concurrency_policy": concurrency,
            "starting_deadline_seconds": starting,
            "active_deadline_seconds": active,
            "has_resource_limits": self.limits_summary(c_state, containers),
            "containers_without_limits": [c.name for c in containers if c.limits is False],
            "suspend": suspend,
            "time_zone": timezone,
            **_container_extra(containers, templated, ignore),
        }
        return RawJob(
            kind="k8s_cronjob",
            name=name,
            target=TargetRef("command", first.command if first else ""),
            schedule=schedule,
            line=self.line(root),
            column=self.column(root),
            periodic=True,
            locked=None,
            extra=extra,
        )

    def workload(self, root: MappingNode, kind: str, api: str | None) -> Workload:
        templated: list[str] = []
        name, namespace, ignore = self.metadata(root, templated)
        spec_state, spec = self.lookup(root, "spec")
        replicas: int | None
        if kind == "DaemonSet":
            replicas, source = None, "per-node"
        else:
            state, node = (
                self.lookup(spec, "replicas")
                if spec_state == PRESENT
                else (
                    spec_state,
                    None,
                )
            )
            value = self.value(state, node)
            if state == TEMPLATE:
                templated.append("replicas")
                replicas, source = None, "templated"
            elif isinstance(value, int) and not isinstance(value, bool):
                replicas, source = value, "explicit"
            elif state == MISSING and spec_state != TEMPLATE:
                replicas, source = 1, "default"
            else:
                replicas, source = None, "unknown"
        pod_state, pod_spec = (
            self.path(spec, "template", "spec") if spec_state == PRESENT else (spec_state, None)
        )
        if pod_state == PRESENT:
            _, containers = self.containers(pod_spec, templated)
        else:
            containers = []
            if pod_state == TEMPLATE:
                templated.append("containers")
        first = containers[0] if containers else None
        return Workload(
            kind=kind,
            name=name or "",
            command=first.command if first else "",
            replicas=replicas,
            line=self.line(root),
            column=self.column(root),
            namespace=_known_namespace(namespace),
            autoscaled=False,
            extra={
                "api_version": api,
                "replicas_source": source,
                **_container_extra(containers, templated, ignore),
            },
        )

    def scaler(self, root: MappingNode, kind: str, api: str | None) -> Workload:
        templated: list[str] = []
        scaler_name, namespace, ignore = self.metadata(root, templated)
        spec = self.get(root, "spec")
        ref = self.get(spec, "scaleTargetRef")
        target = self.scalar(self.get(ref, "name")) or ""
        target_kind = self.scalar(self.get(ref, "kind"))
        if kind == "ScaledObject":
            target_kind = target_kind or "Deployment"
            min_key, max_key, min_default, max_default = (
                "minReplicaCount",
                "maxReplicaCount",
                0,
                100,
            )
        else:
            min_key, max_key, min_default, max_default = "minReplicas", "maxReplicas", 1, None
        values: dict[str, Any] = {}
        for key, default in ((min_key, min_default), (max_key, max_default)):
            state, node = self.lookup(spec, key)
            if state == TEMPLATE:
                templated.append(key)
            value = self.value(state, node)
            values[key] = default if value is None else value
        max_replicas = values[max_key]
        return Workload(
            kind=kind,
            name=target,
            command="",
            replicas=max_replicas if isinstance(max_replicas, int) else None,
            line=self.line(root),
            column=self.column(root),
            namespace=_known_namespace(namespace),
            autoscaled=True,
            extra={
                "api_version": api,
                "scaler_name": scaler_name,
                "target_kind": target_kind,
                "min_replicas": values[min_key],
                "max_replicas": max_replicas,
                "templated": sorted(set(templated)),
                "ignore": ignore,
            },
        )

    def compose(self, root: MappingNode, facts: FileFacts) -> None:
        services = self.get(root, "services")
        if not isinstance(services, MappingNode):
            return
        for key, service in services.value:
            if not isinstance(key, ScalarNode) or not isinstance(service, MappingNode):
                continue
            if not any(self.pair(service, k) for k in ("image", "build", "command", "entrypoint")):
                continue
            templated: list[str] = []
            parts: list[str] = []
            for k in ("entrypoint", "command"):
                node = self.get(service, k)
                argv, _ = self.argv(node)
                if argv is None:
                    parts.append(self.scalar(node) or "")
                elif argv:
                    parts.append(shlex.join(argv))
            deploy = self.get(service, "deploy")
            mode = self.scalar(self.get(deploy, "mode"))
            replicas: int | None = 1
            source = "default"
            count = self.get(deploy, "replicas")
            if not isinstance(count, ScalarNode) or count.tag == _NULL_TAG:
                count = self.get(service, "scale")
            if isinstance(count, ScalarNode) and count.tag != _NULL_TAG:
                value = self.value(PRESENT, count)
                if isinstance(value, int) and not isinstance(value, bool):
                    replicas, source = value, "explicit"
                else:  # "${REPLICAS:-2}" interpolation or a template: unknown
                    replicas, source = None, "templated"
                    templated.append("replicas")
            if mode == "global":
                replicas, source = None, "per-node"
            facts.workloads.append(
                Workload(
                    kind="compose",
                    name=restore(str(key.value), self.helm.originals),
                    command=" ".join(p for p in parts if p),
                    replicas=replicas,
                    line=self.line(key),
                    column=self.column(key),
                    extra={
                        "replicas_source": source,
                        "image": self.scalar(self.get(service, "image")),
                        "templated": sorted(set(templated)),
                        "ignore": [],
                    },
                )
            )


# -------------------------------------------------------------------- containers


def _known_namespace(namespace: Any) -> str | None:
    """A workload's namespace for joining scalers; templated or odd values join any."""
    return namespace if isinstance(namespace, str) and namespace != TEMPLATED else None


def _container_extra(containers: list[Any], templated: list[str], ignore: Any) -> dict[str, Any]:
    """What CronJobs and workloads both record of their containers and template state."""
    first = containers[0] if containers else None
    return {
        "commands": [c.command for c in containers],
        "command_argv": first.argv if first else None,
        "image": first.image if first else None,
        "templated": sorted(set(templated)),
        "ignore": ignore,
    }
