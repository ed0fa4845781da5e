"""Orchestration: discover → (cache) → prefilter → extract (in parallel) → link.

Nothing here imports the extractors at module level: a run whose files all come from the
cache (or are skipped by the byte prefilter) never pays for importing them.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import discover
from .cache import Cache, Entry, sha256
from .config import Config
from .discover import Discovery, Exclusion, ModuleNamer, SourceFile
from .model import FileFacts, Problem

if TYPE_CHECKING:
    from .link import Project

T = TypeVar("T")

# YAML/JSON files past this size are data (fixtures, dumps, lock files), not manifests:
# reading them cost DefectDojo's cold run 0.35 s (26 files, 22 MB) and found nothing.
DEFAULT_DATA_LIMIT = 512 * 1024
# Below this many candidate files a process pool costs more than it saves.
POOL_THRESHOLD = 40
# A cold run over this many files starts the pool at its first candidate, so the workers
# parse while the parent still reads and prefilters the rest: 3-14 % off the cold runs of
# every reference tree of 300 files or more. Below it, few files are candidates, and a
# pool for a handful of them cost lnbits (174 files) 40 ms. Only where workers are
# forked: a spawned worker imports everything again, which doubled the cold run of a
# 400-file tree with one candidate (macOS and Windows spawn).
COLD_POOL_FILES = 300
# Candidate files per message to a worker: few, so that the last files to be parsed
# spread over every worker (one large file is most of a small tree's parse time).
POOL_CHUNK = 2
MAX_LINK_ROUNDS = 3


@dataclass(frozen=True)
class Task:
    """One file to extract; picklable so a worker process can read and parse it."""

    path: str
    display: str
    module: str | None
    is_package: bool
    source: bytes | None = None  # already read by the prefilter
    max_size: int | None = None  # config `max-file-size`; None: the extractor's default
    max_tokens: int | None = None  # config `max-file-tokens`; None: the extractor's default
    is_test: bool = False  # a test of the project (discover.SourceFile.is_test)


@dataclass
class Scan:
    """A linked project and the one-line errors of the paths that could not be read."""

    project: Project
    errors: list[str] = field(default_factory=list)  # one-line usage errors (missing paths)
    files: int = 0  # how many files discovery found (0: nothing was checked)


def might_matter(path: str, source: bytes, calls: tuple[bytes, ...] = ()) -> bool:
    """The prefilter; the path matters for Helm files (under a chart's `templates/`).
    `calls`: configured task factories' `name(` (a file calling one is read)."""
    from .extract import might_matter as prefilter

    if calls and path.endswith(".py") and any(call in source for call in calls):
        return True
    return prefilter(path, source)


# For the test suite only: `abort:FILE` kills the process at FILE the way a parser crash
# would; `pause:FILE:MARKER` creates MARKER there and waits, so a signal lands mid-scan.
TEST_HOOK = "CHECK_BACKGROUND_TASKS_TEST_HOOK"


def _test_hook(task: Task, hook: str) -> None:
    action, _, rest = hook.partition(":")
    target, _, marker = rest.partition(":")
    if task.display != target:
        return
    if action == "abort":
        import faulthandler

        # The crash is what the test wants: no "Fatal Python error" stack dump from a
        # faulthandler the worker inherited (pytest enables it), in a passing run's output.
        faulthandler.disable()
        os.abort()
    if action == "pause":
        Path(marker).touch()
        time.sleep(120)


def read_source(path: str) -> bytes:
    """Every read of a scanned file goes through here (the cache tests count them)."""
    with open(path, "rb") as handle:
        return handle.read()


def run_task(task: Task) -> FileFacts:
    if TEST_HOOK in os.environ:
        _test_hook(task, os.environ[TEST_HOOK])
    source = task.source
    if source is None:
        try:
            source = read_source(task.path)
        except OSError as exc:
            problem = Problem(f"cannot read: {exc.strerror or exc}")
            return FileFacts(path=task.display, problems=[problem])
    return _extract_safely(task, source)


def _extract_safely(task: Task, source: bytes) -> FileFacts:
    from .extract import DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_FILE_TOKENS, extract

    try:
        max_size = task.max_size if task.max_size is not None else DEFAULT_MAX_FILE_SIZE
        max_tokens = task.max_tokens if task.max_tokens is not None else DEFAULT_MAX_FILE_TOKENS
        return extract(
            task.display,
            source,
            task.module,
            task.is_package,
            max_size,
            max_tokens,
            task.is_test,
        )
    except RecursionError:
        return FileFacts(task.display, problems=[Problem("too deeply nested to parse")])
    except Exception as exc:  # an internal bug must not stop the scan
        message = f"internal error ({type(exc).__name__}: {exc}); please report this file"
        return FileFacts(task.display, problems=[Problem(message)])


# Parsing allocates hundreds of thousands of ast nodes, none in a reference cycle; at the
# default thresholds the cyclic collector runs every 700 allocations and walks them all
# again (about an eighth of extraction time on prefect). Memory stays bounded: the
# collector still runs, only less often.
EXTRACT_GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(*EXTRACT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def extract_all(
    tasks: Iterable[Task],
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
    pool_after: int = POOL_THRESHOLD,
) -> list[FileFacts]:
    """Facts of every task, in the order given. `tasks` may be a generator still reading
    and prefiltering files: a pool starts once `pool_after` candidates are known, while
    the rest are planned, so the parent's reading overlaps the workers' parsing."""
    with _fewer_collections():  # forked workers inherit the thresholds
        return _extract_all(iter(tasks), jobs, progress, pool_after)


def _recording(source: Iterator[Task], into: list[Task]) -> Iterator[Task]:
    for task in source:
        into.append(task)
        yield task


def _extract_all(
    source: Iterator[Task],
    jobs: int,
    progress: Callable[[int, int], None] | None,
    pool_after: int,
) -> list[FileFacts]:
    everything: list[Task] = []  # every task taken from `source` so far
    out: list[FileFacts] = []

    def done(ff: FileFacts) -> None:
        out.append(ff)
        if progress:
            progress(len(out), len(everything))

    if jobs > 1:
        for task in source:
            everything.append(task)
            if len(everything) >= pool_after:
                break
    if jobs <= 1 or len(everything) < pool_after:
        everything.extend(source)
        for task in everything:
            done(run_task(task))
        return out
    # Imported here: a run with nothing to extract never pays for the pool machinery.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Workers are forked: what the parent has imported, no worker imports again. The
    # Kubernetes extractor (and PyYAML) is left to a worker that is given a manifest.
    from .extract import python  # noqa: F401

    rest = _recording(source, everything)
    pending: Iterable[Task] = chain(list(everything), rest)
    chunk = POOL_CHUNK
    while True:
        try:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                # map() keeps input order, so parallelism never changes the output.
                for ff in pool.map(run_task, pending, chunksize=chunk):
                    done(ff)
            return out
        except BrokenProcessPool:
            # A worker died (a parser crash, the OOM killer). The first unfinished file
            # runs alone, so a file that kills its process is reported, not retried
            # forever; the rest go on in a fresh pool, one file per task.
            for _ in rest:  # the pool may have broken before every task was planned
                pass
            unfinished = everything[len(out) :]
            if not unfinished:
                return out
            done(_isolated(unfinished[0]))
            pending = unfinished[1:]
            if not pending:
                return out
            chunk = 1


def _isolated(task: Task) -> FileFacts:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(max_workers=1) as pool:
            return pool.submit(run_task, task).result()
    except BrokenProcessPool:
        message = "the parser's process died on this file; please report this file"
        return FileFacts(task.display, problems=[Problem(message)])


def _workers_fork() -> bool:
    import multiprocessing

    return multiprocessing.get_start_method() == "fork"


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class _Planner:
    """Decides, file by file, what the cache already knows and what must be extracted."""

    def __init__(
        self, cache: Cache | None, max_size: int | None = None, max_tokens: int | None = None
    ) -> None:
        self.cache = cache
        self.max_size = max_size
        self.max_tokens = max_tokens
        self.data_limit = max_size if max_size is not None else DEFAULT_DATA_LIMIT
        self.cached: list[FileFacts] = []  # facts straight from the cache
        self.tasks: list[Task] = []  # candidates to extract now
        self.python: list[Task] = []  # every Python file (targets may live anywhere)
        self.entries: dict[str, Entry] = {}  # path -> entry to store / update
        self.factory_calls: tuple[bytes, ...] = ()  # config `task-factories` (might_matter)
        self.factories: list[str] = []  # config `task-factories`: their modules are read
        self.wrappers: list[str] = []  # config `scheduler-wrappers`
        # Scripts a command names that are not there (discovery may not list them if they
        # appeared: `./server`, an excluded directory): the rounds hold while they are absent.
        self.missing_scripts: set[str] = set()
        self.defer_facts = False  # reused entries' facts unpickled only in materialise()
        self.deferred: list[tuple[Task, Entry]] = []

    def plan(self, files: list[SourceFile], namer: ModuleNamer) -> Iterator[Task]:
        """The candidates among `files` still to extract, as they are found."""
        for file in files:
            module, is_package = namer.name(file)
            task = self.add(file, module, is_package)
            if task is not None:
                yield task

    def add(self, file: SourceFile, module: str | None, is_package: bool) -> Task | None:
        """The task to extract `file` now, or None when the cache or prefilter settled it."""
        path = file.path
        task = Task(
            path,
            file.display,
            module,
            is_package,
            None,
            self.max_size,
            self.max_tokens,
            file.is_test,
        )
        is_python = path.endswith(".py")
        if is_python:
            self.python.append(task)
        cache = self.cache
        try:
            if cache is not None or not is_python:
                stat = file.stat or os.stat(path)
                if not is_python and stat.st_size > self.data_limit:
                    # A YAML/JSON file this large is data (a lock file, a fixture, a dump),
                    # never a manifest: it is not even read. Python files that large are
                    # reported instead (BGT900, info), since they may hide jobs.
                    return None
            if cache is not None:
                entry = cache.lookup_stat(
                    path, task.display, module, is_package, stat, task.is_test
                )
                if entry is not None and self._reuse(task, entry):
                    return None
                checked_ns = time.time_ns()
            source = read_source(path)
        except OSError:
            self.tasks.append(task)  # run_task reports it
            return task
        if cache is not None:
            digest = sha256(source)
            entry = cache.lookup_hash(path, task.display, module, is_package, digest, task.is_test)
            if entry is not None and self._reuse(task, entry):
                cache.refresh_stat(entry, stat, checked_ns)
                return None
            candidate = might_matter(task.display, source, self.factory_calls)
            entry = Entry(
                task.display,
                module,
                is_package,
                task.is_test,
                stat.st_mtime_ns,
                stat.st_size,
                digest,
                checked_ns,
                candidate,
                None,
            )
            self.entries[path] = entry
            cache.store(path, entry)
        else:
            candidate = might_matter(task.display, source, self.factory_calls)
        if not candidate:
            return None
        task = replace(task, source=source)
        self.tasks.append(task)
        return task

    def _reuse(self, task: Task, entry: Entry) -> bool:
        self.entries[task.path] = entry
        if not entry.candidate:
            return True
        assert self.cache is not None  # entries only come from a cache
        if self.defer_facts:
            self.deferred.append((task, entry))
            return True
        facts = self.cache.facts_of(entry)
        if facts is None:
            return False
        self.cached.append(facts)
        return True

    def materialise(self) -> list[Task]:
        """Unpickle the deferred facts; the tasks for files whose facts cannot be read
        back (a corrupt blob), to extract now."""
        late: list[Task] = []
        for task, entry in self.deferred:
            assert self.cache is not None
            facts = self.cache.facts_of(entry)
            if facts is not None:
                self.cached.append(facts)
                continue
            self.tasks.append(task)  # run_task reads it (and reports a read error)
            late.append(task)
        self.deferred = []
        return late

    def cached_facts(self, task: Task) -> FileFacts | None:
        entry = self.entries.get(task.path)
        if entry is None or self.cache is None:
            return None
        facts = self.cache.facts_of(entry)
        if facts is not None and facts.processes is not None and facts.processes.imports_only:
            return None  # only its import lines were read (imports_of): not extracted
        return facts

    def imports_of(self, task: Task) -> list[str] | None:
        """The modules `task` imports, read from its bytes once and kept in the cache."""
        entry = self.entries.get(task.path)
        if entry is not None and self.cache is not None:
            facts = self.cache.facts_of(entry)
            if facts is not None and facts.processes is not None:
                return facts.processes.imports
        from .extract.import_scan import imported_modules  # only when a file is read
        from .model import ProcessFacts

        try:
            source = task.source if task.source is not None else read_source(task.path)
        except OSError:
            return None
        found = imported_modules(source, task.module, task.is_package)
        if entry is not None and self.cache is not None and entry.facts is None:
            processes = ProcessFacts(imports=found, imports_only=True)
            imports_only = FileFacts(
                task.display, task.module, processes=processes, is_test=task.is_test
            )
            self.cache.set_facts(entry, imports_only)
        return found

    def record(self, tasks: list[Task], facts: list[FileFacts]) -> None:
        if self.cache is None:
            return
        for task, ff in zip(tasks, facts, strict=True):
            entry = self.entries.get(task.path)
            if entry is not None and not _is_transient(ff):
                self.cache.set_facts(entry, ff)


def _is_transient(ff: FileFacts) -> bool:
    """Facts that depend on more than the bytes (a read error) are never cached."""
    return any(p.message.startswith(("cannot read", "internal error")) for p in ff.problems)


def scan(
    paths: Iterable[str],
    config: Config,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
    cwd: Path | None = None,
    discovery: Discovery | None = None,
    exclude: Exclusion | None = None,
) -> Scan:
    """Scan `paths`. `cache_dir` None: no cache. `cwd`: what reported paths are relative to.
    `discovery`: the discovery of `paths` the caller started already. `exclude`: what
    decides exclusion file by file (default: the patterns of `config`)."""
    run = _Run(paths, config, jobs, progress, cache_dir, cwd, discovery, exclude)
    return Scan(project=run.project(), errors=run.errors, files=len(run.files))


def scan_for(
    name: str,
    compute: Callable[[Project], T],
    paths: Iterable[str],
    config: Config,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
    cwd: Path | None = None,
    discovery: Discovery | None = None,
    exclude: Exclusion | None = None,
    settings_of: Callable[[list[SourceFile]], str] | None = None,
) -> tuple[T, list[str], int]:
    """(`compute(project)`, errors, files found) for a scan of `paths`: what a command
    makes of the project (the `check` command: its findings).

    With a cache, the value is kept in it and a run over the very same files with the very
    same settings (and the same day: BGT035 looks at the next DST transitions) reads it
    back instead of unpickling every file's facts, linking and running the rules: on
    prefect, 60 of a warm run's 150 ms. `compute` must return picklable findings.
    `settings_of(files)`: every setting that judges the files found, as stable text
    (default: `config`'s)."""
    run = _Run(paths, config, jobs, progress, cache_dir, cwd, discovery, exclude, name, settings_of)
    if run.remembered_value is not None:
        return run.remembered_value, run.errors, len(run.files)
    value = compute(run.project())
    run.remember(value)
    return value, run.errors, len(run.files)


class _Run:
    """One scan: discovery and extraction when made, linking when asked (`project`)."""

    def __init__(
        self,
        paths: Iterable[str],
        config: Config,
        jobs: int | None,
        progress: Callable[[int, int], None] | None,
        cache_dir: Path | None,
        cwd: Path | None,
        discovery: Discovery | None,
        exclude: Exclusion | None = None,
        remembered: str | None = None,
        settings_of: Callable[[list[SourceFile]], str] | None = None,
    ) -> None:
        paths = list(paths) or ["."]
        # what the scan is of, as given: the roots decide which scripts may be read and
        # which images are the project's own (part of the remembered findings' key)
        base = str(cwd or Path.cwd())
        self.given = [base, *sorted({os.path.normpath(os.path.join(base, p)) for p in paths})]
        self.config = config
        self.cwd = cwd
        self.workers = workers = jobs or default_jobs()
        if discovery is None:
            discovery = discover.start_discovery(paths, cwd=cwd)
        # `git ls-files` walks the tree in its own process while the cache index is read.
        cache = Cache(cache_dir, config.fingerprint()) if cache_dir is not None else None
        self.cache = cache
        self.files, self.errors = discovery(
            exclude if exclude is not None else config.exclude + config.extend_exclude
        )
        planner = _Planner(cache, config.max_file_size, config.max_file_tokens)
        self.planner = planner
        planner.factory_calls = config.factory_calls()
        planner.factories = config.task_factories + config.scheduler_wrappers
        planner.wrappers = config.scheduler_wrappers
        # Facts come out of the index only when the project is built (a remembered value
        # needs none of them).
        planner.defer_facts = remembered is not None and cache is not None
        cold = cache is None or not cache.entries
        early = cold and len(self.files) >= COLD_POOL_FILES and workers > 1 and _workers_fork()
        pool_after = 1 if early else POOL_THRESHOLD
        self.extracted = extract_all(
            planner.plan(self.files, ModuleNamer()), workers, progress, pool_after
        )
        self.remembered_name = remembered
        self.settings_of = settings_of
        self.remembered_value: Any = None
        self.rounds_kept = False
        if (
            remembered is not None
            and cache is not None
            and not planner.tasks
            and (_rounds_hold(planner))
        ):
            self.remembered_value = cache.load_result(self._remembered_key())
            if self.remembered_value is not None:
                cache.save()  # times refreshed for files touched but not changed

    def project(self) -> Project:
        planner, cache, workers = self.planner, self.cache, self.workers
        late = planner.materialise()
        if late:  # facts the index could not give back after all: extracted again
            self.extracted += extract_all(late, workers)
        extracted = self.extracted
        planner.record(planner.tasks, extracted)
        facts = planner.cached + extracted
        python_files = {t.display: t.module for t in planner.python if t.module}
        remembered = _remembered_rounds(planner, facts)
        self.rounds_kept = remembered is not None
        if remembered is not None:
            facts, module_imports, switch_searched = remembered
        else:
            before = {ff.path for ff in facts}
            files_key = _files_key(planner) if planner.cache is not None else None
            discovered = len(planner.entries)
            facts = _extract_targets(facts, planner, workers)
            facts = _read_wrapper_callers(facts, planner, workers)
            facts, module_imports = _extract_for_processes(
                facts, planner, workers, python_files, self.cwd, self.files
            )
            facts, switch_searched = _search_switch_callers(facts, planner, workers)
            # A script an image runs is read whatever its name, and discovery does not list
            # it: it could change without changing the key, so rounds that read a file
            # discovery did not list are not kept.
            unlisted = len(planner.entries) != discovered
            if files_key is not None and not unlisted:
                _remember_rounds(planner, facts, before, module_imports, switch_searched, files_key)
                self.rounds_kept = (
                    cache is not None
                    and cache.rounds is not None
                    and (cache.rounds.get("key") == files_key)
                )
        facts.sort(key=lambda ff: ff.path)
        if cache is not None:
            cache.save()  # before linking: nothing downstream may mutate what we store
        from .deploy import deploy
        from .link import link

        project = link(facts, self.config)
        project.python_files = python_files
        project.module_imports = module_imports
        project.switch_searched = switch_searched
        roots = {f.root for f in self.files}
        project.scan_roots = sorted({os.path.basename(os.path.realpath(root)) for root in roots})
        project.scan_base = _scan_base(self.files)
        return deploy(project, self.config, cache)

    def remember(self, value: Any) -> None:
        """Keep `value` for the next run over the same files, when this run's reading was
        a pure function of them (the same condition as the remembered reading rounds)."""
        cache, planner = self.cache, self.planner
        if cache is None or self.remembered_name is None or not self.rounds_kept:
            return
        if any(_is_transient(ff) for ff in planner.cached + self.extracted):
            return
        cache.save_result(self._remembered_key(), value)

    def _remembered_key(self) -> str:
        """The files, the paths given, every setting (the rules read more of them than
        extraction does: the cache's own key), the command and the day."""
        from .config import stable_text

        text = self.settings_of(self.files) if self.settings_of else stable_text(self.config)
        text += stable_text(self.given)
        settings = hashlib.sha256(text.encode()).hexdigest()
        return f"{self.remembered_name}|{_today()}|{settings}|{_files_key(self.planner)}"


def _scan_base(files: list[SourceFile]) -> str:
    """The directory holding every scanned root, as file paths are displayed ("" for the
    current directory): `check ../tests/proj` shows `../tests/proj/app.py`, whose
    `../tests/` says nothing about the project."""
    prefixes: dict[str, list[str]] = {}
    for file in files:
        if file.root in prefixes:
            continue
        rel = os.path.relpath(file.path, file.root).replace(os.sep, "/")
        shown = file.display[: len(file.display) - len(rel)].rstrip("/")
        prefixes[file.root] = shown.split("/") if shown and file.display.endswith(rel) else []
    lists = list(prefixes.values())
    common: list[str] = lists[0] if lists else []
    for parts in lists[1:]:
        same = 0
        while same < min(len(common), len(parts)) and common[same] == parts[same]:
            same += 1
        common = common[:same]
    return "/".join(common)


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def _files_key(planner: _Planner) -> str | None:
    """A digest of every file this run found (its content hash, and whether it was read
    as a test): the reading rounds after the prefilter are a pure function of these files
    and the settings (in the cache key)."""
    digest = hashlib.sha256()
    for entry in sorted(planner.entries.values(), key=lambda e: e.display):
        digest.update(f"{entry.display}\0{entry.sha256}\0{entry.is_test:d}\n".encode())
    return digest.hexdigest()


def _remembered_rounds(
    planner: _Planner, facts: list[FileFacts]
) -> tuple[list[FileFacts], dict[str, list[str]], set[str]] | None:
    """The rounds' result of the last run, when no file changed since: a warm run then
    skips working out again which targets, entry modules and callers to read (50 ms on
    prefect)."""
    cache = planner.cache
    if cache is None or planner.tasks or not _rounds_hold(planner):
        return None
    rounds = cache.rounds
    assert rounds is not None
    by_display = {entry.display: entry for entry in planner.entries.values()}
    more: list[FileFacts] = []
    for display in rounds.get("paths") or []:
        entry = by_display.get(display) if isinstance(display, str) else None
        found = cache.facts_of(entry) if entry is not None else None
        if found is None:
            return None  # not in the index any more: read the rounds again
        more.append(found)
    imports = rounds.get("imports")
    searched = rounds.get("searched")
    if not isinstance(imports, dict) or not isinstance(searched, list):
        return None
    if not all(isinstance(name, str) for name in searched):
        return None  # not what this code writes: work the rounds out again
    return facts + more, imports, set(searched)


def _rounds_hold(planner: _Planner) -> bool:
    """Whether the rounds remembered in the index were worked out from these very files
    (and the scripts they named and did not find are still absent)."""
    rounds = planner.cache.rounds if planner.cache is not None else None
    if not rounds or rounds.get("key") != _files_key(planner):
        return False
    missing = rounds.get("missing")
    if not isinstance(missing, list) or not all(isinstance(p, str) for p in missing):
        return False
    return not any(os.path.isfile(path) for path in missing)


def _remember_rounds(
    planner: _Planner,
    facts: list[FileFacts],
    before: set[str],
    module_imports: dict[str, list[str]],
    switch_searched: set[str],
    files_key: str,
) -> None:
    cache = planner.cache
    if cache is None:
        return
    added = sorted({ff.path for ff in facts} - before)
    known = {entry.display for entry in planner.entries.values()}
    if any(path not in known for path in added):
        return  # a file read that the index does not hold (a transient read error)
    cache.set_rounds(
        {
            "key": files_key,
            "paths": added,
            "imports": module_imports,
            "searched": sorted(switch_searched),
            "missing": sorted(planner.missing_scripts),
        }
    )


def _extract_for_processes(
    facts: list[FileFacts],
    planner: _Planner,
    jobs: int,
    python_files: dict[str, str],
    cwd: Path | None,
    files: list[SourceFile],
) -> tuple[list[FileFacts], dict[str, list[str]]]:
    """Read what the process model needs (deploy/prepare.py): entry modules and scripts a
    command names, modules a job's function calls, and the imports on the way from an
    entry module to a scheduler."""
    from .deploy.prepare import Preparation, may_take_lock

    if not any(ff.workloads or ff.jobs for ff in facts):
        return facts, {}
    preparation = Preparation(python_files)
    by_module = {t.module: t for t in planner.python if t.module}
    base = str(cwd or Path.cwd())
    no_lock: set[str] = set()  # helpers whose bytes take no lock: not parsed
    for _ in range(MAX_LINK_ROUNDS):
        facts.sort(key=lambda ff: ff.path)  # what is wanted must not hang on reading order
        modules, callees, scripts = preparation.wanted(facts)
        read = {ff.path for ff in facts}
        for module in sorted(callees - modules - no_lock):
            task = by_module.get(module)
            if task is not None and task.display not in read:
                if planner.cached_facts(task) is None and not may_take_lock(_bytes(task)):
                    no_lock.add(module)
        modules |= callees - no_lock
        more = [by_module[m] for m in sorted(modules) if m in by_module]
        more = [t for t in more if t.display not in read]
        new_scripts = sorted(s for s in scripts if s not in read)
        if not more and not new_scripts:
            break
        cached = [planner.cached_facts(t) for t in more]
        todo = [t for t, ff in zip(more, cached, strict=True) if ff is None]
        known = len(planner.cached)
        todo += _script_tasks(planner, base, new_scripts, files)
        fresh = extract_all(todo, jobs)
        planner.record(todo, fresh)
        new = [ff for ff in cached if ff is not None] + fresh + planner.cached[known:]
        preparation.read(new, bool(new_scripts) or bool({t.module for t in more} - callees))
        facts = facts + new

    def read_imports(module: str) -> list[str] | None:
        task = by_module.get(module)
        return planner.imports_of(task) if task is not None else None

    if not any(ff.workloads for ff in facts):
        return facts, {}
    return facts, preparation.import_graph(facts, read_imports)


# A switch claim rests on the callers of a few functions; a name in more files than this
# is too common to look for (the claim is then not made).
MAX_SWITCH_CALLER_FILES = 40
MIN_SEARCHED_NAME = 4


def _search_switch_callers(
    facts: list[FileFacts], planner: _Planner, jobs: int
) -> tuple[list[FileFacts], set[str]]:
    """Extract the files that may call a function a switch claim rests on
    (deploy/switches.py): a scheduler started only where a configuration switch holds is
    said so only when every caller of the functions on the way was read. Returns the
    facts and the functions whose callers were looked for in every file."""
    from .deploy.switches import claim_functions, import_pattern, may_claim

    searched: set[str] = set()
    given_up: set[str] = set()  # too common to look for: never complete
    if not any(may_claim(ff) for ff in facts):
        return facts, searched  # no call under a switch, no start at import: no claim
    known = {t.module for t in planner.python if t.module}
    for _ in range(MAX_LINK_ROUNDS):
        read = {ff.path for ff in facts}
        project = _switch_project(facts)
        wanted = claim_functions(project, known, searched | given_up) - searched - given_up
        if not wanted:
            break
        unread = [t for t in planner.python if t.display not in read and not t.is_test]
        # a function's callers by its name called; a module's importers by import lines
        patterns = {d: import_pattern(d) or _call_search(d) for d in wanted}
        names = {d: found[0] for d, found in patterns.items()}
        calls = {d: found[1] for d, found in patterns.items() if found[0]}
        hits: dict[str, list[Task]] = {dotted: [] for dotted in calls}
        for task in unread:
            source = _bytes(task)
            for dotted, found in hits.items():
                if len(found) > MAX_SWITCH_CALLER_FILES or names[dotted] not in source:
                    continue
                if calls[dotted].search(source):
                    found.append(task)
        more: dict[str, Task] = {}
        for dotted, found in hits.items():
            if len(found) <= MAX_SWITCH_CALLER_FILES:
                searched.add(dotted)
                more.update((t.display, t) for t in found)
        given_up |= wanted - searched
        tasks = list(more.values())
        if not tasks:
            continue
        cached = [planner.cached_facts(t) for t in tasks]
        todo = [t for t, ff in zip(tasks, cached, strict=True) if ff is None]
        fresh = extract_all(todo, jobs)
        planner.record(todo, fresh)
        facts = facts + [ff for ff in cached if ff is not None] + fresh
    return facts, searched


def _call_search(dotted: str) -> tuple[bytes, re.Pattern[bytes]]:
    name = _searched_name(dotted)
    if name:
        return name, _call_pattern(name)
    # A short name (`run`) is called everywhere: its callers are among the files that
    # import its module (or its class), which a caller elsewhere must do.
    from .deploy.switches import import_node, import_pattern

    owner = dotted.rpartition(".")[0]
    found = import_pattern(import_node(owner)) if owner else None
    return found if found is not None else (b"", re.compile(rb"(?!)"))


def _searched_name(dotted: str) -> bytes:
    """The name a caller writes: a function's, or a constructor's class."""
    parts = dotted.split(".")
    name = parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1]
    return name.encode() if len(name) >= MIN_SEARCHED_NAME else b""


def _call_pattern(name: bytes) -> re.Pattern[bytes]:
    """`name(` as a call (also `module.name(`), not `def name(` nor `rename(`."""
    return re.compile(rb"(?<!def )\b" + re.escape(name) + rb"\s*\(")


def _switch_project(facts: list[FileFacts]) -> Project:
    from .link import Project, symbol_table

    table = symbol_table(facts)
    return Project(facts=facts, jobs=[], functions=table.functions, modules=table.modules)


def _bytes(task: Task) -> bytes:
    try:
        return task.source if task.source is not None else read_source(task.path)
    except OSError:
        return b""


def _script_tasks(
    planner: _Planner, base: str, scripts: list[str], files: list[SourceFile]
) -> list[Task]:
    """Script files a command runs, whatever their name (not discovery candidates), as
    planned tasks: read through the cache like any file, never outside the scanned trees."""
    roots = {os.path.realpath(root): root for root in {f.root for f in files}}
    out = []
    for display in scripts:
        full = os.path.realpath(os.path.join(base, display))
        root = next((r for real, r in roots.items() if full.startswith(real + os.sep)), None)
        if root is None:
            continue  # never read outside the scanned trees, whatever appears there
        if not os.path.isfile(full):
            # Whatever its name: an excluded, git-ignored or unscanned directory hides
            # its appearance from discovery too.
            planner.missing_scripts.add(full)
            continue
        task = planner.add(SourceFile(full, display, root), None, False)
        if task is not None:
            out.append(task)
    return out


def _extract_targets(facts: list[FileFacts], planner: _Planner, jobs: int) -> list[FileFacts]:
    """Read the files that define job targets: the prefilter skipped them (they mention no
    job of their own), but a job elsewhere runs their functions."""
    from .link import needed_modules
    from .link_beat import part_modules
    from .link_factories import base_modules

    by_module = {t.module: t for t in planner.python if t.module}
    for _ in range(MAX_LINK_ROUNDS):
        wanted = needed_modules(facts, set(by_module)) | base_modules(facts, set(by_module))
        wanted |= _modules_of(planner.factories, set(by_module))
        wanted |= part_modules(facts, set(by_module))
        read = {ff.path for ff in facts}
        more = [by_module[m] for m in sorted(wanted) if by_module[m].display not in read]
        if not more:
            break
        cached = [planner.cached_facts(t) for t in more]
        todo = [t for t, ff in zip(more, cached, strict=True) if ff is None]
        fresh = extract_all(todo, jobs)
        planner.record(todo, fresh)
        again = {t.display for t in more}
        facts = [ff for ff in facts if ff.path not in again]
        facts += [ff for ff in cached if ff is not None] + fresh
    return facts


def _read_wrapper_callers(facts: list[FileFacts], planner: _Planner, jobs: int) -> list[FileFacts]:
    """Read the files that call a scheduler wrapper (link_wrappers.py) the prefilter skipped:
    only when the project has one, by a byte search for its name. A name called from more
    files than MAX_SWITCH_CALLER_FILES is too common to look for (its calls there are not
    listed): reading them all would cost more than the jobs are worth. A caller handing
    its own parameter to one may forward to it (link_wrapper_chains.py): its callers are
    looked for in the next round, up to MAX_CHAIN rounds."""
    from .link_wrapper_chains import MAX_CHAIN
    from .link_wrappers import forwarding_names, wrapper_names

    names = wrapper_names(facts, planner.wrappers)
    searched: set[bytes] = set()
    for _ in range(MAX_CHAIN):
        todo = names - searched
        if not todo:
            break
        searched |= todo
        facts = _read_callers_of(todo, facts, planner, jobs)
        names |= forwarding_names(facts, searched)
    return facts


def _read_callers_of(
    names: set[bytes], facts: list[FileFacts], planner: _Planner, jobs: int
) -> list[FileFacts]:
    read = {ff.path for ff in facts}
    unread = [t for t in planner.python if t.display not in read]
    hits: dict[bytes, list[Task]] = {name: [] for name in names}
    for task in unread:
        source = _bytes(task)
        for name, found in hits.items():
            # `name(`: its calls, and definitions of that name (an override in a subclass
            # leaves the calls unresolved, link_wrappers.py)
            if len(found) <= MAX_SWITCH_CALLER_FILES and name in source:
                found.append(task)
    more = {
        t.display: t
        for found in hits.values()
        if len(found) <= MAX_SWITCH_CALLER_FILES
        for t in found
    }
    tasks = list(more.values())
    cached = [planner.cached_facts(t) for t in tasks]
    todo = [t for t, ff in zip(tasks, cached, strict=True) if ff is None]
    fresh = extract_all(todo, jobs)
    planner.record(todo, fresh)
    return facts + [ff for ff in cached if ff is not None] + fresh


def _modules_of(dotted_paths: list[str], known: set[str]) -> set[str]:
    """The modules that define these dotted paths (configured task factories)."""
    out = set()
    for dotted in dotted_paths:
        module = dotted.rpartition(".")[0]
        while module and module not in known:
            module = module.rpartition(".")[0]
        if module:
            out.add(module)
    return out
