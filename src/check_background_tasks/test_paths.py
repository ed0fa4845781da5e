"""Which files are a project's tests: no deployment runs them, so their jobs and starts
are fixtures, and the process model reads only what they import."""

from __future__ import annotations


def is_test_file(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    return (
        any(p in ("tests", "test", "testing") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )
