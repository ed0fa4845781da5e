"""Baselines: adopt on a legacy repository, fail only on new findings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
from test_cli import DEPLOYED, SERVICE, run_cli, write

from check_background_tasks.baseline import fingerprints, normalize_basis
from check_background_tasks.model import Finding, Location

SECOND_JOB = """
def purge():
    return 0


scheduler.add_job(purge, "cron", hour=4, id="purge")
"""


def test_write_baseline_then_clean(tmp_path, capsys):
    write(tmp_path, SERVICE)
    code, _, err = run_cli(["svc", "--write-baseline", "bgt-baseline.json"], capsys)
    assert code == 0
    assert "Wrote 1 findings to baseline bgt-baseline.json" in err
    document = json.loads((tmp_path / "bgt-baseline.json").read_text())
    assert document["tool"] == "check-background-tasks" and document["version"] == 1
    assert [r["code"] for r in document["findings"]] == ["BGT020"]
    code, out, err = run_cli(["svc", "--baseline", "bgt-baseline.json"], capsys)
    assert (code, out) == (0, "All checks passed!\n")
    assert "1 findings are in the baseline" in err


def test_baseline_survives_line_shifts_and_unrelated_renames(tmp_path, capsys):
    write(tmp_path, SERVICE)
    (tmp_path / "svc/helpers.py").write_text("def helper():\n    return 2\n")
    run_cli(["svc", "--write-baseline", "b.json"], capsys)
    scheduler = tmp_path / "svc/scheduler.py"
    scheduler.write_text('"""Docs."""\n\n\n' + scheduler.read_text())
    os.rename(tmp_path / "svc/helpers.py", tmp_path / "svc/tools.py")
    code, out, _ = run_cli(["svc", "--baseline", "b.json"], capsys)
    assert (code, out) == (0, "All checks passed!\n")


def test_only_new_findings_fail(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    run_cli(["svc", "--write-baseline", "b.json"], capsys)
    scheduler = tmp_path / "svc/scheduler.py"
    scheduler.write_text(scheduler.read_text() + SECOND_JOB)
    code, out, _ = run_cli(["svc", "--baseline", "b.json", "--format", "json"], capsys)
    assert code == 1
    new = json.loads(out)
    assert [(f["code"], f["line"]) for f in new] == [("BGT020", 12)]
    # SARIF marks them as new.
    code, out, _ = run_cli(["svc", "--baseline", "b.json", "--format", "sarif"], capsys)
    log = json.loads(out)
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    assert [r["baselineState"] for r in results] == ["new"]
    # The fingerprint is the one of the full run, not renumbered within the new subset.
    full = json.loads(run_cli(["svc", "--format", "sarif"], capsys)[1])["runs"][0]["results"]
    assert results[0]["partialFingerprints"] == full[-1]["partialFingerprints"]


def test_baseline_write_is_atomic_and_keeps_old_file_on_error(tmp_path, capsys, monkeypatch):
    write(tmp_path, SERVICE)
    (tmp_path / "b.json").write_text("previous\n")
    import check_background_tasks.atomic as atomic

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", boom)
    code, _, _ = run_cli(["svc", "--write-baseline", "b.json"], capsys)
    assert code == 130
    assert (tmp_path / "b.json").read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".b.json")) == []


def test_corrupt_baseline_is_a_one_line_exit_2(tmp_path, capsys):
    write(tmp_path, SERVICE)
    cases = {
        "broken.json": "{not json",
        "foreign.json": json.dumps({"runs": []}),
        "wrongshape.json": json.dumps(
            {"tool": "check-background-tasks", "version": 1, "findings": {}}
        ),
        "future.json": json.dumps({"tool": "check-background-tasks", "version": 99}),
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        code, out, err = run_cli(["svc", "--baseline", name], capsys)
        assert code == 2, name
        assert out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: baseline"), err
    code, _, err = run_cli(["svc", "--baseline", "missing.json"], capsys)
    assert code == 2 and err.strip() == "error: baseline file not found: missing.json"


def test_baseline_options_conflict(tmp_path, capsys):
    write(tmp_path, SERVICE)
    assert run_cli(["svc", "--baseline", "a", "--write-baseline", "b"], capsys)[0] == 2


def test_normalize_basis_drops_positions():
    assert (
        normalize_basis("also at app/x.py:12 and k8s/c.yaml:3:1")
        == "also at app/x.py and k8s/c.yaml"
    )
    assert normalize_basis("syntax error at line 12") == "syntax error at line"
    assert normalize_basis("cron '*/5 * * * *' 10:30") == "cron '*/5 * * * *' 10:30"


def test_fingerprint_occurrences_and_identity():
    def f(message: str, line: int, basis: str = "", file: str = "a.py") -> Finding:
        return Finding(
            "BGT021", "dangling-task", "warning", message, Location(file, line, 1), (), basis
        )

    prints = fingerprints([f("m", 1, "t"), f("m", 9, "t"), f("m", 3, "u")])
    assert prints[0].endswith(":1") and prints[1].endswith(":2")
    assert prints[0].split(":")[0] == prints[1].split(":")[0] != prints[2].split(":")[0]
    # The path is part of the identity; the line is not.
    assert fingerprints([f("m", 1, "t")]) == fingerprints([f("m", 50, "t")])
    assert fingerprints([f("m", 1, "t")]) != fingerprints([f("m", 1, "t", file="b.py")])
