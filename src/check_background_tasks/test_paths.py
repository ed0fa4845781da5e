"""Which files are a project's tests: no deployment runs them, so their jobs and starts
are fixtures, and the process model reads only what they import.

Judged on the path below the scan's root, never on the path as given: a project checked
out under `/home/me/test/service`, or checked as `../tests/proj`, is not all tests. The
root is the directory that holds every path given (a file given alone: its directory), as
for the root configuration (settings.py), so `check app tests` and pre-commit's
`app/main.py app/tests/helpers.py` keep their tests. discover.py gives each Python file
its verdict as it finds it; the cache keeps facts read as a test apart (cache.py).
"""

from __future__ import annotations

import os

TEST_DIRECTORIES = frozenset({"tests", "test", "testing"})


def is_test_file(path: str) -> bool:
    """`path`: forward slashes, relative to the root the file was found under."""
    parts = path.split("/")
    name = parts[-1]
    return (
        any(p in TEST_DIRECTORIES for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def common_directory(given: list[str], files: set[str]) -> str | None:
    """The directory that holds every path given (normalised, absolute); a file given
    alone: its directory. `files`: those of `given` that are files. None when there is no
    such directory (different drives on Windows)."""
    if not given:
        return None
    try:
        common = os.path.commonpath(given)
    except ValueError:
        return None
    return os.path.dirname(common) if common in files else common


def below_test_directory(root: str, common: str | None) -> bool:
    """Is a directory given on the command line (normalised, absolute) inside a test
    directory of the project? Only its components below the directory holding every path
    given count: `check app tests` gives tests; `check .` from a checkout named `test`,
    or `check ../tests/proj`, does not."""
    if common is None or root == common:
        return False
    base = common.rstrip(os.sep) + os.sep
    if not root.startswith(base):
        return False
    return any(part in TEST_DIRECTORIES for part in root[len(base) :].split(os.sep))


def given_file_is_test(path: str, common: str | None) -> bool:
    """A file given by name (normalised, absolute): judged below the directory holding
    every path given (pre-commit passes `app/tests/helpers.py app/main.py`)."""
    base = (common or os.path.dirname(path)).rstrip(os.sep) + os.sep
    rel = path[len(base) :] if path.startswith(base) else os.path.basename(path)
    return is_test_file(rel.replace(os.sep, "/"))
