"""Every sample project under fixtures/ carries the inventory and findings it must give.

Regenerate after an intended change with `UPDATE_FIXTURES=1 python -m pytest tests/test_fixtures.py`
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from check_background_tasks import checker
from check_background_tasks.config import load
from check_background_tasks.engine import scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected-inventory.json").exists())


def _check(expected_file: Path, actual: list) -> None:
    text = json.dumps(actual, indent=2) + "\n"
    if os.environ.get("UPDATE_FIXTURES"):
        expected_file.write_text(text, encoding="utf-8")
    assert json.loads(expected_file.read_text(encoding="utf-8")) == actual


def test_there_are_fixture_projects():
    assert "sample-service" in PROJECTS


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_inventory_and_findings(name, monkeypatch):
    root = FIXTURES / name
    monkeypatch.chdir(root)
    config = load(["."])
    project = scan(["."], config, jobs=1).project
    _check(root / "expected-inventory.json", [lj.job.record() for lj in project.jobs])
    found = checker.run(project, config).findings
    _check(root / "expected-findings.json", [f.record() for f in found])
