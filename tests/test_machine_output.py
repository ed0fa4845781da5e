"""Machine output: JSON fingerprint and url, SARIF helpUri, --statistics --format json,
`rule --format json`, one docs-url setting for all of them."""

from __future__ import annotations

import json

from test_cli import DEPLOYED, run_cli, write

from check_background_tasks.baseline import FINGERPRINT_KEY

DOCS = '[tool.check-background-tasks]\ndocs-url = "https://docs.example.org/rules/{code}/"\n'


def test_json_findings_carry_the_baseline_fingerprint_and_the_rule_url(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    _, out, _ = run_cli(["svc", "--format", "json", "--no-cache"], capsys)
    _, sarif, _ = run_cli(["svc", "--format", "sarif", "--no-cache"], capsys)
    records = json.loads(out)
    results = json.loads(sarif)["runs"][0]["results"]
    assert [r["fingerprint"] for r in records] == [
        r["partialFingerprints"][FINGERPRINT_KEY] for r in results
    ]
    assert records[0]["url"] == f"rules/{records[0]['code']}.md"
    # The contract's keys are all still there.
    for key in ("code", "name", "severity", "message", "file", "line", "column"):
        assert key in records[0]


def test_json_fingerprints_match_the_baseline_file(tmp_path, capsys, monkeypatch):
    write(tmp_path, DEPLOYED)
    monkeypatch.chdir(tmp_path)
    run_cli(["svc", "--write-baseline", "base.json", "--no-cache"], capsys)
    baseline = json.loads((tmp_path / "base.json").read_text())
    recorded = {entry["fingerprint"] for entry in baseline["findings"]}
    _, out, _ = run_cli(["svc", "--format", "json", "--no-cache"], capsys)
    assert {r["fingerprint"] for r in json.loads(out)} == recorded


def test_docs_url_reaches_json_sarif_and_rule(tmp_path, capsys, monkeypatch):
    write(tmp_path, {**DEPLOYED, "pyproject.toml": DOCS})
    monkeypatch.chdir(tmp_path)
    _, out, _ = run_cli(["svc", "--format", "json", "--no-cache"], capsys)
    assert json.loads(out)[0]["url"] == "https://docs.example.org/rules/BGT020/"
    _, sarif, _ = run_cli(["svc", "--format", "sarif", "--no-cache"], capsys)
    rules = json.loads(sarif)["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"]: r["helpUri"] for r in rules}["BGT021"] == (
        "https://docs.example.org/rules/BGT021/"
    )
    _, out, _ = run_cli(["rule", "BGT021", "--format", "json"], capsys)
    assert json.loads(out)["url"] == "https://docs.example.org/rules/BGT021/"


def test_sarif_has_no_relative_help_uri(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    _, sarif, _ = run_cli(["svc", "--format", "sarif", "--no-cache"], capsys)
    rules = json.loads(sarif)["runs"][0]["tool"]["driver"]["rules"]
    assert all("helpUri" not in r for r in rules)


def test_statistics_follow_the_format(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    _, text, _ = run_cli(["svc", "--statistics", "--no-cache"], capsys)
    _, out, _ = run_cli(["svc", "--statistics", "--format", "json", "--no-cache"], capsys)
    rows = json.loads(out)
    assert rows and set(rows[0]) == {"code", "name", "count"}
    assert [f"{r['count']:>5}  {r['code']}  {r['name']}" for r in rows] == text.splitlines()


def test_rule_page_without_front_matter(capsys):
    code, out, _ = run_cli(["rule", "bgt020"], capsys)
    assert code == 0 and not out.startswith("---")
    assert out.startswith("# BGT020 unlocked-periodic-job\n\nSeverity: warning · default: on")
    assert out.rstrip().endswith("Online: rules/BGT020.md")
    code, out, _ = run_cli(["rule", "BGT021", "--format", "json"], capsys)
    page = json.loads(out)
    assert page["aliases"] == ["RUF006", "ASYNC300"] and page["markdown"].startswith("# BGT021")
    code, out, _ = run_cli(["rule", "--format", "json"], capsys)
    assert "BGT001" in {r["code"] for r in json.loads(out)}
    code, _, err = run_cli(["rule", "BGT999"], capsys)
    assert code == 2 and "unknown rule code 'BGT999'" in err


def test_rule_on_a_terminal_is_rendered_markdown(capsys, monkeypatch):
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli(["rule", "BGT020"], capsys)
    assert code == 0 and "## What it does" not in out and "What it does" in out
