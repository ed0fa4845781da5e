"""Per-file facts cache, like `.ruff_cache`: never trusted, always cheap to throw away.

One index file per (tool build, relevant config) under the cache directory maps each
scanned file to what the last run learned about it:

    absolute path -> (display, module, is_package, is_test, mtime_ns, size, sha256,
                      checked_ns, candidate, facts pickled on their own)

Facts are unpickled only for the files a run looks up: a pre-commit run on two files of a
large project reads the whole index but decodes two files' facts, not two thousand.

An entry is reused only when the file's bytes hash to the recorded SHA-256 *and* the
display path / module name / package flag / test flag are the same (facts embed them; the
test flag is judged below the scan's root, so the same file at the same display path is a
test when checked as part of `.` above a `tests/` directory, and not as `tests/proj`). The
mtime+size fast path skips even reading the file when both match and the file had been
last modified comfortably before it was hashed (git's "racy clean" rule: a file changed
within the same timestamp tick as its hashing is re-hashed on the next run).

The key of the index covers the tool version, a stat-fingerprint of the tool's own
source files (so an editable install never reuses facts from older extractor code) and
`Config.fingerprint()`. A corrupt, truncated, foreign or old-format index is ignored and
rebuilt. Unpickling goes through an allow-list of our own plain data classes, so a
planted cache file can never execute code. Writes are atomic (temp file + rename).

This module must not import the extractors: a fully cached run never parses anything.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .model import FileFacts

CACHE_DIR_NAME = ".check_background_tasks_cache"
FORMAT = 3  # 3: entries record whether the file was read as a test
# A file modified less than this before it was hashed is re-hashed next time.
RACY_WINDOW_NS = 2_000_000_000
_PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))
# Facts depend on the interpreter: its parser decides which files need the libcst
# rewrite, and its tokenizer what a token is (f-strings on 3.12+). Two interpreters
# sharing one cache directory each keep their own index.
INTERPRETER = f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"

_ALLOWED = {
    ("builtins", "frozenset"),
    ("builtins", "set"),
    ("builtins", "tuple"),
    ("builtins", "list"),
    ("builtins", "dict"),
    ("copyreg", "_reconstructor"),
    ("builtins", "object"),
}


@dataclass
class Entry:
    """One file in the index: its identity, stamps, prefilter verdict and facts."""

    display: str
    module: str | None
    is_package: bool
    is_test: bool  # read as a test of the project (test_paths.py): facts depend on it
    mtime_ns: int
    size: int
    sha256: str
    checked_ns: int  # when the bytes were hashed (wall clock)
    candidate: bool  # did the byte prefilter pick it?
    facts: FileFacts | None  # None: never extracted (prefilter skipped it), or not decoded
    blob: bytes | None = None  # the facts as stored, until decoded (and while unchanged)

    def row(self) -> tuple[Any, ...]:
        blob = self.blob
        if blob is None and self.facts is not None:
            blob = pickle.dumps(self.facts, protocol=4)
        return (
            self.display,
            self.module,
            self.is_package,
            self.is_test,
            self.mtime_ns,
            self.size,
            self.sha256,
            self.checked_ns,
            self.candidate,
            blob,
        )


# The exact types of a stored row's values, for each way its optional values can be set.
# One tuple lookup per row: a warm run checks thousands of them (7,400 on dd-trace-py,
# where testing each value apart cost 40 ms).
_ROW_SHAPES = frozenset(
    (str, module, bool, bool, int, int, str, int, bool, blob)
    for module in (str, type(None))
    for blob in (bytes, type(None))
)


def _entry(row: Any) -> Entry | None:
    """The entry a stored row describes, or None when it is not one of ours."""
    if type(row) is not tuple or tuple(map(type, row)) not in _ROW_SHAPES:
        return None
    display, module, is_package, is_test, mtime_ns, size, digest, checked_ns, candidate, blob = row
    return Entry(
        display,
        module,
        is_package,
        is_test,
        mtime_ns,
        size,
        digest,
        checked_ns,
        candidate,
        None,
        blob,
    )


_MODEL_CLASSES = frozenset(
    {
        "BeatStart",
        "ClassShape",
        "CliFacts",
        "FileFacts",
        "FunctionFacts",
        "Launch",
        "Location",
        "Manifest",
        "Problem",
        "ProcessFacts",
        "RawJob",
        "Schedule",
        "SchedulerWrapper",
        "StartSite",
        "Suppression",
        "Switch",
        "TargetRef",
        "TaskCall",
        "TaskFlow",
        "TaskReturn",
        "Workload",
    }
)


class _SafeUnpickler(pickle.Unpickler):
    admitted: frozenset[tuple[str, str]] = frozenset()

    def find_class(self, module: str, name: str) -> Any:
        # Our facts' own classes by exact name: `find_class` resolves dotted names, so a
        # module-wide rule would reach `__builtins__` through the module and run code.
        if module == "check_background_tasks.model" and name in _MODEL_CLASSES:
            return super().find_class(module, name)
        if (module, name) in _ALLOWED or (module, name) in self.admitted:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


class _ResultUnpickler(_SafeUnpickler):
    """Also a command's findings (see Cache.load_result)."""

    admitted = frozenset({("check_background_tasks.model", "Finding")})


class _RenderUnpickler(_SafeUnpickler):
    """Also the deploy stage's rendered objects (see Cache.load_renders)."""

    admitted = frozenset(
        {
            ("check_background_tasks.deploy.rendered", "Rendered"),
            ("check_background_tasks.deploy.rendered", "RenderResult"),
        }
    )


def _tool_fingerprint() -> str:
    """Version plus size/mtime of our own modules: a code change invalidates the cache.

    os.walk, not Path.rglob: this runs on every cached run, and the function took 2.8 ms
    over our 57 modules with pathlib, 1.3 ms without."""
    digest = hashlib.sha256(f"{__version__}|{INTERPRETER}".encode())
    stamps = []
    for directory, subdirectories, names in os.walk(_PACKAGE_DIR):
        subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            rel = os.path.relpath(path, _PACKAGE_DIR).replace(os.sep, "/")
            stamps.append(f"{rel}:{stat.st_size}:{stat.st_mtime_ns};")
    digest.update("".join(sorted(stamps)).encode())
    return digest.hexdigest()


def default_cache_dir(project_root: Path) -> Path:
    env = os.environ.get("CHECK_BACKGROUND_TASKS_CACHE_DIR")
    return Path(env) if env else project_root / CACHE_DIR_NAME


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Cache:
    def __init__(self, directory: Path, config_fingerprint: str = "") -> None:
        self.directory = directory
        key = f"{FORMAT}|{_tool_fingerprint()}|{config_fingerprint}"
        self.key = hashlib.sha256(key.encode()).hexdigest()
        # Named by interpreter too: two Pythons sharing the directory keep an index each.
        self.index_path = directory / f"facts-{INTERPRETER}-{self.key[:16]}.pickle"
        self.entries: dict[str, Entry] = {}
        # What the reading rounds after the prefilter found for a set of files (engine.py):
        # {"key": digest of every file, "paths": display paths read, "imports": ...,
        # "searched": [...]}. Plain builtins only.
        self.rounds: dict[str, Any] | None = None
        self.seen: set[str] = set()
        self.dirty = False
        self.hits = 0
        self._load()

    # --- reading ---------------------------------------------------------------------

    def _load(self) -> None:
        try:
            data = self.index_path.read_bytes()
        except OSError:
            return
        try:
            loaded = _SafeUnpickler(io.BytesIO(data)).load()
        except Exception:  # corrupt, truncated, foreign: ignore and rebuild
            self.dirty = True
            return
        if not (
            isinstance(loaded, dict)
            and loaded.get("format") == FORMAT
            and loaded.get("key") == self.key
            and isinstance(loaded.get("entries"), dict)
        ):
            self.dirty = True
            return
        rounds = loaded.get("rounds")
        self.rounds = rounds if isinstance(rounds, dict) else None
        entries = {}
        for path, row in loaded["entries"].items():
            entry = _entry(row)
            if isinstance(path, str) and entry is not None:
                entries[path] = entry
            else:
                self.dirty = True
        self.entries = entries

    def facts_of(self, entry: Entry) -> FileFacts | None:
        """The entry's facts, unpickled on first use; None when there are none (or they
        are unreadable, which makes the file be extracted again)."""
        if entry.facts is None and entry.blob is not None:
            try:
                facts = _SafeUnpickler(io.BytesIO(entry.blob)).load()
            except Exception:  # corrupt or foreign: extract again
                facts = None
            if isinstance(facts, FileFacts):
                entry.facts = facts
            else:
                entry.blob = None
                self.dirty = True
        return entry.facts

    def set_facts(self, entry: Entry, facts: FileFacts) -> None:
        entry.facts, entry.blob = facts, None
        self.dirty = True

    def _usable(
        self, path: str, display: str, module: str | None, is_package: bool, is_test: bool
    ) -> Entry | None:
        entry = self.entries.get(path)
        if entry is None:
            return None
        if (entry.display, entry.module, entry.is_package, entry.is_test) != (
            display,
            module,
            is_package,
            is_test,
        ):
            return None
        return entry

    def lookup_stat(
        self,
        path: str,
        display: str,
        module: str | None,
        is_package: bool,
        stat: os.stat_result,
        is_test: bool = False,
    ) -> Entry | None:
        """The entry when mtime and size match and the file is not racily clean."""
        entry = self._usable(path, display, module, is_package, is_test)
        if entry is None:
            return None
        if entry.mtime_ns != stat.st_mtime_ns or entry.size != stat.st_size:
            return None
        if stat.st_mtime_ns >= entry.checked_ns - RACY_WINDOW_NS:
            return None  # racily clean: modified in the same tick it was hashed
        self.seen.add(path)
        self.hits += 1
        return entry

    def lookup_hash(
        self,
        path: str,
        display: str,
        module: str | None,
        is_package: bool,
        digest: str,
        is_test: bool = False,
    ) -> Entry | None:
        entry = self._usable(path, display, module, is_package, is_test)
        if entry is None or entry.sha256 != digest:
            return None
        self.seen.add(path)
        self.hits += 1
        return entry

    # --- rendered objects (deploy stage) -----------------------------------------------

    @property
    def renders_path(self) -> Path:
        return self.directory / f"renders-{INTERPRETER}-{self.key[:16]}.pickle"

    def set_rounds(self, rounds: dict[str, Any]) -> None:
        if rounds != self.rounds:
            self.rounds = rounds
            self.dirty = True

    def digests(self) -> dict[str, str]:
        """Display path -> content hash of every file this run looked up (the index may
        hold another tree's files under the same display paths: a monorepo's services
        scanned one by one with one cache directory)."""
        return {
            entry.display: entry.sha256 for path, entry in self.entries.items() if path in self.seen
        }

    def load_renders(self, key: str) -> Any:
        """What the deploy stage rendered from inputs with this digest, or None.

        Rendering a Helm chart for each of its environments costs far more than reading
        the index (0.5 s on a chart with seven environments), so a warm run reuses it."""
        try:
            data = self.renders_path.read_bytes()
            loaded = _RenderUnpickler(io.BytesIO(data)).load()
        except Exception:  # absent, corrupt or foreign: render again
            return None
        if isinstance(loaded, dict) and loaded.get("key") == key:
            return loaded.get("result")
        return None

    def save_renders(self, key: str, result: Any) -> None:
        """Keep one render (the latest inputs); a failure to write is never an error."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = pickle.dumps({"key": key, "result": result}, protocol=4)
            _write_bytes_atomic(self.renders_path, payload)
            for other in self.directory.glob(f"renders-{INTERPRETER}-*.pickle"):
                if other != self.renders_path:
                    other.unlink(missing_ok=True)
        except (OSError, pickle.PicklingError, RecursionError):
            pass

    @property
    def results_path(self) -> Path:
        return self.directory / f"results-{INTERPRETER}-{self.key[:16]}.pickle"

    def load_result(self, key: str) -> Any:
        """What a command made of the project the last time these files were scanned with
        these settings (engine.scan_for), or None."""
        try:
            data = self.results_path.read_bytes()
            loaded = _ResultUnpickler(io.BytesIO(data)).load()
        except Exception:  # absent, corrupt or foreign: work it out again
            return None
        if isinstance(loaded, dict) and loaded.get("key") == key:
            return loaded.get("result")
        return None

    def save_result(self, key: str, result: Any) -> None:
        """Keep one result (the latest files); a failure to write is never an error."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = pickle.dumps({"key": key, "result": result}, protocol=4)
            _write_bytes_atomic(self.results_path, payload)
            for other in self.directory.glob(f"results-{INTERPRETER}-*.pickle"):
                if other != self.results_path:
                    other.unlink(missing_ok=True)
        except (OSError, pickle.PicklingError, RecursionError, AttributeError, TypeError):
            pass

    # --- writing ---------------------------------------------------------------------

    def store(self, path: str, entry: Entry) -> None:
        self.seen.add(path)
        if self.entries.get(path) != entry:
            self.entries[path] = entry
            self.dirty = True

    def refresh_stat(self, entry: Entry, stat: os.stat_result, checked_ns: int) -> None:
        """Same bytes, new stat (touched, or racily clean before): re-arm the fast path."""
        if (entry.mtime_ns, entry.size) != (stat.st_mtime_ns, stat.st_size) or (
            entry.mtime_ns >= entry.checked_ns - RACY_WINDOW_NS
        ):
            entry.mtime_ns, entry.size, entry.checked_ns = (
                stat.st_mtime_ns,
                stat.st_size,
                checked_ns,
            )
            self.dirty = True

    def save(self) -> None:
        """Write the index atomically; a failure to write is never an error of the scan."""
        if not self.dirty:
            # Entries of deleted files linger until the next write: a run on a few files
            # (pre-commit) should not stat every other file the index knows.
            return
        for path in [p for p in self.entries if p not in self.seen]:
            if not os.path.exists(path):  # deleted since: forget it
                del self.entries[path]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                _write_bytes_atomic(ignore, b"# Created by check-background-tasks\n*\n")
            tag = self.directory / "CACHEDIR.TAG"
            if not tag.exists():
                _write_bytes_atomic(
                    tag,
                    b"Signature: 8a477f597d28d172789f06886806bc55\n"
                    b"# This is a cache directory of check-background-tasks.\n",
                )
            payload = {
                "format": FORMAT,
                "key": self.key,
                "entries": {path: entry.row() for path, entry in self.entries.items()},
                "rounds": self.rounds,
            }
            _write_bytes_atomic(self.index_path, pickle.dumps(payload, protocol=4))
            for other in self.directory.glob("facts-*.pickle"):
                if other != self.index_path and _replaced_by_ours(other.name):
                    other.unlink(missing_ok=True)
        except OSError:
            pass


def _replaced_by_ours(name: str) -> bool:
    """Whether this interpreter's new index supersedes `name`: its own older index (other
    code or settings), or one named before indexes named their interpreter
    (`facts-<16 hex>.pickle`). Another interpreter's index stays."""
    return name.startswith(f"facts-{INTERPRETER}-") or len(name) == len("facts-.pickle") + 16


def _write_bytes_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
