"""Plain manifests → CronJobs (``RawJob``) and workloads (``Workload``).

One reading of a Kubernetes object, used for a file read alone (extract time) and for the
objects the deploy stage renders (a kustomize overlay, a Helm chart with its values). Pure
over plain data (see extract/yaml_plain.py); imports no YAML library.

Field states: a field is *present*, *missing* (absent: ``None``) or *templated* (only the
template engine knows it: :data:`TEMPLATED`). Unknown is never reported as missing.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from .. import schedules
from ..model import OPEN, TEMPLATED, Manifest, RawJob, Schedule, TargetRef, Workload

PRESENT, MISSING, TEMPLATE = "present", "missing", "templated"
PARTIAL = "partial"  # a list with items nobody can read here beside the known ones
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
SCALER_KINDS = ("HorizontalPodAutoscaler", "ScaledObject")
IGNORE_ANNOTATION = "check-background-tasks.io/ignore"


def unknown(value: Any) -> bool:
    return isinstance(value, str) and (value == TEMPLATED or "{{" in value)


def lookup(mapping: Any, key: str) -> tuple[str, Any]:
    """(PRESENT | MISSING | TEMPLATE, value) of ``key`` in a plain mapping."""
    if unknown(mapping):
        return TEMPLATE, None
    if not isinstance(mapping, dict):
        return MISSING, None
    if key not in mapping:
        return (TEMPLATE if mapping.get(OPEN) else MISSING), None
    value = mapping[key]
    if value is None:
        return MISSING, None
    if unknown(value):
        return TEMPLATE, value
    return PRESENT, value


def path(mapping: Any, *keys: str) -> tuple[str, Any]:
    state, node = PRESENT, mapping
    for key in keys:
        state, node = lookup(node, key)
        if state != PRESENT:
            return state, node
    return state, node


def value_of(state: str, value: Any) -> Any:
    """A looked-up scalar: TEMPLATED, None (missing), or its value (int, bool, str...)."""
    if state == TEMPLATE:
        return TEMPLATED
    if state == MISSING or isinstance(value, dict | list):
        return None
    return value


def text_of(value: Any) -> str | None:
    """A scalar as text (template actions kept); None for null and collections."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def argv_of(value: Any) -> tuple[list[str] | None, bool]:
    """(argv, templated) of a ``command``/``args`` value; a scalar is one shell string."""
    if isinstance(value, list):
        out: list[str] = []
        templated = False
        for item in value:
            if isinstance(item, dict | list):
                out.append("<?>")
                continue
            templated = templated or unknown(item)
            out.append(text_of(item) or "")
        return out, templated
    if value is not None and not isinstance(value, dict):
        return None, unknown(value)
    return [], False


def known_namespace(namespace: Any) -> str | None:
    """A workload's namespace for joining scalers; templated or odd values join any."""
    return namespace if isinstance(namespace, str) and not unknown(namespace) else None


@dataclass
class Container:
    name: str | None
    command: str
    argv: list[str] | None
    limits: bool | str  # True / False / TEMPLATED
    image: str | None
    env: dict[str, str] | None  # literal env values; None when a template decides them
    liveness: bool = False  # a livenessProbe ends a run that stops answering it
    templated: list[str] = field(default_factory=list)


def _limits(item: dict) -> bool | str:
    r_state, resources = lookup(item, "resources")
    if r_state == TEMPLATE:
        return TEMPLATED
    if r_state == MISSING:
        return False
    l_state, limits = lookup(resources, "limits")
    if l_state == TEMPLATE:
        return TEMPLATED
    return isinstance(limits, dict) and any(k != OPEN for k in limits)


def _env(item: dict) -> dict[str, str] | None:
    state, entries = lookup(item, "env")
    if state == TEMPLATE or not isinstance(entries, list | type(None)):
        return None
    out: dict[str, str] = {}
    for entry in entries or []:
        if not isinstance(entry, dict):
            return None  # a templated entry: the environment is not known
        name, value = entry.get("name"), entry.get("value")
        if isinstance(name, str) and not unknown(name) and value is not None:
            text = text_of(value)
            if text is not None and not unknown(text):
                out[name] = text
    return out


def containers(pod_spec: Any, templated: list[str]) -> tuple[str, list[Container]]:
    state, items = lookup(pod_spec, "containers")
    if state == PRESENT and not isinstance(items, list):
        state = TEMPLATE  # not a list as written: what runs is not known here
    if state == PRESENT and any(unknown(item) for item in items):
        # a list only partly known (items a template or an unread base writes): what is
        # known of the others is read, and the whole is unknown unless one lacks limits
        templated.append("containers")
        state = PARTIAL
    if state not in (PRESENT, PARTIAL):
        if state == TEMPLATE:
            templated.append("containers")
        return state, []
    out: list[Container] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        own: list[str] = []
        cmd_argv, cmd_tpl = argv_of(item.get("command"))
        args_argv, args_tpl = argv_of(item.get("args"))
        if cmd_tpl:
            own.append("command")
        if args_tpl:
            own.append("args")
        parts: list[str] = []
        argv: list[str] | None = []
        for piece_argv, key in ((cmd_argv, "command"), (args_argv, "args")):
            if piece_argv is None:  # a scalar (templated or shell string)
                parts.append(text_of(item.get(key)) or "")
                argv = None
            elif piece_argv:
                parts.append(shlex.join(piece_argv))
                if argv is not None:
                    argv.extend(piece_argv)
        limits = _limits(item)
        if limits == TEMPLATED:
            own.append("resources")
        name = item.get("name")
        image = item.get("image")
        out.append(
            Container(
                name=text_of(name),
                command=" ".join(p for p in parts if p),
                argv=argv,
                limits=limits,
                image=text_of(image),
                env=_env(item),
                liveness=isinstance(item.get("livenessProbe"), dict),
                templated=own,
            )
        )
    for container in out[:1]:
        templated.extend(container.templated)
    for container in out[1:]:
        templated.extend(f"{container.name or '?'}.{f}" for f in container.templated)
    return state, out


def _init_containers_without_limits(pod_spec: Any) -> list[str]:
    """Init containers run before the job's own and can starve the node just the same."""
    items = pod_spec.get("initContainers") if isinstance(pod_spec, dict) else None
    if not isinstance(items, list):
        return []
    return [
        text_of(item.get("name")) or "?"
        for item in items
        if isinstance(item, dict) and _limits(item) is False
    ]


def limits_summary(state: str, found: list[Container]) -> bool | str:
    if not found:
        return TEMPLATED if state in (TEMPLATE, PARTIAL) else False
    if any(c.limits is False for c in found):
        return False
    if state == PARTIAL or any(c.limits == TEMPLATED for c in found):
        return TEMPLATED
    return True


def metadata(root: dict, templated: list[str]) -> tuple[str | None, Any, list[str]]:
    """(name, namespace, ignore codes) of an object."""
    meta = root.get("metadata")
    state, name = lookup(meta, "name")
    if state == TEMPLATE:
        templated.append("name")
    state, namespace = lookup(meta, "namespace")
    if state == TEMPLATE:
        templated.append("namespace")
    ignore: list[str] = []
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    annotation = annotations.get(IGNORE_ANNOTATION) if isinstance(annotations, dict) else None
    if isinstance(annotation, str):
        from .yaml_text import parse_codes

        ignore = sorted(parse_codes(annotation))
    return text_of(name), value_of(state, namespace), ignore


def container_extra(found: list[Container], templated: list[str], ignore: Any) -> dict[str, Any]:
    """What CronJobs and workloads both record of their containers and template state."""
    first = found[0] if found else None
    return {
        "commands": [c.command for c in found],
        "command_argv": first.argv if first else None,
        "image": first.image if first else None,
        "templated": sorted(set(templated)),
        "ignore": ignore,
    }


def _run_time_cap(found: list[Container]) -> str | None:
    """What ends a hung run without activeDeadlineSeconds: a livenessProbe on every
    container (a run that stops answering is killed), or `timeout N` before the command."""
    if found and all(c.liveness for c in found):
        return "livenessProbe"
    first = found[0] if found else None
    words = first.command.split() if first else []
    if words and words[0].rsplit("/", 1)[-1] == "timeout":
        return "timeout"
    for shell_flag in ("-c", "-ec", "-lc", "-xc"):
        if shell_flag in words:
            script = words[words.index(shell_flag) + 1 :]
            if script and script[0].lstrip("'\"").startswith("timeout"):
                return "timeout"
    return None


def _schedule(spec: Any, schedule_value: Any, timezone: Any) -> Schedule | None:
    if schedule_value is None:
        return None
    tz = timezone if isinstance(timezone, str) and timezone != TEMPLATED else None
    if schedule_value == TEMPLATED:
        written = spec.get("schedule") if isinstance(spec, dict) else None
        text = " ".join((text_of(written) or TEMPLATED).split())
        return Schedule(text=text, timezone=tz, resolved=False)
    text = " ".join(str(schedule_value).split())
    return schedules.from_cron_string(text, dialect="kubernetes", timezone=tz)


def cronjob(manifest: Manifest) -> RawJob:
    root = manifest.doc
    templated: list[str] = []
    name, namespace, ignore = metadata(root, templated)
    spec_state, spec = lookup(root, "spec")

    def field_value(key: str) -> Any:
        state, value = lookup(spec, key) if spec_state == PRESENT else (spec_state, None)
        if state == TEMPLATE:
            templated.append(key)
        return value_of(state, value)

    schedule_value = field_value("schedule")
    timezone = field_value("timeZone")
    concurrency = field_value("concurrencyPolicy")
    starting = field_value("startingDeadlineSeconds")
    suspend = field_value("suspend")
    job_state, job_spec = (
        path(spec, "jobTemplate", "spec")
        if spec_state == PRESENT
        else (
            spec_state,
            None,
        )
    )
    pod_state, pod_spec = (
        path(job_spec, "template", "spec")
        if job_state == PRESENT
        else (
            job_state,
            None,
        )
    )
    a_state, active = (
        lookup(job_spec, "activeDeadlineSeconds")
        if job_state == PRESENT
        else (
            job_state,
            None,
        )
    )
    if a_state == MISSING and pod_state == PRESENT:
        # a pod-level activeDeadlineSeconds bounds each run as well
        a_state, active = lookup(pod_spec, "activeDeadlineSeconds")
    if a_state == TEMPLATE:
        templated.append("activeDeadlineSeconds")
    if pod_state == PRESENT:
        c_state, found = containers(pod_spec, templated)
    else:
        c_state, found = pod_state, []
        if pod_state == TEMPLATE:
            templated.append("containers")
    first = found[0] if found else None
    init_without = _init_containers_without_limits(pod_spec if pod_state == PRESENT else None)
    has_limits = limits_summary(c_state, found)
    extra: dict[str, Any] = {
        "api_version": text_of(root.get("apiVersion")),
        "namespace": namespace,
        "concurrency_policy": concurrency,
        "starting_deadline_seconds": starting,
        "active_deadline_seconds": value_of(a_state, active),
        "has_resource_limits": False if init_without else has_limits,
        "containers_without_limits": [c.name for c in found if c.limits is False],
        "init_containers_without_limits": init_without,
        "suspend": suspend,
        # Does it fire? None when a template decides `suspend`.
        "suspended": None if suspend == TEMPLATED else suspend is True,
        "time_zone": timezone,
        "run_time_capped_by": _run_time_cap(found),
        **container_extra(found, templated, ignore),
    }
    return RawJob(
        kind="k8s_cronjob",
        name=name,
        target=TargetRef("command", first.command if first else ""),
        schedule=_schedule(spec, schedule_value, timezone),
        line=manifest.line,
        column=manifest.column,
        periodic=True,
        locked=None,
        extra=extra,
    )


def workload(manifest: Manifest) -> Workload:
    root, kind = manifest.doc, manifest.kind
    templated: list[str] = []
    name, namespace, ignore = metadata(root, templated)
    spec_state, spec = lookup(root, "spec")
    replicas: int | None
    if kind == "DaemonSet":
        replicas, source = None, "per-node"
    else:
        state, value = lookup(spec, "replicas") if spec_state == PRESENT else (spec_state, None)
        value = value_of(state, value)
        if state == TEMPLATE:
            templated.append("replicas")
            replicas, source = None, "templated"
        elif isinstance(value, int) and not isinstance(value, bool):
            replicas, source = value, "explicit"
        elif state == MISSING and spec_state != TEMPLATE:
            replicas, source = 1, "default"
        else:
            replicas, source = None, "unknown"
    pod_state, pod_spec = (
        path(spec, "template", "spec")
        if spec_state == PRESENT
        else (
            spec_state,
            None,
        )
    )
    if pod_state == PRESENT:
        _, found = containers(pod_spec, templated)
    else:
        found = []
        if pod_state == TEMPLATE:
            templated.append("containers")
    first = found[0] if found else None
    return Workload(
        kind=kind,
        name=name or "",
        command=first.command if first else "",
        replicas=replicas,
        line=manifest.line,
        column=manifest.column,
        namespace=known_namespace(namespace),
        autoscaled=False,
        extra={
            "api_version": text_of(root.get("apiVersion")),
            "replicas_source": source,
            "env": first.env if first else None,
            **container_extra(found, templated, ignore),
        },
    )


def scaler(manifest: Manifest) -> Workload:
    root, kind = manifest.doc, manifest.kind
    templated: list[str] = []
    scaler_name, namespace, ignore = metadata(root, templated)
    spec = root.get("spec")
    ref = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
    target = text_of(ref.get("name")) if isinstance(ref, dict) else None
    target_kind = text_of(ref.get("kind")) if isinstance(ref, dict) else None
    keys: tuple[str, str, int, int | None]
    if kind == "ScaledObject":
        target_kind = target_kind or "Deployment"
        keys = ("minReplicaCount", "maxReplicaCount", 0, 100)
    else:
        keys = ("minReplicas", "maxReplicas", 1, None)
    min_key, max_key, min_default, max_default = keys
    values: dict[str, Any] = {}
    for key, default in ((min_key, min_default), (max_key, max_default)):
        state, value = lookup(spec, key)
        if state == TEMPLATE:
            templated.append(key)
        value = value_of(state, value)
        values[key] = default if value is None else value
    max_replicas = values[max_key]
    return Workload(
        kind=kind,
        name=target or "",
        command="",
        replicas=max_replicas if isinstance(max_replicas, int) else None,
        line=manifest.line,
        column=manifest.column,
        namespace=known_namespace(namespace),
        autoscaled=True,
        extra={
            "api_version": text_of(root.get("apiVersion")),
            "scaler_name": scaler_name,
            "target_kind": target_kind,
            "min_replicas": values[min_key],
            "max_replicas": max_replicas,
            "templated": sorted(set(templated)),
            "ignore": ignore,
        },
    )


def compose_services(manifest: Manifest) -> list[Workload]:
    """docker-compose services that run something (image, build, command or entrypoint)."""
    services = manifest.doc.get("services") if isinstance(manifest.doc, dict) else None
    if not isinstance(services, dict):
        return []
    out: list[Workload] = []
    for key, service in services.items():
        if key == OPEN or not isinstance(service, dict):
            continue
        if not any(k in service for k in ("image", "build", "command", "entrypoint")):
            continue
        templated: list[str] = []
        parts: list[str] = []
        for k in ("entrypoint", "command"):
            argv, _ = argv_of(service.get(k))
            if argv is None:
                parts.append(text_of(service.get(k)) or "")
            elif argv:
                parts.append(shlex.join(argv))
        deploy = service.get("deploy")
        mode = text_of(deploy.get("mode")) if isinstance(deploy, dict) else None
        replicas: int | None = 1
        source = "default"
        count = deploy.get("replicas") if isinstance(deploy, dict) else None
        if count is None or isinstance(count, dict | list):
            count = service.get("scale")
        if count is not None and not isinstance(count, dict | list):
            if isinstance(count, int) and not isinstance(count, bool):
                replicas, source = count, "explicit"
            else:  # "${REPLICAS:-2}" interpolation or a template: unknown
                replicas, source = None, "templated"
                templated.append("replicas")
        if mode == "global":
            replicas, source = None, "per-node"
        line, column = manifest.positions.get(("services", key), (manifest.line, manifest.column))
        out.append(
            Workload(
                kind="compose",
                name=key,
                command=" ".join(p for p in parts if p),
                replicas=replicas,
                line=line,
                column=column,
                extra={
                    "replicas_source": source,
                    "image": text_of(service.get("image")),
                    "env": _compose_env(service.get("environment")),
                    "templated": sorted(set(templated)),
                    "ignore": [],
                },
            )
        )
    return out


def _compose_env(value: Any) -> dict[str, str] | None:
    """A compose service's literal `environment:` (a mapping or `KEY=value` items)."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            text = text_of(item)
            if key != OPEN and text is not None and "${" not in text and not unknown(text):
                out[key] = text
        return out
    if isinstance(value, list):
        for item in value:
            text = text_of(item)
            if text and "=" in text and "${" not in text:
                key, _, rest = text.partition("=")
                out[key] = rest
        return out
    return {} if value is None else None


def interpret(manifest: Manifest) -> list[RawJob | Workload]:
    """What an object means for the rules: a CronJob, a workload, a scaler, compose services."""
    kind = manifest.kind
    if kind == "CronJob":
        return [cronjob(manifest)]
    if kind in WORKLOAD_KINDS:
        return [workload(manifest)]
    if kind in SCALER_KINDS:
        return [scaler(manifest)]
    if kind == "Compose":
        return list(compose_services(manifest))
    return []
