"""Both pre-commit hooks, run by the real `pre-commit try-repo` on throwaway repositories.

The hook repository is a committed copy of this checkout's working tree (so uncommitted
work is tested too, in a fresh CI clone as on a laptop). pre-commit installs the tool
into its own virtualenv with pip; PRE_COMMIT_HOME is shared by the whole module so that
happens once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import SMALL_SERVICE

# Deployed by a command the process model cannot read: how many processes run the
# scheduler is unknown and its unlocked job is a warning (with no deployment description
# at all, BGT020 would be info and the hook would pass).
SERVICE = {**SMALL_SERVICE, "svc/Dockerfile": 'FROM python:3.12-slim\nCMD ["serve-the-app"]\n'}

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_PATHS = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    ".pre-commit-hooks.yaml",
    "src/",
    "rules/",
)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's working tree (tracked + untracked, not ignored), committed."""
    repo = tmp_path_factory.mktemp("hook-repo")
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in listed:
        if not rel or not rel.startswith(PACKAGE_PATHS) or not (ROOT / rel).is_file():
            continue
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hooks under test")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _env(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PRE_COMMIT_COLOR": "never",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("CHECK_BACKGROUND_TASKS_CACHE_DIR", None)
    return env


def _pre_commit(args: list[str], cwd: Path, home: Path) -> subprocess.Popen[str]:
    exe = shutil.which("pre-commit")
    command = [exe] if exe else [sys.executable, "-m", "pre_commit"]
    return subprocess.Popen(
        [*command, *args],
        cwd=cwd,
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = proc.communicate(timeout=900)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def project(root: Path, files: dict[str, str], hook_repo: Path | None = None) -> Path:
    root.mkdir(parents=True)
    write(root, files)
    if hook_repo is not None:
        rev = git(hook_repo, "rev-parse", "HEAD").strip()
        (root / ".pre-commit-config.yaml").write_text(
            f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
            "      - id: check-background-tasks\n      - id: background-tasks-inventory\n"
        )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "project")
    return root


INVENTORY = "background_tasks_inventory.csv"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, hook_repo: Path, pre_commit_home: Path):
    """Start the slow parts at once: each `try-repo` installs the hook into a fresh store
    of its own (it ignores PRE_COMMIT_HOME), and `install-hooks` fills the shared store
    that the `pre-commit run` tests below use."""
    base = tmp_path_factory.mktemp("projects")
    check_project = project(base / "check", SERVICE)
    inventory_project = project(base / "inventory", {**SERVICE, INVENTORY: "kind,name\n"})
    installer = project(base / "installer", {"x.py": ""}, hook_repo)
    procs = {
        "check": _pre_commit(
            ["try-repo", str(hook_repo), "check-background-tasks", "--all-files", "--verbose"],
            check_project,
            pre_commit_home,
        ),
        "inventory": _pre_commit(
            ["try-repo", str(hook_repo), "background-tasks-inventory", "--all-files", "--verbose"],
            inventory_project,
            pre_commit_home,
        ),
        "install": _pre_commit(["install-hooks"], installer, pre_commit_home),
    }
    return {name: _finish(proc) for name, proc in procs.items()}


def run_hook(project: Path, home: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit run` from the project's config; the env is cached in PRE_COMMIT_HOME."""
    selection = ["--files", *files] if files else ["--all-files"]
    return _finish(_pre_commit(["run", hook, "--verbose", *selection], project, home))


def test_try_repo_check_hook(runs):
    result = runs["check"]
    assert result.returncode == 1, result.stdout + result.stderr
    assert "svc/scheduler.py:5:1: BGT020" in result.stdout
    assert "Failed" in result.stdout


def test_try_repo_inventory_hook(runs):
    result = runs["inventory"]
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"--- {INVENTORY} (committed)" in result.stdout
    assert "+apscheduler,cleanup,svc.jobs.cleanup," in result.stdout
    assert f"regenerate it with: check-background-tasks inventory --format csv -o {INVENTORY}" in (
        result.stdout
    )


def test_check_hook_judges_the_whole_repository(tmp_path, runs, hook_repo, pre_commit_home):
    """Given only jobs.py, the hook still reads scheduler.py, where the job is declared."""
    assert runs["install"].returncode == 0, runs["install"].stdout + runs["install"].stderr
    root = project(tmp_path / "p", SERVICE, hook_repo)
    result = run_hook(root, pre_commit_home, "check-background-tasks", "svc/jobs.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "svc/scheduler.py:5:1: BGT020" in result.stdout
    (root / "notes.txt").write_text("docs\n")
    git(root, "add", "notes.txt")
    result = run_hook(root, pre_commit_home, "check-background-tasks", "notes.txt")
    assert result.returncode == 0
    assert "(no files to check)Skipped" in result.stdout
    jobs = root / "svc/jobs.py"
    jobs.write_text(jobs.read_text().replace("def cleanup():", "@single_instance\ndef cleanup():"))
    git(root, "commit", "-qam", "lock it")
    result = run_hook(root, pre_commit_home, "check-background-tasks")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_inventory_hook_lifecycle(tmp_path, runs, hook_repo, pre_commit_home):
    assert runs["install"].returncode == 0
    root = project(tmp_path / "p", SERVICE, hook_repo)
    result = run_hook(root, pre_commit_home, "background-tasks-inventory")
    assert result.returncode == 1
    assert f"{INVENTORY} does not exist" in result.stdout
    subprocess.run(["check-background-tasks", "inventory", "-o", INVENTORY], cwd=root, check=True)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "inventory")
    result = run_hook(root, pre_commit_home, "background-tasks-inventory")
    assert result.returncode == 0, result.stdout + result.stderr
    scheduler = root / "svc/scheduler.py"
    scheduler.write_text(scheduler.read_text().replace("minutes=5", "minutes=10"))
    git(root, "commit", "-qam", "reschedule")
    result = run_hook(root, pre_commit_home, "background-tasks-inventory", "svc/scheduler.py")
    assert result.returncode == 1
    assert '-apscheduler,cleanup,svc.jobs.cleanup,"""interval"", minutes=5"' in result.stdout
    assert '+apscheduler,cleanup,svc.jobs.cleanup,"""interval"", minutes=10"' in result.stdout
