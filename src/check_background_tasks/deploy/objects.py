"""Rendered objects → the CronJobs and workloads the rules judge.

Each rendered object is read by the same code as a file read alone
(``extract/manifest_objects.py``), then labelled with its environment. The standalone
reading of every file a renderer owns (a base, a patch, a Helm template) is dropped: the
renders stand for it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from ..link import LinkedJob, PlacedWorkload, Project
from ..model import FileFacts, Job, Location, Manifest, RawJob
from .limit_ranges import DefaultLimits, namespace_of, sets_default_limits
from .rendered import Path, Rendered, RenderResult

# Where a CronJob field lives, keyed like the job's extra.
CRONJOB_FIELDS: dict[str, Path] = {
    # where the object's own document is written: a template, when each instance of a
    # `range` is reported at its values entry (a field the template lacks is the
    # template's to add, once for every instance)
    "object": ("kind",),
    "name": ("metadata", "name"),
    "namespace": ("metadata", "namespace"),
    "schedule": ("spec", "schedule"),
    "time_zone": ("spec", "timeZone"),
    "concurrency_policy": ("spec", "concurrencyPolicy"),
    "starting_deadline_seconds": ("spec", "startingDeadlineSeconds"),
    "suspend": ("spec", "suspend"),
    "active_deadline_seconds": ("spec", "jobTemplate", "spec", "activeDeadlineSeconds"),
    "containers": ("spec", "jobTemplate", "spec", "template", "spec", "containers"),
}


def apply_renders(project: Project, result: RenderResult) -> None:
    """Replace the standalone reading of owned files with the rendered objects."""
    if not result.objects and not result.owned and not result.notes:
        return
    # Imported here: a run with nothing rendered (most of them) never loads the readers.
    from ..extract.autoscalers import apply_autoscalers
    from ..extract.manifest_objects import interpret

    owned = result.owned
    by_path = {ff.path: ff for ff in project.facts}
    jobs = [
        lj
        for lj in project.jobs
        if not (lj.job.kind == "k8s_cronjob" and lj.job.location.file in owned)
    ]
    workloads = [pw for pw in project.workloads if pw.file not in owned]
    rendered_workloads: dict[str, list[PlacedWorkload]] = defaultdict(list)
    for obj in sorted(result.objects, key=_order):
        if obj.kind == "LimitRange":
            if sets_default_limits(obj.doc):
                limits = DefaultLimits(obj.origin, namespace_of(obj.doc), obj.environment)
                project.limit_ranges.append(limits)
            continue
        manifest = Manifest(obj.kind, obj.doc, {}, obj.origin.line, obj.origin.column)
        for item in interpret(manifest):
            if isinstance(item, RawJob):
                jobs.append(_linked(item, obj, by_path))
            else:
                item.extra["environment"] = obj.environment
                placed = PlacedWorkload(item, obj.origin.file)
                rendered_workloads[obj.environment].append(placed)
    for in_environment in rendered_workloads.values():
        # An autoscaler scales the workload of its own environment only.
        apply_autoscalers(p.workload for p in in_environment)
        workloads.extend(in_environment)
    jobs.sort(key=lambda lj: (lj.job.location, lj.job.kind, lj.job.name or "", _env(lj)))
    workloads.sort(key=lambda p: (p.location, p.workload.kind, p.workload.name))
    project.jobs = jobs
    project.workloads = workloads
    project.rendered_files |= owned
    project.notes.extend(result.notes)


def _order(obj: Rendered) -> tuple[Location, str, str]:
    return (obj.origin, obj.environment, obj.kind)


def _env(linked: LinkedJob) -> str:
    return str(dict(linked.job.extra).get("environment") or "")


def _linked(raw: RawJob, obj: Rendered, by_path: dict[str, FileFacts]) -> LinkedJob:
    extra: dict[str, Any] = dict(raw.extra)
    extra["environment"] = obj.environment
    extra["sources"] = list(obj.sources)
    location = obj.origin
    job = Job(
        kind=raw.kind,
        name=raw.name,
        target=raw.target.value,
        schedule=raw.schedule,
        locked=None,
        lock_key=None,
        location=location,
        periodic=True,
        extra=tuple(sorted(extra.items())),
    )
    facts = by_path.get(location.file) or FileFacts(path=location.file)
    return LinkedJob(
        job=job, raw=raw, facts=facts, field_locations=field_locations(obj, CRONJOB_FIELDS)
    )


def field_locations(obj: Rendered, fields: dict[str, Path]) -> dict[str, Location]:
    """Where each field's value was written, when that is not the object's own document
    (a patch, a values entry): the place a finding about that value should point at."""
    out: dict[str, Location] = {}
    for key, path in fields.items():
        location = obj.positions.get(path)
        if location is not None and location.file != obj.origin.file:
            out[key] = location
    return out


def label_plain_environments(project: Project) -> None:
    """CronJobs no renderer labelled get the environment their directory reveals: copies of
    one CronJob in `clusters/c1/` and `clusters/c2/` are deployed to two places."""
    from .environments import infer_environments

    plain = [
        (i, lj)
        for i, lj in enumerate(project.jobs)
        if lj.job.kind == "k8s_cronjob" and "environment" not in dict(lj.job.extra)
    ]
    if len(plain) < 2:
        return
    placed = [(lj.job.location.file, lj.job.name, _namespace(lj)) for _i, lj in plain]
    inferred = infer_environments(placed)
    for i, lj in plain:
        environment = inferred.get(lj.job.location.file)
        if environment is not None:
            extra = tuple(sorted({**dict(lj.job.extra), "environment": environment}.items()))
            project.jobs[i].job = replace(lj.job, extra=extra)


def _namespace(linked: LinkedJob) -> str | None:
    namespace = dict(linked.job.extra).get("namespace")
    return namespace if isinstance(namespace, str) and "{{" not in namespace else None


def collect_plain_limit_ranges(project: Project) -> None:
    """LimitRanges of files no renderer owns, read alone."""
    for ff in project.facts:
        if ff.path in project.rendered_files:
            continue
        for manifest in ff.manifests:
            if manifest.kind == "LimitRange" and sets_default_limits(manifest.doc):
                location = Location(ff.path, manifest.line, manifest.column)
                project.limit_ranges.append(
                    DefaultLimits(location, namespace_of(manifest.doc), None)
                )
