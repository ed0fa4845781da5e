"""Reading a file's bytes as text for a diff, and writing fixed bytes back atomically."""

from __future__ import annotations

from pathlib import Path

from ..atomic import write_atomic


def encoding_of(*versions: bytes) -> str:
    """How a diff reads the file: UTF-8 (a BOM kept as U+FEFF), else latin-1 (every byte
    maps to one character and back, so the diff's bytes are the file's)."""
    try:
        for data in versions:
            data.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def write_bytes(path: Path, data: bytes) -> None:
    write_atomic(path, data)
