"""BGT040 beyond the first list: files, processes, sync clients, and one call deep."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

JOB = """\
import os
import shutil
import subprocess
import asyncio

import boto3
import requests
from apscheduler.schedulers.asyncio import AsyncIOScheduler

scheduler = AsyncIOScheduler()


{helpers}

@scheduler.scheduled_job("interval", hours=1, id="job")
async def job() -> None:
{body}
"""


def run(tmp_path: Path, body: str, helpers: str = "") -> list:
    indented = "\n".join("    " + line for line in body.splitlines())
    source = JOB.format(helpers=helpers, body=indented)
    return findings(tmp_path, {"app/__init__.py": "", "app/jobs.py": source}, code="BGT040")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('shutil.rmtree("/backup", ignore_errors=True)', "`shutil.rmtree`"),
        ('shutil.copytree("/data", "/backup")', "`shutil.copytree`"),
        ('for name in os.listdir("/data"):\n    os.remove(name)', "`os.listdir`"),
        ('subprocess.run(["pg_dump"], check=True)', "asyncio.create_subprocess_exec"),
        ('s3 = boto3.client("s3")\ns3.upload_file("a", "b", "c")', "`s3.upload_file` (a boto3"),
        (
            "with requests.Session() as session:\n    session.get('https://x')",
            "`session.get` (a requests client)",
        ),
        ("requests.Session().get('https://x')", "(a requests client)"),
    ],
)
def test_blocking_calls(tmp_path: Path, body: str, says: str) -> None:
    found = run(tmp_path, body)
    assert found and says in found[0].message


@pytest.mark.parametrize(
    "body",
    [
        'await asyncio.to_thread(shutil.rmtree, "/backup")',
        "loop = asyncio.get_running_loop()\n"
        'await loop.run_in_executor(None, lambda: os.listdir("/"))',
        's3 = boto3.client("s3")\npaginator = s3.get_paginator("list_objects_v2")',
        'proc = await asyncio.create_subprocess_exec("pg_dump")',
    ],
)
def test_non_blocking_forms(tmp_path: Path, body: str) -> None:
    assert run(tmp_path, body) == []


HELPER = """\
def clear_pictures() -> None:
    for name in os.listdir("/data/sign"):
        os.remove(os.path.join("/data/sign", name))


async def async_helper() -> None:
    await asyncio.sleep(1)


def pure(x: int) -> int:
    return x + 1
"""


def test_sync_helper_one_call_deep(tmp_path: Path) -> None:
    [found] = run(tmp_path, "clear_pictures()", HELPER)
    assert found.location.line == 28
    assert "`clear_pictures()` blocks the event loop in async job 'job'" in found.message
    assert "calls `os.listdir` (app/jobs.py:14) and 1 more blocking call" in found.message
    assert "await asyncio.to_thread(clear_pictures, ...)" in found.message


@pytest.mark.parametrize(
    "body",
    [
        "await asyncio.to_thread(clear_pictures)",
        "await async_helper()",
        "pure(1)",
        "asyncio.get_running_loop().run_in_executor(None, clear_pictures)",
    ],
)
def test_helpers_that_do_not_block_the_loop(tmp_path: Path, body: str) -> None:
    assert run(tmp_path, body, HELPER) == []


def test_helper_in_another_module_and_method_on_self(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/files.py": "import shutil\n\ndef wipe(path):\n    shutil.rmtree(path)\n",
        "app/jobs.py": (
            "import time\n"
            "from apscheduler.schedulers.asyncio import AsyncIOScheduler\n"
            "from app.files import wipe\n\n"
            "class Cleaner:\n"
            "    def __init__(self):\n"
            "        self.scheduler = AsyncIOScheduler()\n"
            '        self.scheduler.add_job(self.run, "interval", minutes=5, id="clean")\n\n'
            "    def pause(self):\n"
            "        time.sleep(5)\n\n"
            "    async def run(self):\n"
            "        wipe('/tmp/x')\n"
            "        self.pause()\n"
        ),
    }
    found = findings(tmp_path, files, code="BGT040")
    assert sorted(f.location.line for f in found) == [14, 15]
    assert any("`shutil.rmtree` (app/files.py:4)" in f.message for f in found)
