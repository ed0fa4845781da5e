"""BGT022 replica-loop and BGT040 blocking-call-in-async-job (BGT021 is tested with the engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

LOOP = """\
import asyncio


async def refresh_cache_forever():
    while True:
        await refresh()
        await asyncio.sleep(60)


async def refresh():
    pass
"""

LOCKED_LOOP = """\
import asyncio

from app.redis import redis


async def refresh_cache_forever():
    while True:
        async with redis.lock("refresh-cache", timeout=120):
            pass
        await asyncio.sleep(60)
"""

ONE_SHOT = """\
async def refresh_cache_forever():
    return None
"""


def main(body: str) -> str:
    return "import asyncio\nfrom app.tasks import refresh_cache_forever\n\n" + body


STARTUP_SHAPES = {
    "lifespan": """\
from contextlib import asynccontextmanager

@asynccontextmanager
async def lifespan(app):
    task = asyncio.create_task(refresh_cache_forever())
    yield
    task.cancel()
""",
    "on_event": """\
from fastapi import FastAPI

app = FastAPI()

@app.on_event("startup")
async def begin():
    app.state.refresher = asyncio.create_task(refresh_cache_forever())
""",
    "init": """\
class Service:
    def __init__(self, loop):
        self.loop = loop
        self.task = self.loop.create_task(refresh_cache_forever())
""",
    "start": """\
class Cache:
    async def start(self):
        self.task = asyncio.ensure_future(refresh_cache_forever())
""",
    "module": """\
loop = asyncio.get_event_loop()
TASK = loop.create_task(refresh_cache_forever())
""",
}


@pytest.mark.parametrize("shape", sorted(STARTUP_SHAPES))
def test_replica_loop_started_at_startup_cross_file(tmp_path: Path, shape: str) -> None:
    files = {
        "app/__init__.py": "",
        "app/tasks.py": LOOP,
        "app/main.py": main(STARTUP_SHAPES[shape]),
    }
    found = findings(tmp_path, files, code="BGT022")
    assert len(found) == 1, shape
    assert found[0].location.file == "app/main.py"
    assert "app.tasks.refresh_cache_forever" in found[0].message
    assert "runs in every process that starts it" in found[0].message
    assert found[0].related[0].file == "app/tasks.py"


def test_loop_in_same_file_method(tmp_path: Path) -> None:
    code = """\
    import asyncio

    class Poller:
        async def _poll(self):
            while True:
                await asyncio.sleep(5)

        def start(self):
            self._task = asyncio.create_task(self._poll())
    """
    assert len(findings(tmp_path, {"app/poll.py": code}, code="BGT022")) == 1


def test_loop_with_a_lock_is_silent(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/tasks.py": LOCKED_LOOP,
        "app/main.py": main(STARTUP_SHAPES["lifespan"]),
    }
    assert findings(tmp_path, files, code="BGT022") == []


def test_one_shot_task_at_startup_is_silent(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/tasks.py": ONE_SHOT,
        "app/main.py": main(STARTUP_SHAPES["lifespan"]),
    }
    assert findings(tmp_path, files, code="BGT022") == []


def test_loop_started_per_request_is_silent(tmp_path: Path) -> None:
    handler = """\
    async def handle_upload(request):
        request.app.state.t = asyncio.create_task(refresh_cache_forever())
    """
    files = {"app/__init__.py": "", "app/tasks.py": LOOP, "app/views.py": main(handler)}
    assert findings(tmp_path, files, code="BGT022") == []


# --------------------------------------------------------------------------- BGT040

BLOCKING = """\
import time

import requests


async def sync_accounts():
    requests.get("https://example.com/accounts", timeout=10)
    time.sleep(1)
"""

NON_BLOCKING = """\
import asyncio

import httpx


async def sync_accounts():
    async with httpx.AsyncClient() as client:
        await client.get("https://example.com/accounts")
    await asyncio.sleep(1)
"""

APS_ASYNC = """\
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.sync import sync_accounts

scheduler = AsyncIOScheduler()
scheduler.add_job(sync_accounts, "interval", minutes=10, id="sync-accounts")
"""


def test_blocking_calls_reported_in_definition_file(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/sync.py": BLOCKING, "app/sched.py": APS_ASYNC}
    found = findings(tmp_path, files, code="BGT040")
    assert [(f.location.file, f.location.line) for f in found] == [
        ("app/sync.py", 7),
        ("app/sync.py", 8),
    ]
    assert "`requests.get`" in found[0].message and "'sync-accounts'" in found[0].message
    assert "app/sched.py:6" in found[0].message
    assert "asyncio.sleep" in found[1].message
    assert found[0].related[0].file == "app/sched.py"


def test_async_client_is_silent(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/sync.py": NON_BLOCKING, "app/sched.py": APS_ASYNC}
    assert findings(tmp_path, files, code="BGT040") == []


def test_sync_job_may_block(tmp_path: Path) -> None:
    sync = BLOCKING.replace("async def", "def")
    files = {"app/__init__.py": "", "app/sync.py": sync, "app/sched.py": APS_ASYNC}
    assert findings(tmp_path, files, code="BGT040") == []


def test_create_task_target_blocks(tmp_path: Path) -> None:
    code = """\
    import asyncio
    from app.sync import sync_accounts

    background = set()

    async def kick():
        task = asyncio.create_task(sync_accounts())
        background.add(task)
        task.add_done_callback(background.discard)
    """
    files = {"app/__init__.py": "", "app/sync.py": BLOCKING, "app/kick.py": code}
    found = findings(tmp_path, files, code="BGT040")
    assert len(found) == 2 and all("create_task" in f.message for f in found)


def test_same_definition_two_jobs_reported_once(tmp_path: Path) -> None:
    sched = APS_ASYNC + 'scheduler.add_job(sync_accounts, "cron", hour=2, id="nightly")\n'
    files = {"app/__init__.py": "", "app/sync.py": BLOCKING, "app/sched.py": sched}
    found = findings(tmp_path, files, code="BGT040")
    assert len(found) == 2
    assert all(len(f.related) == 2 and "1 more" in f.message for f in found)


def test_unscheduled_async_function_is_silent(tmp_path: Path) -> None:
    assert findings(tmp_path, {"app/sync.py": BLOCKING}, code="BGT040") == []


def test_flake8_async_noqa_silences_bgt040(tmp_path: Path) -> None:
    blocking = BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # noqa: ASYNC251")
    files = {"app/__init__.py": "", "app/sync.py": blocking, "app/sched.py": APS_ASYNC}
    found = findings(tmp_path, files, code="BGT040")
    assert [f.location.line for f in found] == [7]


# --------------------------------------------------------------------------- per process

PER_PROCESS_LOOPS = {
    "heartbeat name": """\
async def heartbeat_loop(path):
    while True:
        path.write_text("ok")
        await asyncio.sleep(10)
""",
    "keepalive name": """\
async def _keep_alive():
    while True:
        await ping_broker()
        await asyncio.sleep(30)
""",
    "metrics flush": """\
async def flush_metrics_forever():
    while True:
        await push_gauges()
        await asyncio.sleep(15)
""",
    "local cache": """\
async def refresh_local_cache():
    while True:
        await reload()
        await asyncio.sleep(60)
""",
    "docstring": """\
async def refresh_forever():
    \"\"\"Reload the in-memory routing table; every process keeps its own copy.\"\"\"
    while True:
        await reload()
        await asyncio.sleep(60)
""",
    "own pid file": """\
async def touch_forever(path):
    while True:
        path.write_text(str(os.getpid()))
        await asyncio.sleep(10)
""",
}

REPLICA_LOOPS = {
    "cleanup": """\
async def cleanup_expired_sessions():
    while True:
        await delete_expired()
        await asyncio.sleep(60)
""",
    "health is a domain word": """\
async def update_health_scores():
    while True:
        await recompute_scores()
        await asyncio.sleep(60)
""",
    "pid only logged": """\
async def sync_forever():
    \"\"\"Pull new orders from the shop.\"\"\"
    while True:
        log.info("sync in %s", os.getpid())
        await pull_orders()
        await asyncio.sleep(60)
""",
    "shared cache": """\
async def refresh_cache_forever():
    while True:
        await redis.set("rates", await fetch())
        await asyncio.sleep(60)
""",
}

PROCESS_MAIN = """\
import asyncio
import contextlib
import os

from fastapi import FastAPI

{loop}

@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    task = asyncio.create_task({name}(None))
    yield
    task.cancel()


app = FastAPI(lifespan=lifespan)
"""


def _loop_app(loop: str) -> dict[str, str]:
    name = loop.split("def ", 1)[1].split("(", 1)[0]
    return {"app/__init__.py": "", "app/main.py": PROCESS_MAIN.format(loop=loop, name=name)}


@pytest.mark.parametrize("shape", sorted(PER_PROCESS_LOOPS))
def test_per_process_loop_is_not_a_replica_loop(tmp_path: Path, shape: str) -> None:
    assert findings(tmp_path, _loop_app(PER_PROCESS_LOOPS[shape]), code="BGT022") == []


@pytest.mark.parametrize("shape", sorted(REPLICA_LOOPS))
def test_replica_loop_near_misses_still_fire(tmp_path: Path, shape: str) -> None:
    assert len(findings(tmp_path, _loop_app(REPLICA_LOOPS[shape]), code="BGT022")) == 1
