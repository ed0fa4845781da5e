"""The rule pages (`rules/*.md`): shipped in the wheel, printed by `rule CODE`."""

from __future__ import annotations

from pathlib import Path

from .rules import RULES


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


def list_rules() -> str:
    lines = []
    for code, rule in sorted(RULES.items()):
        state = "" if rule.default else "  (off by default)"
        lines.append(f"{code}  {rule.name:<30} {rule.severity:<8} {rule.summary}{state}")
    return "\n".join(lines) + "\n"
