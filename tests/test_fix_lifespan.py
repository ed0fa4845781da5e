"""BGT023 (unsafe): a bare module-level `scheduler.start()` moves into the module's one
FastAPI lifespan, before its `yield`."""

from __future__ import annotations

from fixing import codes_left, fix

BEFORE = """\
from contextlib import asynccontextmanager

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI

scheduler = AsyncIOScheduler()


@asynccontextmanager
async def lifespan(app: FastAPI):
    try:
        yield
    finally:
        scheduler.shutdown()


app = FastAPI(lifespan=lifespan)

# run the jobs
scheduler.start()
"""

AFTER = """\
from contextlib import asynccontextmanager

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI

scheduler = AsyncIOScheduler()


@asynccontextmanager
async def lifespan(app: FastAPI):
    try:
        # run the jobs
        scheduler.start()
        yield
    finally:
        scheduler.shutdown()


app = FastAPI(lifespan=lifespan)
"""


def test_start_moves_into_the_lifespan(tmp_path):
    run = fix(tmp_path, {"app/main.py": BEFORE}, unsafe=True, codes=("BGT023",))
    assert (tmp_path / "app/main.py").read_text() == AFTER
    assert run.fixed == {"BGT023": 1}
    assert "BGT023" not in codes_left(tmp_path)
    assert not fix(tmp_path, unsafe=True, codes=("BGT023",)).edits


def test_not_a_safe_fix(tmp_path):
    run = fix(tmp_path, {"app/main.py": BEFORE}, codes=("BGT023",))
    assert not run.edits and run.unsafe_available == 1
    assert (tmp_path / "app/main.py").read_text() == BEFORE


def test_no_fix_without_an_unambiguous_lifespan(tmp_path):
    two_apps = BEFORE.replace(
        "app = FastAPI(lifespan=lifespan)\n",
        "app = FastAPI(lifespan=lifespan)\nadmin = FastAPI(lifespan=other)\n",
    )
    no_app = BEFORE.replace("app = FastAPI(lifespan=lifespan)\n", "app = FastAPI()\n")
    gated = BEFORE.replace("scheduler.start()\n", "if True:\n    scheduler.start()\n")
    for name, source in (("two.py", two_apps), ("none.py", no_app), ("gated.py", gated)):
        run = fix(tmp_path, {f"app/{name}": source}, unsafe=True, codes=("BGT023",))
        assert (tmp_path / "app" / name).read_text() == source
        assert not run.edits
