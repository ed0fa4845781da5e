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


MULTI_LINE = '''\
from apscheduler.schedulers.asyncio import AsyncIOScheduler
class Repo[
    T,
    U,
]:
    pass
def pick[
    T
](x: T) -> T: ...
type Alias[
    K
] = dict[
    K, int
]
CFG = {"a": "b"}
try:
    pass
except* ValueError:
    pass
tag = t"{CFG}"
report = f"""
{CFG["a"]}
"""
def tick(): ...
s = AsyncIOScheduler()
''' + (
    's.add_job(tick, "interval", seconds=5, id=f"tick-{CFG["a"]}"); '
    's.add_job(tick, "interval", seconds=7, id="x")\n'
)


def test_multi_line_headers_and_same_line_rewrites_keep_positions(tmp_path):
    older = downgrade(MULTI_LINE.encode())
    ast.parse(older)
    assert older.count(b"\n") == MULTI_LINE.count("\n")
    line_text = MULTI_LINE.splitlines()[-1]
    line = len(MULTI_LINE.splitlines())
    jobs = records(tmp_path, {"app.py": MULTI_LINE})
    assert [(j["line"], j["column"], j["name"], j["interval_seconds"]) for j in jobs] == [
        (line, 1, 'f"tick-{CFG["a"]}"', 5),  # the id as written, read off the original
        (line, line_text.index("s.add_job", 1) + 1, "x", 7),
    ]


def test_blanked_f_string_is_unknown_not_a_value(tmp_path):
    source = (
        "from apscheduler.schedulers.background import BackgroundScheduler\n"
        "from apscheduler.triggers.cron import CronTrigger\n"
        "C = {}\n"
        "def tick(): ...\n"
        "s = BackgroundScheduler()\n"
        's.add_job(tick, "cron", hour=f"{C["h"]}", id="a")\n'
        "type Unused = int\n"
    )
    assert findings(tmp_path, {"app.py": source}, code="BGT030") == []
    [job] = records(tmp_path, {"app.py": source})
    assert job["cron"] is None
