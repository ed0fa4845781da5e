"""Render kustomize overlays: the CronJobs and workloads each root kustomization deploys.

Pure over the project's facts (``FileFacts.manifests``); no file is read and no YAML is
parsed here (inline patches were parsed at extraction). Each kustomization is built as
``kustomize build`` does:

1. ``resources`` then ``bases``: a directory with a kustomization is built recursively
   (once, then copied for each user), a file contributes its objects;
2. ``components``: each runs on what was accumulated so far (its own resources added,
   then its patches and transformers over everything);
3. transformers, in kustomize's order: ``patchesStrategicMerge`` and ``patches``,
   ``namespace``, ``namePrefix``, ``nameSuffix``, ``commonLabels``/``labels``,
   ``commonAnnotations``, ``patchesJson6902``, ``replicas``, ``images``; at the root, an
   autoscaler's target name follows a renamed Deployment.

Every root (a kustomization no other one uses; its directory is the environment) yields
one :class:`~check_background_tasks.deploy.rendered.Rendered` per CronJob, Deployment,
StatefulSet, DaemonSet, HorizontalPodAutoscaler and ScaledObject. Every file a
kustomization uses is *owned*: its standalone reading is dropped (a patch is not an object
of its own, a base is deployed only through its overlays).

What cannot be read here (a remote base, a Helm chart, a directory without a
kustomization, a cycle, a kustomization that does not parse) is unknown, never missing: a
patch of an object that comes from there builds the object from the patch alone with
every mapping open, and a note at ``info`` says what was not analysed.

Not rendered: generators (ConfigMaps and Secrets are not our kinds), ``replacements``,
``vars``, external ``transformers``, name references other than an autoscaler's target,
``patches`` options (``allowNameChange``/``allowKindChange``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import FileFacts, Location, Problem
from .kustomize_graph import Kustomization, KustomizeProject, is_remote, join, looks_like_file
from .kustomize_patches import OBJECT_KINDS, Notes, apply_patch, patches_of
from .kustomize_resources import Obj, id_of
from .kustomize_transformers import (
    add_affix,
    add_annotations,
    add_labels,
    fix_scale_targets,
    set_images,
    set_namespace,
    set_replicas,
)
from .located import Map, locate, plain, positions_of
from .rendered import Rendered, RenderResult


def render_kustomize(facts: list[FileFacts]) -> RenderResult:
    """Every root kustomization of the project, rendered."""
    project = KustomizeProject(facts)
    if not project.kustomizations:
        return RenderResult()
    builder = _Builder(project)
    result = RenderResult(owned=project.owned())
    for directory in project.roots():
        environment = directory or "."
        for obj in builder.root(directory):
            if obj.kind not in OBJECT_KINDS:
                continue
            result.objects.append(
                Rendered(
                    kind=obj.kind,
                    doc=plain(obj.body),
                    positions=positions_of(obj.body),
                    origin=obj.origin,
                    environment=environment,
                    sources=tuple(obj.sources),
                )
            )
    for (file, message), where in builder.notes.items.items():
        result.notes.append((file, Problem(message, where.line, where.column, severity="info")))
    return result


@dataclass
class _Built:
    """What a kustomization builds; ``partial`` says why part of it is unknown."""

    objects: list[Obj] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, project: KustomizeProject) -> None:
        self.project = project
        self.memo: dict[str, _Built] = {}
        self.notes = Notes()
        # A build used once is handed over as it is; one used more is copied for each
        # user, since the user's transformers change its objects.
        self.uses = project.use_counts()

    def root(self, directory: str) -> list[Obj]:
        objects = self._objects_of(directory, ())
        fix_scale_targets(objects)
        return objects

    def _objects_of(self, directory: str, stack: tuple[str, ...]) -> list[Obj]:
        objects = self.build(directory, stack).objects
        if self.uses.get(directory, 0) > 1 or directory in stack:
            return [obj.copy() for obj in objects]
        return list(objects)

    def build(self, directory: str, stack: tuple[str, ...]) -> _Built:
        known = self.memo.get(directory)
        if known is not None:
            return known
        kustomization = self.project.kustomizations[directory]
        if directory in stack:
            return self._cycle(kustomization, stack)
        built = _Built()
        self._run(kustomization, built, (*stack, directory))
        self.memo[directory] = built
        return built

    def _cycle(self, kustomization: Kustomization, stack: tuple[str, ...]) -> _Built:
        path = " -> ".join((*stack, kustomization.directory))
        self.notes.add(
            kustomization.location(),
            f"not analysed: kustomizations use each other in a cycle ({path})",
        )
        return _Built(partial=[f"a cycle of kustomizations ({path})"])

    # ------------------------------------------------------------------ one file

    def _run(self, kustomization: Kustomization, built: _Built, stack: tuple[str, ...]) -> None:
        if kustomization.manifest is None:
            built.partial.append(f"{kustomization.file} cannot be read")
            return
        if kustomization.duplicate:
            self.notes.add(
                kustomization.location(),
                f"two kustomization files in one directory ({kustomization.duplicate} is not"
                " read); kustomize refuses to build it",
            )
        self._resources(kustomization, built, stack)
        self._helm_charts(kustomization, built)
        for index, entry in kustomization.strings("components"):
            self._component(kustomization, index, entry, built, stack)
        self._transform(kustomization, built)

    def _resources(
        self, kustomization: Kustomization, built: _Built, stack: tuple[str, ...]
    ) -> None:
        for key in ("resources", "bases"):
            for _index, entry in kustomization.strings(key):
                if is_remote(entry):
                    built.partial.append(f"remote base {entry.strip()}")
                    continue
                path = join(kustomization.directory, entry)
                if path in self.project.kustomizations:
                    built.objects.extend(self._objects_of(path, stack))
                    used = self.build(path, stack)
                    built.partial.extend(r for r in used.partial if r not in built.partial)
                    continue
                ff = self.project.files.get(path)
                if ff is not None:
                    objects = [_object(m, path) for m in ff.manifests if m.kind in OBJECT_KINDS]
                    if not objects and ff.problems:
                        built.partial.append(f"{path} cannot be read")
                    built.objects.extend(objects)
                elif not looks_like_file(entry):
                    built.partial.append(f"{path} has no kustomization in the scanned files")
                # else: a file the scan did not read holds nothing of our kinds

    def _helm_charts(self, kustomization: Kustomization, built: _Built) -> None:
        for key in ("helmCharts", "helmChartInflationGenerator"):
            for index, entry in kustomization.entries(key):
                name = entry.get("name") if isinstance(entry, dict) else None
                label = f"Helm chart {name}" if isinstance(name, str) else "a Helm chart"
                built.partial.append(label)
                self.notes.add(
                    kustomization.location(key, index),
                    f"not analysed: {label} is inflated by kustomize, not rendered here;"
                    " its objects are unknown",
                )

    def _component(
        self,
        kustomization: Kustomization,
        index: int,
        entry: str,
        built: _Built,
        stack: tuple[str, ...],
    ) -> None:
        if is_remote(entry):
            built.partial.append(f"remote component {entry.strip()}")
            return
        path = join(kustomization.directory, entry)
        component = self.project.kustomizations.get(path)
        if component is None:
            built.partial.append(f"{path} has no kustomization in the scanned files")
            return
        if path in stack:
            built.partial.extend(self._cycle(component, stack).partial)
            return
        self._run(component, built, (*stack, path))

    # ------------------------------------------------------------- transformers

    def _transform(self, kustomization: Kustomization, built: _Built) -> None:
        early, late = patches_of(self.project, kustomization, self.notes)
        for patch in early:
            apply_patch(patch, built.objects, built.partial, self.notes)
        namespace = kustomization.text("namespace")
        if namespace:
            set_namespace(built.objects, namespace, kustomization.location("namespace"))
        prefix = kustomization.text("namePrefix")
        if prefix:
            add_affix(built.objects, prefix, "", kustomization.location("namePrefix"))
        suffix = kustomization.text("nameSuffix")
        if suffix:
            add_affix(built.objects, "", suffix, kustomization.location("nameSuffix"))
        self._labels(kustomization, built.objects)
        for patch in late:
            apply_patch(patch, built.objects, built.partial, self.notes)
        for index, entry in kustomization.entries("replicas"):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str) and "count" in entry:
                where = kustomization.location("replicas", index, "count")
                set_replicas(built.objects, entry["name"], entry["count"], where)
        for index, entry in kustomization.entries("images"):
            if isinstance(entry, dict):
                key = next((k for k in ("digest", "newTag", "newName") if k in entry), "name")
                set_images(built.objects, entry, kustomization.location("images", index, key))

    def _labels(self, kustomization: Kustomization, objects: list[Obj]) -> None:
        common = _pairs(kustomization, ("commonLabels",))
        if common:
            add_labels(objects, common, kustomization.location("commonLabels"), True, True, True)
        for index, entry in kustomization.entries("labels"):
            if not isinstance(entry, dict):
                continue
            pairs = _pairs(kustomization, ("labels", index, "pairs"))
            if pairs:
                selectors = entry.get("includeSelectors") is True
                templates = selectors or entry.get("includeTemplates") is True
                # kustomize v5.5 counts volume claim templates among the templates
                claims = templates or entry.get("includeVolumeClaimTemplates") is True
                where = kustomization.location("labels", index)
                add_labels(objects, pairs, where, selectors, templates, claims)
        annotations = _pairs(kustomization, ("commonAnnotations",))
        if annotations:
            add_annotations(objects, annotations, kustomization.location("commonAnnotations"))


def _pairs(kustomization: Kustomization, path: tuple[Any, ...]) -> dict[str, tuple[Any, Location]]:
    """A label/annotation mapping of the kustomization: key -> (value, where written)."""
    value: Any = kustomization.doc
    for step in path:
        value = (
            value.get(step)
            if isinstance(value, dict)
            else (
                value[step]
                if isinstance(value, list) and isinstance(step, int) and step < len(value)
                else None
            )
        )
    if not isinstance(value, dict):
        return {}
    return {
        key: (item, kustomization.location(*path, key))
        for key, item in value.items()
        if isinstance(key, str) and not isinstance(item, dict | list)
    }


def _object(manifest: Any, path: str) -> Obj:
    start = Location(path, manifest.line, manifest.column)
    body = locate(manifest.doc, manifest.positions, path, (), start)
    if not isinstance(body, Map):
        body = Map()
    return Obj(body, start, [id_of(body)], [path])
