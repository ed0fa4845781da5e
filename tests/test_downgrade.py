"""Grammar newer than the running Python is read through libcst, every line in place."""

from __future__ import annotations

import ast

import pytest
from helpers import findings, records

from check_background_tasks.extract.downgrade import NotPython, downgrade

NEWER = '''\
from apscheduler.schedulers.asyncio import AsyncIOScheduler
type Pair[T] = tuple[T, T]
class Box[T]:
    def get[U](self, other: U) -> T: ...
banner = f"{ {"a": 1}["a"] }"
report = f"""
{banner["x"]}
"""
try:
    pass
except ValueError, TypeError:
    pass
def tick(): ...
s = AsyncIOScheduler()
s.add_job(tick, "interval", seconds=5, id="tick")
'''


def test_rewritten_source_parses_and_keeps_every_line():
    older = downgrade(NEWER.encode())
    ast.parse(older)  # the running interpreter's grammar, whatever its version
    assert older.count(b"\n") == NEWER.count("\n")
    assert older.splitlines()[-1] == NEWER.encode().splitlines()[-1]


def test_newer_grammar_keeps_jobs_at_their_lines(tmp_path):
    [job] = records(tmp_path, {"app.py": NEWER})
    assert (job["target"], job["interval_seconds"], job["line"], job["column"]) == (
        "app.tick",
        5,
        15,
        1,
    )


def test_suppressions_in_newer_grammar_still_apply(tmp_path):
    job_without_id = "s.add_job(tick, 'interval', seconds=9)"
    plain = {"app.py": f"{NEWER}{job_without_id}\n"}
    assert [f.location.line for f in findings(tmp_path / "plain", plain, code="BGT031")] == [16]
    suppressed = {"app.py": f"{NEWER}{job_without_id}  # noqa: BGT031\n"}
    assert findings(tmp_path / "suppressed", suppressed, code="BGT031") == []


def test_what_libcst_cannot_read_either_is_not_python():
    with pytest.raises(NotPython):
        downgrade(b"def broken(:\n    pass\n")
