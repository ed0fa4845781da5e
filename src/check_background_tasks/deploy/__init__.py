"""Deploy stage: judge what is deployed, not each file alone.

Runs after link and before the rules. Each step reads the linked project and rewrites
what it knows better than a single file does:

- kustomize overlays and Helm charts are rendered, so CronJobs and workloads are the objects
  a cluster would receive (each labelled with its environment);
- the process model works out which process runs each in-app scheduler and in how many
  copies (replicas times workers), with the evidence.

Every step is pure over the project's facts (no file is read here) and says "unknown"
rather than guess.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ..config import Config
from ..link import Project
from ..model import FileFacts
from .objects import apply_renders, collect_plain_limit_ranges, label_plain_environments
from .rendered import RenderResult

if TYPE_CHECKING:
    from ..cache import Cache


def deploy(project: Project, config: Config, cache: Cache | None = None) -> Project:
    """The project as deployed; steps are added here in pipeline order."""
    apply_renders(project, render(project.facts, cache))
    collect_plain_limit_ranges(project)
    label_plain_environments(project)
    _processes(project, config)
    return project


KUSTOMIZE_KINDS = frozenset({"Kustomization", "Component"})


def render(facts: list[FileFacts], cache: Cache | None = None) -> RenderResult:
    """Every renderer whose inputs the facts hold; a renderer is imported only then.

    With a cache, a render whose inputs (every file that holds a manifest) are unchanged
    is reused: renders are pure functions of those files' facts."""
    kinds = {manifest.kind for ff in facts for manifest in ff.manifests}
    if not kinds & KUSTOMIZE_KINDS and "HelmTemplate" not in kinds:
        return RenderResult()
    key = _inputs_key(facts, cache)
    if cache is not None and key is not None:
        cached = cache.load_renders(key)
        if isinstance(cached, RenderResult):
            return cached
    result = _render(facts, kinds)
    if cache is not None and key is not None:
        cache.save_renders(key, result)
    return result


def _inputs_key(facts: list[FileFacts], cache: Cache | None) -> str | None:
    """A digest of every file a renderer may read, or None when one has no known hash."""
    if cache is None:
        return None
    digests = cache.digests()
    digest = hashlib.sha256()
    for ff in sorted(facts, key=lambda ff: ff.path):
        if not ff.manifests and not ff.problems:
            continue  # a file that cannot be read counts too: kustomize notes it
        content = digests.get(ff.path)
        if content is None:
            return None
        digest.update(f"{ff.path}\0{content}\n".encode())
    return digest.hexdigest()


def _render(facts: list[FileFacts], kinds: set[str]) -> RenderResult:
    result = RenderResult()
    if kinds & KUSTOMIZE_KINDS:
        from .kustomize import render_kustomize

        result.extend(render_kustomize(facts))
    if "HelmTemplate" in kinds:
        from .helm import render_helm

        result.extend(render_helm(facts))
    return result


def _processes(project: Project, config: Config) -> None:
    """Which processes run each in-app scheduler (deploy/schedulers.py): locks seen one
    step away, and the inventory's `processes`."""
    if not any(ff.processes is not None for ff in project.facts):
        return  # no Python at all: nothing runs in-app
    from .schedulers import Schedulers, record_processes

    schedulers = Schedulers(project, config)
    project.processes = schedulers
    record_processes(project, schedulers)
