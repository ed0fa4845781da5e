"""Issue 5, deterministic output: the same tree gives byte-identical JSON, CSV and SARIF
whatever the discovery order, the number of workers or the state of the cache.

Every run is the real CLI in a subprocess, from the root of its own copy of the tree, so
reported paths are the same in every copy. tests/test_cache.py compares the JSON of `check`
in-process; this file covers every machine-readable format, truly shuffled discovery
(creation order, git vs directory walk, patched listings) and per-format cold caches.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from check_background_tasks.engine import POOL_THRESHOLD
from check_background_tasks.extract import might_matter

CLI = [sys.executable, "-m", "check_background_tasks"]
OLD = 1_600_000_000  # far outside the cache's racy-clean window

# One machine-readable output per entry: file name -> CLI arguments.
OUTPUTS: dict[str, list[str]] = {
    "check.json": ["check", ".", "--select", "ALL", "--format", "json"],
    "check.sarif": ["check", ".", "--select", "ALL", "--format", "sarif"],
    "inventory.csv": ["inventory", ".", "--format", "csv"],
    "inventory.json": ["inventory", ".", "--format", "json"],
}

# --------------------------------------------------------------------------- the tree

HEADER = "from gen.targets import t{i}, helper{i}\n"

KINDS = [
    # 0: APScheduler add_job, ids shared across files (BGT002), unlocked (BGT020)
    """
    from apscheduler.schedulers.background import BackgroundScheduler
    scheduler = BackgroundScheduler()
    scheduler.add_job(t{i}, "interval", minutes={m}, id="job-{d}")
    scheduler.add_job(helper{i}, "cron", minute=0, id="cron-{i}")
    """,
    # 1: decorator, a distributed lock in the body
    """
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from redis import Redis
    sched = AsyncIOScheduler(timezone="UTC")
    @sched.scheduled_job("cron", hour={h}, minute=0, id="locked-{i}")
    def locked{i}():
        with Redis().lock("locked-{i}"):
            t{i}()
    """,
    # 2: Celery beat, known and unknown task names (BGT032)
    """
    from celery import Celery
    from celery.schedules import crontab
    app = Celery("gen")
    app.conf.beat_schedule = {{
        "beat-{d}": {{"task": "gen.m{task:03d}.work{task}", "schedule": crontab(minute="*/{m}")}},
        "missing-{i}": {{"task": "gen.nowhere.task{i}", "schedule": {m}.0}},
    }}
    """,
    # 3: Celery task definitions
    """
    from celery import shared_task
    @shared_task
    def work{i}():
        return t{i}()
    @shared_task(name="named-{i}")
    def named{i}():
        return helper{i}()
    """,
    # 4: asyncio: a dangling task, a replica loop, a blocking call (BGT021/022/040)
    """
    import asyncio
    import time
    async def loop{i}():
        while True:
            time.sleep(1)
            await asyncio.sleep({m})
    async def startup():
        asyncio.create_task(loop{i}())
        asyncio.ensure_future(loop{i}())
    """,
    # 5: taskiq
    """
    from taskiq_redis import ListQueueBroker
    broker = ListQueueBroker("redis://localhost")
    @broker.task(schedule=[{{"cron": "*/{m} * * * *"}}], task_name="taskiq-{d}")
    async def tq{i}():
        t{i}()
    """,
    # 6: FastAPI background tasks
    """
    from fastapi import BackgroundTasks, FastAPI
    api = FastAPI()
    @api.post("/p{i}")
    async def post{i}(background_tasks: BackgroundTasks):
        background_tasks.add_task(t{i})
        return {{}}
    """,
    # 7: huey
    """
    from huey import RedisHuey, crontab
    huey = RedisHuey("gen")
    @huey.periodic_task(crontab(minute="0", hour="{h}"))
    def hu{i}():
        helper{i}()
    """,
    # 8: arq
    """
    from arq import cron
    async def ar{i}(ctx):
        t{i}()
    class WorkerSettings:
        cron_jobs = [cron(ar{i}, hour={{{h}}}, minute={{0}}), cron(ar{i}, minute={{0, 30}})]
    """,
    # 9: locked_scheduler, static and run-time jobs
    """
    from locked_scheduler import JobSpec, LockedScheduler
    scheduler = LockedScheduler(redis_url="redis://x", namespace="n{i}")
    @scheduler.job("interval", minutes={m}, id="probe-{d}")
    async def probe{i}(): ...
    @scheduler.task("collect-{i}")
    async def collect{i}(worker_id): ...
    async def start{i}(worker_id):
        await scheduler.schedule(JobSpec(id=f"metrics:{{worker_id}}", task="collect-{i}",
            trigger="interval", minutes={m}))
    """,
    # 10: started at import (BGT023), an invalid schedule (BGT030), a string target
    """
    from apscheduler.schedulers.background import BackgroundScheduler
    scheduler = BackgroundScheduler()
    scheduler.add_job("gen.targets:t{i}", "cron", hour=25, id="bad-{i}")
    scheduler.add_job(t{i}, "cron", minute=0)  # no id (BGT031)
    scheduler.add_job(t{i}, "cron", minute=0, id="again-{i}")  # same target twice (BGT003)
    scheduler.start()
    """,
    # 11: a module CronJobs run with `python -m`, and a suppressed finding
    """
    import asyncio
    def main():
        t{i}()
    async def go():
        asyncio.create_task(helper{i}())  # noqa: BGT021
    if __name__ == "__main__":
        main()
    """,
]
MODULES = 120

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
  namespace: ns{ns}
spec:
  schedule: "{minute} * * * *"
{policy}  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: c
              image: gen:1
              command: [python, -m, gen.m{module:03d}]
"""

STATIC = {
    "deploy/beat.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: beat}
        spec:
          replicas: 3
          template:
            spec:
              containers:
                - name: c
                  command: [celery, -A, gen.m002, worker, -B]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: taskiq}
        spec:
          replicas: 2
          template:
            spec:
              containers: [{name: c, command: [taskiq, scheduler, gen.m005:broker]}]
        """,
    "docker-compose.yml": """\
        services:
          beat:
            command: celery -A gen.m002 beat
            deploy: {replicas: 2}
          web:
            command: uvicorn gen.m006:api
        """,
    "Procfile": "web: uvicorn gen.m006:api\nclock: celery -A gen.m014 beat\n",
    "app.json": '{"formation": {"clock": {"quantity": 2}, "web": {"quantity": 3}}}\n',
    "deploy/broken.yaml": "kind: CronJob\nspec: [unclosed\n",
    "gen/__init__.py": "",
    "gen/broken.py": "import asyncio\nasyncio.create_task(x())\ndef broken(:\n",
    "gen/latin1.py": b"# -*- coding: latin-1 -*-\nimport asyncio\n"
    b"async def f():\n    asyncio.create_task(g())  # caf\xe9\n",
}


def tree_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = dict(STATIC)
    targets = []
    for i in range(MODULES):
        params = {"i": i, "m": 1 + i % 13, "h": i % 24, "d": i % 7, "task": i - i % 12 + 3}
        body = textwrap.dedent(KINDS[i % len(KINDS)]).format(**params)
        files[f"gen/m{i:03d}.py"] = HEADER.format(i=i) + body
        targets.append(f"def t{i}():\n    return {i}\n\ndef helper{i}():\n    return -{i}\n")
    files["gen/targets.py"] = "\n".join(targets)
    cronjobs = []
    for n in range(24):
        policy = "  concurrencyPolicy: Forbid\n" if n % 3 == 0 else ""
        name = f"job-{n % 7}" if n % 2 else f"cron-{n * 5}"
        module = 11 + 12 * (n % 10)
        cronjobs.append(
            CRONJOB.format(name=name, ns=n % 2, minute=n % 5, policy=policy, module=module)
        )
    files["deploy/cronjobs.yaml"] = "---\n".join(cronjobs)
    files["deploy/more/cronjob-m023.yaml"] = CRONJOB.format(
        name="job-3", ns=0, minute=0, policy="", module=23
    )
    return files


def build(root: Path, order_seed: int | None = None, reverse: bool = False) -> Path:
    """Write the tree under `root`, creating files (and so directory entries) in an order
    of its own: sorted, reversed or shuffled."""
    files = tree_files()
    names = sorted(files, reverse=reverse)
    if order_seed is not None:
        random.Random(order_seed).shuffle(names)
    for rel in names:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        content = files[rel]
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if rel in STATIC else content)
    return root


# ------------------------------------------------------------------------ the runs

# The real CLI with its discovery shuffled: os.scandir, the git listing, the directory
# walk and the list the engine receives all come back in a random order, and the order
# the engine saw plus whether a process pool started are logged for the test to check.
SHUFFLED_CLI = """
import os, random, sys
from check_background_tasks import discover, engine

rng = random.Random(os.environ["SHUFFLE_SEED"] + " ".join(sys.argv))
log = open(os.environ["SHUFFLE_LOG"], "a")


class Listing:  # what os.scandir returns: an iterator, a context manager, closable
    def __init__(self, entries):
        self.entries = iter(entries)
    def __iter__(self):
        return self
    def __next__(self):
        return next(self.entries)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return False
    def close(self):
        pass


real_scandir = os.scandir
def scandir(path="."):
    with real_scandir(path) as it:
        entries = list(it)
    rng.shuffle(entries)
    return Listing(entries)
os.scandir = scandir


def shuffled(fn):
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        if out is None:
            return out
        if isinstance(out, tuple):  # discover(): (files, errors); _walk(): (names, regular)
            files = list(out[0])
            rng.shuffle(files)
            if files and not isinstance(files[0], str):  # discover()'s order is logged
                log.write("order " + " ".join(f.display for f in files) + "\\n")
            return (files, *out[1:])
        out = list(out)
        rng.shuffle(out)
        return out
    return wrapper


discover._git_files = shuffled(discover._git_files)
discover._walk = shuffled(discover._walk)
def shuffled_start(start):
    def wrapper(*args, **kwargs):
        return shuffled(start(*args, **kwargs))
    return wrapper


discover.start_discovery = shuffled_start(discover.start_discovery)

import concurrent.futures
real_pool = concurrent.futures.ProcessPoolExecutor
def pool(*args, **kwargs):
    log.write("pool\\n")
    log.flush()
    return real_pool(*args, **kwargs)
concurrent.futures.ProcessPoolExecutor = pool  # the engine imports it when it needs one

from check_background_tasks.cli import main
main(sys.argv[1:])
"""


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CHECK_BACKGROUND_TASKS_") and k != "GITHUB_ACTIONS"
    }
    env.update(extra)
    return env


def run(cwd: Path, args: list[str], command: list[str] = CLI, **env: str) -> bytes:
    proc = subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, env=_env(**env), timeout=120
    )
    assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")
    assert proc.stdout, f"no output from {args}"
    return proc.stdout


def outputs(
    cwd: Path,
    extra: list[str] | Callable[[str], list[str]],
    command: list[str] = CLI,
    names: Iterable[str] = OUTPUTS,
    **env: str,
) -> dict[str, bytes]:
    """The machine-readable outputs `names` of the tree at `cwd`, two runs at a time.
    `extra`: arguments added to every run, or a function of the output's name."""
    with ThreadPoolExecutor(max_workers=2) as threads:
        futures = {
            name: threads.submit(
                run,
                cwd,
                [*OUTPUTS[name], *(extra(name) if callable(extra) else extra)],
                command,
                **env,
            )
            for name in names
        }
        return {name: future.result() for name, future in futures.items()}


def assert_same(got: dict[str, bytes], reference: dict[str, bytes], what: str) -> None:
    assert got, "nothing compared"
    for name, output in got.items():
        assert output == reference[name], f"{name} differs with {what}"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("determinism")
    (base / "shuffled_cli.py").write_text(SHUFFLED_CLI)
    return base


@pytest.fixture(scope="module")
def reference(base: Path) -> dict[str, bytes]:
    """Sorted creation order, directory walk, one worker, no cache."""
    tree = build(base / "sorted")
    return outputs(tree, ["--no-cache", "--jobs", "1"])


def shuffled_outputs(
    base: Path, tree: Path, extra: list[str], seed: int, pool: bool
) -> dict[str, bytes]:
    """Every output through SHUFFLED_CLI; `pool`: whether some run must start a pool."""
    log = base / f"shuffle-{seed}.log"
    got = outputs(
        tree,
        extra,
        [sys.executable, str(base / "shuffled_cli.py")],
        SHUFFLE_SEED=str(seed),
        SHUFFLE_LOG=str(log),
    )
    lines = log.read_text().splitlines()
    orders = [line.split()[1:] for line in lines if line.startswith("order ")]
    assert len(orders) == len(OUTPUTS)
    assert all(order != sorted(order) for order in orders), "nothing was shuffled"
    assert len({tuple(order) for order in orders}) == len(orders), "the same order twice"
    assert ("pool" in lines) == pool, f"the process pool {'never' if pool else ''} started"
    return got


def test_the_tree_is_big_and_varied(base: Path, reference: dict[str, bytes]) -> None:
    tree = base / "sorted"
    candidates = [
        p for p in tree.rglob("*") if p.is_file() and might_matter(p.name, p.read_bytes())
    ]
    assert len(candidates) >= 2 * POOL_THRESHOLD  # the pool really runs with --jobs 4
    findings = reference["check.json"].decode()
    codes = {f"BGT0{n:02d}" for n in (1, 2, 3, 11, 12, 20, 21, 22, 23, 24, 30, 31, 32, 33, 40)}
    missing = {code for code in codes | {"BGT900"} if f'"{code}"' not in findings}
    assert not missing, f"the tree no longer triggers {sorted(missing)}"
    inventory = reference["inventory.csv"].decode()
    kinds = ("apscheduler", "celery_beat", "k8s_cronjob", "taskiq", "create_task", "huey", "arq")
    kinds += ("fastapi_background", "locked_scheduler", "locked_scheduler_dynamic")
    assert all(f"\n{kind}," in inventory for kind in kinds), inventory[:2000]
    assert inventory.count("\n") > 150


def test_shuffled_discovery(base: Path, reference: dict[str, bytes]) -> None:
    """os.scandir, the walk, the git listing and the file list the engine receives all
    come back shuffled, differently in every run."""
    got = shuffled_outputs(base, base / "sorted", ["--no-cache", "--jobs", "1"], seed=1, pool=False)
    assert_same(got, reference, "shuffled discovery")


def test_creation_order_and_git_discovery(base: Path, reference: dict[str, bytes]) -> None:
    """Copies whose files were created in reverse / shuffled order (tmpfs lists entries in
    creation order; ext4 hashes names, hence test_shuffled_discovery); the shuffled copy is
    a git repository, so discovery goes through `git ls-files`, not the walk."""
    reverse = build(base / "reverse", reverse=True)
    got = outputs(reverse, ["--no-cache", "--jobs", "1"], names=["check.sarif", "inventory.json"])
    assert_same(got, reference, "files created in reverse order")
    shuffled = build(base / "git", order_seed=5)
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q"], cwd=shuffled, check=True)
        subprocess.run(["git", "add", "-A"], cwd=shuffled, check=True)
    got = outputs(shuffled, ["--no-cache", "--jobs", "1"], names=["check.json", "inventory.csv"])
    assert_same(got, reference, "git discovery of files created in shuffled order")


def test_worker_count(base: Path, reference: dict[str, bytes]) -> None:
    assert_same(outputs(base / "sorted", ["--no-cache", "--jobs", "4"]), reference, "--jobs 4")


def test_cold_and_warm_cache(base: Path, reference: dict[str, bytes]) -> None:
    tree = build(base / "cached", order_seed=11)
    caches = base / "caches"

    def own_cache(name: str) -> list[str]:
        return ["--jobs", "1", "--cache-dir", str(caches / name)]

    # Cold: a fresh cache directory per output. Warm: the same directory, read again.
    assert_same(outputs(tree, own_cache), reference, "a cold cache")
    assert_same(outputs(tree, own_cache), reference, "a warm cache")
    # Old mtimes: the first run records the stats, the next trusts size and mtime alone.
    for path in tree.rglob("*"):
        if path.is_file():
            os.utime(path, (OLD, OLD))
    assert_same(outputs(tree, own_cache), reference, "old mtimes recorded")
    assert_same(outputs(tree, own_cache), reference, "the mtime+size fast path")


def test_everything_at_once(base: Path, reference: dict[str, bytes]) -> None:
    """Shuffled discovery and four workers on a half-stale cache warmed by other commands,
    so cached and freshly extracted facts are mixed."""
    tree = build(base / "mixed", order_seed=17)
    cache = ["--cache-dir", str(base / "caches" / "mixed")]
    run(tree, [*OUTPUTS["inventory.json"], "--jobs", "4", *cache])
    changed = {path: path.read_bytes() for path in sorted((tree / "gen").glob("m*[02468].py"))}
    assert len(changed) >= POOL_THRESHOLD
    for path, content in changed.items():
        path.write_bytes(content + b"\n# changed\n")
    run(tree, [*OUTPUTS["inventory.csv"], "--jobs", "1", *cache])
    for path, content in changed.items():
        path.write_bytes(content)  # as before: the cache holds stale facts for these
    got = shuffled_outputs(base, tree, ["--jobs", "4", *cache], seed=2, pool=True)
    assert_same(got, reference, "shuffled discovery, --jobs 4 and a half-stale cache")
