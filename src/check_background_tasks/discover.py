"""Which files to read: git-aware, excludes, and never a symlink out of the root."""

from __future__ import annotations

import fnmatch
import os
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .test_paths import below_test_directory, common_directory, given_file_is_test, is_test_file

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".check_background_tasks_cache",
        "site-packages",
    }
)
# `.tpl`: Helm's named templates (`_helpers.tpl`); the prefilter keeps those under a
# chart's `templates/` directory only.
SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".tpl", ".gotmpl")  # .gotmpl: helmfile
# Package-manager lock files: large, generated, never manifests.
LOCK_FILES = frozenset({"pnpm-lock.yaml", "package-lock.json", "Pipfile.lock", "composer.json"})


@dataclass(frozen=True)
class SourceFile:
    """A file discovery found."""

    # Plain strings, not Path: discovery makes one of these per file, and pathlib's
    # parsing was most of a warm run's discovery time.
    path: str  # absolute, as found (not resolved through links)
    display: str  # relative to the current directory, forward slashes
    root: str  # the scanned root it was found under
    # discovery's lstat of a regular file, which the cache's mtime+size check reuses
    stat: os.stat_result | None = field(default=None, compare=False, repr=False)
    # a test of the project, judged below the scan's root (test_paths.py); Python only
    is_test: bool = False


def display_path(path: str, cwd: str) -> str:
    base = cwd.rstrip(os.sep) + os.sep
    if path.startswith(base):  # the common case, without relpath's normalisation work
        return path[len(base) :].replace(os.sep, "/")
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = path
    return rel.replace(os.sep, "/")


# Files that tell how many processes run the code (deploy/processes.py), besides
# manifests: scripts, supervisord/uWSGI INI files, Dockerfiles.
PROCESS_SUFFIXES = (".sh", ".conf", ".ini", ".dockerfile", ".Dockerfile", ".containerfile")


def is_candidate_name(name: str) -> bool:
    if name in LOCK_FILES:
        return False
    return (
        name.endswith(SOURCE_SUFFIXES)
        or name in ("Procfile", "Kustomization")
        or name.startswith("Procfile.")
        or name.endswith(PROCESS_SUFFIXES)
        or (
            name.startswith(("Dockerfile", "Containerfile", "dockerfile"))
            and not name.endswith(".dockerignore")
        )
    )


def _excluded(rel: str, patterns: list[str]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(rel, pattern) or any(fnmatch.fnmatch(p, pattern) for p in parts):
            return True
    return False


def _skipped_name(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(".egg-info")


def _is_dist_info(name: str) -> bool:
    return name.endswith(".dist-info")


def _installed_package_dirs(names: list[str]) -> set[str]:
    """Directories below the root that hold installed packages: third-party code vendored
    with `pip install --target`, whose findings no one here can act on (bazarr's libs/
    has 112 of them). Known by the `*.dist-info` pip leaves beside each package."""
    out: set[str] = set()
    for rel in names:
        if ".dist-info/" not in rel:
            continue
        parts = rel.split("/")
        for i, part in enumerate(parts[:-1]):
            if i > 0 and _is_dist_info(part):
                out.add("/".join(parts[:i]))
                break
    return out


def _under_any(rel: str, directories: set[str]) -> bool:
    parts = rel.split("/")
    return any("/".join(parts[:i]) in directories for i in range(1, len(parts)))


def _inside(path: str, root_real: Path) -> bool:
    try:
        real = Path(path).resolve()
    except (OSError, RuntimeError):  # symlink loop
        return False
    return real == root_real or root_real in real.parents


GIT_TIMEOUT_SECONDS = 60
# Listings started before the cache loads. Each holds a pipe open until it is read, so
# hundreds of directory arguments at once would run into the open-file limit (256 on
# macOS), and a listing that cannot start falls back to a walk that ignores .gitignore.
EARLY_LISTINGS = 8
Listing = subprocess.Popen  # a running `git ls-files`


# Directories that could not be read (permissions): their files are not checked, and
# the command line says so (never a silent pass). Absolute paths, for this process.
UNREADABLE: list[str] = []


def _start_git(root: str) -> Listing[bytes] | None:
    """Start listing what git would show under `root`; None when git cannot run."""
    try:
        return subprocess.Popen(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # "could not open directory" (UNREADABLE)
        )
    except OSError:
        return None


def _git_files(listing: Listing[bytes] | None, root: str = "") -> list[str] | None:
    """Files git would show (tracked plus untracked-not-ignored), or None outside git."""
    if listing is None:
        return None
    try:
        out, err = listing.communicate(timeout=GIT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        listing.kill()
        if listing.stdout is not None:
            listing.stdout.close()  # a child of git may still hold the pipe: do not wait on it
        listing.wait()
        return None
    if listing.returncode != 0:
        return None
    for line in (err or b"").decode("utf-8", "replace").splitlines():
        # git: "warning: could not open directory 'sub/': Permission denied"
        _, quote, rest = line.partition("could not open directory '")
        if quote:
            name = rest.partition("'")[0].rstrip("/")
            under_root = os.path.join(root, name)
            UNREADABLE.append(under_root if os.path.isdir(under_root) else name)
    names = out.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _walk(root: str) -> tuple[list[str], set[str]]:
    """(candidate files under `root`, those known to be regular files), relative with
    forward slashes, for a tree outside git. scandir already knows each entry's type, so
    a regular file needs no further stat."""
    out: list[str] = []
    regular: set[str] = set()
    stack = [root]
    base = len(root.rstrip(os.sep)) + 1  # `/` itself ends with the separator
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except PermissionError:
            UNREADABLE.append(directory)
            continue
        except OSError:
            continue
        # Any virtualenv, whatever its name, and installed packages vendored into the
        # project (`pip install --target libs`: a `*.dist-info` beside them); the scanned
        # root itself is always read.
        if directory != root and any(
            (e.name == "pyvenv.cfg" and os.path.exists(e.path)) or _is_dist_info(e.name)
            for e in entries
        ):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not _skipped_name(entry.name):
                    stack.append(entry.path)
            elif is_candidate_name(entry.name):
                rel = entry.path[base:].replace(os.sep, "/")
                out.append(rel)
                if entry.is_file(follow_symlinks=False):
                    regular.add(rel)
    out.sort()
    return out, regular


def _lstat(path: str) -> os.stat_result | None:
    """lstat of `path`, or None when it does not exist (one syscall)."""
    try:
        return os.lstat(path)
    except OSError:
        return None


def discover(
    paths: list[str], exclude: Exclusion, cwd: Path | None = None
) -> tuple[list[SourceFile], list[str]]:
    """(files, errors) for the given paths; errors are one-line messages."""
    return start_discovery(paths, cwd)(exclude)


# What is excluded: patterns matched below each scanned root, or a judge of each file
# (absolute path, the root it was found under or None for a file given by name) that
# knows which configuration applies where (settings.Settings.excluded).
Exclusion = list[str] | Callable[[str, str | None], bool]
# Finishes a discovery, given what is excluded: (files, one-line errors).
Discovery = Callable[[Exclusion], tuple[list[SourceFile], list[str]]]


def start_discovery(paths: list[str], cwd: Path | None = None) -> Discovery:
    """Start `git ls-files` under every directory given and return what finishes
    discovery: git walks the tree in its own process while the caller imports what it
    needs and reads its cache (the exclude patterns come with the configuration)."""
    cwd = cwd or Path.cwd()
    given: list[tuple[str, Path | None, Listing[bytes] | None]] = []
    started = 0
    for raw in paths:
        path = Path(raw)  # normalises `./x`, `x/` and `a//b` once per argument
        if not path.is_absolute():
            path = cwd / path
        if not path.exists() and not path.is_symlink():
            given.append((raw, None, None))
        elif path.is_dir() and started < EARLY_LISTINGS:
            started += 1
            given.append((raw, path, _start_git(str(path))))
        else:  # a file, or a directory whose listing starts when its turn comes
            given.append((raw, path, None))
    return lambda exclude: _finish(given, exclude, str(cwd))


def _finish(
    given: list[tuple[str, Path | None, Listing[bytes] | None]], exclude: Exclusion, cwd: str
) -> tuple[list[SourceFile], list[str]]:
    judge = exclude if callable(exclude) else None
    files: dict[str, SourceFile] = {}
    errors: list[str] = []
    # Test-ness is judged below the directory holding every path given, never on the
    # path as given (`check ../tests/proj` is no test): test_paths.py.
    normal = {path: os.path.normpath(path) for _, path, _ in given if path is not None}
    directories = {path for path in normal if path.is_dir()}
    common = common_directory(
        list(normal.values()), {n for p, n in normal.items() if p not in directories}
    )
    for raw, path, listing in given:
        if path is None:
            errors.append(f"{raw}: no such file or directory")
            continue
        if path not in directories:
            if judge is not None and judge(str(path), None):
                continue  # --force-exclude
            display = display_path(str(path), cwd)
            is_test = str(path).endswith(".py") and given_file_is_test(normal[path], common)
            files.setdefault(
                display, SourceFile(str(path), display, str(path.parent), None, is_test)
            )
            continue
        root = str(path)
        in_tests = below_test_directory(normal[path], common)
        root_real = path.resolve()
        regular: set[str] = set()
        names = _git_files(listing if listing is not None else _start_git(root), root)
        if names is None:
            names, regular = _walk(root)
        prefix = root.rstrip(os.sep) + os.sep
        vendored = _installed_package_dirs(names)
        for rel in names:
            if not is_candidate_name(rel.rsplit("/", 1)[-1]):
                continue
            parts = rel.split("/")
            if any(_skipped_name(p) for p in parts[:-1]):
                continue
            if vendored and _under_any(rel, vendored):
                continue
            text = prefix + rel if os.sep == "/" else prefix + rel.replace("/", os.sep)
            if judge is not None:
                if judge(text, root):
                    continue
            elif exclude and _excluded(rel, exclude):  # type: ignore[arg-type]
                continue
            known = None
            if rel not in regular:
                known = _lstat(text)
                if known is None:
                    continue  # listed by git but deleted
                if stat.S_ISLNK(known.st_mode):
                    if not _inside(text, root_real) or not os.path.isfile(text):
                        continue  # never read outside the scanned root; dangling links
                    known = None  # the cache must see the target's times, not the link's
                elif not stat.S_ISREG(known.st_mode):
                    continue  # a directory named x.py, a FIFO
            display = display_path(text, cwd)
            is_test = rel.endswith(".py") and (in_tests or is_test_file(rel))
            files.setdefault(display, SourceFile(text, display, root, known, is_test))
    return [files[k] for k in sorted(files)], errors


class ModuleNamer:
    """Dotted module names from package structure (`__init__.py`), src layouts included."""

    def __init__(self) -> None:
        self._has_init: dict[str, bool] = {}
        self._prefixes: dict[tuple[str, str], tuple[str, ...]] = {}

    def _package(self, directory: str) -> bool:
        known = self._has_init.get(directory)
        if known is None:
            known = os.path.isfile(os.path.join(directory, "__init__.py"))
            self._has_init[directory] = known
        return known

    def _prefix(self, directory: str, root: str) -> tuple[str, ...]:
        """The dotted parts every module directly in `directory` starts with (memoised:
        a tree has far fewer directories than files)."""
        key = (directory, root)
        known = self._prefixes.get(key)
        if known is not None:
            return known
        if self._package(directory):
            parent = os.path.dirname(directory)
            above = (
                self._prefix(parent, root) if parent != directory and self._package(parent) else ()
            )
            prefix = (*above, os.path.basename(directory))
        else:
            # Namespace layout: name it from the scanned root, as `python -m` would.
            parts = _relative_parts(directory, root)
            if parts and parts[0] == "src":
                parts = parts[1:]
            prefix = tuple(parts)
        self._prefixes[key] = prefix
        return prefix

    def name(self, file: SourceFile) -> tuple[str | None, bool]:
        """(module, is_package) of a Python file."""
        directory, _, filename = file.path.rpartition(os.sep)
        if not filename.endswith(".py"):
            return None, False
        stem = filename[:-3]
        is_package = stem == "__init__"
        parts = self._prefix(directory or os.sep, file.root) + (() if is_package else (stem,))
        return (".".join(parts) or None), is_package


def _relative_parts(directory: str, root: str) -> list[str]:
    """`directory`'s components below `root`; none when it is not below it."""
    base = root.rstrip(os.sep)
    if directory in (base, root):
        return []
    if not directory.startswith(base + os.sep):
        return []
    return [p for p in directory[len(base) + 1 :].split(os.sep) if p and p != "."]
