"""Which files are Helm inputs: names and byte tests only, so that deciding costs no
PyYAML import (most trees hold YAML and no chart). See helm_files.py for what is read."""

from __future__ import annotations

import re

from .yaml_prefilter import yaml_might_matter

HELM_TEMPLATE = "HelmTemplate"
HELM_VALUES = "HelmValues"
HELM_CHART = "HelmChart"
HELMFILE = "Helmfile"
ARGO_APPLICATION = "ArgoApplication"
FLUX_HELM_RELEASE = "FluxHelmRelease"
HELMFILE_VALUES_TEMPLATE = "HelmfileValuesTemplate"  # `values.yaml.gotmpl` of a helmfile
HELM_KINDS = frozenset(
    {
        HELM_TEMPLATE,
        HELM_VALUES,
        HELM_CHART,
        HELMFILE,
        ARGO_APPLICATION,
        FLUX_HELM_RELEASE,
        HELMFILE_VALUES_TEMPLATE,
    }
)

# The prefix of a template file's note: the deploy stage drops it when it renders the file.
NOT_ANALYSED_ALONE = "Helm template not analysed alone"

_YAML_SUFFIXES = (".yaml", ".yml")
_VALUES_NAME_RE = re.compile(r"^(?:.*[-_.])?values(?:[-_.].*)?\.ya?ml$")
_RELEASE_KIND_RE = re.compile(rb"""(?m)^\s*["']?kind["']?\s*:\s*["']?(HelmRelease|Application)\b""")
# Could a template file produce a job or a workload? It names one as its kind (or takes
# its kind from a value), or it includes templates that may.
_JOB_KIND_RE = re.compile(rb"""kind:[ \t]*["']?(?:CronJob|Deployment|StatefulSet|DaemonSet|\{\{)""")
_MAY_HOLD_JOB = (b"include", b"template", b"tpl")


def could_hold_job(source: bytes) -> bool:
    return bool(_JOB_KIND_RE.search(source)) or any(word in source for word in _MAY_HOLD_JOB)


def _parts(path: str) -> list[str]:
    return path.replace("\\", "/").split("/")


def role(path: str, source: bytes) -> str | None:
    """Which Helm input a file is, from its name and cheap byte tests; None for most."""
    parts = _parts(path)
    name = parts[-1]
    if name.endswith(".gotmpl"):
        # helmfile's templated files: the helmfile itself, or a values file it renders
        if not name[: -len(".gotmpl")].endswith(_YAML_SUFFIXES):
            return None
        if name.startswith("helmfile") or "helmfile.d" in parts[:-1]:
            return HELMFILE if b"releases" in source else None
        return HELMFILE_VALUES_TEMPLATE
    if "templates" in parts[:-1] and name.endswith((*_YAML_SUFFIXES, ".tpl")):
        if b"{{" in source or (not name.endswith(".tpl") and yaml_might_matter(source)):
            return HELM_TEMPLATE
        return None
    if not name.endswith(_YAML_SUFFIXES):
        return None
    if name in ("Chart.yaml", "Chart.yml"):
        return HELM_CHART
    if _VALUES_NAME_RE.match(name) or (len(parts) > 1 and parts[-2] == "values"):
        return HELM_VALUES
    if name.startswith("helmfile") or "helmfile.d" in parts[:-1]:
        return HELMFILE if b"releases" in source else None
    if (b"HelmRelease" in source or b"Application" in source) and _RELEASE_KIND_RE.search(source):
        return "release"
    return None


def is_helm_template(path: str, source: bytes) -> bool:
    """A file under a `templates/` directory read as a Helm template (cheap for others)."""
    return "templates" in _parts(path)[:-1] and role(path, source) == HELM_TEMPLATE


def might_matter(path: str, source: bytes) -> bool:
    return role(path, source) is not None
