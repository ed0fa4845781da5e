"""Unified diffs that `git apply` and `patch -p1` accept."""

from __future__ import annotations

import difflib
import re

NO_NEWLINE = "\\ No newline at end of file\n"
# Lines end at LF only: str.splitlines would also split at form feeds and U+2028, which
# are not line ends to git.
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def unified(path: str, before: str, after: str) -> str:
    """`before` -> `after` as a git-style diff of `path`; "" when they are equal.

    Lines keep their own endings (a CRLF file's diff carries its CR), and a last line
    without one is marked as diff(1) marks it: otherwise the patch would add a newline."""
    if before == after:
        return ""
    old = _LINE.findall(before)
    new = _LINE.findall(after)
    out = [f"diff --git a/{path} b/{path}\n"]
    for number, line in enumerate(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}")):
        if number < 2:  # the `---` / `+++` header (a removed line may start with `--` too)
            out.append(line.rstrip("\r\n") + "\n")
        elif line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n" + NO_NEWLINE)
    return "".join(out)
