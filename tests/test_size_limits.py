"""Which files are too big to parse: tokens bound the parse, bytes only what is read."""

from __future__ import annotations

import io
import json
import tokenize

from test_cli import run_cli

from check_background_tasks.extract import extract
from check_background_tasks.extract.size_limits import DEFAULT_MAX_FILE_TOKENS, too_many_tokens

JOB = (
    "from apscheduler.schedulers.background import BackgroundScheduler\n"
    "def cleanup(): ...\n"
    "scheduler = BackgroundScheduler()\n"
    'scheduler.add_job(cleanup, "interval", minutes=5, id="cleanup")\n'
)

# A hand-written module of the kind that reaches 500 KB: long docstrings and comments.
PROSE = '"""' + "Explains what this step does, and why, at length. " * 20 + '"""\n'
CRONJOB = (
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\n"
    'spec:\n  schedule: "0 3 * * *"\n'
    "  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: i}]}}}}\n"
)


def _check(root, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(root)
    return run_cli(["check", "svc", "--format", "json", "--no-cache"], capsys)


def _real_tokens(source: bytes) -> int:
    kinds = (tokenize.NAME, tokenize.NUMBER, tokenize.STRING, tokenize.OP)
    return sum(1 for t in tokenize.tokenize(io.BytesIO(source).readline) if t.type in kinds)


def test_limit_is_exact_at_the_real_token_count():
    source = b"x = [" + b"1, " * 500 + b"]\n"
    count = _real_tokens(source)
    assert not too_many_tokens("m.py", source, count)
    assert too_many_tokens("m.py", source, count - 1)


def test_strings_and_comments_count_as_the_parser_sees_them():
    """The rough count puts this docstring-heavy module far over; the tokenizer does not."""
    source = (JOB + PROSE * 50 + "# a comment of many words\n" * 200).encode()
    limit = _real_tokens(source)
    assert len(source.split()) > 10 * limit
    assert not too_many_tokens("m.py", source, limit)


def test_dense_python_is_reported_not_parsed():
    source = (JOB + "TABLE = [" + "1, " * 300 + "]\n").encode()
    facts = extract("gen.py", source, max_tokens=300)
    assert facts.jobs == []
    [problem] = facts.problems
    assert problem.severity == "info"
    assert "more than max-file-tokens (300) tokens" in problem.message


def test_a_large_hand_written_module_is_analysed_by_default():
    """agno's 535 KB workflow.py was skipped by a 512 KiB byte cap, and six dangling tasks
    with it; it holds 51,000 tokens."""
    source = (PROSE * 600 + JOB + PROSE * 600).encode()
    assert len(source) > 1024 * 1024
    facts = extract("app/workflow.py", source, module="app.workflow")
    assert facts.problems == []
    assert [job.name for job in facts.jobs] == ["cleanup"]
    assert _real_tokens(source) < DEFAULT_MAX_FILE_TOKENS


def test_yaml_over_the_token_limit_is_reported_and_json_data_is_not():
    manifests = (CRONJOB + "---\n") * 40
    facts = extract("k8s/cron.yaml", manifests.encode(), max_tokens=500)
    assert facts.jobs == [] and "max-file-tokens" in facts.problems[0].message
    assert len(extract("k8s/cron.yaml", manifests.encode()).jobs) == 40
    data = json.dumps([{"kind": "CronJob", "n": i} for i in range(200)]).encode()
    facts = extract("fixtures/data.json", data, max_tokens=500)
    assert (facts.jobs, facts.problems) == ([], [])


def test_max_file_tokens_from_config_reaches_the_extractor(tmp_path, capsys, monkeypatch):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "scheduler.py").write_text(JOB)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.check-background-tasks]\nmax-file-tokens = 20\nselect = ['BGT900']\n"
    )
    code, out, _ = _check(tmp_path, capsys, monkeypatch)
    [finding] = json.loads(out)
    assert (finding["file"], finding["severity"]) == ("svc/scheduler.py", "info")
    assert "max-file-tokens (20)" in finding["message"]
    assert code == 0  # an info finding does not fail the default fail-on


def test_max_file_tokens_must_be_a_positive_integer(tmp_path, capsys, monkeypatch):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "scheduler.py").write_text(JOB)
    (tmp_path / "pyproject.toml").write_text("[tool.check-background-tasks]\nmax-file-tokens = 0\n")
    code, _, err = _check(tmp_path, capsys, monkeypatch)
    assert code == 2
    assert "max-file-tokens" in err and err.count("\n") == 1


def test_changing_max_file_tokens_is_not_answered_from_the_cache(tmp_path):
    import subprocess
    import sys

    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "scheduler.py").write_text(JOB)
    config = tmp_path / "pyproject.toml"

    def codes() -> list[str]:
        args = [sys.executable, "-m", "check_background_tasks", "check", "svc"]
        result = subprocess.run(
            [*args, "--format", "json", "--select", "BGT900,BGT020"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        return sorted(f["code"] for f in json.loads(result.stdout))

    config.write_text("[tool.check-background-tasks]\nmax-file-tokens = 20\n")
    assert codes() == ["BGT900"]
    config.write_text("[tool.check-background-tasks]\nmax-file-tokens = 2000\n")
    assert codes() == ["BGT020"]


def test_default_limits_read_large_python_but_not_large_yaml(tmp_path):
    """Python up to 2 MiB is read; YAML and JSON past 512 KiB are fixtures and dumps unless
    `max-file-size` says otherwise."""
    import subprocess
    import sys

    padding = "# " + "x" * 78 + "\n"
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "scheduler.py").write_text(padding * 7000 + JOB)
    (tmp_path / "svc" / "cron.yaml").write_text(padding * 7000 + CRONJOB)
    for path in tmp_path.glob("svc/*"):
        assert 512 * 1024 < path.stat().st_size < 1024 * 1024

    def names() -> list[str]:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "check_background_tasks",
                "inventory",
                "svc",
                "--format",
                "json",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        return sorted(record["name"] for record in json.loads(result.stdout))

    assert names() == ["cleanup"]
    (tmp_path / "pyproject.toml").write_text(
        "[tool.check-background-tasks]\nmax-file-size = 1048576\n"
    )
    assert names() == ["cleanup", "nightly"]


def test_a_broken_file_is_reported_as_broken_not_as_too_large():
    """A comment-heavy file the rough count puts over the limit, with a syntax error: the
    error, not the size, is what the user must hear (and it fails the build)."""
    comments = "# " + "-" * 76 + "\n"
    source = (JOB + comments * 100 + "def broken(:\n").encode()
    facts = extract("app/jobs.py", source, max_tokens=2000)
    [problem] = facts.problems
    assert "syntax error" in problem.message and problem.severity != "info"
