"""LimitRanges that give containers default limits: a CronJob without `resources.limits`
in such a namespace still runs with limits, so BGT012 must not say they are missing."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from ..model import Location


@dataclass(frozen=True)
class DefaultLimits:
    """A LimitRange that sets default container limits, and where it applies."""

    location: Location
    namespace: str | None  # None: the namespace it is applied into (unknown here)
    environment: str | None  # the render it belongs to; None for a file read alone

    @property
    def directory(self) -> str:
        return posixpath.dirname(self.location.file)


def sets_default_limits(doc: Any) -> bool:
    """Does a LimitRange give containers default limits (`spec.limits[].default`)?"""
    spec = doc.get("spec") if isinstance(doc, dict) else None
    items = spec.get("limits") if isinstance(spec, dict) else None
    if not isinstance(items, list):
        return False
    return any(
        isinstance(item, dict)
        and item.get("type", "Container") == "Container"
        and isinstance(item.get("default"), dict)
        and bool(item["default"])
        for item in items
    )


def namespace_of(doc: Any) -> str | None:
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    return namespace if isinstance(namespace, str) and "{{" not in namespace else None


def defaults_apply(
    ranges: list[DefaultLimits], namespace: str | None, environment: str | None, file: str
) -> DefaultLimits | None:
    """The LimitRange that gives a CronJob's containers default limits, if any: one in the
    same render (same namespace, or either unknown), one that names the CronJob's
    namespace, or one beside it in the same directory when neither names one."""
    for candidate in ranges:
        if namespace is not None and candidate.namespace == namespace:
            return candidate
        same_namespace = candidate.namespace is None or namespace is None
        if environment is not None and candidate.environment == environment and same_namespace:
            return candidate
        if (
            environment is None
            and candidate.environment is None
            and candidate.namespace is None
            and namespace is None
            and candidate.directory == posixpath.dirname(file)
        ):
            return candidate
    return None
