"""Issue 5's contract on hostile trees: the scan goes on, nothing runs, nothing is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from check_background_tasks.engine import COLD_POOL_FILES

CLI = [sys.executable, "-m", "check_background_tasks"]
KEYWORD = "import asyncio\nasyncio.create_task(work())\n"

GOOD_PY = """
from apscheduler.schedulers.background import BackgroundScheduler
def cleanup(): ...
scheduler = BackgroundScheduler()
scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")
"""

GOOD_YAML = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: good}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, image: i, command: [python, -m, app.cleanup]}]
"""

# The comment gets it past the prefilter; the anchors would expand to 9**10 items.
BILLION_LAUGHS = (
    "# CronJob\nkind: ConfigMap\n"
    + "\n".join(
        [
            'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
            *[f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)],
        ]
    )
    + "\n"
)

MARKER = "/tmp/check-background-tasks-must-not-exist"

HOSTILE: dict[str, bytes] = {
    "bad/syntax.py": (KEYWORD + "def broken(:\n").encode(),
    "bad/nul.py": KEYWORD.encode() + b"\x00\x00",
    "bad/undecodable.py": b"# coding: utf-8\n" + KEYWORD.encode() + b"x = '\xff\xfe\xfa'\n",
    "bad/python2.py": (KEYWORD + "print 'hello'\n").encode(),
    "bad/deep.py": (KEYWORD + "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n").encode(),
    "bad/chain.py": (KEYWORD + "x = 1" + " + 1" * 20000 + "\n").encode(),
    "bad/huge_line.py": (KEYWORD + "x = '" + "a" * 3_000_000 + "'\n").encode(),
    # 400 KB, yet 200,000 tokens: its parse alone would pass the memory bound
    "bad/dense.py": (KEYWORD + "x = [" + "1," * 100_000 + "]\n").encode(),
    "bad/broken.yaml": b"kind: CronJob\nspec: [unclosed\n",
    "bad/laughs.yaml": BILLION_LAUGHS.encode(),
    "bad/python_tag.yaml": (
        "kind: CronJob\nx: !!python/object/apply:os.system ['touch " + MARKER + "']\n"
    ).encode(),
    "ok/empty.py": b"",
    "ok/crlf_tabs_ff.py": (GOOD_PY.replace("\n", "\r\n") + "\f\ndef f():\n\treturn 1\n").encode(),
    "ok/latin1.yaml": "# caf\xe9\n".encode("latin-1") + GOOD_YAML.replace("good", "latin").encode(),
    "good/jobs.py": GOOD_PY.encode(),
    "good/cron.yaml": GOOD_YAML.encode(),
}


def _build(root: Path) -> Path:
    for rel, content in HOSTILE.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (root / "weird.py").mkdir()
    os.symlink(root / "nowhere.py", root / "dangling.py")
    os.symlink(root / "loop1.py", root / "loop2.py")
    os.symlink(root / "loop2.py", root / "loop1.py")
    os.symlink("/etc", root / "etc_link")
    return root


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_hostile_tree_is_reported_file_by_file_and_good_files_are_read(tmp_path):
    root = _build(tmp_path / "repo")
    result = _run(["check", ".", "--format", "json", "--select", "BGT900"], root)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    reported = {f["file"]: f["message"] for f in json.loads(result.stdout)}
    expected_reasons = {
        "bad/syntax.py": "syntax error at line 3",
        "bad/nul.py": "NUL bytes",
        "bad/undecodable.py": "decode",
        "bad/python2.py": "syntax error at line 3",
        "bad/deep.py": "too deeply nested",
        "bad/chain.py": "too deeply nested",
        "bad/huge_line.py": "max-file-size",
        "bad/dense.py": "max-file-tokens",
        "bad/broken.yaml": "YAML error at line",
        "bad/python_tag.yaml": "unsafe tag",
    }
    assert set(reported) == set(expected_reasons)
    for path, reason in expected_reasons.items():
        assert reason in reported[path], (path, reported[path])
    assert not Path(MARKER).exists(), "a YAML tag was executed"

    inventory = _run(["inventory", ".", "--format", "json"], root)
    assert inventory.returncode == 0, inventory.stderr
    names = sorted((r["file"], r["name"]) for r in json.loads(inventory.stdout))
    assert names == [
        ("good/cron.yaml", "good"),
        ("good/jobs.py", "cleanup"),
        ("ok/crlf_tabs_ff.py", "cleanup"),
        ("ok/latin1.yaml", "latin"),
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file: no permission error")
def test_permission_denied_is_a_finding(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    locked = root / "locked.py"
    locked.write_text(KEYWORD)
    locked.chmod(0)
    result = _run(["check", ".", "--format", "json"], root)
    assert result.returncode == 1
    assert any(f["file"] == "locked.py" for f in json.loads(result.stdout))


def test_sigterm_keeps_the_previous_output_file(tmp_path):
    root = tmp_path / "repo"
    for i in range(5):
        path = root / f"m{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(GOOD_PY)
    out = tmp_path / "inventory.csv"
    out.write_text("previous content\n")
    marker = tmp_path / "paused"
    env = {**os.environ, "CHECK_BACKGROUND_TASKS_TEST_HOOK": f"pause:m3.py:{marker}"}
    proc = subprocess.Popen(
        [*CLI, "inventory", ".", "-o", str(out), "--jobs", "1", "--no-cache"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):  # the scan pauses at m3.py, mid-way: then the signal lands
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    assert marker.exists(), "the scan never reached m3.py"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert stderr.strip().count("\n") == 0 and "Traceback" not in stderr
    assert out.read_text() == "previous content\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".inventory")] == []


def test_a_worker_that_dies_is_reported_and_the_scan_completes(tmp_path):
    root = tmp_path / "repo"
    for i in range(60):  # enough candidates for the process pool
        path = root / f"m{i:02d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(GOOD_PY.replace('id="cleanup"', f'id="job{i}"'))
    env = {**os.environ, "CHECK_BACKGROUND_TASKS_TEST_HOOK": "abort:m17.py"}
    result = subprocess.run(
        [*CLI, "check", ".", "--format", "json", "--jobs", "2", "--no-cache", "--select", "ALL"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    died = [f for f in found if f["code"] == "BGT900"]
    assert [(f["file"], "process died" in f["message"]) for f in died] == [("m17.py", True)]
    jobs = {f["file"] for f in found if f["code"] == "BGT020"}
    assert jobs == {f"m{i:02d}.py" for i in range(60)} - {"m17.py"}


# The CLI where workers are spawned, as on macOS and Windows.
SPAWNING_CLI = [
    sys.executable,
    "-c",
    "import multiprocessing; multiprocessing.set_start_method('spawn'); "
    "from check_background_tasks.cli import console_main; console_main()",
]


@pytest.mark.parametrize(
    ("plain_files", "cli", "in_pool"),
    [(COLD_POOL_FILES, CLI, True), (20, CLI, False), (COLD_POOL_FILES, SPAWNING_CLI, False)],
)
def test_a_cold_run_over_many_files_parses_in_the_pool_from_its_first_candidate(
    tmp_path, plain_files, cli, in_pool
):
    """A cold run of a large tree starts the pool at once, so even its only candidate is
    parsed by a worker: the parser's crash there is a finding, not the end of the run. A
    small tree keeps a lone candidate in-process, where no pool is worth starting, and so
    does any tree where a worker is spawned: it imports everything again."""
    root = tmp_path / "repo"
    root.mkdir()
    for i in range(plain_files):
        (root / f"plain{i:03d}.py").write_text("VALUE = 1\n")
    (root / "jobs.py").write_text(GOOD_PY)
    env = {**os.environ, "CHECK_BACKGROUND_TASKS_TEST_HOOK": "abort:jobs.py"}
    result = subprocess.run(
        [*cli, "check", ".", "--format", "json", "--jobs", "2", "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if not in_pool:
        assert result.returncode == -signal.SIGABRT
        return
    assert result.returncode == 1, result.stderr
    died = [f["file"] for f in json.loads(result.stdout) if "process died" in f["message"]]
    assert died == ["jobs.py"]


def test_a_warm_run_parses_one_changed_file_in_process(tmp_path):
    """Only a cold run starts the pool early: a warm run of a large tree with one file
    changed parses it in-process, as a pool for one file costs more than the file."""
    root = tmp_path / "repo"
    root.mkdir()
    for i in range(COLD_POOL_FILES):
        (root / f"plain{i:03d}.py").write_text("VALUE = 1\n")
    (root / "jobs.py").write_text(GOOD_PY)
    run = [*CLI, "check", ".", "--format", "json", "--jobs", "2", "--exit-zero"]
    subprocess.run(run, cwd=root, capture_output=True, check=True, timeout=300)
    (root / "jobs.py").write_text(GOOD_PY + "\n# edited\n")
    env = {**os.environ, "CHECK_BACKGROUND_TASKS_TEST_HOOK": "abort:jobs.py"}
    result = subprocess.run(run, cwd=root, env=env, capture_output=True, timeout=300)
    assert result.returncode == -signal.SIGABRT


def test_a_worker_that_dies_while_files_are_still_being_read(tmp_path, monkeypatch):
    """The pool starts on the first candidates while the parent still reads the rest: a
    worker dying before the last file is even planned must lose no file and keep order."""
    from check_background_tasks.engine import POOL_THRESHOLD, Task, extract_all

    count = POOL_THRESHOLD + 30
    tasks = [
        Task(f"/nonexistent/m{i:03d}.py", f"m{i:03d}.py", f"m{i:03d}", False, GOOD_PY.encode())
        for i in range(count)
    ]

    def planned():
        for index, task in enumerate(tasks):
            if index == POOL_THRESHOLD + 1:
                time.sleep(1.0)  # m000's worker aborts meanwhile
            yield task

    monkeypatch.setenv("CHECK_BACKGROUND_TASKS_TEST_HOOK", "abort:m000.py")
    facts = extract_all(planned(), jobs=2)
    assert [ff.path for ff in facts] == [t.display for t in tasks]
    died = [ff.path for ff in facts if any("process died" in p.message for p in ff.problems)]
    assert died == ["m000.py"]
    assert all(ff.jobs for ff in facts[1:])


def test_a_forked_worker_leaves_at_once_on_sigterm():
    """The pool sends SIGTERM to its other workers when one dies. A worker that unwound
    through the CLI's SystemExit could hang in multiprocessing's locks (3 runs in 12 hung
    before); it must leave at once with the signal's status, while the parent unwinds."""
    from check_background_tasks import cli

    child = os.fork()
    if child == 0:  # the worker's side: the handler must never return or raise
        try:
            cli._terminated(signal.SIGTERM, None)
        except BaseException:
            os._exit(99)
        os._exit(98)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGTERM
    with pytest.raises(SystemExit) as parent:
        cli._terminated(signal.SIGTERM, None)
    assert parent.value.code == 128 + signal.SIGTERM
