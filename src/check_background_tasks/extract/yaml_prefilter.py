"""Which YAML/JSON files a scan decodes and parses: byte tests only.

Kept apart from `kubernetes.py` so that deciding costs no PyYAML import: most trees hold
YAML and JSON (CI workflows, OpenAPI documents, translations) and no manifest at all.
"""

from __future__ import annotations

from .yaml_text import decode_text, has_wide_bom

KEYWORDS_BYTES = (
    b"CronJob",
    b"Deployment",
    b"StatefulSet",
    b"DaemonSet",
    b"HorizontalPodAutoscaler",
    b"ScaledObject",
    b"services:",
    b'"services"',
)
KEYWORDS_TEXT = tuple(k.decode() for k in KEYWORDS_BYTES)
# A manifest names its kind; data files that merely mention "Deployment" usually do not.
_RESOURCE_KEYWORDS = KEYWORDS_BYTES[:6]
_COMPOSE_KEYWORDS = (b"services:", b'{"services"', b'"services"')


def yaml_might_matter(source: bytes) -> bool:
    """Cheap byte test: can this YAML/JSON file hold a CronJob, workload, scaler or compose
    service? Files for which this is False are never decoded or parsed."""
    if has_wide_bom(source):
        source = decode_text(source).encode("utf-8", errors="replace")
    if b"kind" in source and any(keyword in source for keyword in _RESOURCE_KEYWORDS):
        return True
    # docker-compose: `services:` as a top-level key, not any indented `services:`
    return source.startswith(_COMPOSE_KEYWORDS) or any(
        b"\n" + keyword in source for keyword in _COMPOSE_KEYWORDS
    )


# What a scan loads. Of the workloads, only BGT024 reads any, and only those whose command
# starts a scheduler process: each such program's name holds one of these words. CronJobs
# and scalers always load (a scaler may target a workload in another file).
_SCHEDULER_PROGRAMS = (b"celery", b"taskiq", b"huey")
_ALWAYS_LOADED = (b"CronJob", b"HorizontalPodAutoscaler", b"ScaledObject")


def yaml_worth_loading(source: bytes) -> bool:
    """The scan's prefilter: `yaml_might_matter`, minus workloads that run no scheduler.

    On a manifest-heavy tree nine in ten matching files are Deployments of web servers;
    they are never parsed. `extract_yaml` itself still reads every workload it is given.
    """
    if not yaml_might_matter(source):
        return False
    if has_wide_bom(source):
        source = decode_text(source).encode("utf-8", errors="replace")
    return any(word in source for word in (*_ALWAYS_LOADED, *_SCHEDULER_PROGRAMS))
