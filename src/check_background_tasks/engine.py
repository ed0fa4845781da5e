"""Orchestration: discover → prefilter → extract (in parallel) → link."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .discover import ModuleNamer, SourceFile, discover
from .extract import extract, python_might_matter
from .link import Project, link, needed_modules
from .model import FileFacts, Problem

# Below this many candidate files a process pool costs more than it saves.
POOL_THRESHOLD = 40
MAX_LINK_ROUNDS = 3


@dataclass(frozen=True)
class Task:
    """One file to extract; picklable so a worker process can read and parse it."""

    path: str
    display: str
    module: str | None
    is_package: bool
    source: bytes | None = None  # already read by the prefilter


@dataclass
class Scan:
    project: Project
    errors: list[str] = field(default_factory=list)  # one-line usage errors (missing paths)
    files_seen: int = 0


def might_matter(name: str, source: bytes) -> bool:
    if name.endswith(".py"):
        return python_might_matter(source)
    if name.endswith((".yaml", ".yml", ".json")):
        from .extract.kubernetes import yaml_might_matter

        return yaml_might_matter(source)
    return True  # Procfiles are tiny


def run_task(task: Task) -> FileFacts:
    source = task.source
    if source is None:
        try:
            source = Path(task.path).read_bytes()
        except OSError as exc:
            problem = Problem(f"cannot read: {exc.strerror or exc}")
            return FileFacts(path=task.display, problems=[problem])
    return _extract_safely(task, source)


def _extract_safely(task: Task, source: bytes) -> FileFacts:
    try:
        return extract(task.display, source, task.module, task.is_package)
    except RecursionError:
        return FileFacts(task.display, problems=[Problem("too deeply nested to parse")])
    except Exception as exc:  # an internal bug must not stop the scan
        message = f"internal error ({type(exc).__name__}: {exc}); please report this file"
        return FileFacts(task.display, problems=[Problem(message)])


def _candidates(files: list[SourceFile], namer: ModuleNamer) -> tuple[list[Task], list[Task]]:
    """(tasks whose bytes hold a keyword, all Python tasks) — the rest is never parsed."""
    chosen: list[Task] = []
    python: list[Task] = []
    for file in files:
        module, is_package = namer.name(file)
        task = Task(str(file.path), file.display, module, is_package)
        if file.path.name.endswith(".py"):
            python.append(task)
        try:
            source = file.path.read_bytes()
        except OSError:
            chosen.append(task)  # run_task reports it
            continue
        if might_matter(file.path.name, source):
            chosen.append(Task(task.path, task.display, module, is_package, source))
    return chosen, python


def extract_all(tasks: list[Task], jobs: int) -> list[FileFacts]:
    if jobs <= 1 or len(tasks) < POOL_THRESHOLD:
        return [run_task(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        # map() keeps input order, so parallelism never changes the output.
        return list(pool.map(run_task, tasks, chunksize=max(1, len(tasks) // (jobs * 8))))


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def scan(
    paths: Iterable[str],
    config: Config,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Scan:
    paths = list(paths) or ["."]
    files, errors = discover(paths, config.exclude + config.extend_exclude)
    namer = ModuleNamer()
    tasks, python = _candidates(files, namer)
    facts = extract_all(tasks, jobs or default_jobs())
    facts = _extract_targets(facts, tasks, python, jobs or default_jobs())
    facts.sort(key=lambda ff: ff.path)
    return Scan(project=link(facts, config), errors=errors, files_seen=len(files))


def _extract_targets(
    facts: list[FileFacts], done: list[Task], python: list[Task], jobs: int
) -> list[FileFacts]:
    """Parse the files that define job targets, which the prefilter may have skipped."""
    by_module = {t.module: t for t in python if t.module}
    seen = {t.path for t in done}
    for _ in range(MAX_LINK_ROUNDS):
        wanted = needed_modules(facts, set(by_module))
        more = [by_module[m] for m in sorted(wanted) if by_module[m].path not in seen]
        if not more:
            break
        seen.update(t.path for t in more)
        facts = facts + extract_all(more, jobs)
    return facts
