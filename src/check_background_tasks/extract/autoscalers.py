"""Joining HorizontalPodAutoscalers and KEDA ScaledObjects to the workloads they scale.

Apart from the YAML extractor because the project pass joins across files, and a run
whose facts all come from the cache must not import PyYAML for that.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Workload

SCALER_KINDS = ("HorizontalPodAutoscaler", "ScaledObject")


def _same_namespace(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def apply_autoscalers(workloads: Iterable[Workload]) -> None:
    """Mark Deployments/StatefulSets targeted by an HPA or ScaledObject as autoscaled.

    Works on one file's workloads (done by :func:`extract_yaml`) or on every file's
    workloads at once (the project pass). Sets ``autoscaled=True`` and
    ``extra["autoscalers"]`` (list of ``{"kind", "name", "max_replicas", "line"}``; the
    scaler's own file is not known here — the project pass may add it).
    """
    items = list(workloads)
    scalers = [w for w in items if w.kind in SCALER_KINDS]
    if not scalers:
        return
    for workload in items:
        if workload.kind not in ("Deployment", "StatefulSet"):
            continue
        for scaler in scalers:
            if (
                scaler.name == workload.name
                and scaler.extra.get("target_kind") in (None, workload.kind)
                and _same_namespace(scaler.namespace, workload.namespace)
            ):
                workload.autoscaled = True
                entry = {
                    "kind": scaler.kind,
                    "name": scaler.extra.get("scaler_name"),
                    "max_replicas": scaler.extra.get("max_replicas"),
                    "line": scaler.line,
                }
                found = workload.extra.setdefault("autoscalers", [])
                if entry not in found:
                    found.append(entry)
