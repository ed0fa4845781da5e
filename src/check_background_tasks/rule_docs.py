"""The rule pages (`rules/*.md`): shipped in the wheel, printed by `rule CODE`."""

from __future__ import annotations

import re
from pathlib import Path

from .rules import RULES

# `fixable: true|false|unsafe` in a page's front matter
_FIXABLE = re.compile(r"^fixable:[ \t]*(true|false|unsafe)[ \t]*$", re.MULTILINE)
_FIXABLE_SHOWN = {"true": "fix", "unsafe": "unsafe fix", "false": ""}


def pages_dir() -> Path | None:
    installed = Path(__file__).parent / "rule_pages"  # inside a built wheel
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parents[2] / "rules"  # editable install / checkout
    return checkout if checkout.is_dir() else None


def page(code: str) -> str | None:
    directory = pages_dir()
    if directory is not None:
        path = directory / f"{code}.md"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    rule = RULES.get(code)
    if rule is None:
        return None
    return f"# {rule.code} {rule.name}\n\n{rule.summary}\n"


def fixable(code: str) -> str:
    """`true` (a safe fix), `unsafe` (with --unsafe-fixes) or `false`, as the rule's page
    says; the fix engine's own table where no page is shipped."""
    text = page(code) or ""
    front = text.split("\n---", 1)[0] if text.startswith("---") else ""
    match = _FIXABLE.search(front)
    if match:
        return match.group(1)
    from .fix.kinds import fixability

    return fixability(code)


def list_rules() -> str:
    lines = []
    for code, rule in sorted(RULES.items()):
        state = "" if rule.default else "  (off by default)"
        shown = _FIXABLE_SHOWN[fixable(code)]
        fix = f"  [{shown}]" if shown else ""
        lines.append(f"{code}  {rule.name:<30} {rule.severity:<8} {rule.summary}{fix}{state}")
    return "\n".join(lines) + "\n"
