"""Which YAML/JSON files a scan decodes and parses: byte tests only.

Kept apart from `kubernetes.py` so that deciding costs no PyYAML import: most trees hold
YAML and JSON (CI workflows, OpenAPI documents, translations) and no manifest at all.
"""

from __future__ import annotations

from .yaml_text import decode_text, has_wide_bom

_RESOURCE_KEYWORDS = (
    b"CronJob",
    b"Deployment",
    b"StatefulSet",
    b"DaemonSet",
    b"HorizontalPodAutoscaler",
    b"ScaledObject",
    b"LimitRange",
)
KEYWORDS_BYTES = (*_RESOURCE_KEYWORDS, b"services:", b'"services"')
KEYWORDS_TEXT = tuple(k.decode() for k in KEYWORDS_BYTES)
_COMPOSE_KEYWORDS = (b"services:", b'{"services"', b'"services"')


def yaml_might_matter(source: bytes) -> bool:
    """Cheap byte test: can this YAML/JSON file hold a CronJob, workload, scaler or compose
    service? Files for which this is False are never decoded or parsed."""
    if has_wide_bom(source):
        source = decode_text(source).encode("utf-8", errors="replace")
    # A manifest names its kind; data files that merely mention "Deployment" usually do not.
    if b"kind" in source and any(keyword in source for keyword in _RESOURCE_KEYWORDS):
        return True
    if is_json_patch(source):
        return True
    # docker-compose: `services:` as a top-level key, not any indented `services:`
    return source.startswith(_COMPOSE_KEYWORDS) or any(
        b"\n" + keyword in source for keyword in _COMPOSE_KEYWORDS
    )


def yaml_worth_loading(source: bytes) -> bool:
    """The scan's prefilter. Every workload is loaded, web servers included: the process
    model counts the copies of each in-app scheduler (replicas times workers), and a
    kustomize patch that only sets `replicas:` changes what its base deploys."""
    return yaml_might_matter(source)


# kustomize reads these file names in a directory; they are always read.
KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
# A JSON 6902 patch file (`- op: replace\n  path: /spec/...`) names no kind.
PATCH_KEYWORDS = (b"op:", b'"op"')
PATCH_KEYWORDS_TEXT = tuple(k.decode() for k in PATCH_KEYWORDS)


def is_kustomization_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES


def is_json_patch(source: bytes) -> bool:
    """Cheap byte test for a list of JSON patch operations."""
    return any(k in source for k in PATCH_KEYWORDS) and b"path" in source
