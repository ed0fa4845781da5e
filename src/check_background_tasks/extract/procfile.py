"""Procfiles (Heroku, Dokku, honcho, foreman) and Heroku ``app.json`` formations.

A Procfile line ``worker: celery -A app.worker worker -B`` becomes
``Workload(kind="Procfile", name="worker", command=..., replicas=None)``: a Procfile says
nothing about how many dynos run a process type. ``app.json``'s ``formation`` does; it
becomes ``Workload(kind="heroku_formation", name=<process type>, command="",
replicas=<quantity>)`` for the project pass to join with the Procfile of the same directory.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..model import FileFacts, Problem, Workload
from .yaml_text import comment_suppressions, decode_text

__all__ = ["app_json_might_matter", "extract_app_json", "extract_procfile"]

_LINE_RE = re.compile(r"([A-Za-z0-9_-]+)[ \t]*:(.*)")
_SUPPRESSION_RE = re.compile(
    r"#[ \t]*(?:noqa[ \t]*:|bgt[ \t]*:[ \t]*ignore[ \t]*\[)", re.IGNORECASE
)


def extract_procfile(path: str, source: bytes) -> FileFacts:
    facts = FileFacts(path=path)
    text = decode_text(source)
    facts.suppressions.extend(comment_suppressions(text))
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.lstrip("\ufeff")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE_RE.match(line)
        if match is None:
            facts.problems.append(
                Problem(f"Procfile line {number} is not 'type: command'", number, 1)
            )
            continue
        name, command = match.group(1), match.group(2)
        comment = _SUPPRESSION_RE.search(command)
        if comment is not None:  # the shell ignores the comment, so do we
            command = command[: comment.start()]
        command = command.strip()
        facts.workloads.append(
            Workload(
                kind="Procfile",
                name=name,
                command=command,
                replicas=None,
                line=number,
                column=1,
                extra={"replicas_source": "unknown"},
            )
        )
    return facts


def app_json_might_matter(source: bytes) -> bool:
    return b'"formation"' in source


def extract_app_json(path: str, source: bytes) -> FileFacts:
    """``{"formation": {"worker": {"quantity": 2}}}`` → one workload per process type."""
    facts = FileFacts(path=path)
    if not app_json_might_matter(source):
        return facts
    text = decode_text(source)
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", 1)
        reason = getattr(exc, "msg", None) or "too deeply nested to parse"
        facts.problems.append(Problem(f"JSON error at line {line}: {reason}", line, 1))
        return facts
    formation = data.get("formation") if isinstance(data, dict) else None
    if not isinstance(formation, dict):
        return facts
    start = text.find('"formation"')
    for name, spec in formation.items():
        if not isinstance(name, str):
            continue
        quantity = spec.get("quantity", 1) if isinstance(spec, dict) else None
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            quantity = None
        offset = text.find(json.dumps(name), max(start, 0))
        line = text.count("\n", 0, offset) + 1 if offset >= 0 else 1
        facts.workloads.append(
            Workload(
                kind="heroku_formation",
                name=name,
                command="",
                replicas=quantity,
                line=line,
                column=1,
                extra={
                    "replicas_source": "explicit" if quantity is not None else "unknown",
                    "size": spec.get("size") if isinstance(spec, dict) else None,
                },
            )
        )
    return facts
