"""BGT011: `concurrencyPolicy: Forbid` in a CronJob's spec, by editing the YAML text.

The document is read with PyYAML's safe composer only to find positions; the file is
edited as text, one line inserted (after `schedule:`, at its indentation) or one value
replaced (`Allow` -> `Forbid` where the finding points at a policy a patch or values entry
sets). Comments, quotes, anchors and key order stay as they were.

A Helm template is not YAML until rendered: helm_cronjob.py inserts the same line where
the template's text around it is plain, else leaves it with a note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import yaml

from ..model import Finding
from . import helm_cronjob
from .text_file import TextFile

POLICY = "Forbid"
# `concurrencyPolicy: Allow`, `  - cronPolicy: "Allow"  # note` (a values entry), not a
# templated value: what a finding at the line that sets the policy points at.
_VALUE_LINE = re.compile(
    r"^(?P<head>[ \t]*(?:-[ \t]+)?(?P<key>[A-Za-z_][\w.-]*)[ \t]*:[ \t]*)"
    r"(?P<value>\"[A-Za-z]*\"|'[A-Za-z]*'|[A-Za-z]+)(?P<tail>[ \t]*(?:#.*)?)$"
)

_POLICY_PATH = re.compile(r"""path:[ \t]*["']?/spec/concurrencyPolicy["']?[ \t]*(#.*)?$""")


def fix(text: TextFile, finding: Finding) -> str | None:
    """Edit `text` for `finding`; None when done, else why not."""
    line = finding.location.line
    value_fix = _replace_value(text, line)
    if value_fix is True:
        return None
    if value_fix:
        return value_fix
    if "{{" in text.text:
        return helm_cronjob.fix(text, line)
    try:
        documents = list(yaml.compose_all(text.text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return "the file is not YAML this fix can read"
    cronjob = _cronjob_at(documents, line - 1)
    if cronjob is None:
        return "no CronJob at this line"
    spec = _value(cronjob, "spec")
    if not isinstance(spec, yaml.MappingNode) or spec.flow_style:
        return "the CronJob's spec is not a block mapping"
    spec_key = _key(cronjob, "spec")
    assert spec_key is not None
    if spec.start_mark.index < spec_key.end_mark.index:
        return "the CronJob's spec is an alias of another mapping"
    policy = _value(spec, "concurrencyPolicy")
    if policy is not None:
        replaced = _replace_value(text, policy.start_mark.line + 1)
        if replaced is True:
            return None
        return replaced or "its concurrencyPolicy is not a plain value on one line"
    if not spec.value:
        return "the CronJob's spec is empty"
    schedule_key = _key(spec, "schedule")
    first_key = spec.value[0][0]
    indent = (schedule_key or first_key).start_mark.column
    if schedule_key is not None:
        schedule = _value(spec, "schedule")
        assert schedule is not None
        if schedule.start_mark.index < schedule_key.end_mark.index:
            return "the schedule is an alias"
        end = schedule.end_mark
        # (1-based) the schedule's last line; a block scalar ends at the next line's start
        after = end.line + 1 if end.column > 0 or end.line == schedule.start_mark.line else end.line
    else:
        after = first_key.start_mark.line  # before the first key of spec
    if text.line(after + 1).strip() and _indent(text.line(after + 1)) > indent:
        return "cannot tell where the schedule ends"
    text.insert_after(after, " " * indent + f"concurrencyPolicy: {POLICY}")
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _replace_value(text: TextFile, line: int) -> bool | str | None:
    """Allow -> Forbid on the line the finding points at, when it sets the policy."""
    match = _VALUE_LINE.match(text.line(line))
    if match is None:
        return None
    key = match.group("key").lower()
    # A values entry may have any name (`policy: Allow`): the finding points at it
    # because the rendered policy comes from there.
    sets_policy = (
        "concurrency" in key
        or "policy" in key
        or match.group("value").strip("\"'") == "Allow"
        or (key == "value" and _json_patch_of_policy(text, line))
    )
    if not sets_policy:
        return None
    value = match.group("value")
    quote = value[0] if value[0] in "\"'" else ""
    if value.strip("\"'") in ("Forbid", "Replace"):
        return "the policy at this line is already Forbid or Replace"
    text.set_line(line, f"{match.group('head')}{quote}{POLICY}{quote}{match.group('tail')}")
    return True


def _json_patch_of_policy(text: TextFile, line: int) -> bool:
    """Is `value:` at `line` the value of a JSON 6902 operation on the policy?"""
    for number in range(line - 1, max(line - 5, 0), -1):
        previous = text.line(number).strip()
        if _POLICY_PATH.match(previous.removeprefix("- ")):
            return True
        if previous.startswith("-"):  # the operation's first line: no path above it
            return False
    return False


def _key(mapping: yaml.MappingNode, name: str) -> yaml.Node | None:
    for key, _value_node in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return key
    return None


def _value(mapping: yaml.MappingNode, name: str) -> yaml.Node | None:
    for key, value in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return value
    return None


def _cronjob_at(documents: Sequence[yaml.Node | None], line: int) -> yaml.MappingNode | None:
    """The innermost `kind: CronJob` mapping that spans `line` (0-based)."""
    best: yaml.MappingNode | None = None
    seen: set[int] = set()
    stack: list[yaml.Node] = [d for d in documents if d is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node.start_mark.line <= line <= node.end_mark.line:
            continue
        if isinstance(node, yaml.MappingNode):
            kind = _value(node, "kind")
            if isinstance(kind, yaml.ScalarNode) and kind.value == "CronJob":
                if best is None or node.start_mark.index > best.start_mark.index:
                    best = node
            stack.extend(v for _k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return best
