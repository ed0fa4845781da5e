"""What rendering a Helm chart needs, stored per file as plain manifests.

Pure function of ``(path, bytes)``, like every extractor; the deploy stage
(``deploy/helm.py``) puts the pieces together. Each file adds
:class:`~check_background_tasks.model.Manifest` entries to its ``FileFacts``:

- ``HelmTemplate``: a file under a ``templates/`` directory (``*.yaml``, ``*.yml``,
  ``*.tpl`` such as ``_helpers.tpl``): ``doc = {"text": source}``, rendered later;
- ``HelmValues``: a values file (``values.yaml``, ``values-prod.yaml``,
  ``prod-values.yaml``, ``values/prod.yaml``): the first document as plain data with
  positions (conventions of ``yaml_plain.py``);
- ``HelmChart``: ``Chart.yaml`` (name, version, appVersion, type, dependencies);
- ``Helmfile``: each document of a ``helmfile*.yaml`` (or ``helmfile.d/*.yaml``) that
  has ``releases``; its own template actions are unknown values;
- ``ArgoApplication`` / ``FluxHelmRelease``: an Argo CD ``Application`` or a Flux
  ``HelmRelease`` document (plain data): which chart, which values.

A template file that the YAML reading cannot parse on its own (a valid template, read
without its values) is not an error: its problems become ``info`` notes ("not analysed
alone"), and only when the file could hold a job; the renderer reads it with its values.
A values file PyYAML rejects is noted at ``info`` too, and its values are unknown (an
open mapping) where a chart is rendered with it.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

from ..model import OPEN, FileFacts, Manifest, Problem
from .helm_prefilter import (  # noqa: F401  (re-exported: the deploy stage names them here)
    ARGO_APPLICATION,
    FLUX_HELM_RELEASE,
    HELM_CHART,
    HELM_KINDS,
    HELM_TEMPLATE,
    HELM_VALUES,
    HELMFILE,
    HELMFILE_VALUES_TEMPLATE,
    NOT_ANALYSED_ALONE,
    could_hold_job,
    might_matter,
    role,
)
from .yaml_plain import PlainConverter
from .yaml_problems import declared_job, jinja_note, jinja_tag
from .yaml_text import HelmText, decode_text, preprocess_helm

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def add_helm_inputs(path: str, source: bytes, facts: FileFacts) -> FileFacts:
    """Add the Helm manifests of one file to its facts (read alone as YAML before)."""
    kind = role(path, source)
    if kind is None:
        return facts
    text = decode_text(source)
    if kind == HELMFILE_VALUES_TEMPLATE:
        # rendered where a helmfile release names it (deploy/helmfile_values.py)
        facts.manifests.append(Manifest(HELMFILE_VALUES_TEMPLATE, {"text": text}, {}, 1, 1))
    elif kind == HELM_TEMPLATE:
        facts.manifests.append(Manifest(HELM_TEMPLATE, {"text": text}, {}, 1, 1))
        facts.problems = _template_notes(facts.problems, source, text)
    elif kind == HELM_VALUES:
        facts.problems = []  # a values file is not a manifest; our own note follows
        doc, positions, problem = read_values(text)
        if problem is not None:
            facts.problems.append(problem)
            doc = {OPEN: True}  # values nobody can read here: every key unknown
        facts.manifests.append(Manifest(HELM_VALUES, doc, positions, 1, 1))
    elif kind == HELM_CHART:
        doc, positions, _problem = read_values(text)
        if isinstance(doc, dict):
            facts.manifests.append(Manifest(HELM_CHART, doc, positions, 1, 1))
    elif kind == HELMFILE:
        for doc, positions, line in _documents(text, templated=True):
            if isinstance(doc, dict) and isinstance(doc.get("releases"), list):
                facts.manifests.append(Manifest(HELMFILE, doc, positions, line, 1))
    else:
        for doc, positions, line in _documents(text, templated=False):
            kind_name = _release_kind(doc)
            if kind_name is not None:
                facts.manifests.append(Manifest(kind_name, doc, positions, line, 1))
    return facts


def _template_notes(problems: list[Problem], source: bytes, text: str) -> list[Problem]:
    """A template read without its values may not be YAML: at most a note, and only
    for a file that could hold a job. An application's Jinja/Django template under a
    `templates/` directory is no Helm template: a note only when it could render a job."""
    if not problems:
        return []
    tag = jinja_tag(text)
    if tag is not None:
        job = declared_job(text)
        if job is None:
            return []
        line = text.count("\n", 0, tag.start()) + 1
        return [jinja_note(p, tag.group(0), line, job) for p in problems]
    if not could_hold_job(source):
        return []
    return [
        Problem(
            f"{NOT_ANALYSED_ALONE} ({p.message}); it is read with its chart's values"
            " where the chart is found",
            p.line,
            p.column,
            severity="info",
        )
        for p in problems
    ]


def _release_kind(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    api = doc.get("apiVersion")
    api = api if isinstance(api, str) else ""
    if doc.get("kind") == "HelmRelease" and api.startswith("helm.toolkit.fluxcd.io/"):
        return FLUX_HELM_RELEASE
    if doc.get("kind") == "Application" and api.startswith("argoproj.io/"):
        return ARGO_APPLICATION
    return None


# ------------------------------------------------------------------------------ YAML


class _RedefiningLoader(yaml.SafeLoader):
    """go-yaml semantics for a re-defined anchor: an alias means the latest node."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if not self.check_event(yaml.AliasEvent):
            anchor = getattr(self.peek_event(), "anchor", None)
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


def _compose_all(text: str) -> list[Node]:
    try:
        return [d for d in yaml.compose_all(text, Loader=_LOADER) if d is not None]
    except yaml.composer.ComposerError as exc:
        if "duplicate anchor" not in f"{exc.context} {exc.problem}":
            raise
        return [d for d in yaml.compose_all(text, Loader=_RedefiningLoader) if d is not None]


def _error(exc: BaseException) -> Problem:
    line, reason = 1, type(exc).__name__
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = " ".join(str(exc.problem or exc.context or reason).split())
    elif isinstance(exc, RecursionError):
        reason = "too deeply nested"
    return Problem(f"Helm values not read (YAML error at line {line}: {reason})", line, 1, "info")


def read_values(
    text: str, line_offset: int = 0
) -> tuple[Any, dict[tuple[Any, ...], tuple[int, int]], Problem | None]:
    """(plain data, positions, problem) of the first YAML document of ``text``;
    ``line_offset`` shifts positions (a values block inside another file)."""
    try:
        docs = _compose_all(text)
    except (yaml.YAMLError, RecursionError) as exc:
        return None, {}, _error(exc)
    if not docs:
        return None, {}, None
    doc, positions = PlainConverter(HelmText(text), line_offset).convert(docs[0])
    return doc, positions, None


def _documents(
    text: str, templated: bool
) -> list[tuple[Any, dict[tuple[Any, ...], tuple[int, int]], int]]:
    """Every document as (plain data, positions, first line); a helmfile's own template
    actions are read as unknown values (``preprocess_helm``)."""
    helm = preprocess_helm(text) if templated else HelmText(text)
    try:
        docs = _compose_all(helm.text)
    except (yaml.YAMLError, RecursionError):
        return []
    converter = PlainConverter(helm, 0)
    out = []
    for root in docs:
        if not isinstance(root, MappingNode):
            continue
        doc, positions = converter.convert(root)
        out.append((doc, positions, converter.first_key_position(root)[0]))
    return out
