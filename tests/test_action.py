"""The composite GitHub Action, step by step, in a temporary workspace.

The harness does what the runner does for a composite action: it evaluates the
`${{ inputs.* }}` / `${{ steps.*.outputs.* }}` expressions of each step's `env:` (the
only place our action uses them), gives each step fresh GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY files, runs `run:` with `bash --noprofile --norc -eo pipefail`, stops
at the first failing step, and evaluates the action's `outputs:`. Every step runs for real,
including the install step (which skips pip when the wanted version is already on PATH).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import SMALL_SERVICE

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Run:
    steps: list[tuple[str, subprocess.CompletedProcess[str]]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    failed: str | None = None  # id of the step that failed

    def log(self, step_id: str) -> str:
        return next(p.stdout + p.stderr for i, p in self.steps if i == step_id)


def parse_output_file(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` blocks."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            i += 1
            while lines[i] != delimiter:
                block.append(lines[i])
                i += 1
            out[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


def evaluate(text: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if m := re.fullmatch(r"inputs\.([\w-]+)", expr):
            return inputs[m.group(1)]
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
            return steps.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"expression the harness does not know: {expr}")

    return EXPRESSION.sub(one, text)


def run_action(workspace: Path, tmp: Path, **given: str) -> Run:
    declared = ACTION["inputs"]
    unknown = set(given) - {k.replace("-", "_") for k in declared}
    assert not unknown, unknown
    inputs = {
        name: given.get(name.replace("-", "_"), spec.get("default", ""))
        for name, spec in declared.items()
    }
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    result = Run()
    steps: dict[str, dict[str, str]] = {}
    summaries = []
    for index, step in enumerate(ACTION["runs"]["steps"]):
        step_id = step.get("id", f"step{index}")
        output_file = tmp / f"output-{step_id}"
        summary_file = tmp / f"summary-{step_id}"
        output_file.write_text("")
        summary_file.write_text("")
        env = {
            **os.environ,
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            "RUNNER_TEMP": str(runner_temp),
        }
        env.pop("CHECK_BACKGROUND_TASKS_CACHE_DIR", None)
        for key, value in (step.get("env") or {}).items():
            env[key] = evaluate(str(value), inputs, steps)
        script = tmp / f"script-{step_id}.sh"
        script.write_text(step["run"])
        assert step["shell"] == "bash"
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        result.steps.append((step_id, proc))
        steps[step_id] = parse_output_file(output_file)
        summaries.append(summary_file.read_text())
        if proc.returncode != 0:
            result.failed = step_id
            break
    result.summary = "".join(summaries)
    result.outputs = {
        name: evaluate(spec["value"], inputs, steps) for name, spec in ACTION["outputs"].items()
    }
    return result


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    # deployed by an image the model cannot tie to the scheduler: BGT020 stays a warning
    deployed = {**SMALL_SERVICE, "svc/Dockerfile": 'FROM python:3.12-slim\nCMD ["serve"]\n'}
    for rel, text in deployed.items():
        path = ws / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    git(ws, "init", "-q")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "base")
    git(ws, "tag", "base")
    scheduler = ws / "svc/scheduler.py"
    scheduler.write_text(scheduler.read_text().replace("hour=3", "hour=4"))
    git(ws, "commit", "-qam", "reschedule refresh")
    return ws


# --- static checks of action.yml --------------------------------------------------------


def test_no_expression_inside_any_run():
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], step.get("id")


def test_inputs_reach_scripts_only_through_env():
    used = set()
    for step in ACTION["runs"]["steps"]:
        for key, value in (step.get("env") or {}).items():
            for expr in EXPRESSION.findall(str(value)):
                assert re.fullmatch(r"(inputs|steps\.[\w-]+\.outputs)\.[\w-]+", expr), expr
                if expr.startswith("inputs."):
                    used.add(expr.split(".", 1)[1])
                    assert key.startswith("INPUT_"), key
        assert set(step) <= {"id", "name", "shell", "env", "run"}, step.get("id")
    assert used == set(ACTION["inputs"]), "every input is used, and only through env"


def test_interface():
    assert set(ACTION["inputs"]) == {
        "paths",
        "format",
        "sarif-file",
        "inventory-file",
        "baseline",
        "fail-on",
        "version",
        "diff-base",
    }
    assert ACTION["inputs"]["format"]["default"] == "github"
    assert ACTION["inputs"]["version"]["default"] == ""
    assert set(ACTION["outputs"]) == {"findings", "sarif-file", "inventory-file"}
    assert ACTION["runs"]["using"] == "composite"


# --- running it ---------------------------------------------------------------------------


def test_full_run_with_sarif_inventory_summary_and_diff(workspace, tmp_path):
    result = run_action(
        workspace,
        tmp_path,
        sarif_file="results/bgt.sarif",
        inventory_file="background_tasks_inventory.csv",
        diff_base="base",
    )
    assert [step_id for step_id, _ in result.steps] == [
        "install",
        "check",
        "inventory",
        "diff",
        "verdict",
    ]
    assert "skipping install" in result.log("install")
    # The action fails at the end, after writing every artifact: there is a finding.
    assert result.failed == "verdict"
    assert result.outputs == {
        "findings": "1",
        "sarif-file": "results/bgt.sarif",
        "inventory-file": "background_tasks_inventory.csv",
    }
    annotations = [line for line in result.log("check").splitlines() if line.startswith("::")]
    assert annotations == [annotations[0]] and annotations[0].startswith(
        "::warning file=svc/scheduler.py,line=5,col=1,title=BGT020::"
    )
    sarif = json.loads((workspace / "results/bgt.sarif").read_text())
    jsonschema.Draft7Validator(SCHEMA).validate(sarif)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["BGT020"]
    csv_lines = (workspace / "background_tasks_inventory.csv").read_text().splitlines()
    assert csv_lines[0].startswith("kind,name,target,schedule,cron") and len(csv_lines) == 3
    summary = result.summary
    assert "### check-background-tasks: 1 finding (1 warning)" in summary
    assert "| Severity | Code | Location | Message |" in summary
    assert "| :warning: warning | BGT020 | svc/scheduler.py:5:1 |" in summary
    assert "### Background jobs (2)" in summary
    assert "| Kind | Name | Target | Schedule | Locked | Where |" in summary
    assert "| apscheduler | cleanup | svc.jobs.cleanup |" in summary
    assert "## Background jobs in this change" in summary
    assert "| rescheduled | apscheduler | refresh |" in summary


def test_baseline_passes_and_counts_only_new(workspace, tmp_path):
    subprocess.run(
        ["check-background-tasks", "--write-baseline", "bgt-baseline.json"],
        cwd=workspace,
        check=True,
        capture_output=True,
    )
    result = run_action(workspace, tmp_path, baseline="bgt-baseline.json", format="text")
    assert result.failed is None, result.steps[-1][1].stdout + result.steps[-1][1].stderr
    assert result.outputs["findings"] == "0"
    assert result.outputs["sarif-file"] == "" and result.outputs["inventory-file"] == ""
    assert "All checks passed!" in result.log("check")
    assert "### New findings: no findings" in result.summary


def test_fail_on_error_lets_warnings_pass(workspace, tmp_path):
    result = run_action(workspace, tmp_path, fail_on="error", paths="svc")
    assert result.failed is None
    assert result.outputs["findings"] == "1"


def test_hostile_inputs_are_never_executed(workspace, tmp_path):
    result = run_action(
        workspace,
        tmp_path,
        paths='svc $(touch pwned1) `touch pwned2` ";touch pwned3"',
        fail_on="error",
    )
    assert result.failed == "check"  # those are paths that do not exist: a usage error
    assert "no such file or directory" in result.log("check")
    assert not list(workspace.glob("pwned*")) and not list(Path.cwd().glob("pwned*"))
    result = run_action(workspace, tmp_path, version="1.0; touch pwned4")
    assert result.failed == "install"
    assert not list(workspace.glob("pwned*"))


def test_config_error_fails_the_check_step(workspace, tmp_path):
    (workspace / "pyproject.toml").write_text("[tool.check-background-tasks]\nbogus = 1\n")
    result = run_action(workspace, tmp_path)
    assert result.failed == "check"
    assert "unknown configuration key 'bogus'" in result.log("check")


def test_install_step_installs_into_a_venv_when_missing(tmp_path):
    """The real install path: no check-background-tasks on PATH, pip from the action path."""
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    step = ACTION["runs"]["steps"][0]
    output = tmp_path / "output"
    output.write_text("")
    (tmp_path / "runner").mkdir()
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "INPUT_VERSION": "",
    }
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if key in os.environ:
            env[key] = os.environ[key]
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = parse_output_file(output)["bin"]
    assert installed == str(
        tmp_path / "runner/check-background-tasks-venv/bin/check-background-tasks"
    )
    version = subprocess.run([installed, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("check-background-tasks, version ")
