"""Dockerfiles → the command the image runs, its environment and where files land.

``Workload(kind="Dockerfile")`` per file, for the final stage: ``command`` is ENTRYPOINT +
CMD as the container runs them (shell form becomes ``/bin/sh -c``), ``replicas`` None (a
Dockerfile says nothing about copies). ``extra``:

- ``entrypoint`` / ``cmd``: argv lists (None when the stage does not set them: the base
  image decides), with ``entrypoint_line`` / ``cmd_line``;
- ``env``: literal ``ENV`` values (``ARG`` defaults substituted), ``env_lines`` their lines;
- ``copies``: ``[source, destination]`` of ``COPY``/``ADD`` (not ``--from`` another stage),
  so that ``/entrypoint.sh`` can be traced to ``docker/entrypoint.sh``;
- ``workdir``: the last ``WORKDIR``; ``base``: the final ``FROM`` image.

Stages: a ``FROM <earlier stage>`` inherits that stage's settings; setting ENTRYPOINT resets
a CMD inherited from an earlier stage (not one given in the same stage), as BuildKit does.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from ..model import FileFacts, Workload
from .yaml_text import comment_suppressions, decode_text

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$", re.DOTALL)
_VAR = re.compile(r"\$\{(\w+)(?::?[-+][^}]*)?\}|\$(\w+)")


def dockerfile_name(name: str) -> bool:
    lower = name.lower()
    return (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    ) and not lower.endswith(".dockerignore")


@dataclass
class _Stage:
    name: str | None
    base: str
    entrypoint: list[str] | None = None
    entrypoint_line: int = 0
    cmd: list[str] | None = None
    cmd_line: int = 0
    env: dict[str, str] = field(default_factory=dict)
    env_lines: dict[str, int] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    copies: list[list[str]] = field(default_factory=list)
    workdir: str | None = None
    cmd_set: bool = False  # CMD given in this stage (ENTRYPOINT keeps it, as BuildKit does)

    def inherit(self, parent: _Stage) -> None:
        self.entrypoint, self.entrypoint_line = parent.entrypoint, parent.entrypoint_line
        self.cmd, self.cmd_line = parent.cmd, parent.cmd_line
        self.env = dict(parent.env)
        self.env_lines = dict(parent.env_lines)
        self.copies = list(parent.copies)
        self.workdir = parent.workdir


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, instruction) with `\\` continuations joined, comments dropped."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        out.append((start, " ".join(pending)))
        pending = []
    if pending:
        out.append((start, " ".join(pending)))
    return out


def _argv(value: str) -> list[str]:
    """Exec form (a JSON array) as is; shell form as `/bin/sh -c "..."`."""
    value = value.strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed):
            return parsed
    return ["/bin/sh", "-c", value]


def _substitute(value: str, known: dict[str, str]) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return known.get(name, match.group(0))

    return _VAR.sub(repl, value)


def _env_pairs(value: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="two"` or the old `ENV A 1`."""
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))] if len(words) > 1 else []
    out = []
    for word in words:
        key, sep, val = word.partition("=")
        if sep and key:
            out.append((key, val))
    return out


def _copy(value: str) -> list[list[str]] | None:
    words = value.split()
    if any(w.startswith("--from") for w in words):
        return None
    words = [w for w in words if not w.startswith("--")]
    if value.strip().startswith("[") or len(words) < 2:
        try:
            words = [w for w in json.loads(value) if isinstance(w, str)]
        except (ValueError, TypeError):
            return None
        if len(words) < 2:
            return None
    *sources, dest = words
    return [[src, dest] for src in sources]


def extract_dockerfile(path: str, source: bytes) -> FileFacts:
    facts = FileFacts(path=path)
    text = decode_text(source)
    facts.suppressions.extend(comment_suppressions(text))
    stages: list[_Stage] = []
    global_args: dict[str, str] = {}
    for line, instruction in _logical_lines(text):
        match = _INSTRUCTION.match(instruction)
        if match is None:
            continue
        keyword, value = match.group(1).upper(), match.group(2).strip()
        if keyword == "FROM":
            words = [w for w in value.split() if not w.startswith("--")]
            base = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stage = _Stage(name=name, base=base)
            parent = next((s for s in reversed(stages) if s.name and s.name == base), None)
            if parent is not None:
                stage.inherit(parent)
            stages.append(stage)
            continue
        if keyword == "ARG":
            target = stages[-1].args if stages else global_args
            for key, val in _env_pairs(value if "=" in value else value + "="):
                target[key] = val
            continue
        if not stages:
            continue
        stage = stages[-1]
        known = {**global_args, **stage.args, **stage.env}
        if keyword == "ENV":
            for key, val in _env_pairs(value):
                stage.env[key] = _substitute(val, known)
                stage.env_lines[key] = line
        elif keyword == "ENTRYPOINT":
            stage.entrypoint, stage.entrypoint_line = _argv(value), line
            if not stage.cmd_set:
                stage.cmd, stage.cmd_line = None, 0  # Docker resets an inherited CMD
        elif keyword == "CMD":
            stage.cmd, stage.cmd_line = _argv(value), line
            stage.cmd_set = True
        elif keyword in ("COPY", "ADD"):
            copied = _copy(value)
            if copied:
                stage.copies.extend(copied)
        elif keyword == "WORKDIR":
            workdir = _substitute(value, known)
            if stage.workdir and not workdir.startswith("/"):
                workdir = stage.workdir.rstrip("/") + "/" + workdir
            stage.workdir = workdir
    if not stages:
        return facts
    final = stages[-1]
    argv = [*(final.entrypoint or []), *(final.cmd or [])]
    line = max(final.entrypoint_line, final.cmd_line) or 1
    extra: dict[str, Any] = {
        "entrypoint": final.entrypoint,
        "entrypoint_line": final.entrypoint_line,
        "cmd": final.cmd,
        "cmd_line": final.cmd_line,
        "command_argv": argv if (final.entrypoint or final.cmd) else None,
        "env": final.env,
        "env_lines": final.env_lines,
        "copies": final.copies,
        "workdir": final.workdir,
        "base": final.base,
    }
    facts.workloads.append(
        Workload(
            kind="Dockerfile",
            name=path,
            command=shlex.join(argv),
            replicas=None,
            line=line,
            column=1,
            extra=extra,
        )
    )
    return facts
