"""A helmfile release's `values.yaml.gotmpl`: rendered as helmfile renders it, then read.

helmfile runs each `.gotmpl` values file through Go templates before handing it to Helm
(cds-snc/notification-manifests: `overrides/notify/jobs.yaml.gotmpl` holds the notify-jobs
chart's CronJobs, with `{{ requiredEnv "AWS_ACCOUNT_ID" }}` in an annotation). What the
repository does not state is unknown here: the environment's name and values (`.Values`,
`.StateValues`, `.Environment`), environment variables (`env`, `requiredEnv`), `exec` and
`readFile`. A value written from one of them is unknown, never missing; a file the
evaluator cannot run at all is an unknown layer, as a values file outside the scan is.
Each key keeps the line of the `.gotmpl` file that wrote it.
"""

from __future__ import annotations

from typing import Any

from ..extract.helm_files import _documents
from ..model import OPEN, Location
from .gotemplate import Limits, TemplateError, TemplateSet, render
from .gotemplate_values import Unknown
from .helm_charts import Layer

MAX_VALUES_TEMPLATE = 1 << 20  # characters: a larger values template is not evaluated


def _open() -> dict[str, Any]:
    return {OPEN: True}


def values_template_layer(
    path: str,
    text: str,
    release: str | None,
    namespace: str | None,
    limits: Limits | None = None,
) -> Layer:
    """The values of `path` (a `.gotmpl` file) for one release, or an unknown layer."""
    if len(text) > MAX_VALUES_TEMPLATE:
        return Layer(None, None, unknown=f"values template {path} too large to evaluate")
    environment = {
        "Name": Unknown(".Environment.Name"),
        "Values": _open(),
        "KubeContext": Unknown(".Environment.KubeContext"),
    }
    dot = {
        "Values": _open(),
        "StateValues": _open(),
        "Environment": environment,
        "Release": {
            "Name": release or Unknown(".Release.Name"),
            "Namespace": namespace or Unknown(".Release.Namespace"),
            "Labels": _open(),
        },
        "Namespace": namespace or Unknown(".Namespace"),
    }
    templates = TemplateSet()
    try:
        templates.add(path, text, path)
        rendered = render(templates, path, dot, None, limits or Limits())
    except TemplateError as exc:
        return Layer(None, None, unknown=f"values template {path} not evaluated: {exc}")
    # an action nobody can run here is printed as its source (`"https://{{ requiredEnv
    # "X" }}"`): read as a helmfile is, actions as unknown values
    documents = _documents(str(rendered), templated=True)
    if not documents:
        if any(
            line.strip() and not line.lstrip().startswith("#") for line in str(rendered).split("\n")
        ):
            return Layer(None, None, unknown=f"values template {path} does not render to YAML")
        documents = [({}, {}, 1)]
    doc, positions, _line = documents[0]
    lines = rendered.lines
    locations: dict[tuple[Any, ...], Location] = {}
    for key_path, (line, column) in positions.items():
        info = lines[line - 1] if 0 < line <= len(lines) else None
        if info is not None:
            locations[key_path] = Location(info.loc.file or path, info.loc.line, column)
    # strings that still hold `{{` were written by an action nobody can run here
    return Layer(path, doc or {}, positions, templated=True, locations=locations)
