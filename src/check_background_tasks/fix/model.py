"""What a fix run found, changed and left alone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from ..model import Finding

Mode = Literal["fix", "diff", "add-noqa"]


@dataclass(frozen=True)
class Skip:
    """A finding the run could not fix (or silence), with a one-line reason."""

    file: str
    line: int
    code: str
    reason: str

    def text(self) -> str:
        return f"{self.file}:{self.line}: {self.code} not fixed: {self.reason}"


@dataclass
class FileEdit:
    """One file's new bytes and the findings they address."""

    file: str  # as reported (relative to the run's root, forward slashes)
    before: bytes
    after: bytes
    findings: list[Finding] = field(default_factory=list)


@dataclass
class FixRun:
    mode: Mode
    edits: list[FileEdit] = field(default_factory=list)
    fixed: Counter[str] = field(default_factory=Counter)  # code -> findings fixed (or silenced)
    diff: str = ""  # unified diff of every edit, `a/` and `b/` prefixes, for `git apply`
    # the same diff with each file's lines in that file's own bytes (a latin-1 file's
    # patch applies only so): what `--diff` writes to stdout's buffer
    diff_bytes: bytes = b""
    written: list[str] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    unsafe_available: int = 0  # findings an unsafe fix would address, not applied

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def summary(self) -> str:
        """One line, as ruff says it: "Fixed 3 findings (1 fix available with --unsafe-fixes)."."""
        total = sum(self.fixed.values())
        if self.mode == "add-noqa":
            noun = "directive" if total == 1 else "directives"
            return f"Added {total} noqa {noun}."
        verb = "Would fix" if self.mode == "diff" else "Fixed"
        noun = "finding" if total == 1 else "findings"
        text = f"{verb} {total} {noun}"
        if self.unsafe_available:
            fixes = "fix" if self.unsafe_available == 1 else "fixes"
            text += f" ({self.unsafe_available} hidden {fixes} can be enabled with --unsafe-fixes)"
        return text + "."
