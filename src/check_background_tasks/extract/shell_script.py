"""Entrypoint shell scripts → the program they end in.

A container's ENTRYPOINT is often ``/entrypoint.sh``: a script that prepares things and
ends with ``exec gunicorn ...``. ``Workload(kind="script", name=path)`` records what the
script would hand the container to:

- ``extra["launches"]``: ``[line, command, is_exec, indented]`` for each ``exec <command>``
  line, or, when the script has none, for its last top-level line that runs a program
  the process model knows (``gunicorn``, ``python``, ``celery`` ...);
- ``extra["vars"]``: ``name -> value`` of the script's top-level assignments
  (``worker_count="${WORKERS:-4}"``), ``extra["var_lines"]`` their lines, and
  ``extra["conditional"]``: names also assigned inside a block (the top-level value is
  the default path).

No shell is run or emulated beyond that; what the script decides at run time stays unknown.
"""

from __future__ import annotations

import re

from ..model import FileFacts, Workload
from .yaml_text import decode_text

PROGRAM_WORDS = (
    b"gunicorn",
    b"uvicorn",
    b"hypercorn",
    b"daphne",
    b"granian",
    b"uwsgi",
    b"waitress",
    b"python",
    b"celery",
    b"supervisord",
    b"manage.py",
    b"fastapi",
    b"flask",
)
_KNOWN = re.compile(r"\b(" + "|".join(w.decode().replace(".", r"\.") for w in PROGRAM_WORDS) + r")")
_ASSIGN = re.compile(
    r"^(?:export\s+|readonly\s+|local\s+|declare\s+(?:-\w+\s+)*)?([A-Za-z_]\w*)=(.*)$"
)
_BLOCK_WORDS = ("if", "elif", "else", "fi", "then", "case", "esac", "for", "while", "do", "done")


def script_might_matter(source: bytes) -> bool:
    return any(word in source for word in (b"exec", *PROGRAM_WORDS))


def _logical_lines(text: str) -> list[tuple[int, str, bool]]:
    """(line number, text, indented) with `\\` continuations joined and comments dropped."""
    out: list[tuple[int, str, bool]] = []
    pending: list[str] = []
    start, indented = 0, False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending:
            if not stripped or stripped.startswith("#"):
                continue
            start, indented = number, raw[:1] in (" ", "\t")
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        out.append((start, " ".join(p for p in pending if p), indented))
        pending = []
    if pending:
        out.append((start, " ".join(pending), indented))
    return out


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def extract_script(path: str, source: bytes) -> FileFacts:
    facts = FileFacts(path=path)
    text = decode_text(source)
    variables: dict[str, str] = {}
    var_lines: dict[str, int] = {}
    conditional: set[str] = set()
    execs: list[list[object]] = []
    last_known: list[object] | None = None
    depth = 0  # if/case/for/while nesting: code inside runs only sometimes
    for line, command, indented in _logical_lines(text):
        first = command.split(None, 1)[0] if command.split() else ""
        if first in ("if", "case", "for", "while", "until"):
            depth += 1
        if first in ("fi", "esac", "done") or command.endswith(("; fi", ";fi", " esac", " done")):
            depth = max(0, depth - 1)
            continue
        if first.endswith("()") or command.endswith("() {") or first == "function":
            depth += 1  # a function body: runs only when called
            continue
        if first == "}":
            depth = max(0, depth - 1)
            continue
        nested = depth > 0 or indented
        assignment = _ASSIGN.match(command)
        if assignment and " " not in assignment.group(2).strip().strip("\"'"):
            name, value = assignment.group(1), _unquote(assignment.group(2))
            if nested:
                conditional.add(name)
            elif name not in variables:
                variables[name], var_lines[name] = value, line
            continue
        if first == "exec":
            rest = command[len("exec") :].strip()
            if rest and not rest.startswith((">", "<", "2>", "1>", "&>")):
                execs.append([line, rest, True, nested])
            continue
        if not nested and first not in _BLOCK_WORDS and _KNOWN.search(command):
            last_known = [line, command, False, nested]
    launches = execs or ([last_known] if last_known else [])
    if not launches:
        return facts
    first_launch = launches[-1]
    facts.workloads.append(
        Workload(
            kind="script",
            name=path,
            command=str(first_launch[1]),
            replicas=None,
            line=int(first_launch[0]),  # type: ignore[call-overload]
            column=1,
            extra={
                "launches": launches,
                "vars": variables,
                "var_lines": var_lines,
                "conditional": sorted(conditional),
            },
        )
    )
    return facts
