"""The rule pages (`rules/*.md`) agree with the registry, and their examples are true.

Convention (see rules/README.md): every fenced block under `## Example` is one file of a
project that must trigger the page's rule; every block under `## Use instead` is one file
of a project that must not. A block's first line `# file: <path>` names the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from helpers import write_tree

from check_background_tasks import checker, config, rule_docs
from check_background_tasks.engine import scan
from check_background_tasks.fix import fixability
from check_background_tasks.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "rules"
DESIGN = ROOT.parent / "shared" / "DESIGN.md"

# The rule table of DESIGN.md (a fixed contract): code -> name.
DESIGN_CODES = {
    "BGT001": "duplicate-across-schedulers",
    "BGT002": "duplicate-job-id",
    "BGT003": "duplicate-schedule-entry",
    "BGT010": "kubernetes-cronjob",
    "BGT011": "cronjob-concurrency-policy",
    "BGT012": "cronjob-missing-limits",
    "BGT020": "unlocked-periodic-job",
    "BGT021": "dangling-task",
    "BGT022": "replica-loop",
    "BGT023": "scheduler-started-at-import",
    "BGT024": "scaled-scheduler-process",
    "BGT025": "persistent-store-re-adds-job",
    "BGT026": "shared-lock-name",
    "BGT030": "invalid-schedule",
    "BGT031": "missing-job-id",
    "BGT032": "unknown-beat-task",
    "BGT033": "schedule-pileup",
    "BGT034": "bursting-or-uneven-cron",
    "BGT035": "dst-transition-time",
    "BGT036": "unknown-job-reference",
    "BGT037": "time-zone-mismatch",
    "BGT040": "blocking-call-in-async-job",
    "BGT900": "unreadable-file",
}
REQUIRED_SECTIONS = ("What it does", "Why it matters", "Example", "Use instead")
DEFAULT_NAMES = {
    "python": "example.py",
    "py": "example.py",
    "yaml": "example.yaml",
    "yml": "example.yaml",
    "toml": "pyproject.toml",
}
FILE_LINE = re.compile(r"^#\s*file:\s*(\S+)\s*$")
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass
class Page:
    code: str
    meta: dict
    sections: dict[str, str]

    def files(self, section: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for lang, body in FENCE.findall(self.sections.get(section, "")):
            first = body.split("\n", 1)[0]
            match = FILE_LINE.match(first)
            if match:
                name = match.group(1)
            else:
                name = DEFAULT_NAMES.get(lang.lower())
                assert name, f"{self.code} {section}: a `{lang}` block needs a `# file:` line"
            assert name not in out, f"{self.code} {section}: two blocks for {name}"
            out[name] = body
        return out


def load(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path.name}: no front matter"
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    sections: dict[str, str] = {}
    parts = re.split(r"^## (.+?)\s*$", body, flags=re.MULTILINE)
    for title, content in zip(parts[1::2], parts[2::2], strict=True):
        sections[title.strip()] = content
    return Page(path.stem, meta, sections)


def page_paths() -> list[Path]:
    return sorted(p for p in PAGES.glob("BGT*.md"))


def registered_pages() -> list[Path]:
    return [p for p in page_paths() if p.stem in RULES]


# --------------------------------------------------------------------------- coverage


def test_every_design_code_has_a_page() -> None:
    missing = sorted(set(DESIGN_CODES) - {p.stem for p in page_paths()})
    assert not missing, f"rule pages missing for {missing}"


def test_every_registered_rule_has_a_page() -> None:
    missing = sorted(set(RULES) - {p.stem for p in page_paths()})
    assert not missing, f"rule pages missing for {missing}"


def test_design_table_is_the_one_in_design_md() -> None:
    if not DESIGN.is_file():
        pytest.skip("DESIGN.md is not next to the checkout")
    table = dict(re.findall(r"^\| (BGT\d{3}) \| ([a-z-]+) \|", DESIGN.read_text(), re.MULTILINE))
    assert table == DESIGN_CODES


# --------------------------------------------------------------------------- front matter


@pytest.mark.parametrize("path", page_paths(), ids=lambda p: p.stem)
def test_page_shape(path: Path) -> None:
    page = load(path)
    meta = page.meta
    assert meta["code"] == path.stem
    assert meta["name"] == DESIGN_CODES.get(path.stem, meta["name"])
    assert meta["severity"] in ("error", "warning", "info")
    assert meta["default"] in (True, False), "default: on|off"
    # YAML reads `true`/`false` as booleans, `unsafe` as a string
    shown = {True: "true", False: "false"}.get(meta["fixable"], meta["fixable"])
    assert shown == fixability(path.stem), "fixable: true|false|unsafe, as the fix engine has it"
    assert rule_docs.fixable(path.stem) == shown
    assert isinstance(meta["aliases"], list)
    assert list(page.sections)[: len(REQUIRED_SECTIONS)] == list(REQUIRED_SECTIONS)
    assert page.files("Example"), "Example needs at least one code block"
    assert page.files("Use instead"), "Use instead needs at least one code block"
    title = f"# {path.stem} {meta['name']}"
    assert title in path.read_text(encoding="utf-8"), f"missing title line {title!r}"


@pytest.mark.parametrize("path", registered_pages(), ids=lambda p: p.stem)
def test_front_matter_matches_registry(path: Path) -> None:
    meta = load(path).meta
    rule = RULES[path.stem]
    assert meta["name"] == rule.name
    assert meta["severity"] == rule.severity
    assert meta["default"] is rule.default
    assert tuple(meta["aliases"]) == rule.aliases


# --------------------------------------------------------------------------- examples


def codes_found(root: Path, files: dict[str, str], code: str) -> list[str]:
    write_tree(root, files)
    cfg = config.load([str(root)])
    cfg.select, cfg.ignore, cfg.extend_select = [code], [], []
    cfg.per_file_ignores = {}
    project = scan([str(root)], cfg, jobs=1).project
    outcome = checker.run(project, cfg)
    return [
        f"{f.location.file}:{f.location.line} {f.message}"
        for f in outcome.findings
        if f.code == code
    ]


@pytest.mark.parametrize("path", registered_pages(), ids=lambda p: p.stem)
def test_example_triggers_the_rule(path: Path, tmp_path: Path) -> None:
    page = load(path)
    found = codes_found(tmp_path, page.files("Example"), page.code)
    assert found, f"{page.code}: the Example does not trigger the rule"


@pytest.mark.parametrize("path", registered_pages(), ids=lambda p: p.stem)
def test_use_instead_does_not_trigger_the_rule(path: Path, tmp_path: Path) -> None:
    page = load(path)
    found = codes_found(tmp_path, page.files("Use instead"), page.code)
    assert not found, f"{page.code}: Use instead triggers the rule: {found}"
