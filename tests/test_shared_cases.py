"""The minimal reproductions of what went wrong on real code (../shared/cases, copied to
tests/data/cases with their expected.json) behave as their README says.

Each case stands for a family of real code; the behaviour is tested family by family in
the rule tests, and here on the very trees the audit reduced them to.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from check_background_tasks import checker
from check_background_tasks.config import Config
from check_background_tasks.engine import scan

CASES = Path(__file__).resolve().parent / "data" / "cases"
EXPECTED = json.loads((CASES / "expected.json").read_text(encoding="utf-8"))["cases"]


def test_every_case_directory_has_an_expectation() -> None:
    directories = {p.name for p in CASES.iterdir() if p.is_dir()}
    assert directories == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case_behaves_as_its_readme_says(name: str, tmp_path: Path, monkeypatch) -> None:
    tree = tmp_path / name
    shutil.copytree(CASES / name, tree)
    monkeypatch.chdir(tree)
    config = Config()  # `check . --fail-on info`: every rule on by default, every severity
    found = checker.run(scan(["."], config, jobs=1).project, config).findings
    want = EXPECTED[name]
    counts = Counter(f.code for f in found)
    severities = set(want.get("forbid_severities", []))
    for code in want.get("forbid", []):
        hits = [f for f in found if f.code == code and (not severities or f.severity in severities)]
        assert not hits, [f.message for f in hits]
    for code, least in want.get("require", {}).items():
        assert counts[code] >= least, (code, [f.message for f in found])
    for code, text in want.get("forbid_text", {}).items():
        assert not [f for f in found if f.code == code and text in f.message]
    for code, text in want.get("require_text", {}).items():
        assert [f for f in found if f.code == code and text in f.message], (code, text)
