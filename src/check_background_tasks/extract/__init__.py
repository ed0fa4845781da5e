"""Per-file extraction: a pure function of (path, bytes) → FileFacts."""

from __future__ import annotations

from ..model import FileFacts, Problem
from .python import extract_python

# Byte strings at least one of which any Python file declaring a job must contain.
# Literal `in` tests are far cheaper than a regex alternation (see bench/README.md).
PYTHON_KEYWORDS = (
    b"add_job",
    b"add_schedule",
    b"scheduled_job",
    b"beat_schedule",
    b"BEAT_SCHEDULE",
    b"add_periodic_task",
    b"create_task",
    b"ensure_future",
    b"add_task",
    b"periodic_task",
    b"cron",
    b"SCHEDULE",
    b"schedule=",
    b"shared_task",
    b".task",
    b"locked_scheduler",
    b".start(",
)


def python_might_matter(source: bytes) -> bool:
    return any(keyword in source for keyword in PYTHON_KEYWORDS)


def extract(
    path: str, source: bytes, module: str | None = None, is_package: bool = False
) -> FileFacts:
    """Facts of one file. Never raises for bad input: problems become `FileFacts.problems`."""
    if b"\x00" in source:
        return FileFacts(path=path, problems=[Problem("file contains NUL bytes")])
    name = path.rsplit("/", 1)[-1]
    if name.endswith((".py", ".pyi")):
        return extract_python(path, source, module, is_package)
    if name.endswith((".yaml", ".yml", ".json")):
        from .kubernetes import extract_yaml

        return extract_yaml(path, source)
    if name == "Procfile" or name.startswith("Procfile."):
        from .procfile import extract_procfile

        return extract_procfile(path, source)
    return FileFacts(path=path)
