"""`check --format github`: workflow commands escaped exactly as @actions/core escapes them."""

from __future__ import annotations

from test_cli import DEPLOYED, run_cli, write

from check_background_tasks.model import Finding, Location
from check_background_tasks.report.github import annotation, escape_data, escape_property


def finding(message: str, file: str = "a.py", severity: str = "error") -> Finding:
    return Finding("BGT020", "unlocked-periodic-job", severity, message, Location(file, 3, 7))


def test_escape_data_matches_actions_toolkit():
    # @actions/core command.ts: escapeData replaces % first, then \r and \n.
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("a:b,c") == "a:b,c"  # data keeps : and ,
    assert escape_data("%0A") == "%250A"  # no double decoding on the runner


def test_escape_property_also_escapes_colon_and_comma():
    assert escape_property("C:\\x,y%\n") == "C%3A\\x%2Cy%25%0A"


def test_annotation_shape():
    line = annotation(finding("Job 'x' runs on every replica"))
    assert line == "::error file=a.py,line=3,col=7,title=BGT020::Job 'x' runs on every replica"


def test_annotation_escapes_hostile_values():
    line = annotation(finding("bad\nline 100%", file="we,ird:name.py"))
    assert line == "::error file=we%2Cird%3Aname.py,line=3,col=7,title=BGT020::bad%0Aline 100%25"
    assert "\n" not in line


def test_severity_levels():
    assert annotation(finding("m", severity="warning")).startswith("::warning ")
    assert annotation(finding("m", severity="info")).startswith("::notice ")


def test_cli_github_format(tmp_path, capsys):
    write(tmp_path, DEPLOYED)
    code, out, _ = run_cli(["svc", "--format", "github"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines == [line for line in lines if line.startswith("::warning file=")]
    assert "file=svc/scheduler.py,line=5,col=1,title=BGT020::" in lines[0]


def test_cli_github_format_no_findings_prints_nothing(tmp_path, capsys):
    (tmp_path / "empty.py").write_text("x = 1\n")
    assert run_cli(["empty.py", "--format", "github"], capsys) == (0, "", "")
