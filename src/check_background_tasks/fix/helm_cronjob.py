"""BGT011 in a Helm template, which is not YAML until rendered: the same one-line insert
after `schedule:`, found by indentation, and only where no template action around it
could decide the spec's keys.

Left alone (with the reason) when `spec:` or its `schedule:` line is not plain, when a
line of the spec that starts with a template action emits at the spec's own level (an
`include`/`toYaml` that may hold `concurrencyPolicy` with other values), or when the
object mentions `concurrencyPolicy` at all (set under a condition the values decide).
"""

from __future__ import annotations

import re

from ..extract.yaml_text import preprocess_helm
from .text_file import TextFile

_SPEC = re.compile(r"^(?P<indent> *)spec:[ \t]*(#.*)?$")
_SCHEDULE = re.compile(r"^(?P<indent> *)schedule:[ \t]*\S")
_DOCUMENT_END = re.compile(r"^(---|\.\.\.)([ \t].*)?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def fix(text: TextFile, line: int) -> str | None:
    """Insert the policy into the CronJob whose first line is `line`; None, or why not."""
    helm = preprocess_helm(text.text)
    # the template with control lines blanked and inline actions as placeholders, line
    # for line: its structure is the rendered one's
    lines = ["", *helm.text.split("\n")]  # 1-based like the findings
    total = len(lines) - 1
    top = _indent(lines[line])
    end = line
    while end < total and not _DOCUMENT_END.match(lines[end + 1]):
        end += 1
    if any("concurrencyPolicy" in text.line(n) for n in range(line, end + 1)):
        return "the template mentions concurrencyPolicy under a condition: set it by hand"
    spec = next(
        (
            n
            for n in range(line, end + 1)
            if _SPEC.match(lines[n].rstrip()) and not _indent(lines[n]) - top
        ),
        None,
    )
    if spec is None:
        return "no plain `spec:` line in the template's CronJob"
    block = []
    for n in range(spec + 1, end + 1):
        if not _blank(lines[n]) and _indent(lines[n]) <= top and n - 1 not in helm.injected:
            break
        block.append(n)
    child = next((_indent(lines[n]) for n in block if not _blank(lines[n])), None)
    if child is None or child <= top:
        return "the CronJob's spec is empty or templated"
    if any(helm.injected.get(n - 1, child + 1) <= child for n in block):
        return "a template action in the spec may set its keys: set it by hand"
    schedule = next(
        (n for n in block if _SCHEDULE.match(lines[n]) and _indent(lines[n]) == child), None
    )
    if schedule is None:
        return "no plain `schedule:` line in the template's CronJob spec"
    following = lines[schedule + 1] if schedule < end else ""
    if not _blank(following) and _indent(following) > child:
        return "cannot tell where the schedule ends"
    text.insert_after(schedule, " " * child + "concurrencyPolicy: Forbid")
    return None
