"""Autofix: `check --fix`, `--diff`, `--unsafe-fixes` and `--add-noqa`.

One entry point, :func:`apply`. Python fixes are libcst edits of the parsed module (every
comment and byte of layout kept); YAML fixes are one-line text edits, never a re-dump.
Every file is read once, fixed for all its findings at once, checked (it still parses;
Python still compiles where it did) and written atomically in its own encoding, byte order
mark and line endings. A file that cannot be parsed is never touched.

How `check` uses it (ruff's semantics for the options of the same names):

- `--fix`: `apply(findings, mode="fix", unsafe=args.unsafe_fixes, root=cwd, project=...)`,
  then scan and check again and report what is left; exit 1 when findings at or above
  `fail-on` are left, else 0. `run.summary()` on stderr says what was fixed.
- `--diff`: `mode="diff"` writes nothing; `run.diff_bytes` to stdout; exit 1 when
  `run.changed`, else 0.
- `--unsafe-fixes`: `unsafe=True` with `--fix` or `--diff`; alone it only changes the
  count of fixes `run.summary()` says could be enabled.
- `--add-noqa`: `mode="add-noqa"` on every reported finding; exit 0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from ..link import Project
from ..model import Finding
from .apply_file import fix_file, noqa_file
from .jobs import JobIndex
from .kinds import SAFE, UNSAFE, fixability, wanted
from .model import FileEdit, FixRun, Mode, Skip
from .textdiff import unified
from .writing import encoding_of, write_bytes

# A file the scan cannot read has no comments it reads either: BGT900 is silenced by
# `per-file-ignores` or `exclude`, never by a noqa comment.
NOT_BY_COMMENT = frozenset({"BGT900"})
NOT_BY_COMMENT_WHY = "an unreadable file's comments are not read: use per-file-ignores or exclude"

__all__ = ["SAFE", "UNSAFE", "FileEdit", "FixRun", "Mode", "Skip", "apply", "fixability"]


def apply(
    findings: list[Finding],
    *,
    mode: Mode,
    unsafe: bool = False,
    root: Path | str = ".",
    project: Project | None = None,
) -> FixRun:
    """Fix (`fix`), show as a diff (`diff`, writes nothing) or silence (`add-noqa`) the
    findings. `root`: the directory the findings' paths are relative to (the current
    directory of the run). `project`: the scanned project, which knows each job's target
    (BGT031's id) and every id in use; without it those fixes are skipped."""
    run = FixRun(mode=mode)
    base = Path(root)
    by_file: dict[str, list[Finding]] = defaultdict(list)
    copies: set[int] = set()  # findings standing for a copy of another one: not counted
    for finding in findings:
        if mode == "add-noqa" and finding.code in NOT_BY_COMMENT:
            run.skipped.append(
                Skip(finding.location.file, finding.location.line, finding.code, NOT_BY_COMMENT_WHY)
            )
        elif mode == "add-noqa":
            by_file[finding.location.file].append(finding)
        elif wanted(finding.code, unsafe):
            by_file[finding.location.file].append(finding)
            if finding.code == "BGT011":
                # copies of one CronJob in other files are one finding with the same gap
                for where in finding.related:
                    copy = replace(finding, location=where, related=())
                    copies.add(id(copy))
                    by_file[where.file].append(copy)
        elif finding.code in UNSAFE:
            run.unsafe_available += 1
    jobs = JobIndex(project)
    for file in sorted(by_file):
        path = base / file
        try:
            before = path.read_bytes()
        except OSError as err:
            reason = f"cannot read the file ({err.strerror or err})"
            run.skipped += [Skip(file, f.location.line, f.code, reason) for f in by_file[file]]
            continue
        if mode == "add-noqa":
            after, done, skipped = noqa_file(file, before, by_file[file])
        else:
            after, done, skipped = fix_file(file, before, by_file[file], jobs)
        run.skipped += skipped
        if after == before or not done:
            continue
        edit = FileEdit(file, before, after, done)
        if mode != "diff":
            try:
                write_bytes(base / file, after)
            except OSError as err:
                reason = f"cannot write the file ({err.strerror or err})"
                run.skipped += [Skip(file, f.location.line, f.code, reason) for f in done]
                continue
            run.written.append(file)
        run.edits.append(edit)
        run.fixed.update(f.code for f in done if id(f) not in copies)
    for edit in run.edits:
        encoding = encoding_of(edit.before, edit.after)
        text = unified(edit.file, edit.before.decode(encoding), edit.after.decode(encoding))
        run.diff += text
        run.diff_bytes += text.encode(encoding)
    return run
