"""INI files that start processes: supervisord programs and uWSGI configurations.

supervisord: one ``Workload(kind="supervisord")`` per ``[program:x]``, command as written,
``replicas`` = ``numprocs`` (default 1; None when it is not a number), ``extra`` =
{``autostart``, ``numprocs_line``}. A program with ``autostart=false`` is kept and marked:
supervisord does not start it. Event listeners are not programs that do our work.

uWSGI: one ``Workload(kind="uwsgi")`` for an ``[uwsgi]`` section, ``replicas`` None,
``extra`` = {``processes`` (``processes``/``workers``, int or None), ``module``,
``wsgi_file``, ``lazy_apps``, ``processes_line``}.
"""

from __future__ import annotations

import configparser
import re
from typing import Any

from ..model import FileFacts, Problem, Workload
from .yaml_text import decode_text

_SECTION = re.compile(r"^[ \t]*\[([^\]]+)\]", re.MULTILINE)
_TRUE = ("true", "yes", "on", "1")


def ini_might_matter(source: bytes) -> bool:
    return b"[program:" in source or b"[uwsgi]" in source


def _lines_of(text: str) -> dict[str, int]:
    return {m.group(1).strip(): text.count("\n", 0, m.start()) + 1 for m in _SECTION.finditer(text)}


def _key_line(text: str, section_line: int, key: str) -> int:
    lines = text.splitlines()
    for number in range(section_line, len(lines)):
        stripped = lines[number].strip()
        if stripped.startswith("["):
            break
        if re.match(rf"{re.escape(key)}\s*[=:]", stripped):
            return number + 1
    return section_line


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() else None


def extract_ini(path: str, source: bytes) -> FileFacts:
    facts = FileFacts(path=path)
    if not ini_might_matter(source):
        return facts
    text = decode_text(source)
    parser = configparser.RawConfigParser(
        strict=False, inline_comment_prefixes=(";", " #"), interpolation=None
    )
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        facts.problems.append(Problem(f"cannot read as INI: {str(exc).splitlines()[0]}"))
        return facts
    lines = _lines_of(text)
    for section in parser.sections():
        line = lines.get(section, 1)
        values = parser[section]
        if section.startswith(("program:", "fcgi-program:")):
            name = section.partition(":")[2]
            command = " ".join((values.get("command") or "").split())
            numprocs = values.get("numprocs")
            extra: dict[str, Any] = {
                "autostart": (values.get("autostart") or "true").strip().lower() in _TRUE,
                "numprocs_line": _key_line(text, line, "numprocs") if numprocs else None,
            }
            facts.workloads.append(
                Workload(
                    kind="supervisord",
                    name=name,
                    command=command,
                    replicas=_int(numprocs) if numprocs is not None else 1,
                    line=line,
                    column=1,
                    extra=extra,
                )
            )
        elif section == "uwsgi":
            given = values.get("processes") or values.get("workers")
            key = "processes" if values.get("processes") else "workers"
            facts.workloads.append(
                Workload(
                    kind="uwsgi",
                    name=path,
                    command="",
                    replicas=None,
                    line=line,
                    column=1,
                    extra={
                        "processes": _int(given) if given is not None else 1,
                        "processes_line": _key_line(text, line, key) if given else None,
                        "module": values.get("module") or values.get("wsgi"),
                        "wsgi_file": values.get("wsgi-file") or values.get("file"),
                        "lazy_apps": (values.get("lazy-apps") or "").strip().lower() in _TRUE,
                    },
                )
            )
    return facts
