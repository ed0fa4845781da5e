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


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """(front matter as plain strings, the rest) of a rule page."""
    if not text.startswith("---\n"):
        return {}, text
    head, sep, rest = text[4:].partition("\n---\n")
    if not sep:
        return {}, text
    meta = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            meta[key.strip()] = value.strip()
    return meta, rest.lstrip("\n")


def page_body(code: str, docs_url: str) -> str | None:
    """The page of `code` for people: the front matter as one line under the title,
    then the page, then where it is online."""
    from .config import rule_url

    text = page(code)
    if text is None:
        return None
    meta, body = _front_matter(text)
    rule = RULES.get(code)
    aliases = ", ".join(rule.aliases) if rule and rule.aliases else "none"
    facts = (
        f"Severity: {meta.get('severity', rule.severity if rule else '?')} · "
        f"default: {meta.get('default', '?')} · fixable: {meta.get('fixable', 'false')} · "
        f"aliases (for noqa): {aliases}"
    )
    title, _, rest = body.partition("\n")
    if title.startswith("# "):
        body = f"{title}\n\n{facts}\n\n{rest.lstrip(chr(10))}"
    else:
        body = f"{facts}\n\n{body}"
    return body.rstrip("\n") + f"\n\nOnline: {rule_url(docs_url, code)}\n"


def described(code: str | None, docs_url: str) -> list[dict[str, object]] | dict[str, object]:
    """`rule --format json`: one rule (with its page as Markdown), or every rule."""
    from .config import rule_url

    def one(rule_code: str, with_page: bool) -> dict[str, object]:
        rule = RULES[rule_code]
        out: dict[str, object] = {
            "code": rule.code,
            "name": rule.name,
            "severity": rule.severity,
            "default": rule.default,
            "aliases": list(rule.aliases),
            "summary": rule.summary,
            "url": rule_url(docs_url, rule.code),
        }
        if with_page:
            text = page(rule_code)
            out["markdown"] = _front_matter(text)[1] if text is not None else None
        return out

    if code is None:
        return [one(c, False) for c in sorted(RULES)]
    return one(code, True)
