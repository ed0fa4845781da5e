"""Which rule codes have a fix, and whether it is safe (keeps behaviour the finding does not
question) or unsafe (changes what runs: a task is kept alive, a start moves)."""

from __future__ import annotations

SAFE = frozenset({"BGT011", "BGT025", "BGT031"})
UNSAFE = frozenset({"BGT021", "BGT023"})


def fixability(code: str) -> str:
    """`true`, `unsafe` or `false`, as the rule pages' front matter says."""
    if code in SAFE:
        return "true"
    if code in UNSAFE:
        return "unsafe"
    return "false"


def wanted(code: str, unsafe: bool) -> bool:
    return code in SAFE or (unsafe and code in UNSAFE)
