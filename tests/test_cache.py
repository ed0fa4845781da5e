"""The facts cache: same answers with and without it, never trusted when wrong."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import SERVICE, run_cli, write

from check_background_tasks import cache as cache_module
from check_background_tasks import engine
from check_background_tasks.cache import Cache
from check_background_tasks.config import Config

OLD = 1_600_000_000  # a timestamp far outside the racy-clean window


@pytest.fixture(autouse=True)
def _stable_tool_fingerprint(monkeypatch):
    """The key covers our own source files' mtimes; pin it while a test runs in-process."""
    fixed = cache_module._tool_fingerprint()
    monkeypatch.setattr(cache_module, "_tool_fingerprint", lambda: fixed)


def generated_tree(root: Path, modules: int = 60) -> None:
    """A service big enough for the process pool: jobs in one file, targets in another."""
    files = {"gen/__init__.py": "", "gen/jobs/__init__.py": ""}
    for i in range(modules):
        files[f"gen/jobs/job{i}.py"] = f"from redis import Redis\n\ndef run{i}():\n" + (
            f"    with Redis().lock('job{i}'):\n        return {i}\n"
            if i % 3 == 0
            else "    return 0\n"
        )
        files[f"gen/sched{i}.py"] = (
            "import asyncio\n"
            "from apscheduler.schedulers.asyncio import AsyncIOScheduler\n"
            f"from gen.jobs.job{i} import run{i}\n\n"
            "scheduler = AsyncIOScheduler()\n"
            f"scheduler.add_job(run{i}, 'cron', minute={i % 60}, id='job-{i % 45}')\n\n"
            "async def start():\n"
            f"    asyncio.create_task(poll{i}())\n\n"
            f"async def poll{i}():\n    return None\n"
        )
        files[f"gen/plain{i}.py"] = f"VALUE = {i}\n"
    files["deploy/cron.yaml"] = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: job-1\nspec:\n"
        "  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        "          containers:\n            - name: c\n              image: x\n"
        "              command: [python, -m, gen.jobs.job1]\n"
    )
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def json_of(args: list[str], capsys) -> str:
    code, out, err = run_cli([*args, "--select", "ALL", "--format", "json"], capsys)
    assert code in (0, 1), err
    return out


def test_same_json_with_and_without_cache_and_any_worker_count(tmp_path, capsys):
    generated_tree(tmp_path)
    reference = json_of(["gen", "deploy", "--no-cache", "--jobs", "1"], capsys)
    assert reference.count('"code"') > 60
    assert json_of(["gen", "deploy", "--no-cache", "--jobs", "4"], capsys) == reference
    assert json_of(["gen", "deploy", "--jobs", "4"], capsys) == reference  # cold cache
    assert json_of(["gen", "deploy", "--jobs", "1"], capsys) == reference  # warm cache
    for path in tmp_path.rglob("*.py"):  # old enough for the mtime+size fast path
        os.utime(path, (OLD, OLD))
    assert json_of(["gen", "deploy", "--jobs", "4"], capsys) == reference  # re-arms stats
    assert json_of(["gen", "deploy", "--jobs", "1"], capsys) == reference  # fast path
    inventory = run_cli(["inventory", "gen", "deploy", "--format", "csv", "--no-cache"], capsys)
    assert run_cli(["inventory", "gen", "deploy", "--format", "csv"], capsys) == inventory


def test_cache_follows_edits(tmp_path, capsys):
    write(tmp_path, SERVICE)
    assert "BGT020" in json_of(["svc"], capsys)
    jobs = tmp_path / "svc/jobs.py"
    jobs.write_text(jobs.read_text().replace("def cleanup():", "@single_instance\ndef cleanup():"))
    assert "BGT020" not in json_of(["svc"], capsys)


def probe_runs(root: Path, args: list[str], probe: str, runs: int = 1) -> list[str]:
    """What `probe` (an expression) printed after each run of main(args), every run in a
    fresh interpreter so that sys.modules shows what that run imported."""
    script = (
        "import sys\n"
        "from check_background_tasks.cli import main\n"
        f"try:\n    main({args!r})\n"
        "except SystemExit:\n    pass\n"
        f"print({probe})\n"
    )
    outputs = []
    for _ in range(runs):
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, cwd=root
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout.strip())
    return outputs


def test_fully_cached_run_never_loads_the_extractors(tmp_path):
    write(tmp_path, SERVICE)
    probe = "'check_background_tasks.extract.python' in sys.modules, 'libcst' in sys.modules"
    runs = probe_runs(tmp_path, ["svc", "--format", "json", "-o", "out.json"], probe, runs=2)
    # libcst is only for files CPython's parser refuses: neither run needs it here.
    assert runs == ["True False", "False False"]


def test_cached_text_run_loads_only_what_it_uses(tmp_path):
    """A pre-commit run is mostly imports: a cached run with text output loads no
    extractor module (the Kubernetes rules once pulled in the YAML helpers), nor the
    baseline's code when no baseline is asked for."""
    write(tmp_path, SERVICE)
    probe = (
        "sorted(m for m in sys.modules"
        " if m.startswith(('check_background_tasks.extract', 'check_background_tasks.baseline')))"
    )
    runs = probe_runs(tmp_path, ["svc", "-o", "out.txt"], probe, runs=2)
    assert runs[1] == "[]"
    assert "BGT020" in (tmp_path / "out.txt").read_text()


def test_yaml_that_holds_no_manifest_never_loads_pyyaml(tmp_path):
    """CI workflows and OpenAPI documents are in most trees: deciding that they hold no
    CronJob, workload or scaler is a byte test, without PyYAML or the Kubernetes reader."""
    write(tmp_path, SERVICE)
    (tmp_path / "svc/openapi.yaml").write_text("openapi: 3.0.0\ninfo:\n  title: svc\n")
    (tmp_path / "svc/ci.yml").write_text("on: push\njobs:\n  test:\n    runs-on: ubuntu\n")
    probe = "'yaml' in sys.modules, 'check_background_tasks.extract.kubernetes' in sys.modules"
    args = ["svc", "--no-cache", "--jobs", "1", "-o", "out.txt"]
    assert probe_runs(tmp_path, args, probe) == ["False False"]
    assert "BGT020" in (tmp_path / "out.txt").read_text()


def index_file(tmp_path: Path) -> Path:
    (found,) = (tmp_path / ".check_background_tasks_cache").glob(
        f"facts-{cache_module.INTERPRETER}-*.pickle"
    )
    return found


def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path, capsys):
    write(tmp_path, SERVICE)
    reference = json_of(["svc", "--no-cache"], capsys)
    json_of(["svc"], capsys)
    index = index_file(tmp_path)
    for garbage in (b"", b"\x80\x04garbage", index.read_bytes()[:40], pickle.dumps({"format": 1})):
        index.write_bytes(garbage)
        assert json_of(["svc"], capsys) == reference
        assert Cache(index.parent, Config().fingerprint()).entries, "rebuilt"


class Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_planted_pickle_is_never_executed(tmp_path, capsys):
    write(tmp_path, SERVICE)
    reference = json_of(["svc", "--no-cache"], capsys)
    json_of(["svc"], capsys)
    index = index_file(tmp_path)
    index.write_bytes(pickle.dumps({"format": 1, "entries": {"x": Evil()}}))
    assert json_of(["svc"], capsys) == reference
    assert not (tmp_path / "pwned").exists()


def test_foreign_entries_are_dropped(tmp_path, capsys):
    write(tmp_path, SERVICE)
    json_of(["svc"], capsys)
    index = index_file(tmp_path)
    data = pickle.loads(index.read_bytes())
    path = next(iter(data["entries"]))
    row = list(data["entries"][path])
    row[6] = 12345  # the sha256 (cache.Entry.row), of the wrong type
    data["entries"][path] = tuple(row)
    index.write_bytes(pickle.dumps(data))
    cache = Cache(index.parent, Config().fingerprint())
    assert path not in cache.entries and cache.dirty


def test_planted_facts_are_never_executed_and_are_extracted_again(tmp_path, capsys):
    """Facts are unpickled on their own, when a file is looked up: through the same
    allow-list as the index."""
    write(tmp_path, SERVICE)
    reference = json_of(["svc", "--no-cache"], capsys)
    json_of(["svc"], capsys)
    index = index_file(tmp_path)
    data = pickle.loads(index.read_bytes())
    planted = 0
    for path, row in data["entries"].items():
        if row[-1] is not None:
            data["entries"][path] = (*row[:-1], pickle.dumps(Evil()))
            planted += 1
    assert planted, "the scheduler module has facts"
    index.write_bytes(pickle.dumps(data))
    assert json_of(["svc"], capsys) == reference  # the findings remembered: facts unread
    assert not (tmp_path / "pwned").exists()
    for remembered in index.parent.glob("results-*.pickle"):
        remembered.unlink()  # now the facts are needed
    assert json_of(["svc"], capsys) == reference
    assert not (tmp_path / "pwned").exists()
    healed = pickle.loads(index_file(tmp_path).read_bytes())["entries"]
    assert all(b"pwned" not in (row[-1] or b"") for row in healed.values())


def test_a_run_on_some_files_decodes_only_their_facts(tmp_path, capsys, monkeypatch):
    write(tmp_path, SERVICE)
    json_of(["svc"], capsys)  # the whole tree is in the index
    decoded = []
    real = cache_module.Cache.facts_of

    def counting(self, entry):
        if entry.facts is None and entry.blob is not None:
            decoded.append(entry.display)
        return real(self, entry)

    monkeypatch.setattr(cache_module.Cache, "facts_of", counting)
    json_of(["svc/scheduler.py"], capsys)
    stored = {
        row[0]: row[-1]
        for row in pickle.loads(index_file(tmp_path).read_bytes())["entries"].values()
    }
    assert stored["svc/jobs.py"] is not None  # extracted in the first run as a job's target
    assert decoded == ["svc/scheduler.py"]


def test_mtime_size_fast_path_and_racy_files(tmp_path, capsys):
    write(tmp_path, SERVICE)
    jobs = tmp_path / "svc/jobs.py"
    text = jobs.read_text()
    unlocked = text.replace("    return 0\n", "    return 0  #padding\n", 1)
    locked = text.replace("def cleanup():", "@only_one\ndef cleanup():")
    assert len(unlocked.encode()) == len(locked.encode())
    # 1. A file modified in the same tick it was hashed is racily clean: it is re-read
    #    next time even though size and mtime still match.
    jobs.write_text(unlocked)
    assert "BGT020" in json_of(["svc"], capsys)
    stat = jobs.stat()
    jobs.write_text(locked)
    os.utime(jobs, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert jobs.stat().st_size == stat.st_size
    assert "BGT020" not in json_of(["svc"], capsys)
    # 2. Old files whose size and mtime match are trusted without being read (as git does).
    for path in tmp_path.rglob("*.py"):
        os.utime(path, (OLD, OLD))
    json_of(["svc"], capsys)  # records the old stats
    reads = []
    real = engine.read_source

    def counting(path):
        reads.append(path)
        return real(path)

    engine.read_source = counting
    try:
        assert "BGT020" not in json_of(["svc"], capsys)
    finally:
        engine.read_source = real
    assert [path for path in reads if path.endswith(".py")] == []
    # The counter does count: a file whose stat changed is read again.
    os.utime(jobs, (OLD + 10, OLD + 10))
    engine.read_source = counting
    try:
        json_of(["svc"], capsys)
    finally:
        engine.read_source = real
    assert [os.path.basename(path) for path in reads] == ["jobs.py"]


def test_tool_fingerprint_covers_version_interpreter_and_code(monkeypatch, tmp_path):
    monkeypatch.undo()
    before = cache_module._tool_fingerprint()
    assert cache_module._tool_fingerprint() == before
    monkeypatch.setattr(cache_module, "__version__", "0.0.0-other")
    assert cache_module._tool_fingerprint() != before
    monkeypatch.undo()
    # Another interpreter's parser and tokenizer may decide a file differently.
    monkeypatch.setattr(cache_module, "INTERPRETER", "cpython-3.99")
    assert cache_module._tool_fingerprint() != before
    monkeypatch.undo()
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.py").write_text("y = 1\n")
    monkeypatch.setattr(cache_module, "_PACKAGE_DIR", str(package))
    first = cache_module._tool_fingerprint()
    (package / "a.py").write_text("x = 22\n")
    second = cache_module._tool_fingerprint()
    (package / "sub" / "b.py").write_text("y = 22\n")
    assert len({first, second, cache_module._tool_fingerprint()}) == 3


def test_cache_dir_has_gitignore_and_no_temp_files(tmp_path, capsys):
    write(tmp_path, SERVICE)
    json_of(["svc"], capsys)
    names = sorted(p.name for p in (tmp_path / ".check_background_tasks_cache").iterdir())
    assert names[:2] == [".gitignore", "CACHEDIR.TAG"] and len(names) == 4
    assert names[2].startswith("facts-") and names[2].endswith(".pickle")
    # check's findings for these files (engine.scan_for), under the index's own key
    assert names[3] == "results-" + names[2].removeprefix("facts-")


def test_two_interpreters_sharing_a_cache_directory_keep_an_index_each(
    tmp_path, capsys, monkeypatch
):
    write(tmp_path, SERVICE)
    directory = tmp_path / ".check_background_tasks_cache"
    directory.mkdir()
    legacy = directory / "facts-0123456789abcdef.pickle"  # named before interpreters were
    legacy.write_bytes(b"old")
    for path in tmp_path.rglob("*.py"):  # old enough for the mtime+size fast path
        os.utime(path, (OLD, OLD))
    reference = json_of(["svc"], capsys)
    ours = index_file(tmp_path)
    assert not legacy.exists()
    first = cache_module.INTERPRETER
    monkeypatch.setattr(cache_module, "INTERPRETER", "cpython-3.99")
    assert json_of(["svc"], capsys) == reference
    monkeypatch.setattr(cache_module, "INTERPRETER", first)
    assert ours.exists() and len(list(directory.glob("facts-*.pickle"))) == 2
    # Back on the first interpreter, its own index still answers: no file is read again.
    reads = []
    real = engine.read_source
    monkeypatch.setattr(engine, "read_source", lambda path: reads.append(path) or real(path))
    assert json_of(["svc"], capsys) == reference
    assert reads == [] and len(list(directory.glob("facts-*.pickle"))) == 2


def test_function_facts_survive_the_cache_whatever_their_fields():
    """FunctionFacts pickle compactly (a tuple of values); a field added later must not be
    dropped on the way through the cache."""
    import dataclasses

    from check_background_tasks.model import FunctionFacts

    values = {f.name: f"value-{i}" for i, f in enumerate(dataclasses.fields(FunctionFacts))}
    facts = FunctionFacts(**values)
    again = pickle.loads(pickle.dumps(facts, protocol=4))
    assert dataclasses.asdict(again) == values


def test_dotted_names_through_our_module_never_reach_builtins(tmp_path, capsys):
    """Protocol 4 resolves dotted names: `model.__builtins__.get` would be `eval`."""
    write(tmp_path, SERVICE)
    reference = json_of(["svc", "--no-cache"], capsys)
    json_of(["svc"], capsys)
    index = index_file(tmp_path)
    marker = tmp_path / "pwned"
    payload = (
        b"\x80\x04\x8c\x1ccheck_background_tasks.model\x8c\x10__builtins__.get\x93"
        b"\x8c\x04eval\x85R"
        + pickle.dumps((f"open({str(marker)!r}, 'w').close()",), protocol=4)[2:-1]
        + b"R."
    )
    index.write_bytes(payload)
    assert json_of(["svc"], capsys) == reference
    assert not marker.exists()


def test_a_link_is_checked_by_its_target_not_by_the_link(tmp_path, capsys):
    """In a git work tree discovery's lstat of each file is reused for the cache check; a
    link's own times never change when its target is edited, so it must not be reused."""
    write(tmp_path, SERVICE)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    jobs = tmp_path / "svc/jobs.py"
    target = tmp_path / "svc/impl/jobs.txt"
    target.parent.mkdir()
    jobs.rename(target)
    jobs.symlink_to("impl/jobs.txt")
    for path in (target, jobs):
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    assert "BGT020" in json_of(["svc"], capsys)
    target.write_text(target.read_text().replace("def cleanup():", "@only_one\ndef cleanup():"))
    os.utime(target, (OLD + 10, OLD + 10))
    assert "BGT020" not in json_of(["svc"], capsys)


CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    "chart/values.yaml": "cleanup:\n  schedule: '*/5 * * * *'\n  policy: Forbid\n",
    "chart/templates/cron.yaml": """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: cleanup
        spec:
          schedule: {{ .Values.cleanup.schedule | quote }}
          concurrencyPolicy: {{ .Values.cleanup.policy }}
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: c
                      image: app
        """,
}


def test_a_warm_run_reuses_the_render_until_an_input_changes(tmp_path, capsys):
    write(tmp_path, CHART)
    probe = "'check_background_tasks.deploy.helm' in sys.modules"
    args = ["chart", "--format", "json", "-o", "out.json"]
    # the first run renders the chart; the second finds the render in the cache
    assert probe_runs(tmp_path, args, probe, runs=2) == ["True", "False"]
    warm = json.loads((tmp_path / "out.json").read_text())
    _code, out, _err = run_cli(["chart", "--no-cache", "--format", "json"], capsys)
    assert warm == json.loads(out)
    assert not [f for f in warm if f["code"] == "BGT011"]
    # a values change is a new input: rendered again, and the finding follows it
    (tmp_path / "chart/values.yaml").write_text("cleanup:\n  schedule: '*/5 * * * *'\n")
    assert probe_runs(tmp_path, args, probe) == ["True"]
    found = json.loads((tmp_path / "out.json").read_text())
    assert [f["code"] for f in found if f["code"] == "BGT011"] == ["BGT011"]
    # a corrupt or foreign render file is ignored (and never unpickled into code)
    (renders,) = (tmp_path / ".check_background_tasks_cache").glob("renders-*.pickle")
    renders.write_bytes(pickle.dumps({"key": "x", "result": os.system}))
    # (the findings of these very files are remembered: without them the render is needed)
    for remembered in renders.parent.glob("results-*.pickle"):
        remembered.unlink()
    assert probe_runs(tmp_path, args, probe) == ["True"]
    assert json.loads((tmp_path / "out.json").read_text()) == found


def test_remembered_rounds_follow_a_change_in_a_file_read_only_for_a_target(tmp_path, capsys):
    # svc/jobs.py holds no job: only the rounds after the prefilter read it (the target's
    # body decides the lock). A warm run remembers that read, and a change to it counts.
    write(tmp_path, SERVICE)
    (tmp_path / "Dockerfile").write_text('FROM python:3.12\nCMD ["serve"]\n')
    first = json_of(["."], capsys)
    assert json_of(["."], capsys) == first  # remembered, the same
    jobs = tmp_path / "svc/jobs.py"
    assert "BGT020" in first
    jobs.write_text(
        "from redis import Redis\nr = Redis()\n\ndef cleanup():\n    with r.lock('c'):\n"
        "        return 0\n\ndef refresh():\n    with r.lock('refresh'):\n        return 1\n"
    )
    os.utime(jobs, ns=(1, 1))  # another mtime, whatever the clock's resolution
    after = json_of(["."], capsys)
    assert after == json_of([".", "--no-cache"], capsys)
    assert "BGT020" not in after  # both jobs lock now


# --- from the review of the render cache and the remembered rounds -----------------

MANIFEST_CRON = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  schedule: '*/5 * * * *'
  {policy}
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: c
              image: app
"""


def codes(args: list[str], capsys) -> list[tuple[str, str]]:
    code, out, err = run_cli([*args, "--select", "ALL", "--format", "json"], capsys)
    assert code in (0, 1), err
    return sorted((f["code"], f["message"]) for f in json.loads(out))


def test_render_cache_is_not_shared_by_two_trees_with_the_same_display_paths(
    tmp_path, capsys, monkeypatch
):
    # A monorepo: each service is checked from its own directory with one cache dir (the
    # root pyproject's, or --cache-dir); both have k8s/kustomization.yaml + k8s/cron.yaml.
    kustomization = "resources:\n  - cron.yaml\n"
    write(
        tmp_path / "a",
        {
            "k8s/kustomization.yaml": kustomization,
            "k8s/cron.yaml": MANIFEST_CRON.format(policy="concurrencyPolicy: Forbid"),
        },
    )
    write(
        tmp_path / "b",
        {"k8s/kustomization.yaml": kustomization, "k8s/cron.yaml": MANIFEST_CRON.format(policy="")},
    )
    cache = ["--cache-dir", str(tmp_path / "shared-cache")]
    monkeypatch.chdir(tmp_path / "a")
    reference_a = codes([".", "--no-cache"], capsys)
    monkeypatch.chdir(tmp_path / "b")
    reference_b = codes([".", "--no-cache"], capsys)
    assert reference_a != reference_b
    monkeypatch.chdir(tmp_path / "a")
    assert codes([".", *cache], capsys) == reference_a
    monkeypatch.chdir(tmp_path / "b")
    assert codes([".", *cache], capsys) == reference_b
    monkeypatch.chdir(tmp_path / "a")
    # b's render, under the same display paths, is not a's
    assert codes([".", *cache], capsys) == reference_a


def test_render_cache_follows_a_resource_file_that_appears_unreadable(tmp_path, capsys):
    # extra.yaml holds no manifest (it cannot be parsed) but the render reads it: "cannot
    # be read" makes the selector patch build its CronJob. It is not in the render's key.
    write(
        tmp_path,
        {
            "k/kustomization.yaml": """
        resources:
          - extra.yaml
        patches:
          - target:
              kind: CronJob
              name: cleanup
            patch: |-
              apiVersion: batch/v1
              kind: CronJob
              metadata:
                name: cleanup
              spec:
                concurrencyPolicy: Allow
        """
        },
    )
    assert codes(["."], capsys) == codes([".", "--no-cache"], capsys)
    (tmp_path / "k/extra.yaml").write_text(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x\nspec: [\n"
    )
    cold = codes([".", "--no-cache"], capsys)
    assert "BGT011" in {code for code, _ in cold}
    assert codes(["."], capsys) == cold


def test_remembered_rounds_follow_a_script_that_appears(tmp_path, capsys):
    # The image runs ./bin/boot, a file discovery does not list (no extension): only the
    # rounds read it. Absent on the first run, the rounds' key (discovered files only)
    # does not change when it appears, and the warm run never reads it.
    from test_processes import JOBS, LIFESPAN_APP, dockerfile

    write(
        tmp_path,
        {**JOBS, "app/main.py": LIFESPAN_APP, "Dockerfile": dockerfile('CMD ["./bin/boot"]')},
    )
    assert codes(["."], capsys) == codes([".", "--no-cache"], capsys)
    write(tmp_path, {"bin/boot": "#!/usr/bin/env bash\nexec gunicorn --workers 3 app.main:app\n"})
    cold = codes([".", "--no-cache"], capsys)
    assert codes(["."], capsys) == cold


# --- check's findings remembered for unchanged files (engine.scan_for) --------------

LOADED_RULES = (
    "'check_background_tasks.rules' in sys.modules, 'check_background_tasks.link' in sys.modules"
)


def test_a_check_over_unchanged_files_reads_its_findings_back(tmp_path):
    write(tmp_path, SERVICE)
    args = ["svc", "--select", "ALL", "--format", "json", "-o", "out.json"]
    assert probe_runs(tmp_path, args, LOADED_RULES, runs=1) == ["True True"]
    first = (tmp_path / "out.json").read_text()
    assert "BGT020" in first
    # nothing changed: neither the rules nor the linker are even imported
    assert probe_runs(tmp_path, args, LOADED_RULES, runs=1) == ["False False"]
    assert (tmp_path / "out.json").read_text() == first


def test_remembered_findings_follow_a_changed_file_and_every_setting(tmp_path, capsys):
    write(tmp_path, SERVICE)
    assert "BGT020" in json_of(["svc"], capsys)
    assert "BGT020" not in json_of(["svc", "--ignore", "BGT020"], capsys)  # another setting
    assert "BGT020" in json_of(["svc"], capsys)
    jobs = tmp_path / "svc/jobs.py"
    jobs.write_text(
        "from redis import Redis\nr = Redis()\n\ndef cleanup():\n    with r.lock('c'):\n"
        "        return 0\n\ndef refresh():\n    with r.lock('refresh'):\n        return 1\n"
    )
    os.utime(jobs, ns=(1, 1))
    assert "BGT020" not in json_of(["svc"], capsys)
    assert json_of(["svc"], capsys) == json_of(["svc", "--no-cache"], capsys)


def test_remembered_findings_are_the_days_own(tmp_path, capsys, monkeypatch):
    # BGT035 names the next DST transitions: findings from yesterday are worked out again.
    write(tmp_path, SERVICE)
    runs = []
    real = engine._Run.project

    def counted(self):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(self)

    monkeypatch.setattr(engine._Run, "project", counted)
    json_of(["svc"], capsys)
    json_of(["svc"], capsys)
    assert len(runs) == 1
    monkeypatch.setattr(engine, "_today", lambda: "2099-01-01")
    json_of(["svc"], capsys)
    assert len(runs) == 2


def test_a_missing_script_that_appears_is_read_although_findings_were_remembered(tmp_path, capsys):
    # ./bin/boot is absent, under a name discovery would not list: the findings hold while
    # it stays absent, and its appearance is a change.
    from test_processes import JOBS, LIFESPAN_APP, dockerfile

    write(
        tmp_path,
        {**JOBS, "app/main.py": LIFESPAN_APP, "Dockerfile": dockerfile('CMD ["./bin/boot"]')},
    )
    before = json_of(["."], capsys)
    assert json_of(["."], capsys) == before
    write(tmp_path, {"bin/boot": "#!/usr/bin/env bash\nexec gunicorn --workers 3 app.main:app\n"})
    after = json_of(["."], capsys)
    assert after == json_of([".", "--no-cache"], capsys)
    assert after != before  # three workers: the process model says more now


def test_remembered_findings_follow_a_nested_configuration(tmp_path, capsys, monkeypatch):
    # svc/ is judged by its own configuration: editing, adding or removing it is a change
    # even though no scanned file changed.
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {**SERVICE, "pyproject.toml": "[tool.check-background-tasks]\n"})
    nested = tmp_path / "svc/check-background-tasks.toml"
    assert "BGT020" in json_of(["."], capsys)
    nested.write_text('ignore = ["BGT020"]\n')
    assert "BGT020" not in json_of(["."], capsys)
    assert "BGT020" not in json_of(["."], capsys)  # remembered, the same
    nested.write_text('ignore = ["BGT001"]\n')
    assert "BGT020" in json_of(["."], capsys)
    nested.unlink()
    assert json_of(["."], capsys) == json_of([".", "--no-cache"], capsys)


def test_a_missing_script_that_appears_where_discovery_does_not_look_is_read(tmp_path, capsys):
    # ./bin/boot.sh has a name discovery lists, but bin/ is excluded: its appearance
    # changes no discovered file, and the remembered findings must not hide it.
    from test_processes import JOBS, LIFESPAN_APP, dockerfile

    write(
        tmp_path,
        {
            **JOBS,
            "app/main.py": LIFESPAN_APP,
            "Dockerfile": dockerfile('CMD ["./bin/boot.sh"]'),
            "pyproject.toml": '[tool.check-background-tasks]\nexclude = ["bin"]\n',
        },
    )
    before = json_of(["."], capsys)
    assert json_of(["."], capsys) == before
    boot = "#!/usr/bin/env bash\nexec gunicorn --workers 3 app.main:app\n"
    write(tmp_path, {"bin/boot.sh": boot})
    after = json_of(["."], capsys)
    assert after == json_of([".", "--no-cache"], capsys)
    assert after != before  # three workers: the process model says more now


def test_remembered_findings_are_those_of_the_paths_given(tmp_path, capsys, monkeypatch):
    # The same files reached through other paths: the roots decide what may be read (a
    # script outside every scanned root never is), so findings are kept per paths given.
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SERVICE)
    json_of(["svc"], capsys)
    runs = []
    real = engine._Run.project

    def counted(self):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(self)

    monkeypatch.setattr(engine._Run, "project", counted)
    json_of(["./svc/"], capsys)
    assert runs == []  # the same paths, spelt otherwise: remembered
    json_of(["svc", "svc/jobs.py"], capsys)
    assert runs == [1]  # the same files through other paths: worked out again
