"""kustomize's built-in transformers for our kinds: namespace, name prefix and suffix,
labels, annotations, replicas, images, and the scale target name of an autoscaler.

Each sets values at the kustomization key that asks for them, so a rendered object says
which file wrote its namespace or its replica count. The field lists are kustomize's
defaults (``api/internal/konfig/builtinpluginconsts``) restricted to CronJob, Deployment,
StatefulSet, DaemonSet and HorizontalPodAutoscaler.
"""

from __future__ import annotations

from typing import Any

from ..model import Location
from .kustomize_resources import Obj, split_api_version
from .located import Map, Seq, get

# (kind, group or None for any, path, create)
_TEMPLATE_LABELS = (
    ("Deployment", None, "spec/template/metadata/labels", True),
    ("DaemonSet", None, "spec/template/metadata/labels", True),
    ("StatefulSet", "apps", "spec/template/metadata/labels", True),
    ("CronJob", "batch", "spec/jobTemplate/metadata/labels", True),
    ("CronJob", "batch", "spec/jobTemplate/spec/template/metadata/labels", True),
)
_AFFINITY = (
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
)
_SELECTORS = (
    ("Deployment", None, "spec/selector/matchLabels", True),
    *(("Deployment", "apps", path, False) for path in _AFFINITY),
    ("DaemonSet", None, "spec/selector/matchLabels", True),
    ("StatefulSet", "apps", "spec/selector/matchLabels", True),
    *(("StatefulSet", "apps", path, False) for path in _AFFINITY),
    ("CronJob", "batch", "spec/jobTemplate/spec/selector/matchLabels", False),
)
_CLAIM_LABELS = (("StatefulSet", "apps", "spec/volumeClaimTemplates[]/metadata/labels", True),)
_TEMPLATE_ANNOTATIONS = (
    ("Deployment", None, "spec/template/metadata/annotations", True),
    ("DaemonSet", None, "spec/template/metadata/annotations", True),
    ("StatefulSet", None, "spec/template/metadata/annotations", True),
    ("CronJob", "batch", "spec/jobTemplate/metadata/annotations", True),
    ("CronJob", "batch", "spec/jobTemplate/spec/template/metadata/annotations", True),
)
_REPLICA_KINDS = ("Deployment", "StatefulSet")
_SCALE_TARGET_KINDS = ("Deployment", "StatefulSet")


def _metadata(obj: Obj, where: Location) -> Map:
    meta = obj.body.items.get("metadata")
    if not isinstance(meta, Map):
        meta = Map(open=obj.unknown)
        obj.body.set("metadata", meta, where)
    return meta


def set_namespace(objects: list[Obj], namespace: str, where: Location) -> None:
    for obj in objects:
        obj.remember_id()
        _metadata(obj, where).set("namespace", namespace, where)
        obj.touched_by(where.file)


def add_affix(objects: list[Obj], prefix: str, suffix: str, where: Location) -> None:
    """``namePrefix`` or ``nameSuffix`` (kustomize runs them one after the other)."""
    for obj in objects:
        name = get(obj.body, "metadata", "name")
        if not isinstance(name, str):
            continue
        obj.remember_id()
        _metadata(obj, where).set("name", f"{prefix}{name}{suffix}", where)
        obj.touched_by(where.file)


def _applies(obj: Obj, kind: str, group: str | None) -> bool:
    return obj.kind == kind and (
        group is None or split_api_version(obj.body.items.get("apiVersion"))[0] == group
    )


def _set_pairs(
    node: Map,
    path: list[str],
    pairs: dict[str, tuple[Any, Location]],
    create: bool,
    where: Location,
) -> None:
    """Set ``pairs`` in the mapping at ``path`` below ``node`` (through every list item;
    a step ``name[]`` is a list, never created)."""
    if not path:
        for key, (value, at) in pairs.items():
            node.set(key, value, at)
        return
    step, rest = path[0], path[1:]
    is_list = step.endswith("[]")
    step = step.removesuffix("[]")
    child = node.items.get(step)
    if child is None:
        if not create or is_list:
            return
        child = Map()
        node.set(step, child, where)
    if isinstance(child, Map):
        _set_pairs(child, rest, pairs, create, where)
    elif isinstance(child, Seq):
        for item in child.items:
            if isinstance(item, Map):
                _set_pairs(item, rest, pairs, create, where)


def add_labels(
    objects: list[Obj],
    pairs: dict[str, tuple[Any, Location]],
    where: Location,
    selectors: bool,
    templates: bool,
    claims: bool,
) -> None:
    """``commonLabels`` (selectors, templates and volume claim templates too) or a
    ``labels`` entry (what it includes)."""
    add_metadata_pairs(objects, "labels", pairs, where)
    specs = (
        (_TEMPLATE_LABELS if templates else ())
        + (_SELECTORS if selectors else ())
        + (_CLAIM_LABELS if claims else ())
    )
    _apply_specs(objects, specs, pairs, where)


def add_annotations(
    objects: list[Obj], pairs: dict[str, tuple[Any, Location]], where: Location
) -> None:
    add_metadata_pairs(objects, "annotations", pairs, where)
    _apply_specs(objects, _TEMPLATE_ANNOTATIONS, pairs, where)


def add_metadata_pairs(
    objects: list[Obj], field: str, pairs: dict[str, tuple[Any, Location]], where: Location
) -> None:
    for obj in objects:
        _set_pairs(_metadata(obj, where), [field], pairs, True, where)
        obj.touched_by(where.file)


def _apply_specs(
    objects: list[Obj],
    specs: tuple[tuple[str, str | None, str, bool], ...],
    pairs: dict[str, tuple[Any, Location]],
    where: Location,
) -> None:
    for obj in objects:
        for kind, group, path, create in specs:
            if _applies(obj, kind, group):
                _set_pairs(obj.body, path.split("/"), pairs, create, where)


def set_replicas(objects: list[Obj], name: str, count: Any, where: Location) -> bool:
    """``replicas: [{name, count}]``: False when no Deployment/StatefulSet has that name."""
    found = False
    for obj in objects:
        if obj.kind not in _REPLICA_KINDS or all(i[4] != name for i in obj.all_ids()):
            continue
        found = True
        spec = obj.body.items.get("spec")
        if not isinstance(spec, Map):
            spec = Map(open=obj.unknown)
            obj.body.set("spec", spec, where)
        spec.set("replicas", count, where)
        obj.touched_by(where.file)
    return found


def set_images(objects: list[Obj], image: dict[str, Any], where: Location) -> None:
    """``images: [{name, newName, newTag, digest}]`` on every container of an object."""
    name = image.get("name")
    if not isinstance(name, str) or not name:
        return
    for obj in objects:
        stack: list[Any] = [obj.body]
        while stack:
            node = stack.pop()
            if isinstance(node, Map):
                for key, value in node.items.items():
                    if key in ("containers", "initContainers") and isinstance(value, Seq):
                        for container in value.items:
                            if _retag(container, name, image, where):
                                obj.touched_by(where.file)
                    stack.append(value)
            elif isinstance(node, Seq):
                stack.extend(node.items)


def _retag(container: Any, name: str, image: dict[str, Any], where: Location) -> bool:
    if not isinstance(container, Map):
        return False
    current = container.items.get("image")
    if not isinstance(current, str):
        return False
    own, tag, digest = split_image(current)
    if own != name:
        return False
    given = image.get("newName")
    new_name = given if isinstance(given, str) and given else own
    new_tag = image.get("newTag")
    new_digest = image.get("digest")
    if isinstance(new_digest, str) and new_digest:
        result = f"{new_name}@{new_digest}"
    elif new_tag is not None and not isinstance(new_tag, Map | Seq):
        result = f"{new_name}:{new_tag}"
    else:
        result = new_name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    container.set("image", result, where)
    return True


def split_image(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of ``registry:5000/app:1.2@sha256:...``."""
    name, _at, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest


def fix_scale_targets(objects: list[Obj]) -> None:
    """An autoscaler's ``scaleTargetRef.name`` follows its Deployment's new name (prefix,
    suffix), as kustomize's name references do."""
    for hpa in objects:
        if hpa.kind != "HorizontalPodAutoscaler":
            continue
        ref = get(hpa.body, "spec", "scaleTargetRef")
        if not isinstance(ref, Map):
            continue
        kind, name = ref.items.get("kind"), ref.items.get("name")
        if kind not in _SCALE_TARGET_KINDS or not isinstance(name, str):
            continue
        targets = [
            obj
            for obj in objects
            if obj.kind == kind
            and obj.name != name
            and any(i[4] == name for i in obj.ids)
            and (not obj.namespace or not hpa.namespace or obj.namespace == hpa.namespace)
        ]
        if len(targets) == 1:
            ref.items["name"] = targets[0].name
