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

from ..config import Config
from ..link import Project
from ..model import FileFacts
from .objects import apply_renders, collect_plain_limit_ranges, label_plain_environments
from .rendered import RenderResult


def deploy(project: Project, config: Config) -> Project:
    """The project as deployed; steps are added here in pipeline order."""
    apply_renders(project, render(project.facts))
    collect_plain_limit_ranges(project)
    label_plain_environments(project)
    _processes(project, config)
    return project


KUSTOMIZE_KINDS = frozenset({"Kustomization", "Component"})


def render(facts: list[FileFacts]) -> RenderResult:
    """Every renderer whose inputs the facts hold; a renderer is imported only then."""
    result = RenderResult()
    kinds = {manifest.kind for ff in facts for manifest in ff.manifests}
    if kinds & KUSTOMIZE_KINDS:
        from .kustomize import render_kustomize

        result.extend(render_kustomize(facts))
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
