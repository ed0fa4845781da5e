"""Deployment rules: scaled scheduler processes (BGT024). CronJobs: ``cronjob_rules.py``.

BGT024 reads the workloads (Deployment, StatefulSet, DaemonSet, docker-compose services,
Procfile process types) and parses their commands for a scheduler process that must run
exactly once: Celery beat (standalone or embedded in a worker by ``-B``/``--beat``),
``taskiq scheduler``, or a huey consumer that runs periodic tasks (no ``-n``/
``--no-periodic``). The copy count comes from ``replicas``, any HorizontalPodAutoscaler /
KEDA ScaledObject that targets the workload (in any file), compose ``deploy.replicas`` /
``scale`` / ``mode: global``, or the ``app.json`` formation joined to a Procfile. An
unknown count (templated replicas, a Procfile without a formation) is silent. Celery beat
started from Python code by a program the workload runs (`app.Beat().run()` in the script
of `python run_beat.py`) counts too: deploy/beat_starts.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..config import Config
from ..link import PlacedWorkload, Project
from ..model import Finding, Location

# The command-line parser lives apart (no project needed): the YAML reading uses it too.
from ..scheduler_commands import NOT_A_SCHEDULER, Process, code_process, scheduler_processes
from .registry import Rule, rule

# --------------------------------------------------------------- copies of a workload

SCALER_KINDS = ("HorizontalPodAutoscaler", "ScaledObject")


@dataclass(frozen=True)
class Copies:
    how: str  # "with replicas: 2", "on every node", ...
    copy: str  # what one copy is called: replica, pod, dyno
    unit: str  # "its own Deployment with replicas: 1"
    related: tuple[Location, ...] = ()


def _scaler_locations(pw: PlacedWorkload, project: Project) -> dict[tuple[str, int], Location]:
    out: dict[tuple[str, int], Location] = {}
    for other in project.workloads:
        scaler = other.workload
        if scaler.kind in SCALER_KINDS and scaler.name == pw.workload.name:
            out[(scaler.kind, scaler.line)] = other.location
    return out


def _kubernetes_copies(pw: PlacedWorkload, project: Project) -> Copies | None:
    workload = pw.workload
    unit = f"its own {workload.kind} with replicas: 1"
    if workload.kind == "DaemonSet":
        return Copies(
            "on every node (one pod per node)", "pod", "its own Deployment with replicas: 1"
        )
    replicas = workload.replicas
    scaled: list[tuple[str, int]] = []  # (scaler description, max replicas)
    related: list[Location] = []
    if workload.autoscaled:
        locations = _scaler_locations(pw, project)
        for entry in workload.extra.get("autoscalers") or []:
            maximum = entry.get("max_replicas")
            if not isinstance(maximum, int) or isinstance(maximum, bool) or maximum <= 1:
                continue  # unknown (templated) or never more than one
            kind = entry.get("kind") or "autoscaler"
            name = entry.get("name")
            scaled.append((f"{kind} '{name}'" if name else str(kind), maximum))
            location = locations.get((kind, entry.get("line")))
            if location is not None:
                related.append(location)
    parts: list[str] = []
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 1:
        parts.append(f"with replicas: {replicas}")
    if scaled:
        described = " and ".join(f"{what} (up to {most} replicas)" for what, most in scaled)
        parts.append(f"scaled by {described}")
    if not parts:
        return None
    return Copies(" and ".join(parts), "replica", unit, tuple(related))


def _compose_copies(pw: PlacedWorkload) -> Copies | None:
    workload = pw.workload
    unit = "its own service with 1 replica"
    if workload.extra.get("replicas_source") == "per-node":
        return Copies("in global mode (one container per node)", "container", unit)
    replicas = workload.replicas
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 1:
        return Copies(f"with {replicas} replicas", "replica", unit)
    return None


def _procfile_copies(pw: PlacedWorkload, project: Project) -> Copies | None:
    workload = pw.workload
    replicas = workload.replicas
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas <= 1:
        return None  # unknown (no app.json formation) or one dyno
    directory = pw.file.rpartition("/")[0]
    related = tuple(
        other.location
        for other in project.workloads
        if other.workload.kind == "heroku_formation"
        and other.workload.name == workload.name
        and other.file.rpartition("/")[0] == directory
    )
    return Copies(
        f"with {replicas} dynos (app.json formation)",
        "dyno",
        "its own process type with quantity 1",
        related,
    )


def _copies(pw: PlacedWorkload, project: Project) -> Copies | None:
    kind = pw.workload.kind
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        return _kubernetes_copies(pw, project)
    if kind == "compose":
        return _compose_copies(pw)
    if kind == "Procfile":
        return _procfile_copies(pw, project)
    return None


WORKLOAD_TITLES = {"compose": "docker-compose service", "Procfile": "Procfile process type"}


def _commands(
    pw: PlacedWorkload, project: Project
) -> list[tuple[str, tuple[str, Location] | None]]:
    """The workload's command lines and those they hand over to (supervisord programs,
    an entrypoint script's exec, the CMD of the image a compose service builds), each with
    where it was handed over (None: the workload's own)."""
    from ..deploy.processes import expanded_commands

    return expanded_commands(project, pw)


def _started_in_code(
    pw: PlacedWorkload, project: Project
) -> Iterator[tuple[Process, Location, str]]:
    """Celery beat the workload's programs start from Python code (deploy/beat_starts.py):
    (process, where the call is, what says so)."""
    from ..deploy.beat_starts import code_beats

    for beat in code_beats(project).run_by(pw):
        process = code_process(beat.start.form, beat.start.argv)
        if process is not NOT_A_SCHEDULER:
            yield (
                process,
                beat.location,
                f"started in code by `{beat.start.call}` in `{beat.runner}`",
            )


@rule(
    "BGT024",
    "scaled-scheduler-process",
    "error",
    "a process that must run once (Celery beat, taskiq scheduler, huey periodic consumer) "
    "runs in several copies",
)
def scaled_scheduler_process(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    for pw in project.workloads:
        processes: dict[Process, tuple[str, Location] | None] = {}
        for command, origin in _commands(pw, project):
            for process in scheduler_processes(command):
                processes.setdefault(process, origin)
        for process, location, how in _started_in_code(pw, project):
            processes.setdefault(process, (how, location))
        if not processes:
            continue
        copies = _copies(pw, project)
        if copies is None:
            continue
        workload = pw.workload
        title = WORKLOAD_TITLES.get(workload.kind, workload.kind)
        for process, origin in processes.items():
            via = f" ({origin[0]}, {origin[1].file}:{origin[1].line})" if origin else ""
            yield self.finding(
                f"{title} '{workload.name}' runs {process.label}{via} {copies.how}: every "
                f"{copies.copy} sends every periodic task, so each one runs several times; "
                + process.advice.format(unit=copies.unit),
                pw.location,
                related=(*copies.related, *([origin[1]] if origin else [])),
                basis=f"{workload.kind}|{workload.namespace or ''}|{workload.name}|{process.label}",
            )
