"""Inputs that fuzzing found, kept as tests; and the fuzz harness kept in step with `extract`.

How to fuzz: bench/README-fuzz.md. A crash found there becomes a case here: the file name
the input stood for and its bytes (after the harness's prefix), smallest first.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from check_background_tasks.extract import extract
from check_background_tasks.model import FileFacts

ROOT = Path(__file__).resolve().parents[2]
KEYWORD_PREFIX = b"import asyncio\nasyncio.create_task(x)\n"

# Valid Python (CPython compiles every one of them) whose syntax tree is a few hundred
# levels deep: walking the tree recursively exhausts the interpreter's default recursion
# limit (fixed: extraction runs on a deep stack, extract/python.py; first seen with
# libcst, which did the walking then, and kept for the ast collector). Found by
# the fuzzer (last case)
# and by probing the depths between ordinary code and the sizes the hostile-tree tests
# use (3,000, refused up front as "too deeply nested"); the counts are the smallest that
# failed on CPython 3.11 with libcst's native parser: the CLI reported BGT900 "too deeply
# nested to parse" for a valid file and lost every job declared in it.
DEEP_BUT_VALID = {
    "implicit string concatenation x327": b"x = " + b"'a' " * 327 + b"\n",
    "a + chain x325": b"x = 1" + b" + 1" * 325 + b"\n",
    "not x325": b"x = " + b"not " * 325 + b"1\n",
    "attribute chain x325": b"x = a" + b".b" * 325 + b"\n",
    "call chain x326": b"x = f" + b"()" * 326 + b"\n",
    # bench/fuzz_extract.py --target=py, crash-35529f41…: input b"it%m" (0x69: prefix 1,
    # the rest repeated 336 times), i.e. `t % mt % mt % ... m`, found in two seconds.
    "fuzzer: t%m x336": b"t%m" * 336,
}
SQL_SERVICE = (
    b"from apscheduler.schedulers.background import BackgroundScheduler\n\n"
    b"def report(): ...\n\n"
    b"scheduler = BackgroundScheduler()\n"
    b"scheduler.add_job(report, 'cron', hour=3, id='report')\n\n"
    b"QUERY = (\n" + b"    'SELECT 1 UNION ALL '\n" * 330 + b"    'SELECT 1'\n)\n"
)


def test_the_deep_cases_are_valid_python() -> None:
    for source in [*DEEP_BUT_VALID.values(), SQL_SERVICE]:
        compile(source, "gen.py", "exec")


@pytest.mark.parametrize("source", DEEP_BUT_VALID.values(), ids=DEEP_BUT_VALID.keys())
def test_extract_never_raises_on_deep_valid_code(source: bytes) -> None:
    facts = extract("gen.py", KEYWORD_PREFIX + source, "gen")
    assert isinstance(facts, FileFacts)
    assert all(problem.message for problem in facts.problems)


def test_long_string_concatenation_keeps_the_jobs() -> None:
    """A real-world shape of the bug: a long SQL literal next to a job."""
    facts = extract("svc.py", SQL_SERVICE, "svc")
    assert not facts.problems
    assert [job.name for job in facts.jobs] == ["report"]


# ---------------------------------------------------------------- the fuzz harness


def _harness():
    spec = importlib.util.spec_from_file_location("fuzz_extract", ROOT / "bench/fuzz_extract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fuzz_harness_replays_its_seeds(tmp_path: Path) -> None:
    """bench/fuzz_extract.py imports without atheris and its targets still match
    `extract`'s signature: every seed it would start from passes its invariant."""
    harness = _harness()
    assert set(harness.TARGETS) == {"py", "yaml", "json", "procfile"}
    for target in harness.TARGETS:
        corpus = tmp_path / target
        harness.seed_corpus(target, corpus)
        seeds = sorted(corpus.iterdir())
        assert len(seeds) >= 2, target
        for seed in seeds:
            harness.check_one(target, seed.read_bytes())
    # The input the fuzzer saved as crash-35529f41… stands for a DEEP_BUT_VALID case.
    path, source = harness.make_input("py", b"it%m")
    assert source == KEYWORD_PREFIX + DEEP_BUT_VALID["fuzzer: t%m x336"]
    path, source = harness.make_input("py", b"\x41" + b"'a' ")
    assert path.endswith(".py") and source.count(b"'a' ") == 16
    assert harness.make_input("yaml", b"\x00kind: CronJob\n")[1] == b"kind: CronJob\n"


def test_generated_depth_past_cpythons_bound_is_refused_in_one_line() -> None:
    # CPython refuses to build an ast this deep (RecursionError during ast construction on
    # 3.11, a SyntaxError on newer versions); either way one problem, not a crash.
    facts = extract("gen.py", KEYWORD_PREFIX + b"x = 1" + b" + 1" * 6000 + b"\n", "gen")
    assert [p.message[:26] for p in facts.problems] == ["too deeply nested to parse"]


def test_deep_code_that_cpython_accepts_is_read_in_full() -> None:
    # A generated 2,000-term expression beside a job: the job must not be lost.
    chain = b"x = 1" + b" + 1" * 2000 + b"\n"
    job = b"import asyncio\nasync def go(): ...\nasyncio.create_task(go())\n"
    facts = extract("gen.py", chain + job, "gen")
    assert facts.problems == []
    assert [(j.kind, j.line) for j in facts.jobs] == [("create_task", 4)]
