"""BGT021 and a test's mocks (python-discord/bot: `bot.loop.create_task(...)` on a MockBot
whose loop only closes the coroutine): a mock's `create_task` makes no task, so nothing is
left dangling. A real loop in a test is still judged."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import findings

WORK = """\
import asyncio
import unittest
import unittest.mock
from unittest.mock import MagicMock

from tests.helpers import MockBot


async def work():
    pass


"""


@pytest.mark.parametrize(
    "body",
    [
        "def test_local():\n"
        "    bot = unittest.mock.MagicMock()\n"
        "    bot.loop.create_task(work())\n",
        "def test_imported():\n    bot = MagicMock()\n    bot.loop.create_task(work())\n",
        # a project's own mock class, by its conventional name
        "class T(unittest.TestCase):\n"
        "    def setUp(self):\n"
        "        self.bot = MockBot()\n"
        "\n"
        "    def test_it(self):\n"
        "        self.bot.loop.create_task(work())\n",
        # a pytest fixture named for what it is
        "def test_fixture(mock_bot):\n    mock_bot.loop.create_task(work())\n",
    ],
)
def test_a_mocks_loop_makes_no_task(tmp_path: Path, body: str) -> None:
    files = {"tests/test_bot.py": WORK + body}
    assert findings(tmp_path, files, code="BGT021") == []


def test_a_real_loop_in_a_test_is_still_judged(tmp_path: Path) -> None:
    body = "def test_real():\n    loop = asyncio.new_event_loop()\n    loop.create_task(work())\n"
    files = {"tests/test_bot.py": WORK + body}
    assert len(findings(tmp_path, files, code="BGT021")) == 1


def test_asyncio_create_task_beside_a_mock_is_still_judged(tmp_path: Path) -> None:
    body = "async def test_real():\n    bot = MagicMock()\n    asyncio.create_task(work())\n"
    files = {"tests/test_bot.py": WORK + body}
    assert len(findings(tmp_path, files, code="BGT021")) == 1


def test_outside_tests_a_loop_is_judged_whatever_it_is_built_with(tmp_path: Path) -> None:
    body = "def run():\n    bot = MagicMock()\n    bot.loop.create_task(work())\n"
    files = {"app/bot.py": WORK + body}
    assert len(findings(tmp_path, files, code="BGT021")) == 1
