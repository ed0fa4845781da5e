"""Reading a file's bytes as text for a diff, and writing fixed bytes back atomically."""

from __future__ import annotations

from pathlib import Path

from ..atomic import write_atomic


def decoded(data: bytes) -> str:
    """The text a diff shows: UTF-8 (a BOM kept as U+FEFF), else latin-1 (every byte)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def write_bytes(path: Path, data: bytes) -> None:
    write_atomic(path, data)
