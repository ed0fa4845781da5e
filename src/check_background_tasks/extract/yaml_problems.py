"""How much a YAML document that cannot be parsed matters (BGT900's severity).

A finding is a claim about what is deployed. A document that names a CronJob, or a command
that starts a scheduler process (Celery beat, `taskiq scheduler`, a huey consumer: the
commands BGT024 reads), holds jobs that are now missing from the inventory: an `error`.
Any other document (a Deployment, DaemonSet or compose file) is read only for replicas and
process counts, so its loss is worth a note (`info`). A Jinja or Django template (block tags
`{% ... %}`) is not broken YAML but the input of another program: a note when it could
render a job, nothing otherwise. A kustomization file is not judged here: it decides what
its bases deploy (a CronJob's patches), so its problems stay errors.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..model import Problem
from ..scheduler_commands import may_start_scheduler

# `kind: CronJob` is the only kind the reading turns into a job (manifest_objects.interpret)
_CRONJOB_KIND_RE = re.compile(r"""\bkind["']?[ \t]*:[ \t]*["']?CronJob\b""")
_KIND_RE = re.compile(r"""(?m)^[ \t]*["']?kind["']?[ \t]*:[ \t]*["']?([A-Za-z]\w*)""")
_COMPOSE_RE = re.compile(r"""(?m)^["']?services["']?[ \t]*:""")
# A Jinja/Django block tag: `{% if x %}`, `{%- for x in y -%}`, `{% load i18n %}`.
_JINJA_BLOCK_RE = re.compile(r"\{%[-+]?[ \t]*[A-Za-z_]\w*[^\n]*?%\}")
# What only a Go template (Helm) writes: such a file is Helm's even with a `{%` in its text.
_GO_TEMPLATE_RE = re.compile(
    r"""\{\{-?[ \t]*(?:define|include|template|block)[ \t]+"|\.(?:Values|Release|Chart)\b"""
)


# The start of a Jinja template's note (a renderer that reads the file drops it).
JINJA_NOTE = "a Jinja/Django template"


def jinja_tag(text: str) -> re.Match[str] | None:
    """The first Jinja/Django block tag of a text that is no Go template, else None."""
    if "{%" not in text:
        return None
    tag = _JINJA_BLOCK_RE.search(text)
    if tag is None or _GO_TEMPLATE_RE.search(text):
        return None
    return tag


def declared_job(text: str) -> str | None:
    """What job a YAML text declares, in words ("its CronJob"), or None."""
    if "CronJob" in text and _CRONJOB_KIND_RE.search(text):
        return "its CronJob"
    if may_start_scheduler(text):
        return "the scheduler process it starts"
    return None


def judge(problems: list[Problem], chunk: str, offset: int) -> list[Problem]:
    """The problems of one document (`chunk`, starting after `offset` lines), judged."""
    job = declared_job(chunk)
    tag = jinja_tag(chunk)
    if tag is not None:
        if job is None:
            return []  # another program's template that renders no job: not ours
        line = offset + chunk.count("\n", 0, tag.start()) + 1
        return [jinja_note(p, tag.group(0), line, job) for p in problems]
    if job is not None:
        return problems  # its jobs are missing from the inventory: BGT900's error
    kind = _KIND_RE.search(chunk)
    if kind is not None:
        what = f"this {kind.group(1)}"
    elif _COMPOSE_RE.search(chunk):
        what = "this docker-compose file"
    else:
        what = "this document"
    return [
        replace(
            p,
            message=f"{p.message}; {what} declares no job, so only the replicas and"
            " process counts it would give are unknown: fix it, or exclude it if another"
            " tool renders it",
            severity="info",
        )
        for p in problems
    ]


def jinja_note(problem: Problem, tag: str, line: int, job: str) -> Problem:
    tag = tag if len(tag) <= 40 else tag[:37] + "...%}"
    return replace(
        problem,
        message=f"{JINJA_NOTE} (`{tag}` at line {line}) that another program renders, not"
        f" YAML: {job} is not in the inventory ({problem.message}); exclude the file to drop"
        " this note",
        severity="info",
    )
