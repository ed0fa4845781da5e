"""Which files to read: git-aware, excludes, and never a symlink out of the root."""

from __future__ import annotations

import fnmatch
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

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
SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json")
# Package-manager lock files: large, generated, never manifests.
LOCK_FILES = frozenset({"pnpm-lock.yaml", "package-lock.json", "Pipfile.lock", "composer.json"})


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute, as found (not resolved through links)
    display: str  # relative to the current directory, forward slashes
    root: Path  # the scanned root it was found under


def display_path(path: Path, cwd: Path) -> str:
    text, base = str(path), str(cwd).rstrip(os.sep) + os.sep
    if text.startswith(base):  # the common case, without relpath's normalisation work
        return text[len(base) :].replace(os.sep, "/")
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return rel.replace(os.sep, "/")


def is_candidate_name(name: str) -> bool:
    if name in LOCK_FILES:
        return False
    return name.endswith(SOURCE_SUFFIXES) or name == "Procfile" or name.startswith("Procfile.")


def _excluded(rel: str, patterns: list[str]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(rel, pattern) or any(fnmatch.fnmatch(p, pattern) for p in parts):
            return True
    return False


def _skip_dir(name: str, path: Path) -> bool:
    if name in SKIP_DIRS or name.endswith(".egg-info"):
        return True
    # Any virtualenv, whatever its name.
    return (path / "pyvenv.cfg").exists()


def _inside(path: Path, root_real: Path) -> bool:
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # symlink loop
        return False
    return real == root_real or root_real in real.parents


def _git_files(root: Path) -> list[str] | None:
    """Files git would show (tracked plus untracked-not-ignored), or None outside git."""
    try:
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _walk(root: Path) -> list[str]:
    """Candidate files under `root` (relative, forward slashes), outside any git tree."""
    out: list[str] = []
    stack = [str(root)]
    base = len(str(root)) + 1
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not _skip_dir(entry.name, Path(entry.path)):
                    stack.append(entry.path)
            elif is_candidate_name(entry.name):
                out.append(entry.path[base:].replace(os.sep, "/"))
    return sorted(out)


def _kind(path: str) -> int | None:
    """lstat's mode of `path`, or None when it does not exist (one syscall)."""
    try:
        return os.lstat(path).st_mode
    except OSError:
        return None


def discover(
    paths: list[str], exclude: list[str], cwd: Path | None = None
) -> tuple[list[SourceFile], list[str]]:
    """(files, errors) for the given paths; errors are one-line messages."""
    cwd = cwd or Path.cwd()
    files: dict[str, SourceFile] = {}
    errors: list[str] = []
    for raw in paths:
        given = Path(raw)
        if not given.is_absolute():
            given = cwd / given
        if not given.exists() and not given.is_symlink():
            errors.append(f"{raw}: no such file or directory")
            continue
        if not given.is_dir():
            display = display_path(given, cwd)
            files.setdefault(display, SourceFile(given, display, given.parent))
            continue
        root_real = given.resolve()
        names = _git_files(given)
        if names is None:
            names = _walk(given)
        prefix = str(given) + os.sep
        for rel in names:
            if not is_candidate_name(rel.rsplit("/", 1)[-1]):
                continue
            parts = rel.split("/")
            if any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
                continue
            if exclude and _excluded(rel, exclude):
                continue
            text = prefix + rel.replace("/", os.sep)
            mode = _kind(text)
            if mode is None:
                continue  # listed by git but deleted
            path = Path(text)
            if stat.S_ISLNK(mode):
                if not _inside(path, root_real) or not path.is_file():
                    continue  # never read outside the scanned root; dangling links
            elif not stat.S_ISREG(mode):
                continue  # a directory named x.py, a FIFO
            display = display_path(path, cwd)
            files.setdefault(display, SourceFile(path, display, given))
    return [files[k] for k in sorted(files)], errors


class ModuleNamer:
    """Dotted module names from package structure (`__init__.py`), src layouts included."""

    def __init__(self) -> None:
        self._has_init: dict[Path, bool] = {}
        self._prefixes: dict[tuple[Path, Path], tuple[str, ...]] = {}

    def _package(self, directory: Path) -> bool:
        known = self._has_init.get(directory)
        if known is None:
            known = (directory / "__init__.py").is_file()
            self._has_init[directory] = known
        return known

    def _prefix(self, directory: Path, root: Path) -> tuple[str, ...]:
        """The dotted parts every module directly in `directory` starts with (memoised:
        a tree has far fewer directories than files)."""
        key = (directory, root)
        known = self._prefixes.get(key)
        if known is not None:
            return known
        if self._package(directory):
            parent = directory.parent
            above = (
                self._prefix(parent, root) if parent != directory and self._package(parent) else ()
            )
            prefix = (*above, directory.name)
        else:
            # Namespace layout: name it from the scanned root, as `python -m` would.
            try:
                parts = [p for p in directory.relative_to(root).parts if p != "."]
            except ValueError:
                parts = []
            if parts and parts[0] == "src":
                parts = parts[1:]
            prefix = tuple(parts)
        self._prefixes[key] = prefix
        return prefix

    def name(self, file: SourceFile) -> tuple[str | None, bool]:
        """(module, is_package) of a Python file."""
        path = file.path
        if not path.name.endswith(".py"):
            return None, False
        stem = path.name[:-3]
        is_package = stem == "__init__"
        parts = self._prefix(path.parent, file.root) + (() if is_package else (stem,))
        return (".".join(parts) or None), is_package
