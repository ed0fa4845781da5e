"""What the process model needs of a docker-compose service beyond its command line.

``extract_yaml`` records each service as a ``Workload(kind="compose")`` with its command
and replicas. The process model also needs to know which Dockerfile builds the image (its
CMD runs when the service gives no command), what the service's ``entrypoint`` and
``command`` are as argv lists (a ``command`` of arguments only is handed to the image's
ENTRYPOINT). These are added to the workload's ``extra``: ``build`` ({``context``,
``dockerfile``} or None), ``entrypoint_argv`` and ``command_argv`` (None when absent), and
``env_complete``: False when an ``env_file`` or an interpolated value may set variables the
literal ``env`` (the manifest reader's) does not show.

The file is loaded a second time with PyYAML's safe loader: compose files are few and
small, and this keeps the manifest extractor untouched.
"""

from __future__ import annotations

import shlex
from typing import Any

import yaml

from ..model import FileFacts

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _argv(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()
    return None


def _build(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        return {"context": value, "dockerfile": None}
    if isinstance(value, dict):
        context = value.get("context", ".")
        dockerfile = value.get("dockerfile")
        return {
            "context": context if isinstance(context, str) else ".",
            "dockerfile": dockerfile if isinstance(dockerfile, str) else None,
        }
    return None


def add_compose_details(facts: FileFacts, text: str) -> None:
    """Fill in the compose workloads' build, entrypoint/command argv and environment."""
    compose = [w for w in facts.workloads if w.kind == "compose"]
    if not compose:
        return
    try:
        data = yaml.load(text, Loader=_LOADER)
    except (yaml.YAMLError, RecursionError, ValueError):
        return
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return
    for workload in compose:
        service = services.get(workload.name)
        if not isinstance(service, dict):
            continue
        workload.extra["build"] = _build(service.get("build"))
        workload.extra["entrypoint_argv"] = _argv(service.get("entrypoint"))
        workload.extra["command_argv"] = _argv(service.get("command"))
        if workload.extra.get("env") is None and "environment" not in service:
            workload.extra["env"] = {}  # no environment given: nothing set, not unknown
        workload.extra["env_complete"] = "env_file" not in service and "${" not in str(
            service.get("environment") or ""
        )
