"""`check --format sarif`: valid SARIF 2.1.0, rule metadata, stable partial fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from test_cli import SERVICE, run_cli, write

from check_background_tasks.baseline import FINGERPRINT_KEY
from check_background_tasks.rules import RULES

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sample-service"


def validate(log: dict) -> None:
    # The OASIS file declares draft-04; it is also valid draft-07, as the brief asks.
    for validator in (jsonschema.Draft7Validator, jsonschema.validators.validator_for(SCHEMA)):
        validator.check_schema(SCHEMA)
        errors = sorted(validator(SCHEMA).iter_errors(log), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def sarif_of(args: list[str], capsys) -> dict:
    code, out, _ = run_cli([*args, "--format", "sarif"], capsys)
    assert code in (0, 1)
    return json.loads(out)


def test_schema_file_is_the_unchanged_oasis_file():
    assert SCHEMA["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"


def test_sample_service_sarif_validates(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(FIXTURE.parent)
    log = sarif_of(["sample-service", "--select", "ALL", "--no-cache"], capsys)
    validate(log)
    run = log["runs"][0]
    assert run["results"], "the fixture has findings"
    codes = {r["ruleId"] for r in run["results"]}
    assert "BGT001" in codes
    duplicate = next(r for r in run["results"] if r["ruleId"] == "BGT001")
    assert duplicate["relatedLocations"]
    assert all(loc["id"] >= 1 for loc in duplicate["relatedLocations"])


def test_rules_metadata_and_help(tmp_path, capsys):
    write(tmp_path, SERVICE)
    log = sarif_of(["svc"], capsys)
    validate(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    bgt020 = next(r for r in rules if r["id"] == "BGT020")
    assert bgt020["name"] == "unlocked-periodic-job"
    assert bgt020["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert "BGT020" in bgt020["help"]["markdown"]
    assert not bgt020["help"]["markdown"].startswith("---")  # front matter removed
    result = log["runs"][0]["results"][0]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "BGT020"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 1)
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "svc/scheduler.py", "uriBaseId": "%SRCROOT%"}


def test_partial_fingerprints_survive_line_shifts(tmp_path, capsys):
    write(tmp_path, SERVICE)
    before = sarif_of(["svc", "--no-cache"], capsys)["runs"][0]["results"]
    scheduler = tmp_path / "svc/scheduler.py"
    scheduler.write_text("# a comment\n\n\n" + scheduler.read_text())
    (tmp_path / "svc/other.py").write_text("def unrelated():\n    pass\n")
    after = sarif_of(["svc", "--no-cache"], capsys)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] == [8]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]
    assert set(before[0]["partialFingerprints"]) == {FINGERPRINT_KEY}


def test_empty_log_validates(tmp_path, capsys):
    (tmp_path / "x.py").write_text("x = 1\n")
    log = sarif_of(["x.py"], capsys)
    validate(log)
    assert log["runs"][0]["results"] == []


@pytest.mark.parametrize("message", ['100% "odd" <b>\n</b>', "ünïcödé ✓"])
def test_hostile_messages_stay_valid(message):
    from check_background_tasks.model import Finding, Location
    from check_background_tasks.report.sarif import to_sarif

    finding = Finding(
        "BGT020", "unlocked-periodic-job", "warning", message, Location("a b.py", 1, 1)
    )
    log = json.loads(to_sarif([finding]))
    validate(log)
    assert log["runs"][0]["results"][0]["message"]["text"] == message
    assert (
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "a%20b.py"
    )
