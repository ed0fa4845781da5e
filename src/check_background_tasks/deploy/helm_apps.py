"""Argo CD Applications that a chart renders (app-of-apps), as releases of other charts.

A GitOps repository often deploys its charts through one chart whose templates write an
Argo CD ``Application`` per app and environment (govuk-helm-charts: ``app-config``'s
``govuk-application.yaml`` ranges over ``govukApplications`` and hands each app's values
to ``charts/generic-govuk-app`` in ``helm.values``). Those Applications are environments
of the charts they name, exactly as a plain Application file would be.

One level is read: the generating charts are rendered with the environments the plain
files state (or their own values files), never with Applications another render wrote, so
a chart that names itself cannot loop. Each key of an Application's inline values keeps
the file and line that wrote it (a values file of the generating chart, or its template):
a finding about a generated CronJob points there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..extract.helm_files import ARGO_APPLICATION, _documents, _release_kind
from ..model import Location, Manifest
from .gotemplate import Limits
from .gotemplate_values import LineInfo, Text
from .helm_charts import Chart, Inputs, environments

MAX_GENERATED = 2000  # Applications read from renders, per project


@dataclass
class Generated:
    """Where a rendered Application's text came from."""

    lines: tuple[LineInfo | None, ...]  # provenance of each line of the rendered output
    text_lines: list[str]
    environment: str  # the generating chart's environment


def writes_applications(text: str) -> bool:
    return "argoproj.io" in text and "Application" in text


def generated_applications(charts: list[Chart], inputs: Inputs, limits: Limits) -> int:
    """Render the templates that write Applications; add each Application to
    ``inputs.releases`` (provenance in ``inputs.generated``). Returns how many."""
    from .helm import _ChartRenderer, split_documents

    found = 0
    plain = list(inputs.releases)
    for chart in charts:
        paths = {
            path
            for c in chart.all_charts()
            for path, text in c.templates.items()
            if writes_applications(text)
        }
        if not paths:
            continue
        stated = Inputs(inputs.templates, inputs.values, inputs.charts, plain)
        renderer = _ChartRenderer(chart, stated, limits)
        for env in environments(chart, stated):
            for path, text in renderer.render_texts(env, paths.__contains__):
                text = split_documents(text)
                source = Generated(text.lines, text.split("\n"), env.name)
                for doc, positions, line in _each_document(str(text)):
                    if _release_kind(doc) != ARGO_APPLICATION or found >= MAX_GENERATED:
                        continue
                    manifest = Manifest(ARGO_APPLICATION, doc, positions, line, 1)
                    inputs.releases.append((path, manifest))
                    inputs.generated[id(manifest)] = source
                    found += 1
    return found


def _each_document(
    text: str,
) -> Iterator[tuple[Any, dict[tuple[Any, ...], tuple[int, int]], int]]:
    """Every document of a render, read one by one as Helm splits them (a document that
    is not YAML is skipped, not the stream), positions in the whole text."""
    lines = text.split("\n")
    start = 0
    for index in [*(i for i, line in enumerate(lines) if line.rstrip() == "---"), len(lines)]:
        chunk = "\n".join(lines[start:index])
        if "argoproj.io" in chunk:
            for doc, positions, line in _documents(chunk, templated=False):
                shifted = {path: (ln + start, col) for path, (ln, col) in positions.items()}
                yield doc, shifted, line + start
        start = index + 1


def locate(source: Generated, line: int, column: int) -> Location | None:
    """The file:line that wrote output ``line`` (1-based), key at ``column`` (1-based)."""
    from .helm import _locate

    if not 0 < line <= len(source.lines) or source.lines[line - 1] is None:
        return None
    return _locate(source.lines, line, column, Location("", line, column))


def block_locations(
    source: Generated, positions: dict[tuple[Any, ...], tuple[int, int]]
) -> dict[tuple[Any, ...], Location]:
    """Positions of a block scalar's YAML (``helm.values: |``), read with the block's
    indentation stripped, as locations in the files that wrote them."""
    out: dict[tuple[Any, ...], Location] = {}
    for path, (line, column) in positions.items():
        text = source.text_lines[line - 1] if 0 < line <= len(source.text_lines) else ""
        indent = len(text) - len(text.lstrip(" "))
        found = locate(source, line, indent + column)
        if found is not None and found.file:
            out[path] = found
    return out


__all__ = ["Generated", "Text", "block_locations", "generated_applications", "locate"]
