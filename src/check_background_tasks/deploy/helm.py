"""Helm charts rendered with the values of each environment: the objects a cluster gets.

``render_helm(facts)`` reads only ``FileFacts`` (the manifests of
``extract/helm_files.py``): for every chart (see ``helm_charts.py``) and every
environment that deploys it, it layers the values as Helm does (``helm_values.py``),
evaluates each template (``gotemplate.py``), reads the output with the same YAML reading
as any manifest (``extract_yaml``) and maps every position back to the template line or
the values entry that wrote it.

What it returns (:class:`~.rendered.RenderResult`):

- one :class:`~.rendered.Rendered` per CronJob, workload or scaler per environment;
  ``origin`` is the object's first key in the template, or, for an object made inside a
  ``range`` over values, the values entry of that element;
- ``owned``: the chart's template files whose every render succeeded (their standalone
  reading, and its "not analysed alone" notes, are replaced), and its partials (``_*``),
  which Helm never deploys as such; a template gated off everywhere is owned and yields
  nothing;
- ``notes``: a template that cannot be evaluated keeps its standalone reading and gets an
  ``info`` note ("not analysed: ..."), only when it could hold a job.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..extract.helm_files import could_hold_job
from ..extract.kubernetes import extract_yaml
from ..extract.manifest_objects import SCALER_KINDS, WORKLOAD_KINDS
from ..model import OPEN, FileFacts, Location, Problem
from .gotemplate import Limits, TemplateError, TemplateSet, render
from .gotemplate_parse import Action, Branch, Identifier, Literal, Pipe, SubPipe, TemplateCall
from .gotemplate_parse import Text as TextNode
from .gotemplate_values import GoObject, LineInfo, Text, Unknown
from .helm_apps import generated_applications, writes_applications
from .helm_charts import (
    Chart,
    Environment,
    Inputs,
    Layer,
    collect,
    dependency_of,
    environments,
    find_charts,
)
from .helm_values import ValueTree, set_layer, typed_set_value
from .rendered import Rendered, RenderResult

OBJECT_KINDS = frozenset({"CronJob", *WORKLOAD_KINDS, *SCALER_KINDS})
MAX_ENVIRONMENTS = 64  # per chart: a hostile tree cannot multiply the work further
MAX_GENERATED_ENVIRONMENTS = 256  # when Applications a render wrote name the chart

# What `helm template` assumes of the cluster (helm pkg/chartutil/capabilities.go):
# a recent Kubernetes, and every built-in API group. A custom group (a CRD) is known only
# to the cluster: unknown.
KUBE_VERSION = "v1.30.0"
_BUILTIN_SUFFIX = ".k8s.io"


def _has_api(version: Any) -> Any:
    if not isinstance(version, str):
        return Unknown()
    group = version.split("/")[0] if "/" in version else ""
    if "." not in group or group.endswith(_BUILTIN_SUFFIX):
        return True
    return Unknown(f'.Capabilities.APIVersions.Has "{version}"')


CAPABILITIES = GoObject(
    "*chartutil.Capabilities",
    {
        "KubeVersion": GoObject(
            "chartutil.KubeVersion",
            {"Version": KUBE_VERSION, "Major": "1", "Minor": "30", "GitVersion": KUBE_VERSION},
            text=KUBE_VERSION,
        ),
        "APIVersions": GoObject("chartutil.VersionSet", {}, {"Has": _has_api}),
        "HelmVersion": GoObject("version.BuildInfo", {"Version": "v3.15.0"}, text="v3.15.0"),
    },
)


def _unknown_file(*_args: Any) -> Unknown:
    return Unknown(".Files: a chart file not read here")


FILES = GoObject(
    "engine.files",
    {},
    {name: _unknown_file for name in ("Get", "GetBytes", "Glob", "Lines", "AsConfig", "AsSecrets")},
)

_CHART_FIELDS = {
    "name": "Name",
    "version": "Version",
    "appVersion": "AppVersion",
    "description": "Description",
    "type": "Type",
    "apiVersion": "APIVersion",
    "kubeVersion": "KubeVersion",
    "home": "Home",
    "icon": "Icon",
    "keywords": "Keywords",
    "sources": "Sources",
    "annotations": "Annotations",
    "deprecated": "Deprecated",
    "condition": "Condition",
    "tags": "Tags",
    "maintainers": "Maintainers",
    "dependencies": "Dependencies",
}


def _chart_object(chart: Chart) -> GoObject:
    if not chart.meta:
        fields: dict[str, Any] = {
            "Name": Unknown(".Chart.Name"),
            "Version": Unknown(".Chart.Version"),
            "AppVersion": Unknown(".Chart.AppVersion"),
        }
    else:
        fields = {"Name": "", "Version": "", "AppVersion": "", "Type": "application"}
        for key, name in _CHART_FIELDS.items():
            value = chart.meta.get(key)
            if value is None or value == OPEN:
                continue
            if isinstance(value, str) and "{{" in value:
                value = Unknown(f".Chart.{name}")
            elif not isinstance(value, dict | list | str):
                value = str(value).lower() if isinstance(value, bool) else str(value)
            fields[name] = value
    return GoObject("*chart.Metadata", fields, text="{chart}")


# ------------------------------------------------------------------------- rendering


@dataclass
class _FileState:
    objects: list[Rendered] = field(default_factory=list)
    failure: str | None = None


class _ChartRenderer:
    def __init__(self, chart: Chart, inputs: Inputs, limits: Limits) -> None:
        self.chart = chart
        self.inputs = inputs
        self.limits = limits
        self.templates = TemplateSet()
        self.names: dict[str, str] = {}  # file → template name (`chart/templates/x.yaml`)
        self.states: dict[str, _FileState] = {}
        self.chart_of: dict[str, Chart] = {}
        self.may_write: dict[str, bool] = {}
        self.summaries: dict[str, tuple[bool, frozenset[str]]] = {}
        self._parse_all()

    # setup -------------------------------------------------------------------------

    def _full_path(self, chart: Chart) -> str:
        name = (
            chart.name if isinstance(chart.name, str) else posixpath.basename(chart.root) or "chart"
        )
        if chart.parent is None:
            return name
        return f"{self._full_path(chart.parent)}/charts/{name}"

    def _parse_all(self) -> None:
        entries = []
        for chart in self.chart.all_charts():
            base = self._full_path(chart)
            prefix = f"{chart.root}/templates/" if chart.root else "templates/"
            for path, text in chart.templates.items():
                name = f"{base}/templates/{path[len(prefix) :]}"
                entries.append((name, path, text, chart))
        # Helm parses deepest paths first, reverse name order within a depth: the last
        # definition of a name wins (see gotemplate.TemplateSet).
        entries.sort(key=lambda e: (e[0].count("/"), e[0]), reverse=True)
        for name, path, text, chart in entries:
            self.names[path] = name
            self.chart_of[path] = chart
            self.states[path] = _FileState()
            try:
                self.templates.add(name, text, path)
            except TemplateError as exc:
                self.states[path].failure = str(exc)

    # values ------------------------------------------------------------------------

    def _chart_values(self, chart: Chart, tree: ValueTree) -> Any:
        manifest = self.inputs.values.get(chart.values_file or "")
        if manifest is None:
            # No values.yaml: Helm starts from an empty map; a chart fragment without
            # Chart.yaml may get its values from anywhere.
            values: dict[str, Any] = {} if chart.meta else {OPEN: True}
            return values
        loaded = tree.load(manifest.doc, manifest.positions, chart.values_file)
        if not isinstance(loaded, dict):
            return {}
        if loaded.get(OPEN):
            tree.open_all(loaded)  # a values file that could not be read
        return loaded

    def _layer(self, layer: Layer, tree: ValueTree) -> Any:
        doc = layer.doc
        if isinstance(doc, dict) and "<set>" in doc and len(doc) == 1:
            entries = [(name, typed_set_value(value, force)) for name, value, force in doc["<set>"]]
            doc = set_layer(entries)
            return tree.load(doc, None, None, templated=layer.templated)
        return tree.load(
            doc, layer.positions, layer.file, templated=layer.templated, locations=layer.locations
        )

    def root_values(self, env: Environment, tree: ValueTree) -> Any:
        values = self._chart_values(self.chart, tree)
        unknown = False
        for layer in env.layers:
            if layer.unknown is not None:
                unknown = True
                continue
            loaded = self._layer(layer, tree)
            if isinstance(loaded, dict):
                unknown = unknown or bool(loaded.get(OPEN))  # a file that could not be read
                values = tree.merge(values, loaded)
        if unknown:
            tree.open_all(values)
        return values

    def sub_values(self, parent: Chart, parent_values: Any, sub: Chart, tree: ValueTree) -> Any:
        """The subchart's values, or None when its dependency condition turns it off."""
        dep = dependency_of(parent, sub)
        key = dep.get("alias") or (sub.name if isinstance(sub.name, str) else None)
        key = key or posixpath.basename(sub.root)
        if not isinstance(parent_values, dict):
            parent_values = {}
        enabled = _enabled(dep, parent_values)
        if enabled is False:
            return None
        defaults = self._chart_values(sub, tree)
        section = parent_values.get(key)
        merged = tree.under(defaults, section if isinstance(section, dict) else None)
        if not isinstance(merged, dict):
            merged = {}
        parent_global = parent_values.get("global")
        if isinstance(parent_global, dict):
            own = merged.get("global")
            merged["global"] = tree.merge(own if isinstance(own, dict) else {}, dict(parent_global))
        if parent_values.get(OPEN):
            tree.open_all(merged)
        parent_values[key] = merged
        return merged

    def writes_objects(self, path: str) -> bool:
        known = self.may_write.get(path)
        if known is None:
            known = _may_write_objects(self.templates, self.names[path], self.summaries)
            self.may_write[path] = known
        return known

    # rendering ---------------------------------------------------------------------

    def run(self) -> RenderResult:
        envs = environments(self.chart, self.inputs)
        # Applications another chart writes (app-of-apps) are one per app and cluster: a
        # shared chart of a large GitOps tree has a few hundred, each a real deployment
        most = MAX_ENVIRONMENTS
        if any(env.generated for env in envs):
            most = MAX_GENERATED_ENVIRONMENTS
        for env in envs[:most]:
            self.render_env(env)
        out = self.result()
        if len(envs) > most:
            where = self.chart.meta_file or next(iter(self.chart.templates), None)
            if where is not None:
                message = (
                    f"not analysed: {len(envs) - most} of the {len(envs)}"
                    f" environments of this Helm chart (at most {most} are rendered)"
                )
                out.notes.append((where, Problem(message, 1, 1, severity="info")))
        return out

    def render_env(self, env: Environment) -> None:
        layer_files = tuple(
            dict.fromkeys(
                f
                for f in (self.chart.values_file, *(layer.file for layer in env.layers))
                if f is not None
            )
        )
        for path, text in self.render_texts(env, self.writes_objects):
            objects, problem = _objects(path, text, env, layer_files)
            if problem is not None:
                self.states[path].failure = f"{problem} (environment {env.name})"
                continue
            self.states[path].objects.extend(objects)

    def render_texts(
        self, env: Environment, wanted: Callable[[str], bool]
    ) -> Iterator[tuple[str, Text]]:
        """(template file, its output) for every template of the chart and its enabled
        subcharts that `wanted` selects, rendered with the values of `env`. A template
        that cannot be rendered is marked failed (its standalone reading stays)."""
        tree = ValueTree()
        values_of: dict[int, Any] = {}
        root_values = self.root_values(env, tree)
        values_of[id(self.chart)] = root_values
        enabled = [self.chart]
        stack = [self.chart]
        while stack:
            chart = stack.pop()
            for sub in chart.subcharts:
                sub_vals = self.sub_values(chart, values_of[id(chart)], sub, tree)
                if sub_vals is not None:
                    values_of[id(sub)] = sub_vals
                    enabled.append(sub)
                    stack.append(sub)
        release = {
            "Name": env.release_name or Unknown(".Release.Name"),
            "Namespace": env.namespace or Unknown(".Release.Namespace"),
            "Service": "Helm",
            "IsInstall": True,
            "IsUpgrade": False,
            "Revision": 1,
        }
        paths = sorted(
            self.names, key=lambda p: (self.names[p].count("/"), self.names[p]), reverse=True
        )
        enabled_ids = {id(c) for c in enabled}
        for path in paths:
            chart = self.chart_of[path]
            state = self.states[path]
            if state.failure is not None or id(chart) not in enabled_ids:
                continue
            if _is_partial(path) or chart.meta.get("type") == "library":
                continue
            if not wanted(path):
                continue
            dot = {
                "Values": values_of[id(chart)],
                "Chart": _chart_object(chart),
                "Release": release,
                "Capabilities": CAPABILITIES,
                "Files": FILES,
                "Template": {
                    "Name": self.names[path],
                    "BasePath": self.names[path].rsplit("/templates/", 1)[0] + "/templates",
                },
            }
            try:
                text = render(self.templates, self.names[path], dot, tree.loc_of, self.limits)
            except TemplateError as exc:
                state.failure = f"{exc} (environment {env.name})"
                continue
            yield path, text

    def result(self) -> RenderResult:
        out = RenderResult()
        for path, state in self.states.items():
            text = self.chart_of[path].templates[path]
            if state.failure is None or _is_partial(path):
                out.owned.add(path)
            if state.failure is None:
                out.objects.extend(state.objects)
            elif _could_hold_job(text):
                message = f"not analysed: Helm template could not be rendered: {state.failure}"
                out.notes.append((path, Problem(message, 1, 1, severity="info")))
        return out


# What a template must mention (itself or in a template it includes) to write an object
# we read; a template that cannot is not rendered (its output would be thrown away).
_OBJECT_WORDS = ("CronJob", *WORKLOAD_KINDS, *SCALER_KINDS)
_GENERIC_YAML_RE = re.compile(r"toYaml\s+(\$\w*|\.)(?![\w.])|\btpl\b")
_KIND_FROM_ACTION_RE = re.compile(r"kind:[ \t]*[\"']?$")


@dataclass
class _Static:
    """What a template body says without running it."""

    text: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    dynamic: bool = False  # writes an object it cannot name: kind or template from data


def _scan_pipe(pipe: Pipe, found: _Static, in_range: bool) -> None:
    found.text.append(pipe.source)
    if in_range and _GENERIC_YAML_RE.search(pipe.source):
        found.dynamic = True  # `range .Values.extraObjects` + `tpl (toYaml .) $`
    for cmd in pipe.cmds:
        args = cmd.args
        for index, arg in enumerate(args):
            if isinstance(arg, Identifier) and arg.name in ("include", "template"):
                target = args[index + 1] if index + 1 < len(args) else None
                if isinstance(target, Literal) and isinstance(target.value, str):
                    found.names.add(target.value)
                else:
                    found.dynamic = True
            elif isinstance(arg, SubPipe):
                _scan_pipe(arg.pipe, found, in_range)


def _scan(body: list[Any], found: _Static, budget: list[int], in_range: bool = False) -> None:
    for node in body:
        budget[0] -= 1
        if budget[0] < 0:
            found.dynamic = True
            return
        if isinstance(node, TextNode):
            found.text.append(node.text)
            if _KIND_FROM_ACTION_RE.search(node.text):
                found.dynamic = True
        elif isinstance(node, Action):
            _scan_pipe(node.pipe, found, in_range)
        elif isinstance(node, Branch):
            _scan_pipe(node.pipe, found, in_range)
            inner = in_range or node.kind == "range"
            _scan(node.body, found, budget, inner)
            _scan(node.else_body or [], found, budget, in_range)
        elif isinstance(node, TemplateCall):
            found.names.add(node.name)
            if node.pipe is not None:
                _scan_pipe(node.pipe, found, in_range)


def _summary(body: list[Any]) -> tuple[bool, frozenset[str]]:
    """(writes an object itself, templates it includes) of one template body."""
    found = _Static()
    _scan(body, found, [200_000])
    writes = found.dynamic or any(word in text for text in found.text for word in _OBJECT_WORDS)
    return writes, frozenset(found.names)


def _may_write_objects(
    templates: TemplateSet, name: str, summaries: dict[str, tuple[bool, frozenset[str]]]
) -> bool:
    """Can the template file ``name`` write a CronJob, workload or scaler, itself or
    through the templates it includes? ``summaries`` caches each define's summary."""
    source = templates.files.get(name)
    if source is None:
        return False
    writes, names = _summary(source.parsed.body)
    seen: set[str] = set()
    todo = list(names)
    while todo and not writes:
        define = todo.pop()
        if define in seen or define not in templates.defines:
            continue
        seen.add(define)
        summary = summaries.get(define)
        if summary is None:
            summary = summaries[define] = _summary(templates.defines[define][0])
        writes = summary[0]
        todo.extend(summary[1] - seen)
    return writes


def _is_partial(path: str) -> bool:
    return posixpath.basename(path).startswith("_")


def _could_hold_job(text: str) -> bool:
    return could_hold_job(text.encode("utf-8", errors="replace"))


def _enabled(dep: dict[str, Any], values: dict[str, Any]) -> bool | None:
    """A dependency's ``condition`` (first path that resolves to a bool decides), else
    its ``tags`` (any true enables); None when the values do not say."""
    condition = dep.get("condition")
    if isinstance(condition, str):
        for path in condition.split(","):
            node: Any = values
            for key in path.strip().split("."):
                node = node.get(key) if isinstance(node, dict) else None
                if node is None:
                    break
            if isinstance(node, bool):
                return node
            if isinstance(node, Unknown):
                return None
    tags = dep.get("tags")
    table = values.get("tags")
    if isinstance(tags, list) and tags and isinstance(table, dict):
        states = [table.get(t) for t in tags if isinstance(t, str)]
        if any(s is True for s in states):
            return True
        if states and all(s is False for s in states):
            return False
    return None


# --------------------------------------------------------------------------- mapping


def split_documents(text: Text) -> Text:
    """Helm splits a render at every ``---`` that starts a line, whatever follows it
    (releaseutil ``SplitManifests``: ``(?:^|\\s*\\n)---\\s*``), so ``---{{- if ... }}``
    leaves ``---apiVersion: v1``, which a YAML reader takes for one key. Such lines are
    split in two, and their provenance with them."""
    if "\n---" not in text and not text.startswith("---"):
        return text
    lines = text.split("\n")
    if not any(line.startswith("---") and line[3:4] not in ("", " ", "\t", "\r") for line in lines):
        return text
    out: list[str] = []
    infos: list[LineInfo | None] = []
    for line, info in zip(lines, text.lines, strict=False):
        if line.startswith("---") and line[3:4] not in ("", " ", "\t", "\r"):
            out.extend(("---", line[3:]))
            infos.extend((None, info.from_column(3) if info is not None else None))
        else:
            out.append(line)
            infos.append(info)
    return Text("\n".join(out), tuple(infos))


def _objects(
    path: str, text: Text, env: Environment, layer_files: tuple[str, ...]
) -> tuple[list[Rendered], str | None]:
    """The objects of one rendered template, positions mapped back."""
    text = split_documents(text)
    facts = extract_yaml(path, text.encode("utf-8", errors="replace"), judge=False)
    if facts.problems:
        return [], f"its output is not YAML ({facts.problems[0].message})"
    lines = text.lines
    files = tuple(dict.fromkeys(info.loc.file for info in lines if info is not None))
    sources = tuple(dict.fromkeys((path, *files, *layer_files)))
    out = []
    for manifest in facts.manifests:
        if manifest.kind not in OBJECT_KINDS or not isinstance(manifest.doc, dict):
            continue
        fallback = _locate(lines, manifest.line, manifest.column, Location(path, 1, 1))
        positions = {}
        for key_path, (line, column) in manifest.positions.items():
            info = lines[line - 1] if 0 < line <= len(lines) else None
            if (
                info is not None
                and info.value_loc is not None
                and _is_scalar(manifest.doc, key_path)
            ):
                positions[key_path] = info.value_loc
            else:
                positions[key_path] = _locate(lines, line, column, fallback)
        first = lines[manifest.line - 1] if 0 < manifest.line <= len(lines) else None
        origin = first.origin if first is not None and first.origin is not None else fallback
        out.append(Rendered(manifest.kind, manifest.doc, positions, origin, env.name, sources))
    return out, None


def _locate(
    lines: tuple[LineInfo | None, ...], line: int, column: int, fallback: Location
) -> Location:
    """The template (or values) position of output ``line``/``column`` (1-based)."""
    index = line - 1
    while 0 <= index < len(lines) and lines[index] is None:
        index -= 1  # a line nobody wrote visibly: the nearest line above that was
    if not 0 <= index < len(lines):
        return fallback
    info = lines[index]
    assert info is not None
    if index != line - 1:
        return info.loc
    return info.at(column - 1)


def _is_scalar(doc: Any, key_path: tuple[Any, ...]) -> bool:
    node = doc
    for key in key_path:
        in_list = isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        if not in_list and not (isinstance(node, dict) and key in node):
            return False
        node = node[key]
    return not isinstance(node, dict | list)


def render_helm(facts: list[FileFacts], limits: Limits | None = None) -> RenderResult:
    """Every chart found in ``facts`` rendered for every environment that deploys it."""
    inputs = collect(facts)
    result = RenderResult()
    if not inputs.templates:
        return result
    limits = limits or Limits()  # one budget for the whole project
    charts = find_charts(inputs)
    if any(writes_applications(text) for text in inputs.templates.values()):
        generated_applications(charts, inputs, limits)  # app-of-apps: more environments
    for chart in charts:
        result.extend(_ChartRenderer(chart, inputs, limits).run())
    return result
