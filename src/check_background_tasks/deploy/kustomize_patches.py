"""The patches of a kustomization: read from files or inline text, applied to objects.

Three spellings, one model: ``patchesStrategicMerge`` (file names or inline text, each
document patches the object of its own kind and name), ``patches`` (a file or inline text;
with a ``target`` selector it patches every object selected, else the object it names)
and ``patchesJson6902`` (a target and JSON operations). A document that is a list of
operations is a JSON patch; a mapping is a strategic-merge patch.

What cannot be known is said so: a patch whose text is not readable here makes the
objects it selects unknown (open), and a patch that finds no object among what could be
read, while part of the build could not be (a remote base, a Helm chart), builds the
object from what the patch says, open everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import INLINE, Location
from .json_patch import PatchError, apply_operation
from .kustomize_graph import Kustomization, KustomizeProject, join
from .kustomize_resources import Obj, ResId, Selector, SelectorError, find_by_id, id_of
from .located import Map, Seq, copy, locate, mark_open
from .strategic_merge import DELETE, DIRECTIVE, SCHEMA_KINDS, added, apply

OBJECT_KINDS = frozenset(
    {
        "CronJob",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "HorizontalPodAutoscaler",
        "ScaledObject",
        "LimitRange",
    }
)
JSON6902 = "Json6902Patch"
# Identity fields a strategic merge never changes (kustomize restores them).
_KEPT = (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"))


@dataclass
class Patch:
    """One patch entry: its documents (None: unreadable here), selector, where written."""

    file: str
    docs: list[tuple[Any, Location]] | None
    target: Selector | None
    where: Location  # the kustomization entry
    json: bool = False  # from patchesJson6902: operations only


class Notes:
    """Notes (file, message, location) collected over a render, each once."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Location] = {}

    def add(self, where: Location, message: str) -> None:
        self.items.setdefault((where.file, message), where)


def patches_of(
    project: KustomizeProject, kustomization: Kustomization, notes: Notes
) -> tuple[list[Patch], list[Patch]]:
    """(patches run before the namespace and name transformers, JSON 6902 patches run
    after them), in the order kustomize applies them."""
    early: list[Patch] = []
    for index, entry in kustomization.entries("patchesStrategicMerge"):
        where = kustomization.location("patchesStrategicMerge", index)
        if isinstance(entry, dict) and INLINE in entry:
            early.append(
                Patch(
                    kustomization.file,
                    _inline(kustomization, entry, ("patchesStrategicMerge", index)),
                    None,
                    where,
                )
            )
        elif isinstance(entry, str) and "\n" not in entry:
            path = join(kustomization.directory, entry)
            early.append(Patch(path, file_documents(project, path), None, where))
        elif isinstance(entry, str):
            early.append(Patch(kustomization.file, None, None, where))  # inline, unreadable
    for index, entry in kustomization.entries("patches"):
        if isinstance(entry, str) and "\n" not in entry:
            # kustomize v3's `patches: [file.yaml]` (v5 refuses it; older Argo CD builds it)
            path = join(kustomization.directory, entry)
            where = kustomization.location("patches", index)
            early.append(Patch(path, file_documents(project, path), None, where))
            continue
        patch = _entry_patch(project, kustomization, "patches", index, entry, notes)
        if patch is not None:
            early.append(patch)
    late: list[Patch] = []
    for index, entry in kustomization.entries("patchesJson6902"):
        patch = _entry_patch(project, kustomization, "patchesJson6902", index, entry, notes)
        if patch is not None:
            patch.json = True
            late.append(patch)
    return early, late


def _entry_patch(
    project: KustomizeProject,
    kustomization: Kustomization,
    key: str,
    index: int,
    entry: Any,
    notes: Notes,
) -> Patch | None:
    if not isinstance(entry, dict):
        return None
    where = kustomization.location(key, index)
    target = None
    if isinstance(entry.get("target"), dict):
        try:
            target = Selector(entry["target"])
        except SelectorError as exc:
            notes.add(where, f"not analysed: this patch's target cannot be read ({exc})")
            return None
    text = entry.get("patch")
    if isinstance(text, dict) and INLINE in text:
        return Patch(
            kustomization.file, _inline(kustomization, text, (key, index, "patch")), target, where
        )
    if isinstance(text, str):
        return Patch(kustomization.file, None, target, where)
    path = entry.get("path")
    if isinstance(path, str):
        full = join(kustomization.directory, path)
        return Patch(full, file_documents(project, full), target, where)
    return None


def _inline(
    kustomization: Kustomization, value: dict[str, Any], path: tuple[Any, ...]
) -> list[tuple[Any, Location]] | None:
    documents = value.get(INLINE)
    manifest = kustomization.manifest
    if not isinstance(documents, list) or manifest is None:
        return None
    fallback = kustomization.location(*path)
    out = []
    for number, doc in enumerate(documents):
        here = (*path, INLINE, number)
        out.append((locate(doc, manifest.positions, kustomization.file, here, fallback), fallback))
    return out


def file_documents(project: KustomizeProject, path: str) -> list[tuple[Any, Location]] | None:
    """The patch documents of a file; None when the file is not readable here: it does
    not parse, or the scan did not read it (it names no kind we read: a ConfigMap patch,
    or a patch with a ``target`` that names a dummy kind, ``kind: any``)."""
    ff = project.files.get(path)
    if ff is None:
        return None
    out = []
    for manifest in ff.manifests:
        if manifest.kind in OBJECT_KINDS or manifest.kind == JSON6902:
            start = Location(path, manifest.line, manifest.column)
            out.append((locate(manifest.doc, manifest.positions, path, (), start), start))
    if not out and ff.problems:
        return None
    return out


# ------------------------------------------------------------------------ applying


def apply_patch(patch: Patch, objects: list[Obj], partial: list[str], notes: Notes) -> None:
    """Apply one patch entry to ``objects`` in place. ``partial``: why part of the build
    is unknown (empty when every resource was read)."""
    if patch.docs is None:
        _unreadable(patch, objects, notes)
        return
    for doc, start in patch.docs:
        if isinstance(doc, Seq):
            if patch.target is not None:
                _apply_json(patch, doc, start, objects, partial, notes)
        elif isinstance(doc, Map) and not patch.json:
            _apply_strategic(patch, doc, start, objects, partial, notes)


def _unreadable(patch: Patch, objects: list[Obj], notes: Notes) -> None:
    """A patch nobody can read here: what it selects becomes unknown. Without a target a
    patch names its own object: one of a kind we do not read, or the scan had read it."""
    if patch.target is None:
        return
    kind = patch.target.patterns.get("kind")
    if kind is not None and not any(kind.fullmatch(k) for k in OBJECT_KINDS):
        return
    selected = patch.target.select(objects)
    for obj in selected:
        mark_open(obj.body)
        obj.unknown = True
        obj.touched_by(patch.file)
    if any(obj.kind == "CronJob" for obj in selected):
        notes.add(
            patch.where,
            f"not analysed: the patch {patch.file} is not read here (it names no kind"
            " read, or does not parse); what it selects is unknown",
        )


def _apply_strategic(
    patch: Patch, doc: Map, start: Location, objects: list[Obj], partial: list[str], notes: Notes
) -> None:
    if patch.target is not None:
        selected = patch.target.select(objects)
        if not selected:
            _build_from_target(patch, doc, start, objects, partial, notes)
            return
    else:
        wanted = id_of(doc)
        if not wanted[4]:
            return
        selected = find_by_id(objects, wanted)
        if not selected:
            _build_from_patch(patch, doc, wanted, start, objects, partial, notes)
            return
    for obj in selected:
        merge_into(obj, doc, objects, patch.file)


def merge_into(obj: Obj, doc: Map, objects: list[Obj], file: str) -> None:
    """Strategic merge of a patch document into an object; a delete removes it."""
    kept = [(path, _get_with_at(obj.body, path)) for path in _KEPT]
    schema = (obj.body.items.get("apiVersion"), obj.kind) in SCHEMA_KINDS
    result = apply(obj.body, copy(doc), schema)
    if result is DELETE:
        objects.remove(obj)
        return
    for path, found in kept:
        _restore(obj.body, path, found)
    obj.touched_by(file)


def _get_with_at(body: Map, path: tuple[str, ...]) -> tuple[Any, Location] | None:
    node: Any = body
    for step in path[:-1]:
        node = node.items.get(step) if isinstance(node, Map) else None
    if not isinstance(node, Map) or path[-1] not in node.items:
        return None
    return node.items[path[-1]], node.at[path[-1]]


def _restore(body: Map, path: tuple[str, ...], found: tuple[Any, Location] | None) -> None:
    node: Any = body
    for step in path[:-1]:
        node = node.items.get(step) if isinstance(node, Map) else None
    if not isinstance(node, Map):
        return
    if found is None:
        node.pop(path[-1])
    else:
        node.set(path[-1], found[0], found[1])


def _build_from_patch(
    patch: Patch,
    doc: Map,
    wanted: ResId,
    start: Location,
    objects: list[Obj],
    partial: list[str],
    notes: Notes,
) -> None:
    """A strategic-merge patch of an object nobody can read here: the object is what the
    patch says, everything else unknown."""
    if doc.items.get(DIRECTIVE) == "delete" or wanted[2] not in OBJECT_KINDS:
        return
    body = added(doc, (), (f"{wanted[0]}/{wanted[1]}".lstrip("/"), wanted[2]) in SCHEMA_KINDS)
    assert isinstance(body, Map)
    mark_open(body)
    objects.append(Obj(body, start, [wanted], [patch.file], unknown=True))
    _note_unknown_base(patch, wanted[2], wanted[4], partial, notes)


def _build_from_target(
    patch: Patch, doc: Any, start: Location, objects: list[Obj], partial: list[str], notes: Notes
) -> Obj | None:
    """A selector patch that selects nothing: when part of the build is unknown and the
    target names one object of our kinds, that object is built from the patch."""
    target = patch.target
    if target is None or not partial:
        return None
    if isinstance(doc, Map) and doc.items.get(DIRECTIVE) == "delete":
        return None
    kind, name = target.literal("kind"), target.literal("name")
    if kind not in OBJECT_KINDS or name is None:
        return None
    group, version = target.literal("group") or "", target.literal("version") or ""
    body = Map(open=True)
    if version:
        body.set("apiVersion", f"{group}/{version}" if group else version, start)
    body.set("kind", kind, start)
    metadata = Map({"name": name}, {"name": start}, open=True)
    namespace = target.literal("namespace")
    if namespace:
        metadata.set("namespace", namespace, start)
    body.set("metadata", metadata, start)
    obj = Obj(body, start, [id_of(body)], [patch.file], unknown=True)
    objects.append(obj)
    if isinstance(doc, Map):
        merge_into(obj, doc, objects, patch.file)
        mark_open(obj.body)
    _note_unknown_base(patch, kind, name, partial, notes)
    return obj


def _note_unknown_base(
    patch: Patch, kind: str, name: str, partial: list[str], notes: Notes
) -> None:
    if kind != "CronJob":
        return  # only a job's own fields are worth a note; a workload's are rarely read
    why = partial[0] if partial else "no resource of the build has this kind and name"
    notes.add(
        patch.where,
        f"not analysed: {kind} {name} comes from a base that cannot be read here ({why});"
        f" only what {patch.file} sets is known",
    )


def _apply_json(
    patch: Patch, ops: Seq, start: Location, objects: list[Obj], partial: list[str], notes: Notes
) -> None:
    assert patch.target is not None
    selected = patch.target.select(objects)
    if not selected:
        built = _build_from_target(patch, None, start, objects, partial, notes)
        selected = [built] if built is not None else []
    for obj in selected:
        obj.remember_id()  # an operation may rename it; later patches still find it
        for op, at in zip(ops.items, ops.at, strict=True):
            if not isinstance(op, Map):
                continue
            try:
                apply_operation(obj.body, op, at, lenient=obj.unknown)
            except (PatchError, IndexError) as exc:
                mark_open(obj.body)
                obj.unknown = True
                if obj.kind != "CronJob":
                    break
                notes.add(
                    Location(patch.file, at.line, at.column) if at.line else patch.where,
                    f"not analysed: this JSON patch operation does not apply to {obj.kind}"
                    f" {obj.name} ({exc}); its fields are unknown",
                )
                break
        obj.touched_by(patch.file)
