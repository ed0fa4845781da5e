"""BGT900: a bad file is reported and every good file next to it is still read."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import findings, records

GOOD = """
import asyncio
async def work(): ...
def start():
    asyncio.create_task(work())
"""


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("asyncio.create_task(x)\ndef broken(:\n    pass\n", "syntax error at line 2"),
        (b"asyncio.create_task(x)\n\x00\x01", "NUL bytes"),
        (b"# coding: utf-8\nasyncio.create_task(x)\nx = '\xff\xfe'\n", "cannot decode"),
        ("print 'python 2'\nasyncio.create_task(x)\n", "syntax error at line 1"),
    ],
    ids=["syntax", "nul", "undecodable", "python2"],
)
def test_bad_python_is_a_finding_and_the_scan_goes_on(tmp_path, content, reason):
    files = {"bad.py": content, "good.py": GOOD}
    found = findings(tmp_path, files)
    bad = [f for f in found if f.code == "BGT900"]
    assert len(bad) == 1 and bad[0].location.file == "bad.py"
    assert reason in bad[0].message
    assert [f.code for f in found if f.location.file == "good.py"] == ["BGT021"]


def test_coding_cookie_and_bom_are_honoured(tmp_path):
    latin = "# -*- coding: latin-1 -*-\nimport asyncio\nNAME = 'caf\xe9'\n"
    latin += "async def w(): ...\ndef s():\n    asyncio.create_task(w())\n"
    files = {
        "latin.py": latin.encode("latin-1"),
        "bom.py": b"\xef\xbb\xbf" + GOOD.encode(),
        "crlf.py": GOOD.replace("\n", "\r\n").encode(),
    }
    recs = records(tmp_path, files)
    assert sorted(r["file"] for r in recs) == ["bom.py", "crlf.py", "latin.py"]


def test_cli_exit_codes(tmp_path):
    # Only files that can hold a job are parsed: this one names create_task.
    (tmp_path / "bad.py").write_text("asyncio.create_task(x)\ndef broken(:\n")
    (tmp_path / "ok.py").write_text("x = 1\n")
    run = [sys.executable, "-m", "check_background_tasks"]
    bad = subprocess.run([*run, "bad.py"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 1 and "BGT900" in bad.stdout
    ok = subprocess.run([*run, "ok.py"], cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and "All checks passed!" in ok.stdout
    missing = subprocess.run([*run, "nope"], cwd=tmp_path, capture_output=True, text=True)
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "nope" in missing.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.check-background-tasks]\nbogus = 1\n")
    config = subprocess.run([*run, "ok.py"], cwd=tmp_path, capture_output=True, text=True)
    assert config.returncode == 2 and "bogus" in config.stderr
    assert "Traceback" not in config.stderr
