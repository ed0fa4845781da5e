"""`diff BASE [HEAD]`: background work a change adds, removes or alters, read with git."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from test_cli import run_cli

BASE = {
    "svc/__init__.py": "",
    "svc/jobs.py": """
        from redis import Redis
        r = Redis()

        def cleanup():
            return 0

        def refresh():
            with r.lock("refresh"):
                return 1

        def report():
            with r.lock("report"):
                return 2

        def old():
            return 3
        """,
    "svc/scheduler.py": """
        from apscheduler.schedulers.background import BackgroundScheduler
        from svc.jobs import cleanup, old, refresh, report

        scheduler = BackgroundScheduler()
        scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
        scheduler.add_job(refresh, "cron", hour=3, id="refresh")
        scheduler.add_job(report, "cron", hour=6, id="report")
        scheduler.add_job(old, "cron", hour=1, id="old")
        """,
}

HEAD = {
    "svc/jobs.py": """
        from redis import Redis
        r = Redis()

        def cleanup():
            with r.lock("cleanup"):
                return 0

        def refresh():
            with r.lock("refresh"):
                return 1

        def report():
            return 2

        def fresh():
            return 4
        """,
    "svc/scheduler.py": """
        from apscheduler.schedulers.background import BackgroundScheduler
        from svc.jobs import cleanup, fresh, refresh, report

        # moved down by a comment: not a change
        scheduler = BackgroundScheduler()
        scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
        scheduler.add_job(refresh, "cron", hour=4, id="refresh")
        scheduler.add_job(report, "cron", hour=6, id="report")
        scheduler.add_job(fresh, "cron", hour=2, id="fresh")
        """,
}


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def put(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    put(tmp_path, BASE)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "tag", "base")
    put(tmp_path, HEAD)
    git(tmp_path, "commit", "-qam", "head")
    return tmp_path


def test_json_diff(repo, capsys):
    code, out, err = run_cli(["diff", "base", "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["base"]["rev"] == "base" and data["head"]["rev"] == "HEAD"
    assert len(data["head"]["sha"]) == 40
    assert [j["name"] for j in data["added"]] == ["fresh"]
    assert [j["name"] for j in data["removed"]] == ["old"]
    assert [(c["before"]["cron"], c["after"]["cron"]) for c in data["rescheduled"]] == [
        ("0 3 * * *", "0 4 * * *")
    ]
    assert [c["after"]["name"] for c in data["lock_added"]] == ["cleanup"]
    assert [c["after"]["name"] for c in data["lock_lost"]] == ["report"]
    new = {(f["code"], f["message"].split("'")[1]) for f in data["new_findings"]}
    assert ("BGT020", "report") in new and ("BGT020", "fresh") in new
    assert all(f["file"] == "svc/scheduler.py" for f in data["new_findings"])
    assert data["fixed_findings"] >= 2  # cleanup got a lock, old is gone


def test_markdown_is_ready_for_a_pr_comment(repo, capsys):
    code, out, _ = run_cli(["diff", "base", "HEAD", "--format", "markdown"], capsys)
    assert code == 0
    assert out.startswith("## Background jobs in this change\n")
    assert "### Added (1)" in out and "### Removed (1)" in out and "### Changed (3)" in out
    assert "| rescheduled | apscheduler | refresh |" in out
    assert "0 3 \\* \\* \\* → 0 4 \\* \\* \\*" in out
    assert ":warning: **lock lost**" in out
    assert "### New findings:" in out


def test_text(repo, capsys):
    code, out, _ = run_cli(["diff", "base"], capsys)
    assert code == 0
    first = out.splitlines()[0]
    assert first.endswith(
        "1 added, 1 removed, 1 rescheduled, 1 lock added, 1 lock lost, 2 new findings"
    )
    assert any(line.startswith("+ apscheduler 'fresh'") for line in out.splitlines())
    assert any(line.startswith("! lock lost apscheduler 'report'") for line in out.splitlines())


def test_no_changes(repo, capsys):
    code, out, _ = run_cli(["diff", "HEAD", "HEAD", "--format", "markdown"], capsys)
    assert code == 0
    assert "No background job was added, removed, rescheduled or changed its lock." in out


def test_working_tree_and_index_are_never_touched(repo, capsys):
    (repo / "svc/scheduler.py").write_text("# uncommitted edit\n")
    (repo / "svc/new.py").write_text("x = 1\n")
    git(repo, "add", "svc/new.py")
    (repo / "untracked.py").write_text("y = 2\n")
    status = git(repo, "status", "--porcelain")
    index = (repo / ".git/index").read_bytes()
    head = git(repo, "rev-parse", "HEAD")
    code, out, _ = run_cli(["diff", "base", "--format", "json"], capsys)
    assert code == 0
    # HEAD means the last commit: the uncommitted edit does not hide the jobs.
    assert [j["name"] for j in json.loads(out)["added"]] == ["fresh"]
    assert git(repo, "status", "--porcelain") == status
    assert (repo / ".git/index").read_bytes() == index
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / "svc/scheduler.py").read_text() == "# uncommitted edit\n"
    assert git(repo, "stash", "list") == ""


def test_from_a_subdirectory_paths_are_relative_to_it(repo, capsys, monkeypatch):
    monkeypatch.chdir(repo / "svc")
    code, out, _ = run_cli(["diff", "base", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["added"][0]["file"] == "scheduler.py"


def test_a_revision_without_the_directory(repo, capsys, monkeypatch):
    put(
        repo,
        {"later/__init__.py": "", "later/s.py": BASE["svc/scheduler.py"].replace("svc", "later")},
    )
    put(repo, {"later/jobs.py": BASE["svc/jobs.py"]})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "later")
    monkeypatch.chdir(repo / "later")
    code, out, _ = run_cli(["diff", "base", "--format", "json"], capsys)
    assert code == 0
    assert len(json.loads(out)["added"]) == 4


def test_unknown_revision_is_exit_2(repo, capsys):
    code, out, err = run_cli(["diff", "no-such-branch"], capsys)
    assert (code, out) == (2, "")
    assert err.strip() == "error: unknown revision: no-such-branch"
    code, _, err = run_cli(["diff", "--", "--upload-pack=x"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_outside_git_is_exit_2(tmp_path, capsys):
    code, _, err = run_cli(["diff", "HEAD~1"], capsys)
    assert code == 2
    assert err.startswith("error: not a git repository")


def test_temporary_directory_inside_the_repository(repo, capsys, monkeypatch):
    """TMPDIR inside a checkout (and git-ignored there) must not hide the exported files."""
    import tempfile

    (repo / ".gitignore").write_text(".tmp/\n")
    (repo / ".tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(repo / ".tmp"))
    code, out, _ = run_cli(["diff", "base", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["base"]["jobs"] == 4 and data["head"]["jobs"] == 4
    assert [j["name"] for j in data["added"]] == ["fresh"]
