"""Charts, their templates and the environments they are deployed to, from the facts.

A *chart* is a directory with ``Chart.yaml`` and a ``templates/`` directory (a
``templates/`` directory whose files hold template actions, without ``Chart.yaml``
beside it, is a chart too: a fragment whose metadata is unknown, unless its files are
Jinja/Django templates, ``{% ... %}``, of an application). A chart under another
chart's ``charts/`` directory, or named by a ``file://`` dependency, is a subchart: it is
deployed with its parent, never alone.

An *environment* is one set of values a root chart is rendered with. The repository
states them: each helmfile release, Argo CD ``Application`` and Flux ``HelmRelease``
that names the chart is one. A chart that none names is rendered with its own
``values.yaml``, and once more per sibling ``values-<env>.yaml`` (``values.<env>.yaml``,
``<env>-values.yaml``) over it, the usual ``helm upgrade -f values-prod.yaml`` layout.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from ..extract.helm_files import (
    ARGO_APPLICATION,
    FLUX_HELM_RELEASE,
    HELM_CHART,
    HELM_TEMPLATE,
    HELM_VALUES,
    HELMFILE,
    HELMFILE_VALUES_TEMPLATE,
    read_values,
)
from ..extract.yaml_problems import jinja_tag
from ..model import FileFacts, Location, Manifest
from .gotemplate_values import Unknown

Positions = dict[tuple[Any, ...], tuple[int, int]]


@dataclass
class Layer:
    """One values source of an environment, lowest precedence first."""

    file: str | None  # where its keys were written (None: set on a command line)
    doc: Any  # plain data; None with ``unknown`` for a source nobody can read here
    positions: Positions = field(default_factory=dict)
    unknown: str | None = None  # why this layer cannot be read
    templated: bool = False  # strings holding {{ }} are unknown (helmfile actions)
    # where each key was written, when that is not `file` at `positions` (the values of
    # an Application another chart renders: deploy/helm_apps.py)
    locations: dict[tuple[Any, ...], Location] | None = None


@dataclass
class Environment:
    name: str
    layers: list[Layer]
    release_name: str | None = None
    namespace: str | None = None
    evidence: str | None = None  # file that states the environment
    generated: bool = False  # stated by an Application a render wrote (app-of-apps)


@dataclass
class Chart:
    root: str  # directory, "" for the scan root
    meta: dict[str, Any]  # Chart.yaml (empty when there is none)
    meta_file: str | None
    templates: dict[str, str] = field(default_factory=dict)  # file path → text
    values_file: str | None = None
    subcharts: list[Chart] = field(default_factory=list)
    parent: Chart | None = None

    @property
    def name(self) -> str | Unknown:
        name = self.meta.get("name")
        if isinstance(name, str) and "{{" not in name:
            return name
        return Unknown(".Chart.Name")

    def all_charts(self) -> list[Chart]:
        out = [self]
        for sub in self.subcharts:
            out.extend(sub.all_charts())
        return out


@dataclass
class Inputs:
    templates: dict[str, str] = field(default_factory=dict)
    values: dict[str, Manifest] = field(default_factory=dict)
    charts: dict[str, tuple[str, Manifest]] = field(default_factory=dict)  # dir → (file, ...)
    releases: list[tuple[str, Manifest]] = field(default_factory=list)  # (file, manifest)
    value_templates: dict[str, str] = field(default_factory=dict)  # helmfile `.gotmpl`
    # id(manifest) -> provenance, for Applications a render wrote (deploy/helm_apps.py)
    generated: dict[int, Any] = field(default_factory=dict)


def collect(facts: list[FileFacts]) -> Inputs:
    inputs = Inputs()
    for ff in facts:
        for manifest in ff.manifests:
            kind = manifest.kind
            if kind == HELM_TEMPLATE and isinstance(manifest.doc, dict):
                inputs.templates[ff.path] = str(manifest.doc.get("text", ""))
            elif kind == HELM_VALUES:
                inputs.values[ff.path] = manifest
            elif kind == HELMFILE_VALUES_TEMPLATE and isinstance(manifest.doc, dict):
                inputs.value_templates[ff.path] = str(manifest.doc.get("text", ""))
            elif kind == HELM_CHART:
                inputs.charts[posixpath.dirname(ff.path)] = (ff.path, manifest)
            elif kind in (HELMFILE, ARGO_APPLICATION, FLUX_HELM_RELEASE):
                inputs.releases.append((ff.path, manifest))
    return inputs


def _under(path: str, root: str) -> str | None:
    """``path`` relative to ``root/templates/``, or None."""
    prefix = f"{root}/templates/" if root else "templates/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def find_charts(inputs: Inputs) -> list[Chart]:
    """Root charts (with their subcharts attached)."""
    roots = set(inputs.charts)
    for path, text in inputs.templates.items():
        if any(_under(path, root) is not None for root in roots):
            continue
        parts = path.split("/")
        index = len(parts) - 2 - parts[-2::-1].index("templates")  # the last templates/
        if _helm_like(text):
            roots.add("/".join(parts[:index]))
    charts: dict[str, Chart] = {}
    for root in sorted(roots):
        file, manifest = inputs.charts.get(root, (None, None))
        meta = manifest.doc if manifest is not None and isinstance(manifest.doc, dict) else {}
        chart = Chart(root, meta, file)
        for name in ("values.yaml", "values.yml"):
            candidate = posixpath.join(root, name) if root else name
            if candidate in inputs.values:
                chart.values_file = candidate
                break
        charts[root] = chart
    # each template belongs to the deepest chart whose templates/ holds it
    for path, text in inputs.templates.items():
        owners = [root for root in charts if _under(path, root) is not None]
        if owners:
            chart = charts[max(owners, key=len)]
            if chart.meta_file is None and jinja_tag(text) is not None:
                continue  # an app's Jinja/Django template beside Helm-like files: not Helm's
            chart.templates[path] = text
    # subcharts: charts/<name>/ under a chart, or a file:// dependency
    for root, chart in charts.items():
        parent_root = _parent_of(root, charts)
        if parent_root is not None:
            chart.parent = charts[parent_root]
    for chart in charts.values():
        for dep in _dependencies(chart):
            repo = dep.get("repository")
            if isinstance(repo, str) and repo.startswith("file://"):
                target = posixpath.normpath(posixpath.join(chart.root, repo[len("file://") :]))
                target = "" if target == "." else target
                sub = charts.get(target)
                if sub is not None and sub.parent is None and sub is not chart:
                    sub.parent = chart
    for chart in charts.values():
        if chart.parent is not None:
            chart.parent.subcharts.append(chart)
    return [c for c in charts.values() if c.parent is None and not _is_cyclic(c)]


# What only a Helm template writes (a Jinja or Ansible template under templates/ never
# does): an implicit chart (no Chart.yaml) needs one of these. Django's and Jinja's
# `{% include 'x' %}` is no Helm word: a file with their block tags is theirs.
_HELM_WORDS = (".Values", ".Release", ".Chart", "define ", "include ")


def _helm_like(text: str) -> bool:
    return "{{" in text and any(word in text for word in _HELM_WORDS) and jinja_tag(text) is None


def _is_cyclic(chart: Chart, depth: int = 0) -> bool:
    return depth > 16 or any(_is_cyclic(sub, depth + 1) for sub in chart.subcharts)


def _parent_of(root: str, charts: dict[str, Chart]) -> str | None:
    parts = root.split("/")
    if len(parts) >= 2 and parts[-2] == "charts":
        parent = "/".join(parts[:-2])
        if parent in charts:
            return parent
    return None


def _dependencies(chart: Chart) -> list[dict[str, Any]]:
    deps = chart.meta.get("dependencies")
    return [d for d in deps if isinstance(d, dict)] if isinstance(deps, list) else []


def dependency_of(parent: Chart, sub: Chart) -> dict[str, Any]:
    """The ``dependencies`` entry of ``parent`` naming ``sub`` (empty when none)."""
    name = sub.name
    dir_name = posixpath.basename(sub.root)
    for dep in _dependencies(parent):
        if dep.get("name") in (name, dir_name):
            return dep
    return {}


# ---------------------------------------------------------------------- environments


def _norm(path: str) -> str:
    path = posixpath.normpath(path.replace("\\", "/"))
    return "" if path in (".", "/") else path.lstrip("./") if path.startswith("./") else path


def _matches(root: str, stated: str) -> bool:
    """A chart path as a release states it (relative to some repository root we may not
    be at) names this chart root."""
    stated = _norm(stated).strip("/")
    if not stated or stated.startswith(".."):
        return False
    return root == stated or root.endswith("/" + stated)


def _values_layer(inputs: Inputs, path: str, missing_ok: bool = False) -> Layer | None:
    if "{{" in path:
        return Layer(None, None, unknown=f"values file named at deploy time ({path})")
    manifest = inputs.values.get(_norm(path))
    if manifest is None:
        suffix = "/" + _norm(path).lstrip("/")
        found = [m for p, m in inputs.values.items() if ("/" + p).endswith(suffix)]
        manifest = found[0] if len(found) == 1 else None
        if manifest is not None:
            path = next(p for p, m in inputs.values.items() if m is manifest)
    if manifest is None:
        if missing_ok:
            return None
        return Layer(None, None, unknown=f"values file {path} not in the scan")
    return Layer(_norm(path), manifest.doc, manifest.positions)


def _sibling_values(chart: Chart, inputs: Inputs) -> list[str]:
    out = []
    for path in inputs.values:
        if posixpath.dirname(path) != chart.root or path == chart.values_file:
            continue
        name = posixpath.basename(path)
        if name.startswith(("values-", "values.", "values_")) or name.endswith(
            ("-values.yaml", "_values.yaml", ".values.yaml", "-values.yml")
        ):
            out.append(path)
    return sorted(out)


def environments(chart: Chart, inputs: Inputs) -> list[Environment]:
    """Every environment that deploys ``chart`` (a root chart)."""
    stated: list[Environment] = []
    for file, manifest in inputs.releases:
        if manifest.kind == HELMFILE:
            stated.extend(_helmfile_envs(chart, file, manifest, inputs))
        elif manifest.kind == ARGO_APPLICATION:
            stated.extend(_argo_envs(chart, file, manifest, inputs))
        elif manifest.kind == FLUX_HELM_RELEASE:
            stated.extend(_flux_envs(chart, file, manifest))
    if stated:
        return stated
    where = chart.root or "."
    envs = [Environment(where, [], evidence=chart.values_file)]
    for path in _sibling_values(chart, inputs):
        layer = _values_layer(inputs, path)
        assert layer is not None
        envs.append(Environment(f"{where} with {posixpath.basename(path)}", [layer], evidence=path))
    return envs


def _names_chart(chart: Chart, stated: Any, by_name: bool) -> bool:
    """Does a release's chart reference name this chart: a path to its directory, or
    (``by_name``: a chart repository's ``repo/name`` or ``name``) its Chart.yaml name?"""
    if not isinstance(stated, str) or "{{" in stated:
        return False
    if _matches(chart.root, stated):
        return True
    if not by_name or stated.startswith((".", "/")):
        return False
    return chart.name == stated.rsplit("/", 1)[-1]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, str) and "{{" not in value:
        return value
    return None


def _helmfile_envs(
    chart: Chart, file: str, manifest: Manifest, inputs: Inputs
) -> list[Environment]:
    base = posixpath.dirname(file)
    out = []
    for index, release in enumerate(manifest.doc.get("releases") or []):
        if not isinstance(release, dict):
            continue
        stated = release.get("chart")
        if isinstance(stated, str) and stated.startswith((".", "/")):
            stated = posixpath.join(base, stated)
            if not _matches(chart.root, stated):
                continue
        elif not _names_chart(chart, stated, by_name=True):
            continue
        if release.get("installed") is False:
            continue
        layers: list[Layer] = []
        name = _text(release.get("name"))
        namespace = _text(release.get("namespace"))
        for position, item in enumerate(release.get("values") or []):
            if isinstance(item, str) and item.endswith(".gotmpl"):
                layers.append(_template_layer(inputs, posixpath.join(base, item), name, namespace))
            elif isinstance(item, str):
                layer = _values_layer(inputs, posixpath.join(base, item))
                if layer is not None:
                    layers.append(layer)
            elif isinstance(item, dict):
                positions = _positions_under(manifest, ("releases", index, "values", position))
                layers.append(Layer(file, item, positions, templated=True))
            else:
                layers.append(Layer(None, None, unknown="values only known at deploy time"))
        if release.get("secrets"):
            layers.append(Layer(None, None, unknown="secrets values"))
        sets = [
            (s.get("name"), s.get("value"), False)
            for s in release.get("set") or []
            if isinstance(s, dict) and isinstance(s.get("name"), str)
        ]
        if sets:
            layers.append(Layer(file, {"<set>": sets}, templated=True))
        line = manifest.positions.get(("releases", index), (manifest.line, 1))[0]
        label = f"{file}:{line} release {name or '?'}"
        out.append(Environment(label, layers, name, namespace, file))
    return out


def _template_layer(inputs: Inputs, path: str, release: str | None, namespace: str | None) -> Layer:
    """A helmfile values template (`.gotmpl`), rendered for this release."""
    path = _norm(path)
    text = inputs.value_templates.get(path)
    if text is None:
        found = [p for p in inputs.value_templates if ("/" + p).endswith("/" + path.lstrip("/"))]
        if len(found) != 1:
            return Layer(None, None, unknown=f"values file {path} not in the scan")
        path = found[0]
        text = inputs.value_templates[path]
    from .helmfile_values import values_template_layer

    return values_template_layer(path, text, release, namespace)


def _sources(spec: Any) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """(path of the source in the document, source) of an Application's sources."""
    if not isinstance(spec, dict):
        return []
    sources = spec.get("sources")
    if isinstance(sources, list):
        return [(("spec", "sources", i), s) for i, s in enumerate(sources) if isinstance(s, dict)]
    source = spec.get("source")
    return [(("spec", "source"), source)] if isinstance(source, dict) else []


def _positions_under(manifest: Manifest, prefix: tuple[Any, ...]) -> Positions:
    size = len(prefix)
    return {p[size:]: v for p, v in manifest.positions.items() if p[:size] == prefix}


def _argo_envs(chart: Chart, file: str, manifest: Manifest, inputs: Inputs) -> list[Environment]:
    doc = manifest.doc
    spec = doc.get("spec")
    generated = inputs.generated.get(id(manifest))
    out = []
    for where, source in _sources(spec):
        path, chart_name = source.get("path"), source.get("chart")
        if not (
            _names_chart(chart, path, by_name=False)
            if path
            else _names_chart(chart, chart_name, True)
        ):
            continue
        helm = _mapping(source.get("helm"))
        layers: list[Layer] = []
        ignore_missing = helm.get("ignoreMissingValueFiles") is True
        for item in helm.get("valueFiles") or []:
            if not isinstance(item, str):
                continue
            if item.startswith("$"):  # `$values/...`: another source's repository
                rel = item.split("/", 1)[1] if "/" in item else ""
                layer = _values_layer(inputs, rel, ignore_missing)
            else:
                layer = _values_layer(inputs, posixpath.join(chart.root, item), ignore_missing)
            if layer is not None:
                layers.append(layer)
        # Argo CD's precedence: valueFiles < values < valuesObject < parameters
        inline: list[Layer] = []
        text = helm.get("values")
        if isinstance(text, str):
            key_line = manifest.positions.get((*where, "helm", "values"), (0, 0))[0]
            inline.append(_inline_text_layer(file, text, key_line))
        elif isinstance(text, dict):
            inline.append(Layer(file, text, _positions_under(manifest, (*where, "helm", "values"))))
        if isinstance(helm.get("valuesObject"), dict):
            positions = _positions_under(manifest, (*where, "helm", "valuesObject"))
            inline.append(Layer(file, helm["valuesObject"], positions))
        if generated is not None:
            from .helm_apps import block_locations

            for layer in inline:  # positions are in the rendered text: map them back
                layer.locations = block_locations(generated, layer.positions)
        layers.extend(inline)
        params = [
            (p.get("name"), p.get("value"), p.get("forceString") is True)
            for p in helm.get("parameters") or []
            if isinstance(p, dict) and isinstance(p.get("name"), str)
        ]
        if params:
            layers.append(Layer(file, {"<set>": params}))
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        name = _text(meta.get("name"))
        release = _text(helm.get("releaseName")) or name
        dest = spec.get("destination") if isinstance(spec, dict) else None
        namespace = _text(dest.get("namespace")) if isinstance(dest, dict) else None
        label = f"{file}:{manifest.line} Application {name or '?'}"
        if generated is not None:
            label = f"Application {name or '?'} of {generated.environment}"
        env = Environment(label, layers, release, namespace, file, generated is not None)
        out.append(env)
    return out


def _inline_text_layer(file: str, text: str, key_line: int) -> Layer:
    """``helm.values: |`` (a YAML string): its lines start below the key."""
    doc, positions, problem = read_values(text, line_offset=key_line)
    if problem is not None or not isinstance(doc, dict | type(None)):
        return Layer(None, None, unknown="helm.values is not YAML")
    return Layer(file, doc or {}, positions)


def _flux_envs(chart: Chart, file: str, manifest: Manifest) -> list[Environment]:
    doc = manifest.doc
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    chart_spec = spec.get("chart", {}).get("spec") if isinstance(spec.get("chart"), dict) else None
    if not isinstance(chart_spec, dict):
        return []
    stated = chart_spec.get("chart")
    source_kind = (
        (chart_spec.get("sourceRef") or {}).get("kind")
        if isinstance(chart_spec.get("sourceRef"), dict)
        else None
    )
    by_name = source_kind != "GitRepository"
    if not _names_chart(chart, stated, by_name=by_name):
        return []
    layers: list[Layer] = []
    for item in chart_spec.get("valuesFiles") or []:
        if isinstance(item, str):
            layers.append(Layer(None, None, unknown=f"values file {item} of the chart source"))
    if spec.get("valuesFrom"):
        layers.append(Layer(None, None, unknown="valuesFrom (a ConfigMap or Secret)"))
    if isinstance(spec.get("values"), dict):
        layers.append(Layer(file, spec["values"], _positions_under(manifest, ("spec", "values"))))
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    name = _text(meta.get("name"))
    target = _text(spec.get("targetNamespace"))
    release = _text(spec.get("releaseName")) or (f"{target}-{name}" if target and name else name)
    namespace = target or _text(meta.get("namespace"))
    label = f"{file}:{manifest.line} HelmRelease {name or '?'}"
    return [Environment(label, layers, release, namespace, file)]
